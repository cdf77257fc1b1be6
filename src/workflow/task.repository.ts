import type { Task } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { parseDateRange } from '../fhir/date-range.js';
import { OPEN_TASK_STATUSES, TASK_KIND_SYSTEM, ESCALATION_KIND } from './task.vocabulary.js';

/**
 * The workflow's own reads of Tasks, across the whole record: the platform's work (escalation),
 * not a user's view (users read through the record's services under their row restriction).
 */
export class TaskRepository {
  /**
   * Open Tasks (not escalations themselves) whose due date (`restriction.period.end`) is over at
   * `now`. Open tasks are found by the status index; the due date has no search parameter in R4, so
   * it is read from each open task's content.
   */
  async overdue(q: Queryable, now: Date): Promise<Task[]> {
    const rows = await q.query<{ content: string }>(
      `SELECT r.content FROM resource r
        WHERE r.resource_type = 'Task' AND NOT r.deleted
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Task' AND t.code = 'status' AND t.value = ANY($1::text[]))
        ORDER BY r.rid`,
      [[...OPEN_TASK_STATUSES]],
    );
    const out: Task[] = [];
    for (const row of rows.rows) {
      const t = JSON.parse(row.content) as Task;
      if ((t.code?.coding ?? []).some((c) => c.system === TASK_KIND_SYSTEM && c.code === ESCALATION_KIND)) continue;
      const due = dueAt(t);
      if (due && due.getTime() <= now.getTime()) out.push(t);
    }
    return out;
  }
}

/**
 * When a task is due: the end of `restriction.period.end` at its precision (a date is due by the
 * end of that day, UTC), so a task due "2026-03-02" is overdue from midnight that night.
 */
export function dueAt(t: Pick<Task, 'restriction'>): Date | undefined {
  const end = t.restriction?.period?.end;
  const range = end ? parseDateRange(end) : undefined;
  return range ? new Date(range.high) : undefined;
}
