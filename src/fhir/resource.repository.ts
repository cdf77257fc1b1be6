import type { Database, Queryable } from '../db/database.js';
import { FhirError, issue, outcome } from './outcome.js';
import type { IndexRows } from './search-index.js';
import { Params, type RowRestriction } from './search.repository.js';

/** Hot statements of fixed shape: planned once per connection (see QueryOptions.prepare). */
const PREPARED = { prepare: true } as const;

/** One version of one resource to be written. `previousVersion` is undefined for a new resource. */
export interface VersionWrite {
  rid: string;
  resourceType: string;
  id: string;
  versionId: number;
  previousVersion?: number;
  lastUpdated: string;
  deleted: boolean;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  content: string | null;
  index: IndexRows | null;
}

export interface StoredRow {
  rid: string;
  version_id: number;
  last_updated: Date;
  deleted: boolean;
  content: string | null;
}

/**
 * The SQL of the record's storage. Every write, single or bulk, is one statement: the resource
 * row (insert for new, version-checked update for existing), its history row, and its index rows.
 * A version check that fails leaves that resource out; the caller sees which rids were written.
 */
export class ResourceRepository {
  private ridPool: bigint[] = [];

  constructor(private readonly db: Database) {}

  /**
   * Surrogate keys come from a sequence, fetched in blocks so most writes need no extra round trip.
   * The block is fetched through the caller's connection: inside a transaction on single-connection
   * PGlite, any other connection would wait for that transaction, which would wait for it.
   */
  async allocateRids(n: number, q: Queryable = this.db): Promise<string[]> {
    while (this.ridPool.length < n) {
      const want = Math.max(n - this.ridPool.length, 200);
      const res = await q.query<{ rid: string }>(
        "SELECT nextval('resource_rid_seq')::text AS rid FROM generate_series(1, $1)",
        [want],
      );
      for (const r of res.rows) this.ridPool.push(BigInt(r.rid));
    }
    return this.ridPool.splice(0, n).map(String);
  }

  /**
   * The current row, with whether it passes `restriction` (one statement either way: a read under
   * the access policy costs no extra round trip). Without a restriction every row is visible.
   */
  async readCurrent(q: Queryable, type: string, id: string, restriction?: RowRestriction): Promise<(StoredRow & { visible: boolean; patients?: string[] }) | undefined> {
    const p = new Params();
    const t = p.add(type);
    const i = p.add(id);
    const cond = restriction?.('r', type, p);
    // Under a restriction (a caller's request) the patients the row refers to come too, for its audit record.
    const patients = restriction ? `, ARRAY(SELECT DISTINCT c.target_id FROM sp_reference c WHERE c.rid = r.rid AND c.target_type = 'Patient') AS patients` : '';
    const res = await q.query<StoredRow & { visible: boolean; patients?: string[] }>(
      `SELECT r.rid, r.version_id, r.last_updated, r.deleted, r.content, ${cond ? `(${cond}) IS TRUE` : 'true'} AS visible${patients}
         FROM resource r WHERE r.resource_type = ${t} AND r.id = ${i}`,
      p.values,
      // Not prepared under a restriction: after five runs PostgreSQL may keep a generic plan, and the
      // restriction's "services of my organisation" lookup, planned without the organisation's id, then
      // walked sp_reference's target index over every reference to the organisation (100,000 rows for
      // the bench's practice: 17.9 ms a read against 0.1 ms with the plan made for the value).
      restriction ? undefined : PREPARED,
    );
    return res.rows[0];
  }

  /** The Patients that rows refer to (their subjects, mostly): what a search's audit record names. */
  async patientsReferredBy(q: Queryable, rids: string[]): Promise<string[]> {
    if (rids.length === 0) return [];
    const res = await q.query<{ id: string }>(
      "SELECT DISTINCT target_id AS id FROM sp_reference WHERE rid = ANY($1::bigint[]) AND target_type = 'Patient'",
      [rids],
      PREPARED,
    );
    return res.rows.map((r) => r.id);
  }

  async readCurrentMany(q: Queryable, keys: { type: string; id: string }[]): Promise<(StoredRow & { resource_type: string; id: string })[]> {
    if (keys.length === 0) return [];
    const res = await q.query(
      `SELECT r.rid, r.resource_type, r.id, r.version_id, r.last_updated, r.deleted, r.content
         FROM resource r JOIN unnest($1::text[], $2::text[]) AS k(t, i) ON r.resource_type = k.t AND r.id = k.i`,
      [keys.map((k) => k.type), keys.map((k) => k.id)],
    );
    return res.rows;
  }

