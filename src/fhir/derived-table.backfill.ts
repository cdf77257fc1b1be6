import type { Database } from '../db/database.js';
import type { DerivedTable } from './resource.repository.js';

/**
 * Fills a derived table (resource.repository.ts `DerivedTable`) for the current resources of one type
 * that have no rows in it: those written before the table's migration, or loaded past the write path
 * (the outcomes fixtures' and bench's bulk loaders). The rows are computed by the table's own `rows`,
 * exactly as on every write. Walks the resources in rid order, a page at a time (memory stays flat
 * however many there are); when every row is there it costs one scan and writes nothing.
 * Returns how many resources it wrote rows for.
 */
export async function backfillDerivedTable(db: Database, table: DerivedTable, resourceType: string, page = 5000): Promise<number> {
  let written = 0;
  let after = '0';
  for (;;) {
    const missing = await db.query<{ rid: string; id: string; version_id: number; content: string; last_updated: Date }>(
      `SELECT r.rid::text AS rid, r.id, r.version_id, r.content, r.last_updated FROM resource r
        WHERE r.resource_type = $1 AND NOT r.deleted AND r.rid > $2::bigint
          AND NOT EXISTS (SELECT 1 FROM ${table.table} d WHERE d.rid = r.rid)
        ORDER BY r.rid LIMIT $3`,
      [resourceType, after, page],
    );
    if (missing.rows.length === 0) break;
    after = missing.rows[missing.rows.length - 1].rid;
    const rows: unknown[][] = [];
    const versions: number[] = [];
    for (const m of missing.rows) {
      const derived = table.rows({
        rid: m.rid, resourceType, id: m.id, versionId: m.version_id, lastUpdated: new Date(m.last_updated).toISOString(), deleted: false, method: 'PUT', content: m.content, index: null,
      });
      for (const row of derived) {
        rows.push([m.rid, ...row]);
        versions.push(m.version_id);
      }
    }
    if (rows.length > 0) await insertMissing(db, table, rows, versions);
    written += missing.rows.length;
    if (missing.rows.length < page) break;
  }
  return written;
}

async function insertMissing(db: Database, table: DerivedTable, rows: unknown[][], versions: number[]): Promise<void> {
  const columns = ['rid', ...table.columns];
  const types = ['bigint', ...table.types];
  const params = [...columns.map((_, i) => rows.map((r) => r[i])), versions];
  // Only for rids that still have no rows and are still at the version read: a write racing the
  // backfill (an update, a delete) keeps its own rows, or none.
  await db.query(
    `INSERT INTO ${table.table} (${columns.join(', ')})
     SELECT ${columns.map((c) => `u.${c}`).join(', ')}
       FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}, $${types.length + 1}::int[]) AS u(${columns.join(', ')}, version_read)
      WHERE NOT EXISTS (SELECT 1 FROM ${table.table} d WHERE d.rid = u.rid)
        AND EXISTS (SELECT 1 FROM resource r WHERE r.rid = u.rid AND r.version_id = u.version_read AND NOT r.deleted)`,
    params,
  );
}
