import type { Task } from '@medplum/fhirtypes';
import { invalidResource, issue } from '../fhir/outcome.js';
import type { WriteRule } from '../fhir/write-rules.js';
import { transitionProblem } from './task-transitions.js';
import type { TaskStatus } from './task.vocabulary.js';

/** Whether a Task says why it is in its status: a statusReason with words or a code. */
export function hasStatusReason(t: Pick<Task, 'statusReason'>): boolean {
  const r = t.statusReason;
  return !!r && (!!r.text?.trim() || (r.coding ?? []).some((c) => !!c.code));
}

/**
 * The Task state machine (task-transitions.ts) as a rule of the record: every write of a Task by
 * a caller, on every path (REST create, PUT, conditional update, PATCH, batch and transaction
 * entries, and the workflow commands, which write through the same service), is refused with a 422
 * naming the from and to states, before anything is written. Validation has already checked that
 * the status is one of the twelve codes.
 */
export const taskWriteRule: WriteRule = {
  types: ['Task'],
  check(w) {
    if (!w.resource || w.action === 'delete') return;
    const next = w.resource as Task;
    const from = w.current ? ((w.current as Task).status as TaskStatus) : undefined;
    const problem = transitionProblem(from, next.status as TaskStatus, hasStatusReason(next));
    if (problem) throw invalidResource([issue('business-rule', problem.diagnostics, problem.expression)]);
  },
};
