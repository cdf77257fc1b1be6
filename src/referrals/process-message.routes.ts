import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../access/audit/audit-entry.js';
import { requirePrincipal } from '../access/identity/require-principal.js';
import { badRequest } from '../fhir/outcome.js';
import { sendJson } from '../fhir/rest/fhir-http.js';
import type { Platform } from '../platform.js';

/**
 * `POST /fhir/R4/$process-message`: another system sends a referral in as a BaRS-style message
 * Bundle (process-message.service.ts). `X-Request-Id` is required: a repeat of the same message with
 * it is answered as the first time, and writes nothing.
 */
export async function processMessageRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { processMessage } = opts.platform.referrals;
  app.addHook('preHandler', requirePrincipal(opts.platform));
  app.post('/$process-message', async (req, reply) => {
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = 'ServiceRequest';
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' ? header.trim() : '';
    if (!/^[A-Za-z0-9._:-]{1,200}$/.test(requestId)) throw badRequest('Send an X-Request-Id header (a unique id for this message, e.g. a UUID): a repeat with the same id is answered once', 'X-Request-Id');
    const answer = await processMessage.process(req.principal!, requestId, req.body);
    const sr = (answer.body as { entry?: { resource?: { resourceType?: string; id?: string; subject?: { reference?: string } } }[] }).entry?.find((e) => e.resource?.resourceType === 'ServiceRequest')?.resource;
    if (sr?.id) audit.resources = [{ type: 'ServiceRequest', id: sr.id }];
    const pid = sr?.subject?.reference?.startsWith('Patient/') ? sr.subject.reference.slice('Patient/'.length) : undefined;
    if (pid) audit.patientIds = [pid];
    return sendJson(reply, answer.status, answer.body as object);
  });
}
