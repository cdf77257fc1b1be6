import type { Task } from '@medplum/fhirtypes';
import { FINAL_TASK_STATUSES, type TaskStatus } from '../../workflow/task.vocabulary.js';
import type { Principal } from '../principal.js';
import { recordedByOf } from './policy-codes.js';
import { can, type Decision } from './policy.js';
import { refKey } from './relationship.rules.js';

/**
 * Who may act on a Task (docs/access-policy.md, "Tasks"): the verbs `task.claim`,
 * `task.transition`, `task.reassign` and `task.create`, decided here with the data they need passed
 * in, so the decision is pure and the same for the FHIR API, Bundles and the workflow commands.
 *
 * - The owner changes a Task's status: the named person (`owner` = the user's `Practitioner/{id}`),
 *   or for a pool task any member: staff (or a system client) acting for the owning
 *   `Organization/{id}`, or a member of the owning `CareTeam/{id}` (`teamIds`, resolved by
 *   TeamMembershipRepository). A task with no owner is its requester's to act on, so it is never
 *   left with nobody able to move it.
 * - The requester's side (the organisation that recorded the task, or the requester it names:
 *   the user's organisation or Practitioner) may cancel its request, and reassign it.
 * - The recording organisation may mark its entry entered-in-error.
 * - Claiming takes a pool task for oneself: it needs a Practitioner record, and a pool one is a member of.
 */
export interface TaskSubject {
  /** The Task as it stands (for task.create: the new Task). */
  task: Task;
  /** Of the CareTeams the task names as owner, those the principal is a member of. */
  teamIds: readonly string[];
  /** task.transition: the status asked for. */
  to?: string;
}

export type TaskVerb = 'task.claim' | 'task.transition' | 'task.reassign' | 'task.create';

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** The reference that names the principal as a person, when it has one. */
export function personRef(p: Principal): string | undefined {
  return p.kind === 'staff' && p.practitionerId ? `Practitioner/${p.practitionerId}` : undefined;
}

/** `Type/id` of the task's owner, or undefined. */
export function ownerRef(task: Pick<Task, 'owner'>): string | undefined {
  const k = refKey(task.owner);
  return k ? `${k.type}/${k.id}` : undefined;
}

/** A pool task: owned by an organisation or a team, whose members may claim it. */
export function isPoolOwner(ref: string | undefined): boolean {
  return !!ref && (ref.startsWith('Organization/') || ref.startsWith('CareTeam/'));
}

/** Whether the principal is the task's owner: the named person, or a member of the owning pool. */
export function ownsTask(p: Principal, s: TaskSubject): boolean {
  const k = refKey(s.task.owner);
  if (!k || (p.kind !== 'staff' && p.kind !== 'client')) return false;
  switch (k.type) {
    case 'Practitioner':
      return p.kind === 'staff' && p.practitionerId === k.id;
    case 'Organization':
      return p.organizationId === k.id;
    case 'CareTeam':
      return s.teamIds.includes(k.id);
    default:
      return false;
  }
}

/** The requester's side: the organisation that recorded the task, or the requester it names is the principal (or its organisation). */
export function isRequesterSide(p: Principal, task: Task): boolean {
  if (p.kind !== 'staff' && p.kind !== 'client') return false;
  if (recordedByOf(task).includes(p.organizationId)) return true;
  const k = refKey(task.requester);
  return (k?.type === 'Organization' && k.id === p.organizationId) || (k?.type === 'Practitioner' && p.kind === 'staff' && k.id === p.practitionerId);
}

const isFinal = (t: Task) => FINAL_TASK_STATUSES.includes(t.status as TaskStatus);

/** Who the owner is, in the words of a refusal. */
function ownerWords(task: Task): string {
  const ref = ownerRef(task);
  const name = task.owner?.display ? `${task.owner.display} (${ref})` : ref;
  return !ref ? 'its requester' : ref.startsWith('Practitioner/') ? `its owner, ${name}` : `members of ${name}`;
}

export function canTask(p: Principal, verb: TaskVerb, s: TaskSubject | undefined): Decision {
  if (p.kind === 'resident' || p.kind === 'proxy') return deny('tasks are worked by staff');
  if (!s?.task) return deny(`${verb} needs the task it is about`);
  const task = s.task;
  if (verb === 'task.create') {
    const c = can(p, 'create', 'Task');
    if (!c.allowed) return c;
    const k = refKey(task.requester);
    if (k && !(k.type === 'Organization' && k.id === p.organizationId) && !(k.type === 'Practitioner' && p.kind === 'staff' && k.id === p.practitionerId)) {
      return deny('a task is requested by the user or their own organisation, not on behalf of another');
    }
    return allow('staff who work with tasks may ask for work');
  }
  const u = can(p, 'update', 'Task');
  if (!u.allowed) return u;
  const owner = ownerRef(task);
  switch (verb) {
    case 'task.claim': {
      if (!personRef(p)) return deny('claiming names you as the owner, and your account has no Practitioner record');
      if (isFinal(task)) return deny(`a ${task.status} task cannot be claimed`);
      if (owner && !isPoolOwner(owner)) return deny(`the task is already taken by ${task.owner?.display ?? owner}`);
      if (owner ? ownsTask(p, s) : isRequesterSide(p, task)) return allow('a member of the pool that owns the task may claim it');
      return deny(`only ${ownerWords(task)} may claim this task`);
    }
    case 'task.transition': {
      if (s.to === 'cancelled' && isRequesterSide(p, task)) return allow('the requester may cancel their request');
      if (s.to === 'entered-in-error' && isRequesterSide(p, task)) return allow('the recording organisation may mark its entry entered in error');
      if (owner ? ownsTask(p, s) : isRequesterSide(p, task)) return allow('the owner changes the task\'s status');
      return deny(`only ${ownerWords(task)} may change this task's status`);
    }
    case 'task.reassign': {
      if (isFinal(task)) return deny(`a ${task.status} task cannot be reassigned`);
      if ((owner && ownsTask(p, s)) || isRequesterSide(p, task)) return allow('the owner, or the requester, may hand the task on');
      return deny(`only ${ownerWords(task)} or its requester may reassign this task`);
    }
  }
}
