import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { MDT_ACTION_KIND, PLAN_CATEGORY_CODE, PLAN_CATEGORY_SYSTEM } from './care-planning.vocabulary.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';

export interface StoredRow {
  id: string;
  versionId: number;
  content: string;
}

const restricted = (restriction: RowRestriction | undefined, type: string, p: Params) => {
  const c = restriction?.('r', type, p);
  return c ? ` AND ${c}` : '';
};

/**
 * The SQL of care planning's reads, every one under the caller's row restriction (the same SQL the
 * FHIR API applies), so a page shows what the API would show the same user and a hidden plan is
 * "not found" exactly like a missing one.
 */
export class PlanRepository {
  /** The person's personalised care and support plans this caller may see: the active one first, then the newest. */
  async plansOf(q: Queryable, restriction: RowRestriction, patientId: string): Promise<StoredRow[]> {
    const p = new Params();
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r
        WHERE r.resource_type = 'CarePlan' AND NOT r.deleted
          AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'CarePlan' AND x.code = 'subject' AND x.target_type = 'Patient' AND x.target_id = ${p.add(patientId)})
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'CarePlan' AND t.code = 'category' AND t.system = ${p.add(PLAN_CATEGORY_SYSTEM)} AND t.value = ${p.add(PLAN_CATEGORY_CODE)})
          ${restricted(restriction, 'CarePlan', p)}
        ORDER BY (r.content::jsonb ->> 'status' = 'active') DESC, r.last_updated DESC, r.rid DESC LIMIT 20`,
      p.values,
    );
    return res.rows.map((r) => ({ id: r.id, versionId: Number(r.version_id), content: r.content }));
  }

  /** Of `ids` of `type`, those this caller may see (missing and hidden alike absent). */
  async visible(q: Queryable, restriction: RowRestriction | undefined, type: string, ids: string[]): Promise<Map<string, StoredRow>> {
    if (ids.length === 0) return new Map();
    const p = new Params();
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r
        WHERE r.resource_type = ${p.add(type)} AND r.id = ANY(${p.add(ids, 'text[]')}) AND NOT r.deleted${restricted(restriction, type, p)}`,
      p.values,
    );
    return new Map(res.rows.map((r) => [r.id, { id: r.id, versionId: Number(r.version_id), content: r.content }]));
  }

  /**
   * People in the caller's care (their organisation's or their own care relationships), visible to
   * them, with no active care plan of any kind: the "people without a plan" list.
   */
  async withoutPlan(q: Queryable, restriction: RowRestriction, parties: string[], limit: number): Promise<{ rows: StoredRow[]; more: boolean }> {
    if (parties.length === 0) return { rows: [], more: false };
    const p = new Params();
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r
        WHERE r.resource_type = 'Patient' AND NOT r.deleted
          AND r.id IN (SELECT c.patient_id FROM care_relationship c WHERE c.party = ANY(${p.add(parties, 'text[]')}))
          AND NOT EXISTS (SELECT 1 FROM sp_reference x JOIN resource cp ON cp.rid = x.rid AND NOT cp.deleted
                           JOIN sp_token st ON st.rid = cp.rid AND st.resource_type = 'CarePlan' AND st.code = 'status' AND st.value = 'active'
                          WHERE x.resource_type = 'CarePlan' AND x.code = 'subject' AND x.target_type = 'Patient' AND x.target_id = r.id)
          ${restricted(restriction, 'Patient', p)}
        ORDER BY r.id LIMIT ${p.add(limit + 1, 'int')}`,
      p.values,
    );
    const rows = res.rows.map((r) => ({ id: r.id, versionId: Number(r.version_id), content: r.content }));
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  /** Active personalised plans of the people in the caller's care, visible to them (the review list reads their review dates). */
  async activePlansInCare(q: Queryable, restriction: RowRestriction, parties: string[], limit: number): Promise<StoredRow[]> {
    if (parties.length === 0) return [];
    const p = new Params();
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r
        WHERE r.resource_type = 'CarePlan' AND NOT r.deleted
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'CarePlan' AND t.code = 'category' AND t.system = ${p.add(PLAN_CATEGORY_SYSTEM)} AND t.value = ${p.add(PLAN_CATEGORY_CODE)})
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'CarePlan' AND t.code = 'status' AND t.value = 'active')
          AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'CarePlan' AND x.code = 'subject' AND x.target_type = 'Patient'
                          AND x.target_id IN (SELECT c.patient_id FROM care_relationship c WHERE c.party = ANY(${p.add(parties, 'text[]')})))
          ${restricted(restriction, 'CarePlan', p)}
        ORDER BY r.rid LIMIT ${p.add(limit, 'int')}`,
      p.values,
    );
    return res.rows.map((r) => ({ id: r.id, versionId: Number(r.version_id), content: r.content }));
  }

  /** Open MDT actions visible to the caller owned by one of `owners` (or requested by them), soonest due first. */
  async openMdtActions(q: Queryable, restriction: RowRestriction, owners: string[], limit: number): Promise<StoredRow[]> {
    if (owners.length === 0) return [];
    const p = new Params();
    const res = await q.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r JOIN task_work w ON w.rid = r.rid
        WHERE r.resource_type = 'Task' AND NOT r.deleted
          AND w.kind = ${p.add(MDT_ACTION_KIND)} AND w.status = ANY(${p.add([...OPEN_TASK_STATUSES], 'text[]')})
          AND (w.owner = ANY(${p.add(owners, 'text[]')}) OR r.content::jsonb -> 'requester' ->> 'reference' = ANY(${p.add(owners, 'text[]')}))
          ${restricted(restriction, 'Task', p)}
        ORDER BY w.due NULLS LAST, r.rid LIMIT ${p.add(limit, 'int')}`,
      p.values,
    );
    return res.rows.map((r) => ({ id: r.id, versionId: Number(r.version_id), content: r.content }));
  }
}
