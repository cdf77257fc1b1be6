import type { CarePlan } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { REQUESTABLE_TASKS, type DischargeTaskType } from '../../discharge/discharge.vocabulary.js';
import type { Partner } from '../../discharge/discharge-partners.repository.js';
import { badRequest, forbidden, notFound } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import { datePartsFrom, datePartsOf, readDate, type FieldErrors } from '../components/index.js';
import { boardBody, dischargePlanBody, hubBody, stayBody, type StayPageData } from '../discharge.page.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

const STAY_ACTIONS = ['criteria', 'plan', 'tasks', 'share', 'discharge'] as const;
type StayAction = (typeof STAY_ACTIONS)[number];
const FIRST_FIELD: Record<StayAction, string> = { criteria: 'meets', plan: 'readyDate', tasks: 'request', share: 'where', discharge: 'destination' };

/**
 * The discharge board (/discharge), a stay with the coordinator's forms (/discharge/stays/:id), the
 * transfer of care hub (/discharge/hub) and the person's plan for leaving hospital in the portal
 * (/my-discharge-plan). Handlers are thin: read the request, ask the policy's verbs, call
 * platform.discharge, render with the kit. Forms follow the one pattern (POST with the CSRF token and
 * the version shown → command → 303 with a banner, or the page again with the error summary and the
 * answers kept, nothing written).
 */