  async readVersion(q: Queryable, type: string, id: string, versionId: number): Promise<Omit<StoredRow, 'rid'> | undefined> {
    const res = await q.query(
      `SELECT version_id, last_updated, deleted, content FROM resource_history
        WHERE resource_type = $1 AND id = $2 AND version_id = $3`,
      [type, id, versionId],
    );
    return res.rows[0];
  }

  /** Writes versions in one statement; returns the rids that were written. */
  async write(q: Queryable, writes: VersionWrite[]): Promise<Set<string>> {
    if (writes.length === 0) return new Set();
    const p: unknown[] = [];
    const arr = (values: unknown[], type: string) => {
      p.push(values);
      return `$${p.length}::${type}[]`;
    };
    const news = writes.filter((w) => w.previousVersion === undefined);
    const olds = writes.filter((w) => w.previousVersion !== undefined);
    const col = <T>(ws: VersionWrite[], f: (w: VersionWrite) => T) => ws.map(f);

    // Each version's columns are sent once: `ins` and `upd` return what they wrote and the history
    // copies it from there. The content is most of the statement's bytes; sent twice (as before), `pg`
    // escaped and measured every copy on the main thread and PostgreSQL parsed both (the directory
    // import's main thread spent about a fifth of its time in `pg`'s bind of this statement).
    const written = 'resource_type, id, version_id, last_updated, deleted, content';
    const ins = `INSERT INTO resource (rid, resource_type, id, version_id, last_updated, deleted, content)
      SELECT * FROM unnest(${arr(col(news, (w) => w.rid), 'bigint')}, ${arr(col(news, (w) => w.resourceType), 'text')},
        ${arr(col(news, (w) => w.id), 'text')}, ${arr(col(news, (w) => w.versionId), 'int')},
        ${arr(col(news, (w) => w.lastUpdated), 'timestamptz')}, ${arr(col(news, (w) => w.deleted), 'bool')},
        ${arr(col(news, (w) => w.content), 'text')})
      ON CONFLICT (resource_type, id) DO NOTHING RETURNING rid, ${written}`;
    const upd = `UPDATE resource r SET version_id = v.version_id, last_updated = v.last_updated, deleted = v.deleted, content = v.content
      FROM unnest(${arr(col(olds, (w) => w.rid), 'bigint')}, ${arr(col(olds, (w) => w.previousVersion), 'int')},
        ${arr(col(olds, (w) => w.versionId), 'int')}, ${arr(col(olds, (w) => w.lastUpdated), 'timestamptz')},
        ${arr(col(olds, (w) => w.deleted), 'bool')}, ${arr(col(olds, (w) => w.content), 'text')})
        AS v(rid, prev, version_id, last_updated, deleted, content)
      WHERE r.rid = v.rid AND r.version_id = v.prev RETURNING r.rid, ${written.replace(/(\w+)/g, 'r.$1')}`;
    const hist = `INSERT INTO resource_history (resource_type, id, version_id, last_updated, deleted, method, content)
      SELECT ok.resource_type, ok.id, ok.version_id, ok.last_updated, ok.deleted, m.method, ok.content
      FROM ok JOIN unnest(${arr(col(writes, (w) => w.rid), 'bigint')}, ${arr(col(writes, (w) => w.method), 'text')}) AS m(rid, method) ON m.rid = ok.rid`;

    const ctes = [`ins AS (${ins})`, `upd AS (${upd})`, `ok AS (SELECT rid, ${written} FROM ins UNION ALL SELECT rid, ${written} FROM upd)`, `hist AS (${hist})`];
    const olderRids = olds.length > 0 ? arr(col(olds, (w) => w.rid), 'bigint') : undefined;
    for (const [table, columns, types] of INDEX_TABLES) {
      // Old index rows of updated resources go; the statement's snapshot keeps the new ones safe.
      if (olderRids) ctes.push(`del_${table} AS (DELETE FROM sp_${table} WHERE rid = ANY(${olderRids}) AND rid IN (SELECT rid FROM upd))`);
      const rids: string[] = [];
      const types_: string[] = [];
      const cols: unknown[][] = columns.map(() => []);
      for (const w of writes) {
        const list = (w.index?.[table] ?? []) as unknown[][];
        for (const row of list) {
          rids.push(w.rid);
          types_.push(w.resourceType);
          row.forEach((v, i) => cols[i].push(v));
        }
      }
      if (rids.length === 0) continue;
      const unnestArgs = [arr(rids, 'bigint'), arr(types_, 'text'), ...cols.map((c, i) => arr(c, types[i]))].join(', ');
      ctes.push(`ix_${table} AS (INSERT INTO sp_${table} (rid, resource_type, ${columns.join(', ')})
        SELECT * FROM unnest(${unnestArgs}) AS u(rid, resource_type, ${columns.join(', ')}) WHERE u.rid IN (SELECT rid FROM ok))`);
    }
    for (const d of derivedTables) {
      // Derived rows follow the same replace-on-write rule as index rows, in the same statement.
      if (olderRids) ctes.push(`del_${d.table} AS (DELETE FROM ${d.table} WHERE rid = ANY(${olderRids}) AND rid IN (SELECT rid FROM upd))`);
      const rids: string[] = [];
      const cols: unknown[][] = d.columns.map(() => []);
      for (const w of writes) {
        for (const row of w.deleted ? [] : d.rows(w)) {
          rids.push(w.rid);
          row.forEach((v, i) => cols[i].push(v));
        }
      }
      if (rids.length === 0) continue;
      const unnestArgs = [arr(rids, 'bigint'), ...cols.map((c, i) => arr(c, d.types[i]))].join(', ');
      ctes.push(`dx_${d.table} AS (INSERT INTO ${d.table} (rid, ${d.columns.join(', ')})
        SELECT * FROM unnest(${unnestArgs}) AS u(rid, ${d.columns.join(', ')}) WHERE u.rid IN (SELECT rid FROM ok))`);
    }
    const sql = `WITH ${ctes.join(',\n')} SELECT rid::text AS rid FROM ok`;
    // Its text depends only on which tables the batch touches: a handful of shapes, prepared once each.
    const res = await q.query<{ rid: string }>(sql, p, PREPARED).catch((err: unknown) => {
      throw derivedConflict(err) ?? err;
    });
    return new Set(res.rows.map((r) => r.rid));
  }
}

