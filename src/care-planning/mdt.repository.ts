import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import { MDT_ACTION_KIND } from './care-planning.vocabulary.js';
import type { StoredRow } from './plan.repository.js';

const rowsOf = (rows: { id: string; version_id: number; content: string }[]): StoredRow[] =>
  rows.map((r) => ({ id: r.id, versionId: Number(r.version_id), content: r.content }));

/**
 * The SQL of MDT meetings. A meeting (an Appointment of type mdt-meeting) names no person; it is
 * tagged as recorded by each organisation taking part, so their staff see it. Each person on its list
 * is an Encounter (`appointment` the meeting) read under the caller's row restriction: a person the
 * caller may not see is not listed, and is counted so the page can say so.
 */
export class MdtRepository {
  /** Meetings this caller may see, from `from` on (upcoming) or before it (past), nearest first. */
  async meetings(q: Queryable, restriction: RowRestriction, from: Date, when: 'upcoming' | 'past', limit: number): Promise<StoredRow[]> {
    const p = new Params();
    const c = restriction('r', 'Appointment', p);
    const start = `(r.content::jsonb ->> 'start')::timestamptz`;
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r
        WHERE r.resource_type = 'Appointment' AND NOT r.deleted
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Appointment' AND t.code = 'appointment-type' AND t.value = 'mdt-meeting')
          AND ${start} ${when === 'upcoming' ? '>=' : '<'} ${p.add(from.toISOString(), 'timestamptz')}
          ${c ? `AND ${c}` : ''}
        ORDER BY ${start} ${when === 'upcoming' ? 'ASC' : 'DESC'}, r.rid LIMIT ${p.add(limit, 'int')}`,
      p.values,
    );
    return rowsOf(res.rows);
  }

  /** The people on a meeting's list: the discussion Encounters this caller may see, and how many there are in all. */
  async items(q: Queryable, restriction: RowRestriction, meetingId: string): Promise<{ rows: StoredRow[]; total: number }> {
    const p = new Params();
    const c = restriction('r', 'Encounter', p);
    const ofMeeting = `r.resource_type = 'Encounter' AND NOT r.deleted
          AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'Encounter' AND x.code = 'appointment' AND x.target_type = 'Appointment' AND x.target_id = ${p.add(meetingId)})`;
    const res = await q.query<{ id: string; version_id: number; content: string; total: number }>(
      `SELECT r.id, r.version_id, r.content, (SELECT count(*)::int FROM resource r WHERE ${ofMeeting}) AS total
         FROM resource r WHERE ${ofMeeting} ${c ? `AND ${c}` : ''} ORDER BY r.rid`,
      p.values,
    );
    const total = res.rows[0]?.total ?? (await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM resource r WHERE r.resource_type = 'Encounter' AND NOT r.deleted
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'Encounter' AND x.code = 'appointment' AND x.target_type = 'Appointment' AND x.target_id = $1)`,
      [meetingId],
    )).rows[0].n;
    return { rows: rowsOf(res.rows), total };
  }

  /** Rows of `type` whose `code` reference points at one of `targets` (`Type/id`), visible to the caller. */
  async referring(q: Queryable, restriction: RowRestriction, type: string, code: string, targetType: string, targetIds: string[]): Promise<StoredRow[]> {
    if (targetIds.length === 0) return [];
    const p = new Params();
    const c = restriction('r', type, p);
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r
        WHERE r.resource_type = ${p.add(type)} AND NOT r.deleted
          AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = ${p.add(type)} AND x.code = ${p.add(code)} AND x.target_type = ${p.add(targetType)} AND x.target_id = ANY(${p.add(targetIds, 'text[]')}))
          ${c ? `AND ${c}` : ''}
        ORDER BY r.rid`,
      p.values,
    );
    return rowsOf(res.rows);
  }

  /** Open MDT actions about these people, visible to the caller (the carry-over from earlier meetings). */
  async openActionsFor(q: Queryable, restriction: RowRestriction, patientIds: string[]): Promise<StoredRow[]> {
    if (patientIds.length === 0) return [];
    const p = new Params();
    const c = restriction('r', 'Task', p);
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r JOIN task_work w ON w.rid = r.rid
        WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.kind = ${p.add(MDT_ACTION_KIND)}
          AND w.status = ANY(${p.add([...OPEN_TASK_STATUSES], 'text[]')}) AND w.patient_id = ANY(${p.add(patientIds, 'text[]')})
          ${c ? `AND ${c}` : ''}
        ORDER BY w.due NULLS LAST, r.rid`,
      p.values,
    );
    return rowsOf(res.rows);
  }
}
