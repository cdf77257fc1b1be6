import type { Annotation, Reference, Task } from '@medplum/fhirtypes';
import { accessContext } from '../access/policy/record-access.js';
import { can } from '../access/policy/policy.js';
import { recordedByOf, recordedByTag } from '../access/policy/policy-codes.js';
import { isPoolOwner, ownerRef, personRef, type TaskSubject } from '../access/policy/task.policy.js';
import { TeamMembershipRepository } from '../access/policy/team-membership.repository.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { hasControlCharacter } from '../text-checks.js';
import { badRequest, conflict, FhirError, forbidden, invalidResource, issue } from '../fhir/outcome.js';
import { localReference, referenceTo } from '../fhir/reference.js';
import type { RequestContext } from '../fhir/request-context.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { formatDate } from '../record-view/fhir-text.js';
import { isTaskStatus, transitionProblem } from './task-transitions.js';
import { TaskRepository } from './task.repository.js';
import {
  ESCALATION_KIND, OUTCOME_NOTE, REASON_REQUIRED, TASK_KIND_SYSTEM, TASK_KINDS, type TaskStatus,
} from './task.vocabulary.js';

/** A Task as a command returns it, with the version to send back with the next command. */
export interface TaskVersion {
  task: Task;
  versionId: number;
}

/** `Task.identifier` of an escalation: its value is the overdue Task's id, so each is raised once. */
export const ESCALATION_IDENTIFIER_SYSTEM = 'https://onestory.example/fhir/Id/task-escalation-of';
/** `meta.source` of the escalations the platform raises itself. */
export const ESCALATION_SOURCE = 'urn:onestory:platform:task-escalation';

const MAX_TEXT = 2000;
const OWNER_TYPES = new Set(['Practitioner', 'Organization', 'CareTeam']);
/** A task's owner as the commands take it: a person, an organisation or a team, relative, unversioned. */
function ownerKey(ref: string): { type: string; id: string } | undefined {
  const k = localReference(ref);
  return k && !k.version && OWNER_TYPES.has(k.type) ? k : undefined;
}
const FINAL_EXECUTION: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * The workflow's commands on Tasks, for the web app and later issues. Each takes the caller's
 * Principal and writes through the record's ResourceService with `accessContext(principal, now)`:
 * the same row restriction, write remit (task verbs: task.policy.ts), state machine
 * (taskWriteRule) and version stamping as the FHIR API. Every command names the version it acts
 * on (what the page showed): a task changed since is a 409 saying so, never a silent overwrite.
 * Errors are FhirErrors whose first issue's `expression` names the form field at fault
 * (`reason`, `note`, `owner`, `status`, `versionId`).
 */
export class TaskService {
  private readonly teams = new TeamMembershipRepository();
  private readonly tasks = new TaskRepository();

  constructor(
    private readonly resources: ResourceService,
    private readonly clock: Clock,
    private readonly opts: { baseUrl?: string } = {},
  ) {}

  /** The Task as the principal may see it; 404 when hidden or missing, alike. */
  async get(p: Principal, id: string): Promise<TaskVersion> {
    return this.load(this.ctx(p, this.clock.now()), id);
  }