/**
 * Extension point: a table derived from resources (the access layer's care relationships and
 * consents) and kept in step with them inside the write statement itself, so it is never stale.
 * Its first column is `rid` (the source resource); on every write of that rid its rows are
 * replaced, and a deletion leaves none. `rows` must be pure and cheap: it runs for every write.
 */
export interface DerivedTable {
  /** A trusted SQL identifier (set in code, never from input). */
  table: string;
  columns: string[];
  /** PostgreSQL element types of `columns`, for the unnest arrays (e.g. 'text', 'timestamptz'). An array column cannot be unnested: encode it (e.g. as text). */
  types: string[];
  rows(w: VersionWrite): unknown[][];
  /**
   * A unique constraint of the table that some writes must not break (e.g. one active plan per
   * person, whoever writes at the same instant): when it does, the whole statement fails, nothing is
   * written, and the caller gets a 409 OperationOutcome with `message` instead of a database error.
   */
  conflict?: { constraint: string; message: string; expression: string };
}

const derivedTables: DerivedTable[] = [];

/** The 409 for a write that broke a derived table's unique constraint (see DerivedTable.conflict); undefined for any other error. */
function derivedConflict(err: unknown): FhirError | undefined {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return undefined;
  const d = derivedTables.find((t) => t.conflict && (e.constraint === t.conflict.constraint || e.message?.includes(`"${t.conflict.constraint}"`)));
  return d?.conflict ? new FhirError(409, outcome([issue('conflict', d.conflict.message, d.conflict.expression)])) : undefined;
}

/** Registers a derived table; registering the same table again replaces the earlier entry. */
export function registerDerivedTable(t: DerivedTable): void {
  const i = derivedTables.findIndex((d) => d.table === t.table);
  if (i >= 0) derivedTables[i] = t;
  else derivedTables.push(t);
}

const INDEX_TABLES: [table: keyof IndexRows, columns: string[], types: string[]][] = [
  ['token', ['code', 'system', 'value', 'text'], ['text', 'text', 'text', 'text']],
  ['string', ['code', 'value', 'exact'], ['text', 'text', 'text']],
  ['date', ['code', 'low', 'high'], ['text', 'timestamptz', 'timestamptz']],
  ['number', ['code', 'value', 'system', 'unit'], ['text', 'numeric', 'text', 'text']],
  ['reference', ['code', 'target_type', 'target_id', 'url'], ['text', 'text', 'text', 'text']],
  ['uri', ['code', 'value'], ['text', 'text']],
];
