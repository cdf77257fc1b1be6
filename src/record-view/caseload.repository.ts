import type { Queryable } from '../db/database.js';
import { decodeCursor, encodeCursor } from '../fhir/cursor.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';

export interface CaseloadRow {
  rid: string;
  content: string;
}

/**
 * A professional's caseload: the people their organisation or they themselves have a care
 * relationship with (the policy's care_relationship table, the same one the row restriction reads),
 * each Patient row under the caller's restriction, ordered by family name and keyset-paged on (family
 * name, rid) with the one cursor codec.
 */
export class CaseloadRepository {
  constructor(private readonly db: Queryable) {}

  async page(parties: string[], restriction: RowRestriction, o: { cursor?: string; count: number }): Promise<{ rows: CaseloadRow[]; next?: string }> {
    if (parties.length === 0) return { rows: [] };
    const p = new Params();
    const family = `coalesce((SELECT min(s.value) FROM sp_string s WHERE s.rid = r.rid AND s.code = 'family'), '')`;
    const conds = [
      `r.resource_type = 'Patient'`, 'NOT r.deleted',
      `r.id IN (SELECT c.patient_id FROM care_relationship c WHERE c.party = ANY(${p.add(parties, 'text[]')}))`,
    ];
    const r = restriction('r', 'Patient', p);
    if (r) conds.push(r);
    if (o.cursor) {
      const c = decodeCursor(o.cursor, ['text'], 'cursor');
      conds.push(`(${family}, r.rid) > (${p.add(c.v[0] ?? '')}, ${p.add(c.r, 'bigint')})`);
    }
    const res = await this.db.query<CaseloadRow & { family: string }>(
      `SELECT r.rid::text AS rid, r.content, ${family} AS family FROM resource r
        WHERE ${conds.join(' AND ')}
        ORDER BY family, r.rid LIMIT ${p.add(o.count + 1, 'int')}`,
      p.values,
    );
    const rows = res.rows.slice(0, o.count);
    const last = rows[rows.length - 1];
    return { rows, next: res.rows.length > o.count && last ? encodeCursor({ v: [last.family], r: last.rid }) : undefined };
  }
}
