import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { page } from '../layout.js';
import { peopleBody } from '../outcome-people.page.js';
import { navFor, one, type WebContext } from '../web-context.js';

/**
 * /outcomes/:id/people: the people behind an indicator, for a clinician's own practice or network
 * (`scope=practice:<id>|pcn:<id>`). The service refuses analysts and other roles with a 403 that
 * says why, and names only people the reader's row restriction shows.
 */
export async function outcomePeopleRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const people = web.platform.outcomes.people;
  app.get('/outcomes/:id/people', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const s = await web.need(req, reply, 'workspace', 'outcomes');
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Patient';
    const d = await people.people(s.principal, req.params.id, web.now(), one((req.query as Record<string, unknown>).scope));
    audit.patientIds = d.members.map((m) => m.id);
    return web.send(reply, 200, page({ title: d.list.title, viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), body: peopleBody(d) }));
  });
}
