import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { forbidden, type FhirError } from '../../fhir/outcome.js';
import { quarterOf } from '../../outcomes/measure-evaluation.service.js';
import { ANSWERS, type Audience } from '../../outcomes/i-statements.js';
import type { FieldErrors } from '../components/index.js';
import { feedbackCsv, feedbackFiguresBody, surveyBody } from '../feedback.page.js';
import { page } from '../layout.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';
import { needAnalyst } from './analyst-guard.js';
import { fieldErrorsOf } from './plan.routes.js';

/**
 * The 'I' statements (src/outcomes/feedback.service.ts): residents answer in the portal
 * (/my-feedback), staff in the workspace (/feedback), ICB analysts see the protected figures
 * (/outcomes/i-statements and its CSV). A form with an answer missing or not one of the choices is
 * shown again with the error summary and the answers kept; a second response in a quarter is
 * refused; nothing is written either way.
 */
export async function feedbackRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const feedback = web.platform.outcomes.feedback;
  const PATH: Record<Audience, string> = { resident: '/my-feedback', staff: '/feedback' };

  const nextQuarter = () => {
    const q = quarterOf(web.now().toISOString().slice(0, 10));
    return new Date(Date.parse(`${q.end}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  };
  const render = async (reply: FastifyReply, s: Signed, audience: Audience, status: number, errors: FieldErrors, values: Record<string, string | undefined>, done = false) => {
    const mine = errors.length ? undefined : await feedback.mine(s.principal);
    return web.send(reply, status, page({
      title: audience === 'resident' ? 'How are we doing?' : 'Your view', viewer: s.viewer, nav: navFor(s.principal, 'feedback'), error: errors.length > 0,
      body: surveyBody({ audience, statements: feedback.statementsFor(audience), mine, done, errors, values, csrfToken: s.viewer.csrfToken, action: PATH[audience], nextQuarter: nextQuarter() }),
    }));
  };
  const guard = async (req: FastifyRequest, reply: FastifyReply, audience: Audience) => {
    const s = await web.need(req, reply, audience === 'resident' ? 'portal' : 'workspace', 'feedback');
    if (!s) return undefined;
    const d = can(s.principal, 'feedback.answer');
    if (!d.allowed) throw forbidden(d.reason);
    return s;
  };

  for (const audience of ['resident', 'staff'] as Audience[]) {
    app.get(PATH[audience], async (req, reply) => {
      const s = await guard(req, reply, audience);
      if (!s) return reply;
      const audit = auditContextOf(req);
      audit.interaction = 'read';
      audit.resourceType = 'QuestionnaireResponse';
      if (s.principal.kind === 'resident') audit.patientIds = [s.principal.patientId];
      return render(reply, s, audience, 200, [], {}, one((req.query as Record<string, unknown>).done) === '1');
    });

    app.post(PATH[audience], async (req, reply) => {
      const s = await guard(req, reply, audience);
      if (!s) return reply;
      const audit = auditContextOf(req);
      audit.interaction = 'create';
      audit.resourceType = 'QuestionnaireResponse';
      if (s.principal.kind === 'resident') audit.patientIds = [s.principal.patientId];
      const f = fieldsOf(req);
      const statements = feedback.statementsFor(audience);
      const values = Object.fromEntries(statements.map((x) => [x.id, f[x.id]]));
      const errors: FieldErrors = statements
        .filter((x) => !ANSWERS.some((a) => a.code === f[x.id]))
        .map((x) => ({ field: x.id, text: `Choose yes, no or not sure for "${x.text}"` }));
      if (errors.length) {
        audit.failure = errors[0].text;
        return render(reply, s, audience, 400, errors, values);
      }
      try {
        await feedback.answer(s.principal, values);
        return web.redirect(reply, `${PATH[audience]}?done=1`);
      } catch (err) {
        const fe = fieldErrorsOf(err, statements[0].id);
        if (!fe) throw err;
        audit.failure = fe[0].text;
        // The rule's errors name the response's elements; on the page they belong to the form.
        return render(reply, s, audience, (err as FhirError).status, fe.map((e) => ({ ...e, field: statements.some((x) => x.id === e.field) ? e.field : statements[0].id })), values);
      }
    });
  }

  const analyst = (req: FastifyRequest, reply: FastifyReply) => needAnalyst(web, req, reply, 'The \'I\' statements figures', 'QuestionnaireResponse');
  app.get('/outcomes/i-statements', async (req, reply) => {
    const s = await analyst(req, reply);
    if (!s) return reply;
    const figures = await feedback.figures(s.principal);
    return web.send(reply, 200, page({ title: "The 'I' statements", viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), body: feedbackFiguresBody(figures) }));
  });
  app.get('/outcomes/i-statements.csv', async (req, reply) => {
    const s = await analyst(req, reply);
    if (!s) return reply;
    const figures = await feedback.figures(s.principal);
    return reply.code(200).headers({
      'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="i-statements.csv"', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
    }).send(feedbackCsv(figures));
  });
}
