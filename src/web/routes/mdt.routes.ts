import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { badRequest, FhirError } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import { datePartsOf, readDate, type DateParts, type FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { addToMeetingBody, carePlanListsBody, meetingBody, meetingsBody } from '../mdt.page.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';
import { allOf, fieldErrorsOf } from './plan.routes.js';

/**
 * MDT meetings (/mdt: the list and arranging one; /mdt/:id: the meeting, each person's discussion
 * and actions; /mdt/add?patient=: add a person from case finding or their record) and the care
 * coordinator's and GP's lists (/care-plans: plans due for review, MDT actions due, people without a plan).
 */
export async function mdtRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { mdt, lists } = web.platform.carePlanning;

  const meetingId = (req: FastifyRequest): string => {
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw badRequest('There is no meeting at this address');
    return id;
  };

  const listPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>, chosen: string[], date: DateParts, done?: string) => {
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Appointment';
    const { upcoming, past } = await mdt.list(s.principal);
    const { organisations: orgs, district } = await mdt.organisations(s.principal);
    const own = s.principal.kind === 'staff' ? `Organization/${s.principal.organizationId}` : '';
    return web.send(reply, status, page({
      title: 'MDT meetings', viewer: s.viewer, nav: navFor(s.principal, 'mdt'), error: errors.length > 0,
      body: meetingsBody({
        upcoming, past, organisations: orgs.filter((o) => o.reference !== own).map((o) => ({ value: o.reference.slice('Organization/'.length), text: o.name })),
        ...(district ? { districtName: mdt.districtName(district) } : {}),
        errors, values, chosen, date, csrfToken: s.viewer.csrfToken, canArrange: can(s.principal, 'mdt.manage', undefined).allowed, ...(done ? { done } : {}),
      }),
    }));
  };

  app.get('/mdt', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'mdt');
    if (!s) return reply;
    return listPage(req, reply, s, 200, [], {}, [], {}, one((req.query as Record<string, unknown>).done));
  });

  app.post('/mdt', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'mdt');
    if (!s) return reply;
    const f = fieldsOf(req);
    const chosen = allOf(req, 'organisations');
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = 'Appointment';
    try {
      const d = readDate(datePartsOf(f, 'date'), 'The date of the meeting');
      if (d.error) throw badRequest(d.error, 'date-day');
      const m = await mdt.arrange(s.principal, { title: f.title, ...(d.date ? { date: d.date } : {}), time: f.time ?? '', organisations: chosen });
      return web.redirect(reply, `/mdt/${m.id}?done=arranged`);
    } catch (err) {
      const fe = fieldErrorsOf(err, 'title');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      return listPage(req, reply, s, (err as FhirError).status, fe, f, chosen, datePartsOf(f, 'date'));
    }
  });

  const meetingPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, id: string, status: number, errors: FieldErrors, values: Record<string, string | undefined>, dates: Record<string, DateParts>, done?: string) => {
    const m = await mdt.get(s.principal, id);
    const audit = auditContextOf(req);
    audit.patientIds = m.people.map((x) => x.patientId);
    const owners = await mdt.ownerChoices(s.principal, m);
    return web.send(reply, status, page({
      title: m.title, viewer: s.viewer, nav: navFor(s.principal, 'mdt'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/mdt">Back to MDT meetings</a></nav>`,
      body: meetingBody(m, { owners, errors, values, dates, csrfToken: s.viewer.csrfToken, canManage: can(s.principal, 'mdt.manage', undefined).allowed, ...(done ? { done } : {}) }),
    }));
  };

  app.get('/mdt/add', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'mdt');
    if (!s) return reply;
    return addPage(req, reply, s, 200, []);
  });

  const addPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors) => {
    const patient = one((req.query as Record<string, unknown>).patient) ?? '';
    if (!isValidId(patient)) throw badRequest('Choose a person to add: /mdt/add?patient=<id>');
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.patientIds = [patient];
    const res = await web.platform.recordView.summaries.summary(s.principal, patient, web.now(), {});
    if (res.status !== 'ok') throw new FhirError(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'There is no person at this address' }] });
    const { upcoming } = await mdt.list(s.principal);
    return web.send(reply, status, page({
      title: 'Add to an MDT meeting', viewer: s.viewer, nav: navFor(s.principal, 'mdt'), error: errors.length > 0,
      body: addToMeetingBody({ personName: res.summary.patient.name, patientId: patient, meetings: upcoming, errors, csrfToken: s.viewer.csrfToken }),
    }));
  };

  app.post('/mdt/add', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'mdt');
    if (!s) return reply;
    const f = fieldsOf(req);
    const patient = one((req.query as Record<string, unknown>).patient) ?? '';
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = 'Encounter';
    audit.patientIds = isValidId(patient) ? [patient] : [];
    try {
      if (!f.meeting || !isValidId(f.meeting)) throw badRequest('Choose a meeting', 'meeting');
      await mdt.addPerson(s.principal, f.meeting, patient);
      return web.redirect(reply, `/mdt/${f.meeting}?done=added`);
    } catch (err) {
      const fe = fieldErrorsOf(err, 'meeting');
      if (!fe || (err as FhirError).status === 404) throw err;
      audit.failure = fe[0].text;
      return addPage(req, reply, s, (err as FhirError).status, fe.map((e) => ({ ...e, field: e.field === 'maincontent' ? 'meeting' : e.field })));
    }
  });

  app.get('/mdt/:id', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'mdt');
    if (!s) return reply;
    const id = meetingId(req);
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Appointment';
    audit.resources = [{ type: 'Appointment', id }];
    return meetingPage(req, reply, s, id, 200, [], {}, {}, one((req.query as Record<string, unknown>).done));
  });

  for (const what of ['discussion', 'actions'] as const) {
    app.post(`/mdt/:id/people/:item/${what}`, async (req, reply) => {
      const s = await web.need(req, reply, 'workspace', 'mdt');
      if (!s) return reply;
      const id = meetingId(req);
      const { item } = req.params as { item: string };
      if (!isValidId(item)) throw badRequest('That person is not on this meeting\'s list');
      const f = fieldsOf(req);
      const audit = auditContextOf(req);
      audit.interaction = 'create';
      audit.resourceType = what === 'discussion' ? 'Communication' : 'Task';
      const dates = { [`due-${item}`]: datePartsOf(f, `due-${item}`) };
      try {
        if (what === 'discussion') await mdt.recordDiscussion(s.principal, id, item, f[`discussion-${item}`] ?? '');
        else {
          const due = readDate(dates[`due-${item}`], 'The due date');
          if (due.error) throw badRequest(due.error, `due-${item}-day`);
          await mdt.addAction(s.principal, id, item, { what: f[`what-${item}`], owner: f[`owner-${item}`], ...(due.date ? { due: due.date } : {}) });
        }
        return web.redirect(reply, `/mdt/${id}?done=${what === 'discussion' ? 'discussion' : 'action'}#p-${item}`);
      } catch (err) {
        const fe = fieldErrorsOf(err, what === 'discussion' ? `discussion-${item}` : `what-${item}`);
        if (!fe || (err as FhirError).status === 404) throw err;
        audit.failure = fe[0].text;
        return meetingPage(req, reply, s, id, (err as FhirError).status, fe, f, dates);
      }
    });
  }

  app.get('/care-plans', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'CarePlan';
    const [withoutPlan, reviews, actions] = await Promise.all([lists.withoutPlan(s.principal), lists.dueForReview(s.principal), lists.mdtActionsDue(s.principal)]);
    const ids = [...new Set(actions.flatMap((a) => (a.patientId ? [a.patientId] : [])))];
    const names = new Map(actions.flatMap((a) => (a.patientId && a.patientName ? [[a.patientId, a.patientName] as [string, string]] : [])));
    audit.patientIds = [...new Set([...withoutPlan.people.map((x) => x.id), ...reviews.map((x) => x.id), ...ids])];
    return web.send(reply, 200, page({ title: 'Care plans', viewer: s.viewer, nav: navFor(s.principal, 'plans'), body: carePlanListsBody({ withoutPlan, reviews, actions, names }) }));
  });
}
