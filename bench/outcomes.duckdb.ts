import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../src/db/database.js';
import { cubeRowOf, cubeSql, PERSON_SQL, type CubeRow, type CubeSqlRow, type Period } from '../src/outcomes/measure-evaluation.service.js';
import type { RecordComputation } from '../src/outcomes/indicator.definitions.js';

/**
 * The outcomes bench's reference (issue 14: "measure the same computation with DuckDB reading the
 * same data"): the same rows of `resource`, `sp_token`, `sp_reference` and the derived tables the
 * indicators read (`outcome_person`, `outcome_fact`) exported from the
 * PostgreSQL database the indicators were just evaluated on (server-side COPY … TO a CSV file,
 * in chunks so the disk holds one chunk at a time) and loaded into a DuckDB database file (content
 * as DuckDB's JSON type); then, as the evaluator does, the period's residents written once into a
 * temporary table `person` (PERSON_SQL) and each indicator's cube statement (cubeSql, the evaluator's
 * own text) run there, translated by `duckDialect` only where the dialects differ.
 */

/**
 * PostgreSQL's JSON operators the indicator SQL uses that DuckDB spells differently; everything else
 * (`->`, `->>`, left, substr, age, date_part, DISTINCT ON, LATERAL, correlated subqueries) is the same text.
 *   `x::jsonb`                     → `x::JSON`
 *   `c#>>'{a,b,0,c}'`              → `c->>'$.a.b[0].c'` (a JSONPath)
 *   `jsonb_array_elements(e) x`    → `unnest(json_extract(e, '$[*]')) AS x_(x)` (a JSON array's elements as rows)
 *   `c->'a'->>'b'`                 → `(c->'a'->>'b')`: DuckDB's arrows bind more loosely than IN, IS NULL and
 *                                    comparisons, PostgreSQL's more tightly
 * and, because DuckDB runs a correlated subquery over a row's own array far more slowly than a list function
 * (the `person` CTE's three extension lookups took most of its time), the three shapes of it the SQL uses:
 *   `(SELECT x FROM jsonb_array_elements(e) x WHERE cond LIMIT 1)`      → `list_filter(<e's elements>, lambda x: cond)[1]`
 *   `EXISTS (SELECT 1 FROM jsonb_array_elements(e) x WHERE cond)`       → `len(list_filter(<e's elements>, lambda x: cond)) > 0`
 *   `(SELECT count(DISTINCT v) FROM jsonb_array_elements(e) m)`         → `len(list_distinct(list_transform(<e's elements>, lambda m: v)))`
 *                                                                          (list_distinct drops NULLs, as count does)
 * and drops `OFFSET 0` (PostgreSQL's planner fence, so a row's JSON is parsed once; DuckDB ran the lateral
 * join it sits in row by row).
 */