export async function dischargeRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { board, stays, reablement } = web.platform.discharge;

  const guard = async (req: FastifyRequest, reply: FastifyReply, verb: 'discharge.board' | 'discharge.hub', current: string): Promise<Signed | undefined> => {
    const s = await web.need(req, reply, 'workspace', current);
    if (!s) return undefined;
    if (!can(s.principal, verb).allowed) throw forbidden(verb === 'discharge.board' ? 'The discharge board is for clinical staff.' : 'The transfer of care hub is for clinical staff.');
    return s;
  };

  const trustNames = async (ids: string[]) => new Map(await Promise.all(ids.map(async (id) => [id, await web.orgName(id)] as [string, string])));

  app.get('/discharge', async (req, reply) => {
    const s = await guard(req, reply, 'discharge.board', 'discharge');
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Encounter';
    let errors: FieldErrors = [];
    let filter;
    try {
      filter = board.parseFilter(q);
    } catch (err) {
      const fe = fieldErrorOf(err, 'band');
      if (!fe) throw err;
      // A page number is not a field of the form: its error points at the page.
      errors = fe.map((e) => (e.field === 'page' ? { ...e, field: 'maincontent' } : e));
      audit.failure = fe[0].text;
      filter = board.parseFilter({});
    }
    const b = await board.board(s.principal, filter, web.now());
    audit.patientIds = b.stays.map((x) => x.person.id);
    const canPlan = !!b.org && can(s.principal, 'discharge.plan', { providerOrg: b.org }).allowed;
    return web.send(reply, errors.length ? 400 : 200, page({
      title: 'Discharge board', viewer: s.viewer, nav: navFor(s.principal, 'discharge'), error: errors.length > 0,
      body: boardBody(b, { trustNames: await trustNames(b.trusts), errors, done: one(q.done), canPlan }),
    }));
  });

  const stayPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, id: string, status: number, errors: FieldErrors, values: StayPageData['values'], done?: string) => {
    const now = web.now();
    const stay = await board.stay(s.principal, id, now);
    if (!stay) throw notFound('There is no stay in hospital at this address, or it has ended.');
    const audit = auditContextOf(req);
    audit.patientIds = [stay.person.id];
    const canPlan = can(s.principal, 'discharge.plan', { providerOrg: stay.providerOrg }).allowed;
    const partners = {} as Record<DischargeTaskType, Partner[]>;
    const cur = await stays.get(s.principal, id);
    for (const t of REQUESTABLE_TASKS) partners[t] = canPlan ? await stays.partners(s.principal, id, t) : [];
    const [plan] = (await board.plansFor(s.principal, stay.person.id, now)).filter((p: CarePlan) => p.encounter?.reference === `Encounter/${id}`);
    const kept = {
      ...values,
      ready: values.ready ?? datePartsFrom(stay.readyDate), expected: values.expected ?? datePartsFrom(stay.expectedDate),
      pathway: values.fields?.pathway ?? stay.pathway ?? '', delayReason: values.fields?.delayReason ?? stay.delayReason,
    };
    const trustName = stay.providerOrg ? await web.orgName(stay.providerOrg) : 'the hospital';
    return web.send(reply, status, page({
      title: `${stay.person.name}: discharge`, viewer: s.viewer, nav: navFor(s.principal, 'discharge'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/discharge">Back to the discharge board</a></nav>`,
      body: stayBody({ stay, versionId: cur.versionId, trustName, canPlan, partners, plan, csrfToken: s.viewer.csrfToken, errors, done, values: kept }),
    }));
  };

  const stayId = (req: FastifyRequest): string => {
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw notFound('There is no stay in hospital at this address, or it has ended.');
    return id;
  };

  app.get('/discharge/stays/:id', async (req, reply) => {
    const s = await guard(req, reply, 'discharge.board', 'discharge');
    if (!s) return reply;
    const id = stayId(req);
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Encounter';
    audit.resources = [{ type: 'Encounter', id }];
    return stayPage(req, reply, s, id, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  for (const action of STAY_ACTIONS) {
    app.post(`/discharge/stays/:id/${action}`, async (req, reply) => {
      const s = await guard(req, reply, 'discharge.board', 'discharge');
      if (!s) return reply;
      const id = stayId(req);
      const f = fieldsOf(req);
      const audit = auditContextOf(req);
      audit.interaction = 'update';
      audit.resourceType = 'Encounter';
      audit.resources = [{ type: 'Encounter', id }];
      const ready = datePartsOf(f, 'readyDate');
      const expected = datePartsOf(f, 'expectedDate');
      const values = { fields: f, ready, expected };
      const version = /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN;
      try {
        if (Number.isNaN(version)) throw badRequest('The form has no version of the stay: reload the page and try again', 'versionId');
        const p = s.principal;
        switch (action) {
          case 'criteria':
            await stays.recordCriteria(p, id, version, f.meets);
            break;
          case 'plan': {
            const r = readDate(ready, 'The Discharge Ready Date');
            if (r.error) throw badRequest(r.error, 'readyDate');
            const e = readDate(expected, 'The expected date of discharge');
            if (e.error) throw badRequest(e.error, 'expectedDate');
            await stays.updatePlan(p, id, version, { readyDate: r.date ?? '', expectedDate: e.date ?? '', pathway: f.pathway ?? '', delayReason: f.delayReason ?? '' });
            break;
          }
          case 'tasks': {
            const [type, owner] = (f.request ?? '').split('|');
            if (!type || !owner) throw badRequest('Choose what is needed and from whom', 'request');
            await stays.requestTask(p, id, { type, owner });
            break;
          }
          case 'share':
            await stays.sharePlan(p, id, version, { where: f.where, when: f.when, support: f.support, contact: f.contact, medicines: f.medicines });
            break;
          case 'discharge':
            await stays.discharge(p, id, version, { destination: f.destination });
            return web.redirect(reply, '/discharge?done=discharged');
        }
        return web.redirect(reply, `/discharge/stays/${id}?done=${action === 'tasks' ? 'task' : action === 'share' ? 'shared' : action}`);
      } catch (err) {
        const fe = fieldErrorOf(err, FIRST_FIELD[action]);
        if (!fe) throw err;
        audit.failure = fe[0].text;
        const status = (err as { status?: number }).status ?? 400;
        // A task request's fields live in one select; the version error points at the page.
        const mapped = fe.map((e) => ({ ...e, field: e.field === 'versionId' ? 'maincontent' : action === 'tasks' ? 'request' : e.field === 'readyDate' || e.field === 'expectedDate' ? `${e.field}-day` : e.field }));
        return stayPage(req, reply, s, id, status, mapped, values);
      }
    });
  }

  const hubPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>, done?: string) => {
    const audit = auditContextOf(req);
    const h = await board.hub(s.principal, web.now());
    audit.patientIds ??= [...new Set([...h.mine, ...h.asked].flatMap((i) => (i.person ? [i.person.id] : [])))];
    const orgName = s.principal.kind === 'staff' ? await web.orgName(s.principal.organizationId) : 'your organisation';
    return web.send(reply, status, page({
      title: 'Transfer of care hub', viewer: s.viewer, nav: navFor(s.principal, 'hub'), error: errors.length > 0,
      body: hubBody(h, { orgName, csrfToken: s.viewer.csrfToken, errors, done, values }),
    }));
  };

  app.get('/discharge/hub', async (req, reply) => {
    const s = await guard(req, reply, 'discharge.hub', 'hub');
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Task';
    return hubPage(req, reply, s, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  app.post('/discharge/hub/tasks/:id/outcome', async (req, reply) => {
    const s = await guard(req, reply, 'discharge.hub', 'hub');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw notFound('There is no task at this address');
    const f = fieldsOf(req);
    const audit = auditContextOf(req);
    audit.interaction = 'update';
    audit.resourceType = 'Task';
    audit.resources = [{ type: 'Task', id }];
    const place = f.place ?? f[`place-${id}`];
    const version = /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN;
    try {
      const done = await reablement.recordOutcome(s.principal, id, version, place);
      const pid = done.for?.reference?.split('/')[1];
      if (pid) audit.patientIds = [pid];
      return web.redirect(reply, '/discharge/hub?done=outcome');
    } catch (err) {
      const fe = fieldErrorOf(err, 'place');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      return hubPage(req, reply, s, (err as { status?: number }).status ?? 400, fe.map((e) => ({ ...e, field: e.field === 'versionId' ? 'maincontent' : 'place' })), { task: id, place });
    }
  });

  // The portal: the person's plan for leaving hospital (a carer's, for the person they care for, as the person's consent allows).
  app.get('/my-discharge-plan', async (req, reply) => {
    const s = await web.need(req, reply, 'portal', 'leaving');
    if (!s) return reply;
    const p = s.principal;
    const asked = one((req.query as Record<string, unknown>).person);
    const id = p.kind === 'resident' ? p.patientId : p.kind === 'proxy' ? (asked && p.patientIds.includes(asked) ? asked : asked ? undefined : p.patientIds[0]) : undefined;
    if (!id) throw notFound('There is no record for you here.');
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'CarePlan';
    audit.patientIds = [id];
    const plans = await board.plansFor(p, id, web.now());
    const carer = p.kind === 'proxy';
    return web.send(reply, 200, page({ title: 'Leaving hospital', viewer: s.viewer, nav: navFor(p, 'leaving'), body: dischargePlanBody(plans, { whose: carer ? 'Their' : 'your', carer }) }));
  });
}
