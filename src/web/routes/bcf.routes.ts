import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bcfBody, bcfCsv } from '../bcf.page.js';
import { page } from '../layout.js';
import { navFor, type WebContext } from '../web-context.js';
import { needAnalyst } from './analyst-guard.js';

/**
 * The Better Care Fund view for ICB analysts (aggregate.read): /outcomes/bcf and its CSV,
 * /outcomes/bcf.csv. Only protected figures (src/outcomes/bcf.service.ts).
 */
export async function bcfRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const bcf = web.platform.outcomes.bcf;
  const guard = (req: FastifyRequest, reply: FastifyReply) => needAnalyst(web, req, reply, 'The Better Care Fund view', 'MeasureReport');

  app.get('/outcomes/bcf', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const view = await bcf.view(s.principal);
    return web.send(reply, 200, page({ title: 'Better Care Fund', viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), body: bcfBody(view) }));
  });

  app.get('/outcomes/bcf.csv', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const sets = await bcf.figures(s.principal);
    return reply.code(200).headers({
      'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="better-care-fund.csv"', 'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    }).send(bcfCsv(sets));
  });
}
