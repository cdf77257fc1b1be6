import type { Queryable } from '../../db/database.js';
import { Params, type RowRestriction } from '../../fhir/search.repository.js';

/** Single-resource visibility under a row restriction: what a read or a write check asks. */
export class VisibilityRepository {
  /** Whether `type/id` exists, is not deleted, and passes the restriction. Missing and hidden answer alike. */
  async visible(q: Queryable, restriction: RowRestriction, type: string, id: string): Promise<boolean> {
    const p = new Params();
    const cond = restriction('r', type, p);
    const res = await q.query(
      `SELECT 1 FROM resource r WHERE r.resource_type = ${p.add(type)} AND r.id = ${p.add(id)} AND NOT r.deleted${cond ? ` AND ${cond}` : ''}`,
      p.values,
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
    );
    return new Set(res.rows.map((r) => r.id));
  }
}
