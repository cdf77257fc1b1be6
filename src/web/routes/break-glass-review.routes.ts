import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { forbidden } from '../../fhir/outcome.js';
import { page } from '../layout.js';
import { breakGlassReviewBody, type FieldErrors } from '../pages.js';
import { navFor, type Signed, type WebContext } from '../web-context.js';

/** Privacy officers review emergency access (breakglass.review). */
export async function breakGlassReviewRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { breakGlass } = web.platform.access;

  const officer = async (req: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> => {
    const s = await web.need(req, reply, 'workspace', 'review');
    if (!s) return undefined;
    const d = can(s.principal, 'breakglass.review');
    if (!d.allowed) throw forbidden(`Only privacy officers review emergency access (${d.reason}).`);
    return s;
  };

  const reviewPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, reviewedId?: string) => {
    const grants = await breakGlass.listBreakGlassForReview(s.principal);
    const rows = [];
    for (const grant of grants) rows.push({ grant, organisation: await web.orgName(grant.organizationId) });
    // The review names whose records were opened: each person's access log shows that it was reviewed.
    const audit = auditContextOf(req);
    audit.resourceType = 'AuditEvent';
    if (grants.length > 0) audit.patientIds = [...new Set(grants.map((g) => g.patientId))];
    return web.send(reply, status, page({ title: 'Emergency access to review', error: errors.length > 0, viewer: s.viewer, nav: navFor(s.principal, 'review'), body: breakGlassReviewBody(rows, s.viewer.csrfToken, errors, reviewedId) }));
  };

  app.get('/break-glass-review', async (req, reply) => {
    const s = await officer(req, reply);
    if (!s) return reply;
    auditContextOf(req).interaction = 'search';
    return reviewPage(req, reply, s, 200, []);
  });

  app.post('/break-glass-review/:id', async (req, reply) => {
    const s = await officer(req, reply);
    if (!s) return reply;
    const { id } = req.params as { id: string };
    const note = (fieldsOf(req).note ?? '').trim();
    auditContextOf(req).interaction = 'update';
    if (note.length < 3 || note.length > 2000) {
      auditContextOf(req).failure = 'A review note is needed';
      return reviewPage(req, reply, s, 400, [{ field: 'note', text: 'Write what you checked and concluded (3 to 2,000 characters)' }], id);
    }
    await breakGlass.review(s.principal, id, note, web.now());
    return web.redirect(reply, '/break-glass-review');
  });
}
