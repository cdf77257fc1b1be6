import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContextOf } from '../access/audit/audit-entry.js';
import { requirePrincipal } from '../access/identity/require-principal.js';
import { sendJson } from '../fhir/rest/fhir-http.js';
import type { Platform } from '../platform.js';

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * `GET /fhir/R4/Measure/{id}/$evaluate-measure?periodStart&periodEnd&place[&stratifier]`: the FHIR R4
 * Measure operation, for ICB analysts (aggregate.read). Thin: the service validates, authorises,
 * evaluates, protects and stores; bad input is a 400 OperationOutcome, another role a 403.
 */
export async function measureRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const outcomes = opts.platform.outcomes.service;
  app.addHook('preHandler', requirePrincipal(opts.platform));
  app.get('/Measure/:id/$evaluate-measure', async (req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>, reply) => {
    const audit = auditContextOf(req);
    audit.interaction = 'operation';
    audit.resourceType = 'Measure';
    const q = req.query;
    const report = await outcomes.evaluateMeasure(req.principal!, req.params.id, {
      periodStart: one(q.periodStart), periodEnd: one(q.periodEnd), place: one(q.place), stratifier: one(q.stratifier),
    });
    return sendJson(reply, 200, report);
  });
}
