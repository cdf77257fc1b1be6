import type { HealthcareService, Location } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import type { DerivedTable } from '../fhir/resource.repository.js';
import { DIRECTORY_LOCATION_TABLE, DIRECTORY_SERVICE_TABLE, directoryLocationRow, directoryServiceRow } from './directory-index.table.js';

/**
 * Fills the directory's derived tables for services and locations written before migration 011
 * (or restored from a dump without them): the rows are computed by the same functions as on every
 * write. Runs at start; when every row is there it costs one anti-join and writes nothing.
 */
export async function backfillDirectoryIndex(db: Database): Promise<number> {
  let written = 0;
  for (const [type, table, row] of [
    ['HealthcareService', DIRECTORY_SERVICE_TABLE, (c: string, at: string) => directoryServiceRow(JSON.parse(c) as HealthcareService, at)],
    ['Location', DIRECTORY_LOCATION_TABLE, (c: string) => directoryLocationRow(JSON.parse(c) as Location)],
  ] as const) {
    for (;;) {
      const missing = await db.query<{ rid: string; content: string; last_updated: Date }>(
        `SELECT r.rid::text AS rid, r.content, r.last_updated FROM resource r
          WHERE r.resource_type = $1 AND NOT r.deleted AND NOT EXISTS (SELECT 1 FROM ${table.table} d WHERE d.rid = r.rid)
          ORDER BY r.rid LIMIT 1000`,
        [type],
      );
      if (missing.rows.length === 0) break;
      await insertRows(db, table, missing.rows.map((m) => [m.rid, ...row(m.content, new Date(m.last_updated).toISOString())]));
      written += missing.rows.length;
      if (missing.rows.length < 1000) break;
    }
  }
  return written;
}

async function insertRows(db: Database, table: DerivedTable, rows: unknown[][]): Promise<void> {
  const columns = ['rid', ...table.columns];
  const types = ['bigint', ...table.types];
  const params = columns.map((_, i) => rows.map((r) => r[i]));
  // Only rows of resources still current at insert time: a write racing the backfill keeps its own rows.
  await db.query(
    `INSERT INTO ${table.table} (${columns.join(', ')})
     SELECT u.* FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}) AS u(${columns.join(', ')})
      WHERE NOT EXISTS (SELECT 1 FROM ${table.table} d WHERE d.rid = u.rid)`,
    params,
  );
}
