import type { Queryable } from '../db/database.js';
import { RECORDED_BY_SYSTEM } from '../access/policy/policy-codes.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { REFERRAL_CATEGORY } from './referral.vocabulary.js';

/** A referral as stored: its ServiceRequest and the latest Task answering it (when the reader may see one). */
export interface ReferralRow {
  sr: string;
  task: string | null;
}

/**
 * When a referral last changed, as the lists show it and order it: its Task's `lastModified` (set
 * from the platform's clock at every step), else when the ServiceRequest was stored. Not the Task's
 * storage time: a referral recorded after the event (the demo's, a partner's backfill) would then
 * sort by when it was typed in while showing when it happened.
 */
const LAST_CHANGED = 'coalesce(t.modified, sr.last_updated)';

/** How many referrals a list shows (the latest first). */
export const REFERRAL_LIST_SIZE = 100;

/**
 * The referral lists' SQL. Every ServiceRequest and Task row is read under the caller's row
 * restriction, so a list never shows a referral the FHIR API would hide from the same caller.
 * Each list starts from the index of what makes a referral the caller's (recorded by their
 * organisation, naming them, addressed to their services, about the person), so its cost grows
 * with the caller's referrals, not with every ServiceRequest in the record.
 */
export class ReferralRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * The latest Task whose focus is the ServiceRequest (alias sr), under the restriction, with its
   * `lastModified` (from the date index: `modified`), the time the lists show as the last change.
   */
  private taskOf(restriction: RowRestriction, p: Params): string {
    const r = restriction('t', 'Task', p);
    return `LEFT JOIN LATERAL (SELECT t.content, (SELECT min(d.low) FROM sp_date d WHERE d.rid = t.rid AND d.code = 'modified') AS modified
        FROM sp_reference f JOIN resource t ON t.rid = f.rid AND NOT t.deleted
        WHERE f.resource_type = 'Task' AND f.code = 'focus' AND f.target_type = 'ServiceRequest' AND f.target_id = sr.id${r ? ` AND ${r}` : ''}
        ORDER BY t.rid DESC LIMIT 1) t ON true`;
  }

  private referralOnly(p: Params): string {
    return `EXISTS (SELECT 1 FROM sp_token c WHERE c.rid = sr.rid AND c.code = 'category' AND c.system = ${p.add(REFERRAL_CATEGORY.system)} AND c.value = ${p.add(REFERRAL_CATEGORY.code)})`;
  }

  private async run(where: string[], restriction: RowRestriction, p: Params): Promise<ReferralRow[]> {
    const r = restriction('sr', 'ServiceRequest', p);
    const join = this.taskOf(restriction, p);
    const res = await this.db.query<ReferralRow>(
      `SELECT sr.content AS sr, t.content AS task FROM resource sr ${join}
        WHERE sr.resource_type = 'ServiceRequest' AND NOT sr.deleted AND ${this.referralOnly(p)} AND ${where.join(' AND ')}${r ? ` AND ${r}` : ''}
        ORDER BY ${LAST_CHANGED} DESC, sr.rid DESC LIMIT ${p.add(REFERRAL_LIST_SIZE, 'int')}`,
      p.values,
    );
    return res.rows;
  }

  /** Referrals made by the organisation (it recorded them) or naming the practitioner as requester. */
  sent(org: string, practitioner: string | undefined, restriction: RowRestriction, patientId?: string): Promise<ReferralRow[]> {
    const p = new Params();
    const mine = [
      `SELECT s.rid FROM sp_token s WHERE s.resource_type = 'ServiceRequest' AND s.code = '_tag' AND s.value = ${p.add(org)} AND s.system = ${p.add(RECORDED_BY_SYSTEM)}`,
      ...(practitioner ? [`SELECT q.rid FROM sp_reference q WHERE q.resource_type = 'ServiceRequest' AND q.code = 'requester' AND q.target_id = ${p.add(practitioner)} AND q.target_type = 'Practitioner'`] : []),
    ];
    return this.run([`sr.rid IN (${mine.join(' UNION ALL ')})`, ...(patientId ? [this.about(patientId, p)] : [])], restriction, p);
  }

  /** Referrals addressed to any of `performers` (`HealthcareService/x`, `Organization/y`, `Practitioner/z`). */
  received(performers: string[], restriction: RowRestriction, patientId?: string): Promise<ReferralRow[]> {
    const p = new Params();
    const ids = performers.map((ref) => ref.slice(ref.indexOf('/') + 1));
    const to = `sr.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'ServiceRequest' AND x.code = 'performer' AND x.target_id = ANY(${p.add(ids, 'text[]')})
        AND (x.target_type || '/' || x.target_id) = ANY(${p.add(performers, 'text[]')}))`;
    return this.run([to, ...(patientId ? [this.about(patientId, p)] : [])], restriction, p);
  }

  /** A person's referrals (the portal), as far as the reader may see them. */
  forPatient(patientId: string, restriction: RowRestriction): Promise<ReferralRow[]> {
    const p = new Params();
    return this.run([this.about(patientId, p)], restriction, p);
  }

  /** One referral by its ServiceRequest id. */
  async one(id: string, restriction: RowRestriction): Promise<ReferralRow | undefined> {
    const p = new Params();
    return (await this.run([`sr.id = ${p.add(id)}`], restriction, p))[0];
  }

  private about(patientId: string, p: Params): string {
    return `sr.rid IN (SELECT s.rid FROM sp_reference s WHERE s.resource_type = 'ServiceRequest' AND s.code = 'subject' AND s.target_id = ${p.add(patientId)} AND s.target_type = 'Patient')`;
  }

  /** The ServiceRequest id made with an idempotency key by the organisation, if any (the platform's own lookup: ids only). */
  async byKey(system: string, key: string): Promise<string | undefined> {
    const res = await this.db.query<{ id: string }>(
      `SELECT r.id FROM sp_token s JOIN resource r ON r.rid = s.rid AND NOT r.deleted
        WHERE s.resource_type = 'ServiceRequest' AND s.code = 'identifier' AND s.system = $1 AND s.value = $2 LIMIT 1`,
      [system, key],
    );
    return res.rows[0]?.id;
  }

  /**
   * Each version's status and when it changed, oldest first: the referral's clocks are read from its
   * Task's history. The time is the Task's `lastModified` (the workflow sets it from the platform's
   * clock), else when the version was stored.
   */
  async statusHistory(taskId: string): Promise<{ status: string; at: Date }[]> {
    return (await this.statusHistories([taskId])).get(taskId) ?? [];
  }

  /** The status histories of several Tasks in one statement (a list's clocks: one read, not one per referral), by Task id. */
  async statusHistories(taskIds: string[]): Promise<Map<string, { status: string; at: Date }[]>> {
    const out = new Map<string, { status: string; at: Date }[]>();
    if (taskIds.length === 0) return out;
    const res = await this.db.query<{ id: string; status: string | null; modified: string | null; last_updated: Date }>(
      `SELECT id, content::jsonb ->> 'status' AS status, content::jsonb ->> 'lastModified' AS modified, last_updated FROM resource_history
        WHERE resource_type = 'Task' AND id = ANY($1::text[]) AND NOT deleted ORDER BY id, version_id`,
      [[...new Set(taskIds)]],
    );
    for (const r of res.rows) {
      const m = r.modified ? Date.parse(r.modified) : NaN;
      const list = out.get(r.id) ?? [];
      list.push({ status: r.status ?? 'requested', at: Number.isNaN(m) ? new Date(r.last_updated) : new Date(m) });
      out.set(r.id, list);
    }
    return out;
  }

  /** Open referral Tasks whose clocks may run: requested, received or on hold (the escalation check; the platform's own read). */
  async awaitingDecision(): Promise<{ content: string }[]> {
    const res = await this.db.query<{ content: string }>(
      `SELECT r.content FROM task_work w JOIN resource r ON r.rid = w.rid AND NOT r.deleted
        WHERE w.kind = 'referral' AND w.status IN ('requested', 'received', 'on-hold') ORDER BY w.rid`,
    );
    return res.rows;
  }
}
