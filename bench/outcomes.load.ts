import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Database } from '../src/db/database.js';
import { indicatorResources, indicatorRows } from '../src/outcomes/outcomes.fixtures.js';
import { fillOutcomeTables } from '../src/outcomes/outcome-tables.backfill.js';
import { binDir } from './postgres.js';

/**
 * The outcomes bench's bulk loader (bench-only): the synthetic population of src/synth (the same
 * generator, seed and as-of day as the outcomes tests' fixture, `indicatorResources`) written
 * straight into the record's tables with COPY: `resource` (content exactly as the fixture stores
 * it) and only the index rows the indicators' SQL reads (`sp_token` code/type of Observation,
 * Encounter, EpisodeOfCare and Condition; `sp_reference` subject of Condition and CareTeam), built
 * by the fixture's own `indicatorRows`. The NDJSON import (validation, every index, history) runs at
 * a few thousand resources a second on this machine: 1.9 million residents through it would take
 * most of a day, so the evaluation could never be measured at the size.
 *
 * Each table is fed by its own `psql -c 'COPY … FROM STDIN'` (text format) from one pass of the
 * generator, with backpressure, so memory stays flat however many residents. The tables' plain
 * indexes are dropped first and built again at the end (part of the load's time); the primary key
 * and the unique (resource_type, id) stay, so a duplicate fails the load. ANALYZE at the end, as
 * autovacuum would have done on a server that has held this data a while. Then the derived tables the
 * indicators read, which the write path keeps and COPY does not, are filled by the product's own
 * backfill, timed apart (`derivedSeconds`), and vacuumed as well as analysed: autovacuum vacuums a
 * table after enough inserts (PostgreSQL 13 on), which marks its pages all-visible, so an index-only
 * scan (the latest values' index, migration 033) reads no table pages; straight after a bulk fill that
 * has not happened yet, and the figure would depend on when autovacuum came round.
 */

export interface LoadResult {
  residents: number;
  resources: number;
  tokens: number;
  refs: number;
  /** Generation + COPY + the indexes built again, until the last is committed. */
  seconds: number;
  analyseSeconds: number;
  /**
   * The derived tables the indicators read (outcome_person…) filled after the COPY by the product's own
   * backfill (fillOutcomeTables), with their VACUUM and ANALYZE. Not part of `seconds`: in production this cost is
   * paid a row at a time, inside each write's own statement.
   */
  derivedSeconds: number;
  /** The three tables' size on disk with their indexes, after ANALYZE. */
  bytes: number;
}