  /**
   * Takes a pool task (owned by an organisation or team the principal belongs to) for oneself:
   * owner becomes the claimer's Practitioner. A task that was only requested or received is
   * accepted by the claim (the claimer takes the work on); one already accepted, ready, in progress
   * or on hold keeps its status. Of two people claiming at once, one wins; the other is told who has it (409).
   */
  async claim(p: Principal, id: string, versionId: number): Promise<TaskVersion> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const cur = await this.load(ctx, id);
    const me = personRef(p);
    const owner = ownerRef(cur.task);
    if (owner && !isPoolOwner(owner)) {
      if (owner === me) return cur;
      throw takenBy(cur.task);
    }
    this.checkVersion(cur, versionId);
    await this.authorize(p, 'task.claim', cur.task);
    const status = cur.task.status === 'requested' || cur.task.status === 'received' ? 'accepted' : cur.task.status;
    const next: Task = { ...cur.task, owner: { reference: me, display: p.displayName }, status, lastModified: now.toISOString() };
    return this.write(ctx, next, versionId, true);
  }

  /** → in-progress (from accepted or ready). */
  async start(p: Principal, id: string, versionId: number): Promise<TaskVersion> {
    return this.transition(p, id, versionId, 'in-progress');
  }

  /** → on-hold, saying why. */
  async hold(p: Principal, id: string, versionId: number, reason: string): Promise<TaskVersion> {
    return this.transition(p, id, versionId, 'on-hold', reason);
  }

  /** on-hold → in-progress. */
  async resume(p: Principal, id: string, versionId: number): Promise<TaskVersion> {
    return this.transition(p, id, versionId, 'in-progress');
  }

  /** → completed, with the outcome note as Task.output (OUTCOME_NOTE) and as a note. */
  async complete(p: Principal, id: string, versionId: number, outcomeNote: string): Promise<TaskVersion> {
    const text = cleanText(outcomeNote, 'note', 'The outcome note');
    return this.change(p, id, versionId, 'completed', undefined, (t, now) => ({
      ...t,
      output: [...(t.output ?? []), { type: { coding: [{ ...OUTCOME_NOTE }], text: OUTCOME_NOTE.display }, valueString: text }],
      note: [...(t.note ?? []), { text, time: now.toISOString(), ...author(p) }],
    }));
  }

  /**
   * Hands the task to another owner: a person (`Practitioner/x`), an organisation's pool
   * (`Organization/y`) or a team's (`CareTeam/z`). The owner must exist, and a team must be active
   * and about the task's person, or its members could not see the person (a task lost between organisations).
   */
  async reassign(p: Principal, id: string, versionId: number, owner: string): Promise<TaskVersion> {
    const k = typeof owner === 'string' ? ownerKey(owner.trim()) : undefined;
    if (!k) throw badRequest('The new owner must be a person (Practitioner/id), an organisation (Organization/id) or a team (CareTeam/id)', 'owner');
    const { type, id: ownerId } = k;
    const ref = referenceTo(type, ownerId);
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const cur = await this.load(ctx, id);
    this.checkVersion(cur, versionId);
    await this.authorize(p, 'task.reassign', cur.task);
    const row = await this.resources.repo.readCurrent(this.resources.db, type, ownerId);
    if (!row || row.deleted || !row.content) throw invalidResource([issue('business-rule', `${ref} is not known`, 'owner')]);
    const target = JSON.parse(row.content);
    if (type === 'CareTeam') {
      if (target.status && target.status !== 'active') throw invalidResource([issue('business-rule', `${ref} is not an active team`, 'owner')]);
      if (cur.task.for?.reference && target.subject?.reference !== cur.task.for.reference) {
        throw invalidResource([issue('business-rule', `${ref} is not a team caring for ${cur.task.for.reference}: its members could not see the person`, 'owner')]);
      }
    }
    const next: Task = { ...cur.task, owner: { reference: ref, ...(nameOf(target) ? { display: nameOf(target) } : {}) }, lastModified: now.toISOString() };
    return this.write(ctx, next, versionId);
  }

  /** The general form: any status the state machine allows, with a reason where one is required. (Async, so bad input rejects like every other refusal.) */
  async transition(p: Principal, id: string, versionId: number, to: string, reason?: string): Promise<TaskVersion> {
    if (!isTaskStatus(to)) throw badRequest(`"${String(to)}" is not a Task status`, 'status');
    const why = reason === undefined || (typeof reason === 'string' && reason.trim() === '' && !REASON_REQUIRED.includes(to))
      ? undefined
      : cleanText(reason, 'reason', 'The reason');
    return this.change(p, id, versionId, to, why, (t) => t);
  }

  /**
   * A new Task asked by the principal (`requester` defaults to their Practitioner, else their
   * organisation; `authoredOn` is now; status `requested` unless draft or ready is given). It must
   * have an owner, so that the work is someone's from the start.
   */
  async create(p: Principal, draft: Partial<Task>): Promise<TaskVersion> {
    if (!draft || typeof draft !== 'object') throw badRequest('A new task must be a Task');
    const now = this.clock.now();
    const owner = ownerRef(draft as Task);
    if (!owner || !ownerKey(owner)) throw badRequest('A new task needs an owner: a person (Practitioner/id), an organisation (Organization/id) or a team (CareTeam/id)', 'owner');
    const requester = draft.requester ?? (personRef(p) ? { reference: personRef(p) } : p.kind === 'staff' || p.kind === 'client' ? { reference: `Organization/${p.organizationId}` } : undefined);
    const task: Task = {
      ...draft, resourceType: 'Task', status: draft.status ?? 'requested', intent: draft.intent ?? 'order',
      authoredOn: draft.authoredOn ?? now.toISOString(), lastModified: now.toISOString(), ...(requester ? { requester } : {}),
    };
    delete task.id;
    if (isTaskStatus(task.status)) {
      const problem = transitionProblem(undefined, task.status, true);
      if (problem) throw invalidResource([issue('business-rule', problem.diagnostics, 'status')]);
    }
    await this.authorize(p, 'task.create', task);
    const ctx = this.ctx(p, now);
    const made = await this.resources.create('Task', task, { ctx });
    return { task: JSON.parse(made.content!), versionId: made.versionId };
  }

  /**
   * Raises an escalation for every open Task past its due date: a Task of kind ESCALATION_KIND,
   * `partOf` the overdue one, owned by the overdue task's owning organisation, created with a
   * conditional create on a deterministic identifier (the overdue task's id), so running the check
   * any number of times, or concurrently, raises one escalation per overdue task. Returns how many
   * were raised now.
   *
   * This is the platform's own work (a scheduled check, no user): it runs with no principal, like
   * import, past the row restriction and the write remit, and each escalation records that in
   * `meta.source` (ESCALATION_SOURCE) and is tagged as recorded by the organisation it is raised to,
   * so that organisation sees it and may work it. Reading the overdue tasks discloses nothing to
   * anyone, so it leaves no AuditEvent; the escalation's own history says when and by what it was raised.
   */
  async escalateOverdue(): Promise<number> {
    const now = this.clock.now();
    let raised = 0;
    for (const t of await this.tasks.overdue(this.resources.db, now)) {
      const org = await this.owningOrganization(t);
      if (!org) continue;
      const escalation: Task = {
        resourceType: 'Task',
        meta: { tag: [recordedByTag(org)], source: ESCALATION_SOURCE },
        identifier: [{ system: ESCALATION_IDENTIFIER_SYSTEM, value: t.id! }],
        status: 'requested', intent: 'order', priority: 'urgent',
        code: { coding: [{ system: TASK_KIND_SYSTEM, code: ESCALATION_KIND, display: TASK_KINDS[ESCALATION_KIND] }] },
        description: `Overdue: ${t.description ?? 'a task'} was due ${formatDate(t.restriction!.period!.end)}`,
        partOf: [{ reference: `Task/${t.id}` }], focus: { reference: `Task/${t.id}` },
        ...(t.for ? { for: t.for } : {}),
        owner: { reference: `Organization/${org}` }, authoredOn: now.toISOString(),
      };
      const done = await this.resources.create('Task', escalation, { ifNoneExist: `identifier=${encodeURIComponent(`${ESCALATION_IDENTIFIER_SYSTEM}|${t.id}`)}` });
      if (done.created) raised++;
    }
    return raised;
  }

  /**
   * The organisation answerable for a task: its owner when an organisation; for a team, the team's
   * managing organisation; for a person, the organisation of their PractitionerRole; failing those
   * (or with no owner), the organisation that recorded the task.
   */
  private async owningOrganization(t: Task): Promise<string | undefined> {
    const owner = ownerRef(t);
    const [type, id] = owner?.split('/') ?? [];
    const orgOf = (r: Reference | undefined) => {
      const k = localReference(r?.reference);
      return k?.type === 'Organization' && !k.version ? k.id : undefined;
    };
    if (type === 'Organization') return id;
    if (type === 'CareTeam') {
      const row = await this.resources.repo.readCurrent(this.resources.db, 'CareTeam', id);
      const org = row?.content && !row.deleted ? orgOf(JSON.parse(row.content).managingOrganization?.[0]) : undefined;
      if (org) return org;
    }
    if (type === 'Practitioner') {
      const rows = await this.resources.db.query<{ content: string }>(
        `SELECT r.content FROM resource r WHERE r.resource_type = 'PractitionerRole' AND NOT r.deleted
          AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'PractitionerRole' AND x.code = 'practitioner' AND x.target_type = 'Practitioner' AND x.target_id = $1)
          ORDER BY r.rid LIMIT 1`,
        [id],
      );
      const org = rows.rows[0] ? orgOf(JSON.parse(rows.rows[0].content).organization) : undefined;
      if (org) return org;
    }
    return recordedByOf(t)[0];
  }

  private async change(
    p: Principal, id: string, versionId: number, to: TaskStatus, reason: string | undefined, edit: (t: Task, now: Date) => Task,
  ): Promise<TaskVersion> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const cur = await this.load(ctx, id);
    this.checkVersion(cur, versionId);
    const from = cur.task.status as TaskStatus;
    const problem = transitionProblem(from, to, reason !== undefined);
    if (problem) throw invalidResource([issue('business-rule', problem.diagnostics, problem.expression === 'Task.statusReason' ? 'reason' : 'status')]);
    await this.authorize(p, 'task.transition', cur.task, to);
    const next = edit({ ...cur.task, status: to, lastModified: now.toISOString() }, now);
    // The reason belongs to the status it explains: a task resumed or completed no longer carries it.
    if (reason !== undefined) next.statusReason = { text: reason };
    else if (from !== to) delete next.statusReason;
    if (to === 'in-progress' && !next.executionPeriod?.start) next.executionPeriod = { ...next.executionPeriod, start: now.toISOString() };
    if (FINAL_EXECUTION.includes(to) && next.executionPeriod?.start) next.executionPeriod = { ...next.executionPeriod, end: now.toISOString() };
    return this.write(ctx, next, versionId);
  }

  /** The task verbs, decided before writing so the refusal is the policy's own words (the write remit decides again on the write). */
  private async authorize(p: Principal, verb: 'task.claim' | 'task.transition' | 'task.reassign' | 'task.create', task: Task, to?: string): Promise<void> {
    const k = /^CareTeam\/(.+)$/.exec(ownerRef(task) ?? '');
    const s: TaskSubject = { task, teamIds: k ? await this.teams.memberOf(this.resources.db, p, [k[1]]) : [], ...(to ? { to } : {}) };
    const d = can(p, verb, s);
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  private checkVersion(cur: TaskVersion, versionId: number): void {
    if (!Number.isInteger(versionId) || versionId < 1) throw badRequest('versionId must be the version of the task the change is based on', 'versionId');
    if (cur.versionId !== versionId) throw changedSince(cur);
  }

  /** Writes version n+1 only over version n (If-Match): a write that lost the race is a 409 saying what happened. */
  private async write(ctx: RequestContext, next: Task, versionId: number, claiming = false): Promise<TaskVersion> {
    try {
      const done = await this.resources.update('Task', next.id!, next, { ifMatch: versionId, ctx });
      return { task: JSON.parse(done.content!), versionId: done.versionId };
    } catch (err) {
      if (!(err instanceof FhirError) || err.status !== 412) throw err;
      const now = await this.load(ctx, next.id!);
      const owner = ownerRef(now.task);
      if (claiming && owner && !isPoolOwner(owner)) throw takenBy(now.task);
      throw changedSince(now);
    }
  }

  private async load(ctx: RequestContext, id: string): Promise<TaskVersion> {
    if (typeof id !== 'string') throw badRequest('A task id is needed', 'id');
    const v = await this.resources.read('Task', id, this.resources.db, ctx);
    return { task: JSON.parse(v.content!), versionId: v.versionId };
  }

  private ctx(p: Principal, now: Date): RequestContext {
    return { baseUrl: this.opts.baseUrl ?? '', ...accessContext(p, now) };
  }
}