export function duckDialect(sql: string): string {
  const elements = (e: string) => `json_extract(${e}, '$[*]')`;
  return sql
    .replace(/\s+OFFSET 0\)/g, ')')
    .replace(/::jsonb\b/g, '::JSON')
    .replace(/\(SELECT (\w+) FROM jsonb_array_elements\(([^()]*)\) \1 WHERE ([^()]*?) LIMIT 1\)/g, (_, x: string, e: string, cond: string) => `list_filter(${elements(e)}, lambda ${x}: ${cond})[1]`)
    .replace(/EXISTS \(SELECT 1 FROM jsonb_array_elements\(([^()]*)\) (\w+) WHERE ([^()]*?)\)/g, (_, e: string, x: string, cond: string) => `(len(list_filter(${elements(e)}, lambda ${x}: ${cond})) > 0)`)
    .replace(/\(SELECT count\(DISTINCT ([^()]*)\) FROM jsonb_array_elements\(([^()]*)\) (\w+)\)/g, (_, v: string, e: string, x: string) => `len(list_distinct(list_transform(${elements(e)}, lambda ${x}: ${v})))`)
    .replace(/#>>\s*'\{([^}']*)\}'/g, (_, path: string) => `->>'$${path.split(',').map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('')}'`)
    .replace(/jsonb_array_elements\(([^()]*)\)\s+(\w+)/g, (_, e: string, x: string) => `unnest(json_extract(${e}, '$[*]')) AS ${x}_(${x})`)
    .replace(/(\b[A-Za-z_]\w*(?:\.\w+)?(?:->(?:'[^']*'|\d+))*->>'[^']*')/g, '($1)');
}

export interface DuckReference {
  conn: DuckDBConnection;
  /** Export from PostgreSQL + load into DuckDB (not part of any timed computation). */
  loadSeconds: number;
  /** The DuckDB database file's size after loading. */
  bytes: number;
  rows: { resource: number; sp_token: number; sp_reference: number; outcome_person: number; outcome_fact: number };
  close(): void;
}

const CHUNK = 500_000;

/** The derived tables the indicators read (their columns and DuckDB types), copied as they are. */
const DERIVED: Record<string, Record<string, string>> = {
  outcome_person: {
    rid: 'BIGINT', patient_id: 'VARCHAR', sex: 'VARCHAR', birth: 'DATE', district: 'VARCHAR', quintile: 'VARCHAR', ethnic: 'VARCHAR',
    practice: 'VARCHAR', active: 'BOOLEAN', deceased: 'DATE',
  },
  // pid, eff, day and the value columns: generated from c in PostgreSQL (migrations 032, 033), copied as values.
  outcome_fact: {
    rid: 'BIGINT', resource_type: 'VARCHAR', code: 'VARCHAR', c: 'JSON', pid: 'VARCHAR', eff: 'VARCHAR', day: 'DATE',
    value_quantity: 'VARCHAR', value_code: 'VARCHAR', interpretation_code: 'VARCHAR',
  },
};

/** Copies the record tables the indicators read from PostgreSQL into a fresh DuckDB database in a temp directory. */
export async function loadDuckReference(db: Database, log: (m: string) => void): Promise<DuckReference> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'onestory-bench-duckdb-'));
  // The PostgreSQL server writes the CSV files (as its own OS user): it needs to be able to write here.
  chmodSync(dir, 0o777);
  const file = join(dir, 'outcomes.duckdb');
  const instance = await DuckDBInstance.create(file, { threads: '2', memory_limit: '6GB', temp_directory: join(dir, 'tmp') });
  const conn = await instance.connect();
  const csv = join(dir, 'chunk.csv');
  const exportCsv = async (select: string, params: unknown[] = []) => {
    rmSync(csv, { force: true });
    // Literal values only: COPY takes no parameters.
    const sql = params.reduce<string>((s, p, i) => s.replaceAll(`$${i + 1}`, String(Number(p))), select);
    await db.query(`COPY (${sql}) TO '${csv}' (FORMAT csv)`);
  };
  const read = (columns: Record<string, string>) =>
    `read_csv('${csv}', header = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false, max_line_size = 100000000, columns = {${Object.entries(columns).map(([k, v]) => `'${k}': '${v}'`).join(', ')}})`;
  try {
    await conn.run('CREATE TABLE resource (rid BIGINT, resource_type VARCHAR, id VARCHAR, deleted BOOLEAN, content JSON)');
    await conn.run('CREATE TABLE sp_token (rid BIGINT, resource_type VARCHAR, code VARCHAR, system VARCHAR, value VARCHAR)');
    await conn.run('CREATE TABLE sp_reference (rid BIGINT, resource_type VARCHAR, code VARCHAR, target_type VARCHAR, target_id VARCHAR)');
    for (const [table, columns] of Object.entries(DERIVED)) await conn.run(`CREATE TABLE ${table} (${Object.entries(columns).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    const range = (await db.query<{ lo: string; hi: string }>('SELECT coalesce(min(rid), 0)::text AS lo, coalesce(max(rid), 0)::text AS hi FROM resource')).rows[0];
    for (let lo = Number(range.lo); lo <= Number(range.hi); lo += CHUNK) {
      await exportCsv('SELECT rid, resource_type, id, deleted, content FROM resource WHERE rid >= $1 AND rid < $2', [lo, lo + CHUNK]);
      await conn.run(`INSERT INTO resource SELECT rid, resource_type, id, deleted, content::JSON FROM ${read({ rid: 'BIGINT', resource_type: 'VARCHAR', id: 'VARCHAR', deleted: 'BOOLEAN', content: 'VARCHAR' })}`);
    }
    await exportCsv('SELECT rid, resource_type, code, system, value FROM sp_token');
    await conn.run(`INSERT INTO sp_token SELECT * FROM ${read({ rid: 'BIGINT', resource_type: 'VARCHAR', code: 'VARCHAR', system: 'VARCHAR', value: 'VARCHAR' })}`);
    await exportCsv('SELECT rid, resource_type, code, target_type, target_id FROM sp_reference');
    await conn.run(`INSERT INTO sp_reference SELECT * FROM ${read({ rid: 'BIGINT', resource_type: 'VARCHAR', code: 'VARCHAR', target_type: 'VARCHAR', target_id: 'VARCHAR' })}`);
    // The derived tables the indicators read, as PostgreSQL holds them (filled by its write path or backfill).
    for (const [table, columns] of Object.entries(DERIVED)) {
      await exportCsv(`SELECT ${Object.keys(columns).join(', ')} FROM ${table}`);
      const csvColumns = Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v === 'JSON' ? 'VARCHAR' : v]));
      await conn.run(`INSERT INTO ${table} SELECT ${Object.entries(columns).map(([k, v]) => `${k}::${v}`).join(', ')} FROM ${read(csvColumns)}`);
    }
    rmSync(csv, { force: true });
    await conn.run('CHECKPOINT');
    const count = async (t: string) => Number((await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${t}`)).getRowObjects()[0].n);
    const rows = { resource: await count('resource'), sp_token: await count('sp_token'), sp_reference: await count('sp_reference'), outcome_person: await count('outcome_person'), outcome_fact: await count('outcome_fact') };
    const pg = (await db.query<{ r: string; t: string; x: string; p: string; f: string }>(
      'SELECT (SELECT count(*) FROM resource)::text AS r, (SELECT count(*) FROM sp_token)::text AS t, (SELECT count(*) FROM sp_reference)::text AS x, (SELECT count(*) FROM outcome_person)::text AS p, (SELECT count(*) FROM outcome_fact)::text AS f')).rows[0];
    if (rows.resource !== Number(pg.r) || rows.sp_token !== Number(pg.t) || rows.sp_reference !== Number(pg.x) || rows.outcome_person !== Number(pg.p) || rows.outcome_fact !== Number(pg.f)) {
      throw new Error(`DuckDB holds ${JSON.stringify(rows)} rows, PostgreSQL ${JSON.stringify(pg)}: the reference would not read the same data`);
    }
    const loadSeconds = (performance.now() - started) / 1000;
    log(`  duckdb: ${rows.resource.toLocaleString('en-GB')} resources loaded from PostgreSQL's CSV in ${loadSeconds.toFixed(0)} s`);
    return {
      conn, loadSeconds, bytes: statSync(file).size, rows,
      close: () => {
        conn.closeSync();
        instance.closeSync();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    conn.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The period's residents written once into DuckDB's temporary table `person` (from PERSON_SQL's text, as
 * PostgreSQL's run writes them once: PERSON_TABLE), for every indicator's cube of the period to read.
 */
export async function duckResidents(conn: DuckDBConnection, period: Period): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE person AS ${duckDialect(PERSON_SQL)}`, [period.start, period.end]);
}

/** One indicator's cube for a period, computed by DuckDB from cubeSql's text (after duckResidents for the same period). */
export async function duckCube(conn: DuckDBConnection, c: RecordComputation, period: Period): Promise<CubeRow[]> {
  const reader = await conn.runAndReadAll(duckDialect(cubeSql(c)), [period.start, period.end]);
  return (reader.getRowObjects() as unknown as CubeSqlRow[]).map(cubeRowOf);
}

/** The cube in a fixed order, to compare two engines' answers cell by cell. */
export function sortedCube(rows: CubeRow[]): string[] {
  return rows.map((r) => `${r.district}|${r.practice}|${r.sex}|${r.ageBand}|${r.quintile}|${r.ethnicity}|${r.num}|${r.den}`).sort();
}
