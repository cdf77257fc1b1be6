import type { Queryable } from '../../db/database.js';
import { Params, type RowRestriction } from '../../fhir/search.repository.js';

/**
 * Asked on every signed-in write with the record in hand. Not prepared when a restriction applies (as
 * ResourceRepository.readCurrent, commit 1284e60): after five runs PostgreSQL may keep a generic plan,
 * and the restriction's "services of my organisation" lookup, planned without the organisation's id,
 * walked sp_reference's target index over every reference to the organisation (100,000 rows for the
 * bench's practice: 25-48 ms warm, 233 ms cold, a check, twice in a $process-message; EXPLAIN ANALYZE
 * EXECUTE at 100,000 patients on PostgreSQL 15, against 0.1 ms and about 1 ms of planning for the values).
 */
const prepared = (cond: string | undefined) => (cond ? undefined : { prepare: true } as const);

/** Single-resource visibility under a row restriction: what a read or a write check asks. */
export class VisibilityRepository {
  /** Whether `type/id` exists, is not deleted, and passes the restriction. Missing and hidden answer alike. */
  async visible(q: Queryable, restriction: RowRestriction, type: string, id: string): Promise<boolean> {
    const p = new Params();
    const cond = restriction('r', type, p);
    const res = await q.query(
      `SELECT 1 FROM resource r WHERE r.resource_type = ${p.add(type)} AND r.id = ${p.add(id)} AND NOT r.deleted${cond ? ` AND ${cond}` : ''}`,
      p.values,
      prepared(cond),
    );
    return res.rows.length > 0;
  }

  /** The subset of `ids` whose Patient rows pass the restriction. */
  async visiblePatients(q: Queryable, restriction: RowRestriction, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const p = new Params();
    const cond = restriction('r', 'Patient', p);
    const res = await q.query<{ id: string }>(
      `SELECT r.id FROM resource r WHERE r.resource_type = 'Patient' AND r.id = ANY(${p.add(ids, 'text[]')}) AND NOT r.deleted${cond ? ` AND ${cond}` : ''}`,
      p.values,
      prepared(cond),
    );
    return new Set(res.rows.map((r) => r.id));
  }

  /**
   * The resource types a proxy's grants from this person cover at `now` (the proxy_grant table, the
   * row restriction's own source); null when a grant covers every type.
   */
  async proxyGrantedTypes(q: Queryable, relatedPersonIds: string[], patientId: string, now: Date): Promise<string[] | null> {
    if (relatedPersonIds.length === 0) return [];
    const res = await q.query<{ resource_type: string | null }>(
      `SELECT DISTINCT resource_type FROM proxy_grant
        WHERE patient_id = $1 AND related_person_id = ANY($2::text[])
          AND (period_start IS NULL OR period_start <= $3::timestamptz) AND (period_end IS NULL OR period_end > $3::timestamptz)`,
      [patientId, relatedPersonIds, now.toISOString()],
    );
    if (res.rows.some((r) => r.resource_type === null)) return null;
    return res.rows.map((r) => r.resource_type!);
  }
}
