import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContextOf } from '../access/audit/audit-entry.js';
import { requirePrincipal } from '../access/identity/require-principal.js';
import { sendJson } from '../fhir/rest/fhir-http.js';
import type { Platform } from '../platform.js';
import { MEASURE_BASE } from './indicator.registry.js';
import { inputOfMeasureReport } from './submitted-figure.rules.js';

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * `GET /fhir/R4/Measure/{id}/$evaluate-measure?periodStart&periodEnd&place[&stratifier]`: the FHIR R4
 * Measure operation, for ICB analysts (aggregate.read). Thin: the service validates, authorises,
 * evaluates, protects and stores; bad input is a 400 OperationOutcome, another role a 403.
 * `POST /fhir/R4/Measure/{id}/$submit-data`: a partner's submitted figure (submitted-figure.service.ts).
 */
export async function measureRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const outcomes = opts.platform.outcomes.service;
  const submitted = opts.platform.outcomes.submitted;
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

  // `$submit-data` is R4's Measure operation for "submit data to a measure": a partner's figure for an
  // indicator the record cannot hold, as a MeasureReport (alone, or in Parameters as `measureReport`).
  // The Provenance is the platform's (who is signed in, for which organisation, when), never the body's.
  app.post('/Measure/:id/$submit-data', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const audit = auditContextOf(req);
    audit.interaction = 'operation';
    audit.resourceType = 'MeasureReport';
    const body = req.body as { resourceType?: string; parameter?: { name?: string; resource?: unknown }[] } | undefined;
    const report = body?.resourceType === 'Parameters' ? body.parameter?.find((x) => x.name === 'measureReport')?.resource : body;
    const r = await submitted.submit(req.principal!, req.params.id, inputOfMeasureReport(report, `${MEASURE_BASE}/${req.params.id}`));
    return sendJson(reply, r.unchanged ? 200 : r.version === 1 ? 201 : 200, r.report);
  });
}
