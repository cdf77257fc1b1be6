import { describe, expect, it } from 'vitest';
import { canTransition, INITIAL_TASK_STATUSES, TASK_TRANSITIONS, transitionProblem } from './task-transitions.js';
import { FINAL_TASK_STATUSES, REASON_REQUIRED, TASK_STATUSES } from './task.vocabulary.js';

describe('the Task state machine (FHIR R4 Task state diagram)', () => {
  it('allows exactly the diagram\'s arrows, plus any status to entered-in-error, and a received request on hold (and back)', () => {
    const allowed = TASK_STATUSES.flatMap((from) => TASK_STATUSES.filter((to) => from !== to && canTransition(from, to)).map((to) => `${from}>${to}`));
    expect(allowed.sort()).toEqual([
      'draft>requested', 'draft>cancelled',
      'requested>received', 'requested>accepted', 'requested>rejected', 'requested>ready', 'requested>cancelled',
      'received>accepted', 'received>rejected', 'received>ready', 'received>cancelled', 'received>on-hold',
      'accepted>ready', 'accepted>in-progress', 'accepted>cancelled',
      'ready>in-progress', 'ready>cancelled', 'ready>failed', 'ready>completed',
      'in-progress>on-hold', 'in-progress>completed', 'in-progress>failed', 'in-progress>cancelled',
      'on-hold>in-progress', 'on-hold>cancelled', 'on-hold>failed', 'on-hold>received',
      ...TASK_STATUSES.filter((s) => s !== 'entered-in-error').map((s) => `${s}>entered-in-error`),
    ].sort());
  });

  it('final statuses lead nowhere but entered-in-error', () => {
    for (const s of FINAL_TASK_STATUSES) expect(TASK_TRANSITIONS[s]).toEqual([]);
    expect(transitionProblem('completed', 'in-progress', true)?.diagnostics).toBe('A Task cannot move from "completed" to "in-progress": "completed" is final (only entered-in-error may follow)');
  });

  it('names from and to in a refusal, and what may follow', () => {
    expect(transitionProblem('requested', 'completed', true)).toEqual({
      diagnostics: 'A Task cannot move from "requested" to "completed": from "requested" it may move to received, accepted, rejected, ready, cancelled, entered-in-error',
      expression: 'Task.status',
    });
  });

  it('a move into on-hold, rejected, cancelled or failed needs a reason; staying put is no move', () => {
    for (const to of REASON_REQUIRED) {
      const from = to === 'on-hold' ? 'in-progress' : to === 'rejected' ? 'requested' : 'ready';
      expect(transitionProblem(from, to, false)?.expression).toBe('Task.statusReason');
      expect(transitionProblem(from, to, true)).toBeUndefined();
    }
    expect(transitionProblem('on-hold', 'on-hold', false)).toBeUndefined();
  });

  it('a new Task starts as draft, requested or ready', () => {
    expect(TASK_STATUSES.filter((s) => !transitionProblem(undefined, s, true))).toEqual([...INITIAL_TASK_STATUSES].sort((a, b) => TASK_STATUSES.indexOf(a) - TASK_STATUSES.indexOf(b)));
  });
});
