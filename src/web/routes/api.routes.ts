import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { authenticate, unauthorized } from '../../access/identity/authenticate.js';
import type { TimelineQuery } from '../../record-view/record-summary.service.js';
import { notFound } from '../../fhir/outcome.js';
import type { WebContext } from '../web-context.js';

/** The record summary as JSON, for the bench and for other clients: session cookie or Bearer token. */
export async function apiRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { platform } = web;
  const { summaries } = platform.recordView;
  const principalOf = async (req: FastifyRequest) => {
    const p = req.principal ?? (await authenticate(req, platform));
    if (!p) throw unauthorized('Sign in, or send a Bearer token');
    req.principal ??= p;
    auditContextOf(req).principal ??= p;
    return p;
  };
  const name = (req: FastifyRequest, id: string) => {
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.resources = [{ type: 'Patient', id }];
    audit.patientIds = [id];
    return audit;
  };

  app.get('/api/people/:id/summary', async (req, reply) => {
    const p = await principalOf(req);
    const { id } = req.params as { id: string };
    const audit = name(req, id);
    const result = await summaries.summary(p, id, web.now(), req.query as TimelineQuery);
    if (result.status !== 'ok') throw notFound(`Patient/${id} is not known`);
    if (result.summary.access.breakGlass) audit.reason = { code: result.summary.access.breakGlass.reason, text: result.summary.access.breakGlass.text };
    return reply.header('cache-control', 'no-store').send(result.summary);
  });

  app.get('/api/people/:id/timeline', async (req, reply) => {
    const p = await principalOf(req);
    const { id } = req.params as { id: string };
    name(req, id);
    const page = await summaries.timeline(p, id, web.now(), req.query as TimelineQuery);
    if (!page) throw notFound(`Patient/${id} is not known`);
    return reply.header('cache-control', 'no-store').send(page);
  });
}
