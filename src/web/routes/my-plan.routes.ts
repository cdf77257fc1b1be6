import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import type { Principal } from '../../access/principal.js';
import { badRequest, FhirError, notFound } from '../../fhir/outcome.js';
import { typeWords } from '../../record-view/type-words.js';
import { button, csrfField, type FieldErrors } from '../components/index.js';
import { html, type Html } from '../html.js';
import { page } from '../layout.js';
import { carersSupportLink } from '../joint-assessment.page.js';
import { portalPlanBody, type PlanPageData } from '../plan.page.js';
import { formatDate } from '../../record-view/fhir-text.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';
import { fieldErrorsOf } from './plan.routes.js';

/** Whose plan the portal shows: the resident's own, or the person a carer acts for (?person=). */
function personOf(p: Principal, q: Record<string, unknown>): string | undefined {
  if (p.kind === 'resident') return p.patientId;
  if (p.kind !== 'proxy') return undefined;
  const asked = one(q.person);
  if (asked) return p.patientIds.includes(asked) ? asked : undefined;
  return p.patientIds[0];
}

const ACTIONS = ['what-matters', 'confidence', 'agree', 'review'] as const;
type Action = (typeof ACTIONS)[number];
const DONE: Record<Action, string> = { 'what-matters': 'what-matters', confidence: 'confidence', agree: 'agreed', review: 'review-requested' };

/**
 * The person's and their carer's plan in the portal (/my-plan): the plan in plain English; they say
 * what matters, how confident they feel about each goal, ask for a review and agree the plan; the
 * carer also sees what the person has shared with them and their own support. What they may do is
 * the plan verbs' decision (plan.policy.ts), made again by the service on every POST.
 */
