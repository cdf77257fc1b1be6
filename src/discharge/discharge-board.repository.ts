import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import { DISCHARGE_TASK_SYSTEM } from './discharge.vocabulary.js';

/** One stay in hospital as the board reads it (discharge_stay joined to the Encounter and the Patient, both visible). */
export interface StayRow {
  rid: string;
  id: string;
  version_id: number;
  patient_id: string;
  patient: string;
  provider_org: string | null;
  site_id: string | null;
  ward_id: string | null;
  ward_name: string | null;
  admitted: Date | null;
  ready_date: Date | null;
  expected_date: Date | null;
  pathway: string | null;
  delay_reason: string | null;
  plan_shared: Date | null;
  criteria_reviewed: Date | null;
}

export interface DischargeTaskRow {
  id: string;
  patient_id: string;
  status: string;
  owner: string | null;
  due: Date | null;
  content: string;
}

const OPEN_SQL = OPEN_TASK_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * "Task row `r` is a discharge task" (its code has a coding from the discharge task system), asked of
 * each row read. `OFFSET 0` keeps PostgreSQL from making the EXISTS a semi-join: it hashed the code
 * token of every discharge task ever recorded (a parallel seq scan of sp_token, 180-200 ms at 100,000
 * patients, for the board and for the hub alike), where the rows' own few tokens are all it needs.
 */
const isDischargeTask = (p: Params) =>
  `EXISTS (SELECT 1 FROM sp_token k WHERE k.rid = r.rid AND k.code = 'code' AND k.system = ${p.add(DISCHARGE_TASK_SYSTEM)} OFFSET 0)`;

/**
 * The board's SQL. The stays in progress at one trust come from discharge_stay (migration 015, its
 * partial index on the trust and ward); the Encounter row and the Patient row are each under the
 * caller's row restriction, so the board never shows, counts or hints at a person the FHIR API would
 * hide from the same caller. The discharge tasks of the stays shown come from task_work by person,
 * each Task row under the same restriction.
 */
export class DischargeBoardRepository {
  /** The stays in progress at `org` (and `ward`), visible to the caller, oldest admission first. */
  async currentStays(db: Queryable, restriction: RowRestriction, f: { org?: string; ward?: string; stayId?: string; limit: number }): Promise<StayRow[]> {
    const p = new Params();
    const conds = [`d.status = 'in-progress'`];
    if (f.org) conds.push(`d.provider_org = ${p.add(f.org)}`);
    if (f.stayId) conds.push(`r.resource_type = 'Encounter' AND r.id = ${p.add(f.stayId)}`);
    if (f.ward) conds.push(`d.ward_id = ${p.add(f.ward)}`);
    const re = restriction('r', 'Encounter', p);
    const rp = restriction('pt', 'Patient', p);
    const res = await db.query<StayRow>(
      `SELECT r.rid::text AS rid, r.id, r.version_id, d.patient_id, pt.content AS patient, d.provider_org, d.site_id, d.ward_id, d.ward_name,
              d.admitted, d.ready_date, d.expected_date, d.pathway, d.delay_reason, d.plan_shared, d.criteria_reviewed
         FROM discharge_stay d
         JOIN resource r ON r.rid = d.rid AND NOT r.deleted
         JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = d.patient_id AND NOT pt.deleted
        WHERE ${conds.join(' AND ')}${re ? ` AND ${re}` : ''}${rp ? ` AND ${rp}` : ''}
        ORDER BY d.admitted, d.rid
        LIMIT ${p.add(f.limit)}`,
      p.values,
    );
    return res.rows;
  }

  /** The wards with people in at a trust (directory facts: names only, no counts, so nothing about hidden people). */
  async wards(db: Queryable, org: string): Promise<{ id: string; name: string }[]> {
    const res = await db.query<{ id: string; name: string | null }>(
      `SELECT DISTINCT d.ward_id AS id, d.ward_name AS name FROM discharge_stay d
        WHERE d.status = 'in-progress' AND d.provider_org = $1 AND d.ward_id IS NOT NULL ORDER BY 2, 1`,
      [org],
    );
    return res.rows.map((r) => ({ id: r.id, name: r.name ?? r.id }));
  }

