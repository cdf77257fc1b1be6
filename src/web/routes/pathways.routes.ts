import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { forbidden } from '../../fhir/outcome.js';
import type { FieldErrors } from '../components/index.js';
import { page } from '../layout.js';
import { pathwaysBody } from '../pathways.page.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

/** The mental health pathway board (/pathways) and its placement form; thin: verb, service, page. */
export async function pathwaysRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const svc = web.platform.pathways;

  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> => {
    const s = await web.need(req, reply, 'workspace', 'pathways');
    if (!s) return undefined;
    if (!can(s.principal, 'pathways.board').allowed) throw forbidden('The pathway board is for mental health practitioners.');
    return s;
  };

  const show = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>, done?: string) => {
    const b = await svc.board(s.principal, web.now());
    const audit = auditContextOf(req);
    audit.patientIds ??= [...new Set([...b.waiting, ...b.placements].flatMap((x) => (x.person ? [x.person.id] : [])).concat(b.transitions.map((x) => x.id)))];
    const people = [...new Map([...b.waiting.flatMap((w) => (w.person ? [w.person] : [])), ...b.transitions].map((x) => [x.id, x])).values()];
    return web.send(reply, status, page({
      title: 'Mental health pathways', viewer: s.viewer, nav: navFor(s.principal, 'pathways'), error: errors.length > 0,
      body: pathwaysBody(b, { csrfToken: s.viewer.csrfToken, errors, done, values, people }),
    }));
  };

  app.get('/pathways', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Task';
    return show(req, reply, s, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  app.post('/pathways/placements', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const f = fieldsOf(req);
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = 'Encounter';
    try {
      await svc.recordPlacement(s.principal, { patientId: f.patientId, reason: f.reason, where: f.where, start: f.start });
      if (f.patientId) audit.patientIds = [f.patientId];
      return web.redirect(reply, '/pathways?done=placement');
    } catch (err) {
      const fe = fieldErrorOf(err, 'reason');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      return show(req, reply, s, (err as { status?: number }).status ?? 400, fe, { patientId: f.patientId, reason: f.reason, where: f.where, start: f.start });
    }
  });
}
