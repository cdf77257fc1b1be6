import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { isPoolOwner, ownerRef, personRef } from '../../access/policy/task.policy.js';
import type { Principal } from '../../access/principal.js';
import { badRequest } from '../../fhir/outcome.js';
import { isValidId, localReference } from '../../fhir/reference.js';
import type { TaskVersion } from '../../workflow/task.service.js';
import { OPEN_TASK_STATUSES, type TaskStatus } from '../../workflow/task.vocabulary.js';
import { workItem } from '../../workflow/worklist.service.js';
import type { FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { taskBody, worklistBody, type TaskPageData } from '../work.page.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

const ACTIONS = ['claim', 'start', 'hold', 'resume', 'complete', 'reassign'] as const;
type Action = (typeof ACTIONS)[number];
const DONE: Record<Action, string> = { claim: 'claimed', start: 'started', hold: 'held', resume: 'resumed', complete: 'completed', reassign: 'reassigned' };

/**
 * "My work" (/work, the staff landing page) and a task (/work/tasks/:id) with its forms. Every form
 * follows one pattern: POST with the CSRF token and the version the page showed, validate, call a
 * workflow command, then Post/Redirect/Get to a page with a success banner; on invalid input the
 * page comes back with the error summary and the user's answers, and nothing is written.
 */
export async function workRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { worklist, tasks } = web.platform.workflow;

  app.get('/work', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'work');
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Task';
    let errors: FieldErrors = [];
    let filter;
    try {
      filter = worklist.parseFilter(q);
    } catch (err) {
      const fe = fieldErrorOf(err, 'view');
      if (!fe) throw err;
      errors = fe;
      audit.failure = fe[0].text;
      filter = worklist.parseFilter({});
    }
    const list = await worklist.list(s.principal, filter, web.now());
    audit.patientIds = [...new Set(list.items.flatMap((i) => (i.person ? [i.person.id] : [])))];
    const principal = s.principal;
    // A role that may not read Tasks at all (an analyst, an administrator) is told so, not shown an empty list.
    const noWork = !can(principal, 'search', 'Task').allowed
      ? 'Your role does not take tasks from the shared record, so there is no work list for you here.' : undefined;
    const orgName = principal.kind === 'staff' ? await web.orgName(principal.organizationId) : 'your organisation';
    return web.send(reply, errors.length ? 400 : 200, page({ title: 'My work', viewer: s.viewer, nav: navFor(s.principal, 'work'), error: errors.length > 0, body: worklistBody(list, { orgName, done: one(q.done), errors, noWork }) }));
  });

  /** Renders a task's page, with the forms its user may use now. */
  const taskPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, cur: TaskVersion, status: number, errors: FieldErrors, values: TaskPageData['values'], done?: string) => {
    const t = cur.task;
    const audit = auditContextOf(req);
    const patient = localReference(t.for?.reference);
    if (patient?.type === 'Patient') audit.patientIds = [patient.id];
    const now = web.now();
    const owners = await worklist.ownersOf(s.principal);
    const names = await worklist.displayNames(s.principal, now, [t.requester?.reference, t.owner?.reference]);
    // The person, as this user may see them (the row restriction); a hidden person is said to be hidden.
    const person = patient?.type === 'Patient' ? await worklist.patient(s.principal, now, patient.id) : undefined;
    const item = workItem({ ...t, meta: { ...t.meta, versionId: String(cur.versionId) } }, person, names, new Set(owners.mine), now);
    const p = s.principal;
    const me = personRef(p);
    const owner = ownerRef(t);
    const teamIds = owners.pools.filter((x) => x.startsWith('CareTeam/')).map((x) => x.slice('CareTeam/'.length));
    const subject = (to?: string) => ({ task: t, teamIds, ...(to ? { to } : {}) });
    const open = (OPEN_TASK_STATUSES as readonly string[]).includes(t.status);
    const mineNow = !!me && owner === me;
    const st = t.status as TaskStatus;
    const actions = {
      claim: open && !!me && (!owner || isPoolOwner(owner)) && can(p, 'task.claim', subject()).allowed,
      start: mineNow && (st === 'accepted' || st === 'ready' || st === 'requested' || st === 'received') && can(p, 'task.transition', subject('in-progress')).allowed,
      hold: mineNow && st === 'in-progress' && can(p, 'task.transition', subject('on-hold')).allowed,
      resume: mineNow && st === 'on-hold' && can(p, 'task.transition', subject('in-progress')).allowed,
      complete: mineNow && st === 'in-progress' && can(p, 'task.transition', subject('completed')).allowed,
      reassign: open && can(p, 'task.reassign', subject()).allowed,
    };
    const choices: { value: string; text: string }[] = [];
    if (actions.reassign && p.kind === 'staff') {
      choices.push({ value: `Organization/${p.organizationId}`, text: `The pool of ${await web.orgName(p.organizationId)}` });
      for (const c of await worklist.colleagues(p.organizationId)) if (c.ref !== owner) choices.push({ value: c.ref, text: c.ref === me ? `${c.name} (you)` : c.name });
    }
    const notes = (t.note ?? []).map((n) => ({ text: n.text, time: n.time, author: n.authorReference?.display ?? n.authorString }));
    const data: TaskPageData = { item, actions, owners: choices, statusReason: t.statusReason?.text, notes, done, errors, values, csrfToken: s.viewer.csrfToken };
    return web.send(reply, status, page({
      title: item.description || item.kindText, viewer: s.viewer, nav: navFor(s.principal, 'work'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/work">Back to my work</a></nav>`,
      body: taskBody(data),
    }));
  };

  const taskId = (req: FastifyRequest): string => {
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw badRequest('There is no task at this address');
    return id;
  };

  app.get('/work/tasks/:id', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'work');
    if (!s) return reply;
    const id = taskId(req);
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Task';
    audit.resources = [{ type: 'Task', id }];
    const cur = await tasks.get(s.principal, id);
    return taskPage(req, reply, s, cur, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  for (const action of ACTIONS) {
    app.post(`/work/tasks/:id/${action}`, async (req, reply) => {
      const s = await web.need(req, reply, 'workspace', 'work');
      if (!s) return reply;
      const id = taskId(req);
      const f = fieldsOf(req);
      const audit = auditContextOf(req);
      audit.interaction = 'update';
      audit.resourceType = 'Task';
      audit.resources = [{ type: 'Task', id }];
      const values = { reason: f.reason, note: f.note, owner: f.owner };
      const version = /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN;
      try {
        if (Number.isNaN(version)) throw badRequest('The form has no version of the task: reload the page and try again', 'versionId');
        const done = await run(s.principal, action, id, version, f);
        const patient = localReference(done.task.for?.reference);
        if (patient?.type === 'Patient') audit.patientIds = [patient.id];
        // Completed or handed over: the task has left this user's list, so they go back to it.
        return web.redirect(reply, action === 'complete' || action === 'reassign' ? `/work?done=${DONE[action]}` : `/work/tasks/${id}?done=${DONE[action]}`);
      } catch (err) {
        const fe = fieldErrorOf(err, action === 'complete' ? 'note' : action === 'hold' ? 'reason' : action === 'reassign' ? 'owner' : 'versionId');
        if (!fe) throw err;
        audit.failure = fe[0].text;
        const status = (err as { status?: number }).status ?? 400;
        const cur = await tasks.get(s.principal, id);
        return taskPage(req, reply, s, cur, status, fe.map((e) => ({ ...e, field: e.field === 'versionId' || e.field === 'status' ? 'maincontent' : e.field })), values);
      }
    });
  }

  function run(p: Principal, action: Action, id: string, version: number, f: Record<string, string>): Promise<TaskVersion> {
    switch (action) {
      case 'claim': return tasks.claim(p, id, version);
      case 'start': return tasks.start(p, id, version);
      case 'hold': return tasks.hold(p, id, version, f.reason ?? '');
      case 'resume': return tasks.resume(p, id, version);
      case 'complete': return tasks.complete(p, id, version, f.note ?? '');
      case 'reassign': return tasks.reassign(p, id, version, f.owner ?? '');
    }
  }
}
