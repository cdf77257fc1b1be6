import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../fhir/outcome.js';
import { sendJson } from '../../fhir/rest/fhir-http.js';
import type { Platform } from '../../platform.js';
import { auditContextOf } from '../audit/audit-entry.js';
import { requirePrincipal } from '../identity/require-principal.js';
import { BREAK_GLASS_HOURS, BreakGlassService } from './break-glass.service.js';

/** A Parameters body's value of `name` (valueCode or valueString). */
function param(body: unknown, name: string): string | undefined {
  const b = body as { resourceType?: string; parameter?: { name?: string; valueCode?: unknown; valueString?: unknown }[] } | undefined;
  if (b?.resourceType !== 'Parameters' || !Array.isArray(b.parameter)) throw badRequest('Send a Parameters resource with "reason" (valueCode) and "text" (valueString)');
  const p = b.parameter.find((x) => x?.name === name);
  const v = p?.valueCode ?? p?.valueString;
  return typeof v === 'string' ? v : undefined;
}

/**
 * `POST /fhir/R4/Patient/{id}/$break-glass`: a clinician without a care relationship asserts one,
 * with a reason from the fixed list (`reason`, a code) and a statement (`text`). Access lasts
 * BREAK_GLASS_HOURS, is flagged to privacy officers and shown to the person in their access log.
 * The web workspace offers the same through its own form.
 */
export async function breakGlassRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const service = new BreakGlassService(opts.platform.db);
  app.addHook('preHandler', requirePrincipal(opts.platform));
  app.post('/Patient/:id/$break-glass', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const audit = auditContextOf(req);
    audit.interaction = 'break-glass';
    audit.resourceType = 'Patient';
    audit.patientIds = [req.params.id];
    const reason = param(req.body, 'reason') ?? '';
    const text = param(req.body, 'text') ?? '';
    audit.reason = { code: reason, text };
    const grant = await service.breakGlass(req.principal!, req.params.id, reason, text, new Date());
    return sendJson(reply, 200, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'patient', valueReference: { reference: `Patient/${grant.patientId}` } },
        { name: 'expires', valueInstant: new Date(grant.expiresAt).toISOString() },
        { name: 'hours', valueInteger: BREAK_GLASS_HOURS },
      ],
    });
  });
}