export async function myPlanRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { plans } = web.platform.carePlanning;

  const render = async (req: FastifyRequest, reply: FastifyReply, s: Signed, id: string, status: number, errors: FieldErrors, values: Record<string, string | undefined>, done?: string) => {
    const p = s.principal;
    const audit = auditContextOf(req);
    audit.patientIds = [id];
    const carer = p.kind === 'proxy';
    const summary = await web.platform.recordView.summaries.summary(p, id, web.now(), {});
    const personName = summary.status === 'ok' ? summary.summary.patient.name : 'The person you care for';
    const { current } = await plans.forPerson(p, id).catch((err) => {
      // A carer the person has not shared their plan with sees that said, not an error.
      if (err instanceof FhirError && err.status === 404 && carer) return { current: undefined };
      throw err;
    });
    const rights = current ? await plans.rights(p, current.plan) : { edit: false, agree: false, contribute: false, review: false };
    const data: PlanPageData = {
      audience: carer ? 'carer' : 'self', personName, patientId: id, ...(current ? { plan: current.view } : {}), earlier: [], rights,
      carers: [], owners: [], colleagues: [], ...(done ? { done } : {}), errors, values, dates: {}, csrfToken: s.viewer.csrfToken,
    };
    const support = carer ? await carerSupportSection(p, id, personName, s.viewer.csrfToken) : html``;
    return web.send(reply, status, page({
      title: carer ? `${personName}'s care plan` : 'My care plan', viewer: s.viewer, nav: navFor(p, 'plan'), error: errors.length > 0,
      body: portalPlanBody(data, support),
    }));
  };

  const carerSupportSection = async (p: Principal, id: string, personName: string, csrf: string): Promise<Html> => {
    const c = await plans.carerSupport(p, id);
    const shared = c.shared === null ? 'their whole record' : c.shared.length ? c.shared.map(typeWords).join(', ') : 'nothing yet';
    // Their own carer's assessment (part of a joint assessment about the person they care for), and where to find support near them.
    const own = await web.platform.carePlanning.assessments.carersOwn(p, id);
    const near = carersSupportLink(await web.platform.carePlanning.assessments.postcodeDistrict(id));
    return html`<section class="onestory-section" aria-labelledby="carer-title" id="carer"><h2 id="carer-title">Support for you as a carer</h2>
      <p>${personName} has agreed to share with you: ${shared}.</p>
      <p>Caring for someone can be hard. You have a right to a carer's assessment of your own needs, free of charge.</p>
      ${own.map((x) => html`<p><strong>Your carer's assessment</strong> with ${x.owner.name}: ${x.answered ? `done on ${formatDate(x.answered.at)}. What you need is part of ${personName}'s care and support plan.` : `offered${x.due ? `, to be done by ${formatDate(x.due)}` : ''}. They will contact you.`}</p>`)}
      ${own.length ? '' : c.assessmentAsked ? html`<p><strong>You have asked for a carer's assessment.</strong> The team will contact you.</p>`
        : html`<form method="post" action="/my-plan/carer-assessment?person=${encodeURIComponent(id)}" novalidate>${csrfField(csrf)}${button("Ask for a carer's assessment", { variant: 'secondary' })}</form>`}
      <p><a href="${near}">Find carers' support near you</a>: information, breaks and people to talk to.</p>
      ${c.services.length ? html`<h3>Carers' support near you</h3><ul class="nhsuk-list">${c.services.map((x) => html`<li><strong>${x.name}</strong>${x.phone ? `, ${x.phone}` : ''}${x.description ? html`<br><span class="onestory-muted">${x.description}</span>` : ''}</li>`)}</ul>` : ''}
    </section>`;
  };

  const who = async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await web.need(req, reply, 'portal', 'plan');
    if (!s) return undefined;
    const id = personOf(s.principal, req.query as Record<string, unknown>);
    if (!id) throw notFound('There is no plan for you here.');
    return { s, id };
  };

  app.get('/my-plan', async (req, reply) => {
    const w = await who(req, reply);
    if (!w) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'CarePlan';
    return render(req, reply, w.s, w.id, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  const back = (s: Signed, id: string, done: string) => `/my-plan?done=${done}${s.principal.kind === 'proxy' ? `&person=${encodeURIComponent(id)}` : ''}`;

  for (const action of ACTIONS) {
    app.post(`/my-plan/${action}`, async (req, reply) => {
      const w = await who(req, reply);
      if (!w) return reply;
      const { s, id } = w;
      const f = fieldsOf(req);
      const audit = auditContextOf(req);
      audit.interaction = 'update';
      audit.resourceType = 'CarePlan';
      audit.patientIds = [id];
      try {
        const version = /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN;
        if (Number.isNaN(version)) throw badRequest('The form has expired: reload the page and try again', 'maincontent');
        const { current } = await plans.forPerson(s.principal, id);
        if (!current) throw notFound('There is no plan for you here.');
        const planId = current.view.id;
        if (action === 'what-matters') await plans.setWhatMatters(s.principal, planId, version, f['what-matters'] ?? '');
        else if (action === 'confidence') await plans.rateConfidence(s.principal, planId, f.goal ?? '', f[`confidence-${f.goal}`] ?? '');
        else if (action === 'agree') await plans.agree(s.principal, planId, version);
        else await plans.requestReview(s.principal, planId, f.reason ?? '');
        return web.redirect(reply, back(s, id, DONE[action]));
      } catch (err) {
        const fe = fieldErrorsOf(err, action === 'review' ? 'reason' : action === 'confidence' ? `confidence-${f.goal}` : action === 'what-matters' ? 'what-matters' : 'maincontent');
        if (!fe) throw err;
        audit.failure = fe[0].text;
        return render(req, reply, s, id, (err as FhirError).status, fe, f);
      }
    });
  }

  app.post('/my-plan/carer-assessment', async (req, reply) => {
    const w = await who(req, reply);
    if (!w) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = 'Task';
    audit.patientIds = [w.id];
    try {
      await plans.askForCarerAssessment(w.s.principal, w.id);
      return web.redirect(reply, back(w.s, w.id, 'carer-assessment'));
    } catch (err) {
      const fe = fieldErrorsOf(err, 'carer');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      return render(req, reply, w.s, w.id, (err as FhirError).status, fe, {});
    }
  });
}