  /** The trusts that have stays in progress (for the board's trust filter). */
  async trusts(db: Queryable): Promise<string[]> {
    const res = await db.query<{ org: string }>(
      `SELECT DISTINCT d.provider_org AS org FROM discharge_stay d WHERE d.status = 'in-progress' AND d.provider_org IS NOT NULL ORDER BY 1`,
    );
    return res.rows.map((r) => r.org);
  }

  /** The discharge tasks (open and finished) about these people, visible to the caller. */
  async tasksFor(db: Queryable, restriction: RowRestriction, patientIds: string[]): Promise<DischargeTaskRow[]> {
    if (patientIds.length === 0) return [];
    const p = new Params();
    const rt = restriction('r', 'Task', p);
    const res = await db.query<DischargeTaskRow>(
      `SELECT r.id, w.patient_id, w.status, w.owner, w.due, r.content
         FROM task_work w JOIN resource r ON r.rid = w.rid AND NOT r.deleted
        WHERE w.patient_id = ANY(${p.add(patientIds, 'text[]')}) AND w.kind = 'discharge' AND w.status <> 'entered-in-error'
          AND ${isDischargeTask(p)}
          ${rt ? `AND ${rt}` : ''}
        ORDER BY w.authored_on, r.rid`,
      p.values,
    );
    return res.rows;
  }

  /**
   * The hub: open discharge work owned by the caller or their pools ('mine'), or asked of other
   * organisations by the caller's organisation ('asked'), each Task under the row restriction.
   */
  async hubTasks(db: Queryable, restriction: RowRestriction, f: { owners: string[]; fromOrg?: string; view: 'mine' | 'asked'; limit: number }): Promise<DischargeTaskRow[]> {
    const p = new Params();
    const rt = restriction('r', 'Task', p);
    const who = f.view === 'mine'
      ? `w.owner = ANY(${p.add(f.owners, 'text[]')})`
      : `w.from_org = ${p.add(f.fromOrg ?? '')} AND NOT (w.owner = ANY(${p.add(f.owners, 'text[]')}))`;
    const res = await db.query<DischargeTaskRow>(
      `SELECT r.id, w.patient_id, w.status, w.owner, w.due, r.content
         FROM task_work w JOIN resource r ON r.rid = w.rid AND NOT r.deleted
        WHERE w.status IN (${OPEN_SQL}) AND w.kind IN ('discharge', 'follow-up') AND ${who}
          AND ${isDischargeTask(p)}
          ${rt ? `AND ${rt}` : ''}
        ORDER BY w.due NULLS LAST, r.rid
        LIMIT ${p.add(f.limit)}`,
      p.values,
    );
    return res.rows;
  }

  /** A person's shared plans for leaving hospital (CarePlan, category discharge-plan), newest first, under the restriction. */
  async plansFor(db: Queryable, restriction: RowRestriction, patientId: string, f: { system: string; code: string }): Promise<string[]> {
    const p = new Params();
    const rc = restriction('r', 'CarePlan', p);
    const res = await db.query<{ content: string }>(
      `SELECT r.content FROM resource r
        WHERE r.resource_type = 'CarePlan' AND NOT r.deleted
          AND r.rid IN (SELECT s.rid FROM sp_reference s WHERE s.resource_type = 'CarePlan' AND s.code = 'subject' AND s.target_type = 'Patient' AND s.target_id = ${p.add(patientId)})
          AND EXISTS (SELECT 1 FROM sp_token k WHERE k.rid = r.rid AND k.code = 'category' AND k.system = ${p.add(f.system)} AND k.value = ${p.add(f.code)})
          AND EXISTS (SELECT 1 FROM sp_token st WHERE st.rid = r.rid AND st.code = 'status' AND st.value = 'active')
          ${rc ? `AND ${rc}` : ''}
        ORDER BY r.last_updated DESC LIMIT 3`,
      p.values,
    );
    return res.rows.map((r) => r.content);
  }

  /** Patients by id, each under the restriction (hidden ones are simply absent). */
  async patients(db: Queryable, restriction: RowRestriction, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const p = new Params();
    const rp = restriction('pt', 'Patient', p);
    const res = await db.query<{ id: string; content: string }>(
      `SELECT pt.id, pt.content FROM resource pt WHERE pt.resource_type = 'Patient' AND pt.id = ANY(${p.add(ids, 'text[]')}) AND NOT pt.deleted${rp ? ` AND ${rp}` : ''}`,
      p.values,
    );
    return new Map(res.rows.map((r) => [r.id, r.content]));
  }
}
