import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf, type AuditContext } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import type { Principal } from '../../access/principal.js';
import { planDocument } from '../../care-planning/plan-document.js';
import { badRequest, FhirError } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import { datePartsOf, readDate, type DateParts, type FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { staffPlanBody, type PlanPageData } from '../plan.page.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';

/** Every issue of a refused form (400/409/422) as field errors: the error summary lists them all. */
export function fieldErrorsOf(err: unknown, fallback: string): FieldErrors | undefined {
  if (!(err instanceof FhirError) || ![400, 403, 409, 412, 422].includes(err.status)) return undefined;
  return (err.outcome.issue ?? []).map((i) => {
    const f = i.expression?.[0] ?? fallback;
    return { field: f === 'versionId' ? 'maincontent' : f, text: i.diagnostics ?? 'Check what you entered' };
  });
}

/** Repeated form fields (checkboxes): every value of `name`. */
export function allOf(req: FastifyRequest, name: string): string[] {
  const body = req.body;
  if (typeof body === 'string') return new URLSearchParams(body).getAll(name);
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

/** A three-box date from a form: the ISO date, or a 400 naming the first box. */
export function formDate(f: Record<string, string>, name: string, what: string): string {
  const d = readDate(datePartsOf(f, name), what);
  if (d.error) throw badRequest(d.error, `${name}-day`);
  if (!d.date) throw badRequest(`Enter ${what.toLowerCase()}`, `${name}-day`);
  return d.date;
}

const ACTIONS = ['sections', 'goals', 'actions', 'review', 'agree', 'status'] as const;
type Action = (typeof ACTIONS)[number];
const DONE: Record<Action, string> = { sections: 'sections', goals: 'goal', actions: 'action', review: 'review', agree: 'agreed', status: 'active' };

/**
 * A person's personalised care and support plan in the workspace (/people/:id/plan): read it, write
 * it with the person, give actions, set the review, record the agreement, and name or hand over the
 * named professional; `/people/:id/plan.json` is the plan as a FHIR document (Composition first).
 * Forms follow the house pattern: POST with the CSRF token and the version shown → validate →
 * command → 303 with a success banner, or the page again with the error summary and answers kept.
 */
export async function planRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { plans, namedProfessionals, mdt } = web.platform.carePlanning;

  const personId = (req: FastifyRequest): string => {
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw badRequest('There is no person at this address');
    return id;
  };

  const render = async (req: FastifyRequest, reply: FastifyReply, s: Signed, id: string, status: number, errors: FieldErrors, values: Record<string, string | undefined>, dates: Record<string, DateParts>, done?: string) => {
    const p = s.principal;
    const audit = auditContextOf(req);
    audit.patientIds = [id];
    const { current, earlier } = await plans.forPerson(p, id);
    const summary = await web.platform.recordView.summaries.summary(p, id, web.now(), {});
    const personName = summary.status === 'ok' ? summary.summary.patient.name : 'This person';
    const named = await namedProfessionals.of(p, id);
    const team = (await mdt.careTeamChoices(p, [id], p.kind === 'staff' ? [`Organization/${p.organizationId}`] : [])).get(id) ?? [];
    const rights = current ? await plans.rights(p, current.plan) : await plans.rights(p, { resourceType: 'CarePlan', status: 'draft', intent: 'plan', subject: { reference: `Patient/${id}` } });
    const me = p.kind === 'staff' && p.practitionerId ? `Practitioner/${p.practitionerId}` : undefined;
    const people = team.filter((x) => x.reference.startsWith('Practitioner/'));
    if (me && !people.some((x) => x.reference === me)) people.unshift({ reference: me, name: p.displayName });
    const data: PlanPageData = {
      audience: 'staff', personName, patientId: id, ...(current ? { plan: current.view } : {}), earlier, rights,
      named: {
        ...named, canAssign: can(p, 'named-professional.assign', { careRelationship: true }).allowed,
        canAccept: !!named.pending && can(p, 'named-professional.accept', { successor: named.pending.manager.reference }).allowed,
      },
      carers: await plans.carers(p, id),
      owners: team.map((x) => ({ value: x.reference, text: x.reference === me ? `${x.name} (you)` : x.name })),
      colleagues: people.map((x) => ({ value: x.reference, text: x.reference === me ? `${x.name} (you)` : x.name })),
      ...(done ? { done } : {}), errors, values, dates, csrfToken: s.viewer.csrfToken,
    };
    return web.send(reply, status, page({
      title: current ? `${personName}: ${current.view.title}` : `${personName}: care plan`, viewer: s.viewer, nav: navFor(p, 'plans'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/people/${id}">Back to ${personName}'s record</a></nav>`,
      body: staffPlanBody(data),
    }));
  };

  app.get('/people/:id/plan', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = personId(req);
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'CarePlan';
    return render(req, reply, s, id, 200, [], {}, {}, one((req.query as Record<string, unknown>).done));
  });

  app.get('/people/:id/plan.json', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = personId(req);
    Object.assign(auditContextOf(req), { interaction: 'read', resourceType: 'CarePlan', patientIds: [id] } satisfies AuditContext);
    const { current } = await plans.forPerson(s.principal, id);
    if (!current) throw new FhirError(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'This person has no personalised care and support plan' }] });
    const doc = planDocument(current.plan, [...current.goals.values()], [...current.tasks.values()], current.view, web.now());
    return reply.code(200).header('content-type', 'application/fhir+json; charset=utf-8').header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="care-plan-${id}.json"`).send(JSON.stringify(doc));
  });

  app.post('/people/:id/plan', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = personId(req);
    const f = fieldsOf(req);
    const audit = Object.assign(auditContextOf(req), { interaction: 'create', resourceType: 'CarePlan', patientIds: [id] } satisfies AuditContext);
    try {
      await plans.start(s.principal, id, f.title ?? '');
      return web.redirect(reply, `/people/${id}/plan?done=started`);
    } catch (err) {
      const fe = fieldErrorsOf(err, 'title');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      return render(req, reply, s, id, (err as FhirError).status, fe, { title: f.title }, {});
    }
  });

  for (const action of ACTIONS) {
    app.post(`/people/:id/plan/${action}`, async (req, reply) => {
      const s = await web.need(req, reply, 'workspace', 'plans');
      if (!s) return reply;
      const id = personId(req);
      const f = fieldsOf(req);
      const audit = Object.assign(auditContextOf(req), { interaction: 'update', resourceType: 'CarePlan', patientIds: [id] } satisfies AuditContext);
      const dates = { due: datePartsOf(f, 'due'), review: datePartsOf(f, 'review'), agreed: datePartsOf(f, 'agreed') };
      try {
        const version = /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN;
        if (Number.isNaN(version)) throw badRequest('The form has no version of the plan: reload the page and try again', 'versionId');
        const { current } = await plans.forPerson(s.principal, id);
        if (!current) throw badRequest('This person has no plan to change: start one first', 'title');
        const done = await run(s.principal, action, current.view.id, version, f, allOf(req, 'involved'));
        return web.redirect(reply, `/people/${id}/plan?done=${done}`);
      } catch (err) {
        const fe = fieldErrorsOf(err, action === 'goals' ? 'goal' : action === 'actions' ? 'what' : 'maincontent');
        if (!fe) throw err;
        audit.failure = fe[0].text;
        return render(req, reply, s, id, (err as FhirError).status, fe, f, dates);
      }
    });
  }

  async function run(p: Principal, action: Action, planId: string, version: number, f: Record<string, string>, involved: string[]): Promise<string> {
    switch (action) {
      case 'sections':
        await plans.saveSections(p, planId, version, {
          title: f.title, aboutMe: f['about-me'], whatMatters: f['what-matters'], needs: f.needs, involvedCarers: involved,
          contingency: [1, 2, 3].map((i) => ({ trigger: f[`trigger-${i}`] ?? '', action: f[`action-${i}`] ?? '' })),
        });
        break;
      case 'goals': await plans.addGoal(p, planId, version, f.goal ?? '', f.confidence); break;
      case 'actions': {
        const due = readDate(datePartsOf(f, 'due'), 'The due date');
        if (due.error) throw badRequest(due.error, 'due-day');
        const owners = (await mdt.careTeamChoices(p, [(await plans.get(p, planId)).view.patientId], p.kind === 'staff' ? [`Organization/${p.organizationId}`] : [])).values().next().value ?? [];
        const ownerName = owners.find((o) => o.reference === f.owner)?.name;
        await plans.addAction(p, planId, version, { what: f.what, owner: f.owner, ...(ownerName ? { ownerName } : {}), ...(due.date ? { due: due.date } : {}) });
        break;
      }
      case 'review': {
        const date = formDate(f, 'review', 'The date of the next review');
        await plans.setReview(p, planId, version, date, f['review-owner'], f['review-owner'] === (p.kind === 'staff' && p.practitionerId ? `Practitioner/${p.practitionerId}` : '') ? p.displayName : undefined);
        break;
      }
      case 'agree': {
        if (!f['agreed-with']) throw badRequest('Say who agreed the plan: the person or their representative', 'agreed-with');
        const date = formDate(f, 'agreed', 'The date the plan was agreed');
        await plans.agree(p, planId, version, { agreedWith: f['agreed-with'], date });
        break;
      }
      case 'status': {
        const to = f.to === 'active' || f.to === 'revoked' || f.to === 'completed' ? f.to : undefined;
        if (!to) throw badRequest('Choose what to do with the plan', 'maincontent');
        await plans.setStatus(p, planId, version, to);
        return to;
      }
    }
    return DONE[action];
  }

  app.post('/people/:id/named-professional', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = personId(req);
    const f = fieldsOf(req);
    const audit = Object.assign(auditContextOf(req), { interaction: 'create', resourceType: 'EpisodeOfCare', patientIds: [id] } satisfies AuditContext);
    try {
      if (!f.successor) throw badRequest('Choose who will be the named professional', 'successor');
      const { current } = await namedProfessionals.of(s.principal, id);
      if (current) await namedProfessionals.proposeHandover(s.principal, id, f.successor);
      else await namedProfessionals.assign(s.principal, id, f.successor);
      return web.redirect(reply, `/people/${id}/plan?done=${current ? 'handover' : 'named'}`);
    } catch (err) {
      const fe = fieldErrorsOf(err, 'successor');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      return render(req, reply, s, id, (err as FhirError).status, fe.map((e) => ({ ...e, field: e.field.startsWith('EpisodeOfCare') ? 'successor' : e.field })), { successor: f.successor }, {});
    }
  });

  app.post('/people/:id/named-professional/accept', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = personId(req);
    Object.assign(auditContextOf(req), { interaction: 'update', resourceType: 'EpisodeOfCare', patientIds: [id] } satisfies AuditContext);
    await namedProfessionals.acceptHandover(s.principal, id);
    return web.redirect(reply, `/people/${id}/plan?done=accepted`);
  });
}