/** COPY's text format: backslash, tab, newline and carriage return escaped; NULL as \N. */
export function copyField(v: string | number | null): string {
  if (v === null) return '\\N';
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** One COPY … FROM STDIN through psql: write lines, then end() resolves when the server has committed them. */
class CopyStream {
  private readonly child: ChildProcess;
  private buffer: string[] = [];
  private size = 0;
  private stderr = '';
  private readonly done: Promise<void>;

  constructor(url: string, table: string, columns: string[]) {
    this.child = spawn(join(binDir(), 'psql'), [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `COPY ${table} (${columns.join(', ')}) FROM STDIN`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`COPY ${table} failed (psql exit ${code}): ${this.stderr.slice(0, 2000)}`))));
    });
    // A failed COPY ends psql early: surface it rather than a write error on a closed pipe.
    this.child.stdin!.on('error', () => undefined);
  }

  /** Buffers a row; true when the buffer is full and flush() should be awaited (no promise per row: millions of them). */
  row(fields: (string | number | null)[]): boolean {
    const line = `${fields.map(copyField).join('\t')}\n`;
    this.buffer.push(line);
    this.size += line.length;
    return this.size >= 1 << 20;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    if (!this.child.stdin!.write(chunk)) {
      await Promise.race([new Promise((resolve) => this.child.stdin!.once('drain', resolve)), this.done]);
    }
  }

  async end(): Promise<void> {
    await this.flush();
    this.child.stdin!.end();
    await this.done;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** Loads `residents` synthetic residents (seed 2024, as of the reference day) into the database at `url` (migrated, empty record). */
export async function copyOutcomesPopulation(url: string, db: Database, residents: number, log: (m: string) => void, seed = 2024): Promise<LoadResult> {
  const started = performance.now();
  const first = BigInt((await db.query<{ n: string }>('SELECT coalesce(max(rid), 0)::text AS n FROM resource')).rows[0].n) + 1n;
  const now = new Date().toISOString();
  // The tables' plain indexes are dropped while loading and built again after (one sort each, not millions of
  // insertions into a tree); the primary key and the unique (resource_type, id) stay, so a duplicate still fails.
  const indexes = (await db.query<{ name: string; def: string }>(
    `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename IN ('resource', 'sp_token', 'sp_reference')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)).rows;
  for (const i of indexes) await db.query(`DROP INDEX ${i.name}`);
  const resource = new CopyStream(url, 'resource', ['rid', 'resource_type', 'id', 'version_id', 'last_updated', 'content']);
  const token = new CopyStream(url, 'sp_token', ['rid', 'resource_type', 'code', 'system', 'value']);
  const reference = new CopyStream(url, 'sp_reference', ['rid', 'resource_type', 'code', 'target_type', 'target_id']);
  let rid = first;
  let resources = 0;
  let tokens = 0;
  let refs = 0;
  let patients = 0;
  let lastLog = performance.now();
  try {
    for (const r of indicatorResources(residents, seed)) {
      const x = indicatorRows(r, now);
      const k = (rid++).toString();
      if (resource.row([k, x.resourceType, x.id, 1, now, x.content])) await resource.flush();
      for (const t of x.tokens) if (token.row([k, ...t])) await token.flush();
      for (const t of x.refs) if (reference.row([k, ...t])) await reference.flush();
      resources++;
      tokens += x.tokens.length;
      refs += x.refs.length;
      if (x.resourceType === 'Patient') patients++;
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        log(`  loading: ${patients.toLocaleString('en-GB')} residents, ${resources.toLocaleString('en-GB')} resources, ${Math.round(resources / ((lastLog - started) / 1000))} resources/s`);
      }
    }
    await Promise.all([resource.end(), token.end(), reference.end()]);
  } catch (err) {
    resource.kill();
    token.kill();
    reference.kill();
    throw err;
  }
  await db.query(`SELECT setval('resource_rid_seq', $1::bigint)`, [(rid - 1n).toString()]);
  log(`  loading: ${resources.toLocaleString('en-GB')} resources written; building ${indexes.length} indexes`);
  await db.transaction(async (tx) => {
    await tx.query("SET LOCAL maintenance_work_mem = '512MB'");
    for (const i of indexes) await tx.query(i.def);
  });
  const seconds = (performance.now() - started) / 1000;
  const a0 = performance.now();
  await db.exec('ANALYZE resource; ANALYZE sp_token; ANALYZE sp_reference');
  const analyseSeconds = (performance.now() - a0) / 1000;
  // COPY bypassed the write path, which keeps the derived tables: fill them as the product does for rows written before they existed.
  const d0 = performance.now();
  const filled = await fillOutcomeTables(db);
  // One statement each: VACUUM refuses to run inside the transaction a multi-statement string makes.
  await db.exec('VACUUM (ANALYZE) outcome_person');
  await db.exec('VACUUM (ANALYZE) outcome_fact');
  const derivedSeconds = (performance.now() - d0) / 1000;
  log(`  loading: derived tables filled for ${filled.toLocaleString('en-GB')} resources by the product's backfill in ${derivedSeconds.toFixed(1)} s`);
  const bytes = Number((await db.query<{ b: string }>(
    "SELECT (pg_total_relation_size('resource') + pg_total_relation_size('sp_token') + pg_total_relation_size('sp_reference'))::text AS b")).rows[0].b);
  return { residents, resources, tokens, refs, seconds, analyseSeconds, derivedSeconds, bytes };
}