function takenBy(task: Task): FhirError {
  return conflict(`This task is already taken by ${task.owner?.display ?? ownerRef(task)}`);
}

function changedSince(cur: TaskVersion): FhirError {
  const e = conflict(`This task was changed by someone else since you opened it (it is now version ${cur.versionId}, status ${cur.task.status}); reload it and try again`);
  e.outcome.issue![0].expression = ['versionId'];
  return e;
}

/**
 * Free text from a form: line endings normalised, trimmed, 1 to 2000 characters, and no control
 * characters but newline and tab (they cannot be shown, and PostgreSQL text cannot hold U+0000).
 */
export function cleanText(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string') throw badRequest(`${what} is required`, field);
  const text = value.replace(/\r\n?/g, '\n').trim();
  if (text.length === 0) throw badRequest(`${what} is required`, field);
  if (text.length > MAX_TEXT) throw badRequest(`${what} is limited to ${MAX_TEXT} characters (it has ${text.length})`, field);
  if (hasControlCharacter(text, { allow: '\n\t' })) throw badRequest(`${what} contains a character that cannot be shown (a control character)`, field);
  return text;
}

function author(p: Principal): Pick<Annotation, 'authorReference' | 'authorString'> {
  const me = personRef(p);
  return me ? { authorReference: { reference: me, display: p.displayName } as Annotation['authorReference'] } : { authorString: p.displayName };
}

/** A directory entry's name, for Task.owner.display. */
function nameOf(r: { resourceType?: string; name?: unknown }): string | undefined {
  if (typeof r.name === 'string') return r.name;
  if (Array.isArray(r.name) && r.name[0]) {
    const n = r.name[0] as { text?: string; given?: string[]; family?: string };
    return n.text ?? ([...(n.given ?? []), n.family].filter(Boolean).join(' ') || undefined);
  }
  return undefined;
}
