import { FINAL_TASK_STATUSES, REASON_REQUIRED, TASK_STATUSES, type TaskStatus } from './task.vocabulary.js';

/**
 * The Task state machine: which status may follow which. Pure (no I/O); the server enforces it on
 * every write path through taskWriteRule (task.write-rule.ts), the workflow commands through the same rule.
 *
 * It follows the FHIR R4 Task state diagram (https://hl7.org/fhir/R4/task.html#statemachine):
 * - draft → requested | cancelled
 * - requested → received | accepted | rejected | ready | cancelled
 * - received → accepted | rejected | ready | cancelled | on-hold (ours: see below)
 * - accepted → ready | in-progress | cancelled
 * - ready → in-progress | cancelled | failed | completed
 * - in-progress → on-hold | completed | failed | cancelled
 * - on-hold → in-progress | cancelled | failed | received (ours)
 * - any status, final ones included → entered-in-error (a task recorded by mistake is marked so, whatever it reached)
 * - rejected, cancelled, failed, completed, entered-in-error are final: nothing else follows them.
 * We add one pair of arrows: a received request may be put on hold before it is decided (a referral
 * waiting for information from its referrer, its service-level clocks paused, src/referrals), and
 * returns to received when resumed. Claiming a pool task that is `ready` keeps it `ready` (it is not
 * moved back to `accepted`), see TaskService.claim.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  'draft': ['requested', 'cancelled'],
  'requested': ['received', 'accepted', 'rejected', 'ready', 'cancelled'],
  'received': ['accepted', 'rejected', 'ready', 'cancelled', 'on-hold'],
  'accepted': ['ready', 'in-progress', 'cancelled'],
  'ready': ['in-progress', 'cancelled', 'failed', 'completed'],
  'in-progress': ['on-hold', 'completed', 'failed', 'cancelled'],
  'on-hold': ['in-progress', 'cancelled', 'failed', 'received'],
  'rejected': [],
  'cancelled': [],
  'failed': [],
  'completed': [],
  'entered-in-error': [],
};

/**
 * The statuses a new Task may start in: `draft` (being prepared), `requested` (asked of someone), or
 * `ready` (FHIR: "used in place of requested/received/accepted when request assignment and
 * acceptance is a given", e.g. work an organisation sets itself). Work that has started or ended is
 * recorded through the transitions, so its owner and reasons are checked on the way.
 */
export const INITIAL_TASK_STATUSES: readonly TaskStatus[] = ['draft', 'requested', 'ready'];

export function isTaskStatus(s: unknown): s is TaskStatus {
  return typeof s === 'string' && (TASK_STATUSES as readonly string[]).includes(s);
}

export function isFinalTaskStatus(s: TaskStatus): boolean {
  return FINAL_TASK_STATUSES.includes(s);
}

/** Whether `to` may follow `from` (a status staying as it is, is not a transition: true). */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || to === 'entered-in-error' || TASK_TRANSITIONS[from].includes(to);
}

/** Why a change of status is refused, and which element a form should mark. */
export interface TransitionProblem {
  diagnostics: string;
  /** FHIRPath of the element at fault: `Task.status` or `Task.statusReason`. */
  expression: string;
}

/**
 * What is wrong with a Task going from `from` (undefined: a new Task) to `to`, or undefined when it
 * may. A move into on-hold, rejected, cancelled or failed must say why (`hasReason`: Task.statusReason
 * has a text or a coding).
 */
export function transitionProblem(from: TaskStatus | undefined, to: TaskStatus, hasReason: boolean): TransitionProblem | undefined {
  if (from === undefined) {
    if (!INITIAL_TASK_STATUSES.includes(to)) {
      return { diagnostics: `A new Task cannot start as "${to}": it starts as ${INITIAL_TASK_STATUSES.join(', ')}`, expression: 'Task.status' };
    }
    return undefined;
  }
  if (from === to) return undefined;
  if (!canTransition(from, to)) {
    const next = [...TASK_TRANSITIONS[from], 'entered-in-error'];
    const allowed = isFinalTaskStatus(from) ? `"${from}" is final (only entered-in-error may follow)` : `from "${from}" it may move to ${next.join(', ')}`;
    return { diagnostics: `A Task cannot move from "${from}" to "${to}": ${allowed}`, expression: 'Task.status' };
  }
  if (REASON_REQUIRED.includes(to) && !hasReason) {
    return { diagnostics: `A Task moving from "${from}" to "${to}" needs a statusReason saying why`, expression: 'Task.statusReason' };
  }
  return undefined;
}
