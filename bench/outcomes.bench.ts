/**
 * The outcomes framework (issue 14's Speed section), measured by `npm run bench` (bench/run.ts;
 * `--only=outcomes` alone; `--outcomes-residents=N[,M…]` the evaluation's populations, default
 * 1,900,000, 2,000 with --quick; `--outcomes-duckdb=false` leaves DuckDB out):
 *
 *   1. Each population (the dashboard's: the largest of --sizes, 100,000 by default; and each of
 *      --outcomes-residents) in a fresh database of one throwaway PostgreSQL cluster (bench/postgres.ts),
 *      written by the bench's bulk loader (bench/outcomes.load.ts: src/synth's population, COPY).
 *   2. The dashboard: the nightly run's four quarters evaluated and stored (OutcomesService.refresh), then
 *      `GET /outcomes` over HTTP signed in as an ICB analyst, one request at a time, each after its
 *      ceiling: the same stored rows (the system's trends) and the residents count read by plain
 *      statements on the same server and pool, sent as JSON (no session, policy or page).
 *   3. Every record indicator (indicator.definitions.ts) for one quarter (January–March 2025, the last of the
 *      year the synthetic history is calibrated on), as MeasureEvaluationService.evaluateAll does it (the
 *      period's residents written once into the temporary table `person`; then per indicator cubeSql on
 *      PostgreSQL, the practices' places, protectAll), the residents and each indicator timed apart, each beside a plain count of the rows it reads (count(*) and
 *      sum(length(content)) of the Patients and its coded rows: reading without parsing any JSON).
 *   4. The same on DuckDB, on the same rows exported from that PostgreSQL database (bench/outcomes.duckdb.ts:
 *      the residents' table once, then every cube); every indicator's cube must equal PostgreSQL's cell by cell, or the
 *      run fails.
 *   5. The residents' table's and the slowest indicator's EXPLAIN (ANALYZE, BUFFERS) into
 *      bench/work/outcomes-plan-<residents>.md.
 *
 * Writes bench/results/outcomes.json and the "Outcomes" section of bench/RESULTS.md (between markers,
 * kept when `npm run bench` rewrites the file).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database, type Queryable } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import type { RecordComputation } from '../src/outcomes/indicator.definitions.js';
import { cubeSql, PERSON_TABLE, quarterOf, quartersBefore, type CubeRow, type Period } from '../src/outcomes/measure-evaluation.service.js';
import { CALIBRATED_YEAR } from '../src/outcomes/outcomes.fixtures.js';
import { QUARTERS_KEPT_FRESH } from '../src/outcomes/outcomes.service.js';
import { createPlatform, type Platform } from '../src/platform.js';
import { buildServer } from '../src/server.js';
import { REFERENCE_AS_OF } from '../src/synth/index.js';
import { duckCube, duckResidents, loadDuckReference, sortedCube, type DuckReference } from './outcomes.duckdb.js';
import { copyOutcomesPopulation, type LoadResult } from './outcomes.load.js';
import { DASHBOARD_TARGET_MS, mergeOutcomesSection, renderOutcomesSection, type OutcomesBenchResult, type OutcomesDashboard, type OutcomesEvaluationRun, type OutcomesIndicatorTiming } from './outcomes.report.js';
import { startCluster } from './postgres.js';
import { shortCommit } from './report.js';
import { signInStaff } from './sign-in.js';
import { pageAgainstCeiling } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH = join(ROOT, 'bench');
const WORK = join(BENCH, 'work');
/** The day the synthetic population is generated as of; the clock is set to it (the dashboard's nightly quarters are the four before it). */
const AS_OF = REFERENCE_AS_OF;

export type Log = (m: string) => void;
const defaultLog: Log = (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] outcomes: ${m}\n`);

async function time<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
}

/**
 * The rows an indicator's SQL reads, counted and their size measured without reading any JSON path:
 * every resident row (outcome_person: the `person` table) and the indicator's rows of outcome_fact, by
 * type and code as its SQL selects them (a type it reads whole: every row of that type).
 */
export function plainSql(c: RecordComputation): string {
  const conds = [...new Set([...c.sql.matchAll(/f\.resource_type = '(\w+)'(?: AND f\.code (= '[^']*'|IN \([^)]*\)))?/g)]
    .map((m) => `(f.resource_type = '${m[1]}'${m[2] ? ` AND f.code ${m[2]}` : ''})`))];
  const facts = conds.length ? `SELECT 1 AS n, pg_column_size(f.c) AS bytes FROM outcome_fact f WHERE ${conds.join(' OR ')}` : 'SELECT 0 AS n, 0 AS bytes WHERE false';
  return `SELECT count(*)::int AS n, sum(bytes)::bigint AS bytes FROM (SELECT 1 AS n, pg_column_size(o.*) AS bytes FROM outcome_person o UNION ALL ${facts}) x`;
}

/** Serves the platform on loopback with the dashboard's ceiling route beside it. */
async function serveWithCeiling(platform: Platform): Promise<{ app: FastifyInstance; url: string }> {
  process.env.LOG_REQUESTS = 'false';
  const app = await buildServer(platform, createLogger('warn'));
  // The ceiling: what the overview reads (the system's stored trends, how many residents), by plain statements, sent as JSON.
  app.get('/bench/ceiling/outcomes', { config: { audit: false } }, async (_req, reply) => {
    const trends = await platform.db.query("SELECT * FROM outcome_report WHERE place = 'system' ORDER BY measure_id, period_end");
    const residents = await platform.db.query('SELECT count(*)::int AS n FROM outcome_person');
    return reply.send({ trends: trends.rows, residents: residents.rows[0].n });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

/** Step 2: the nightly run's quarters stored, then the dashboard page against its ceiling. */
export async function measureDashboard(platform: Platform, residents: number, requests: number, log: Log): Promise<OutcomesDashboard> {
  const loads = [loadavg()[0]];
  const [, refreshMs] = await time(() => platform.outcomes.service.refresh(quartersBefore(AS_OF, QUARTERS_KEPT_FRESH)));
  const storedRows = (await platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outcome_report')).rows[0].n;
  log(`dashboard: ${QUARTERS_KEPT_FRESH} quarters evaluated and stored (${storedRows} rows) in ${(refreshMs / 1000).toFixed(1)} s`);
  const { app, url } = await serveWithCeiling(platform);
  try {
    const signed = await signInStaff(platform, url, { role: 'icb-analyst', organizationId: 'bench-icb', displayName: 'Ana Bench' });
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}${path}`, { headers: { ...headers, accept: 'text/html' } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${body.slice(0, 300)}`);
      return body;
    };
    const page = () => get('/outcomes', signed.headers);
    const first = await page();
    // The analyst must get the overview with figures, not a clinician's page or an empty one.
    const linked = new Set(first.match(/href="\/outcomes\/O\d\.\d"/g) ?? []).size;
    if (linked < 17) throw new Error(`the dashboard linked ${linked} indicators, not the strategy's: the analyst would see too little to measure`);
    const ceiling = () => get('/bench/ceiling/outcomes');
    await ceiling();
    const pageMs: number[] = [];
    const ceilingMs: number[] = [];
    for (let i = 0; i < requests; i++) {
      ceilingMs.push((await time(ceiling))[1]);
      pageMs.push((await time(page))[1]);
    }
    loads.push(loadavg()[0]);
    const figures = pageAgainstCeiling(pageMs, ceilingMs, DASHBOARD_TARGET_MS);
    log(`dashboard: p95 ${figures.p95Ms.toFixed(0)} ms against its ceiling's ${figures.ceilingP95Ms.toFixed(0)} ms`);
    return { residents, quarters: QUARTERS_KEPT_FRESH, storedRows, refreshSeconds: refreshMs / 1000, ...figures, loadAvg1m: Math.max(...loads) };
  } finally {
    await app.close();
  }
}

/** Steps 3 to 5 on one loaded population. */
export async function measureEvaluation(platform: Platform, load: LoadResult, o: { duckdb: boolean; log: Log }): Promise<OutcomesEvaluationRun> {
  const { log } = o;
  const db = platform.db;
  const evaluation = platform.outcomes.service.evaluation;
  // The last quarter of the year the synthetic history was calibrated on (January–March 2025): every indicator has events in it.
  const period: Period = quarterOf(CALIBRATED_YEAR.end);
  const indicators = evaluation.registry.indicators.filter((i) => i.computation.kind === 'record');
  const loads = [loadavg()[0]];
  const timings: OutcomesIndicatorTiming[] = [];
  const cubes = new Map<string, CubeRow[]>();
  // MeasureEvaluationService.evaluateAll's steps, timed apart: the period's residents written once (the
  // `person` table), then per indicator the cube, then the places and the protection.
  let residentsMs = 0;
  const started = performance.now();
  await evaluation.withResidents(period, async (cube) => {
    residentsMs = performance.now() - started;
    log(`  residents (the person table, once): ${residentsMs.toFixed(0)} ms`);
    for (const indicator of indicators) {
      const c = indicator.computation as RecordComputation;
      const [plain, plainMs] = await time(() => db.query<{ n: number }>(plainSql(c)));
      const [rows, cubeMs] = await time(() => cube(indicator));
      const [, protectMs] = await time(() => evaluation.protectedPlaces(indicator, period, rows));
      cubes.set(indicator.id, rows);
      timings.push({
        id: indicator.id, cubeMs, protectMs, plainMs, plainRows: plain.rows[0].n, cells: rows.length,
        num: rows.reduce((a, r) => a + r.num, 0), den: rows.reduce((a, r) => a + r.den, 0),
      });
      log(`  ${indicator.id}: cube ${cubeMs.toFixed(0)} ms (${rows.length} cells), protection ${protectMs.toFixed(0)} ms, plain count ${plainMs.toFixed(0)} ms`);
    }
  });
  loads.push(loadavg()[0]);
  const sum = (f: (t: OutcomesIndicatorTiming) => number) => timings.reduce((a, t) => a + f(t), 0) / 1000;
  const residentsSeconds = residentsMs / 1000;
  const cubeSeconds = sum((t) => t.cubeMs);
  const protectSeconds = sum((t) => t.protectMs);
  const postgresSeconds = residentsSeconds + cubeSeconds + protectSeconds;
  log(`postgres: ${indicators.length} indicators in ${postgresSeconds.toFixed(1)} s (residents ${residentsSeconds.toFixed(1)} s, cubes ${cubeSeconds.toFixed(1)} s)`);

  let duckdb: OutcomesEvaluationRun['duckdb'];
  if (o.duckdb) {
    let duck: DuckReference | undefined;
    try {
      duck = await loadDuckReference(db, log);
      const differ: string[] = [];
      // The same shape of run as PostgreSQL's: the residents written once, then every indicator's cube.
      const [, duckResidentsMs] = await time(() => duckResidents(duck!.conn, period));
      log(`  duckdb: residents (the person table, once) ${duckResidentsMs.toFixed(0)} ms`);
      for (const indicator of indicators) {
        const t = timings.find((x) => x.id === indicator.id)!;
        const [rows, ms] = await time(() => duckCube(duck!.conn, indicator.computation as RecordComputation, period));
        t.duckdbMs = ms;
        const a = sortedCube(cubes.get(indicator.id)!);
        const b = sortedCube(rows);
        if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
          differ.push(`${indicator.id} (PostgreSQL ${a.length} cells, DuckDB ${b.length}; first difference: ${a.find((x, i) => x !== b[i]) ?? '-'} / ${b.find((x, i) => x !== a[i]) ?? '-'})`);
        }
        log(`  ${indicator.id}: duckdb ${ms.toFixed(0)} ms`);
      }
      if (differ.length) throw new Error(`DuckDB's figures differ from PostgreSQL's: ${differ.join('; ')}`);
      const duckCubeSeconds = sum((t) => t.duckdbMs ?? 0);
      const duckSeconds = duckResidentsMs / 1000 + duckCubeSeconds + protectSeconds;
      duckdb = {
        loadSeconds: duck.loadSeconds, bytes: duck.bytes, residentsSeconds: duckResidentsMs / 1000, cubeSeconds: duckCubeSeconds, seconds: duckSeconds,
        ratio: postgresSeconds / duckSeconds, cubeRatio: cubeSeconds / duckCubeSeconds, equal: true,
      };
      log(`duckdb: ${duckCubeSeconds.toFixed(1)} s of cubes; PostgreSQL / DuckDB ${duckdb.ratio.toFixed(1)}× end to end`);
    } finally {
      duck?.close();
    }
    loads.push(loadavg()[0]);
  }

  // Where the time goes: the slowest indicator's plan, as PostgreSQL ran it.
  const slowest = [...timings].sort((a, b) => b.cubeMs - a.cubeMs)[0];
  const sql = cubeSql(evaluation.registry.get(slowest.id)!.computation as RecordComputation);
  const explain = (q: Queryable, text: string) => q.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, [period.start, period.end]).then((p) => p.rows.map((r) => r['QUERY PLAN']).join('\n'));
  // The residents' table as the run writes it, then the slowest cube reading it (in the same transaction: the table is temporary).
  const [personPlan, plan] = await db.transaction(async (tx) => {
    const a = await explain(tx, PERSON_TABLE.create);
    await tx.query(PERSON_TABLE.key);
    await tx.query(PERSON_TABLE.analyse);
    return [a, await explain(tx, sql)];
  });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, `outcomes-plan-${load.residents}.md`),
    `# The residents' table and the slowest indicator's cube, ${slowest.id} (${load.residents} residents, ${period.start} to ${period.end})\n\n\`\`\`sql\n${PERSON_TABLE.create}\n\`\`\`\n\n\`\`\`\n${personPlan}\n\`\`\`\n\n\`\`\`sql\n${sql}\n\`\`\`\n\n\`\`\`\n${plan}\n\`\`\`\n`);
  return {
    residents: load.residents, resources: load.resources, tokens: load.tokens, refs: load.refs, loadSeconds: load.seconds, analyseSeconds: load.analyseSeconds, derivedSeconds: load.derivedSeconds,
    bytes: load.bytes, period, indicators: timings, postgresSeconds, residentsSeconds, cubeSeconds, protectSeconds,
    plainSeconds: sum((t) => t.plainMs), duckdb, loadAvg1m: Math.max(...loads), slowest: slowest.id,
  };
}

/** One population on a database at `url` the platform is open on: loaded, then measured as asked. */
export async function benchOutcomesPopulation(o: {
  platform: Platform; url: string; residents: number; dashboard?: { requests: number }; evaluate?: { duckdb: boolean }; log?: Log;
}): Promise<{ load: LoadResult; dashboard?: OutcomesDashboard; run?: OutcomesEvaluationRun }> {
  const log = o.log ?? defaultLog;
  if (o.platform.db.kind !== 'postgres') throw new Error('The outcomes bench needs a PostgreSQL server (it loads with COPY through psql and exports to DuckDB with COPY … TO a file), not PGlite');
  const now = new Date(`${AS_OF}T12:00:00Z`);
  o.platform.clock.now = () => now;
  log(`${o.residents.toLocaleString('en-GB')} residents: generating and loading with COPY`);
  const load = await copyOutcomesPopulation(o.url, o.platform.db, o.residents, log);
  log(`${load.resources.toLocaleString('en-GB')} resources loaded in ${load.seconds.toFixed(1)} s (${Math.round(load.resources / load.seconds)} resources/s), ANALYZE ${load.analyseSeconds.toFixed(1)} s, derived tables ${load.derivedSeconds.toFixed(1)} s`);
  const dashboard = o.dashboard ? await measureDashboard(o.platform, o.residents, o.dashboard.requests, log) : undefined;
  const run = o.evaluate ? await measureEvaluation(o.platform, load, { duckdb: o.evaluate.duckdb, log }) : undefined;
  return { load, dashboard, run };
}

export interface OutcomesBenchOptions {
  /** The dashboard's population (the bench's dataset size); none: no dashboard. */
  dashboardResidents?: number;
  /** The populations every indicator is evaluated on. */
  evaluationResidents: number[];
  requests: number;
  duckdb: boolean;
  quick: boolean;
  note?: string;
  log?: Log;
}

/** Runs the outcomes bench on a throwaway cluster of its own, writes its figures (see the top of this file) and returns them. */
export async function benchOutcomes(o: OutcomesBenchOptions): Promise<OutcomesBenchResult> {
  const log = o.log ?? defaultLog;
  // The code measured is the code built when the run starts: its commit then, not at the end.
  const commit = shortCommit(ROOT);
  const sizes = [...new Set([...(o.dashboardResidents ? [o.dashboardResidents] : []), ...o.evaluationResidents])].sort((a, b) => a - b);
  const cluster = await startCluster();
  const admin = await openDatabase({ databaseUrl: cluster.url, poolSize: 1 });
  const runs: OutcomesEvaluationRun[] = [];
  let dashboard: OutcomesDashboard | undefined;
  try {
    for (const n of sizes) {
      const name = `onestory_outcomes_${n}`;
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(cluster.url);
      u.pathname = `/${name}`;
      let db: Database | undefined;
      let platform: Platform | undefined;
      try {
        db = await openDatabase({ databaseUrl: u.toString(), poolSize: 10 });
        platform = await createPlatform({ ...loadConfig(), databaseUrl: undefined, logLevel: 'warn' }, db);
        const r = await benchOutcomesPopulation({
          platform, url: u.toString(), residents: n, log,
          dashboard: n === o.dashboardResidents ? { requests: o.requests } : undefined,
          evaluate: o.evaluationResidents.includes(n) ? { duckdb: o.duckdb } : undefined,
        });
        if (r.dashboard) dashboard = r.dashboard;
        if (r.run) runs.push(r.run);
      } finally {
        await platform?.close().catch(() => undefined);
        if (!platform) await db?.close().catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch((err: Error) => log(`could not drop ${name}: ${err.message}`));
      }
    }
  } finally {
    await admin.close().catch(() => undefined);
    cluster.stop();
  }
  const result: OutcomesBenchResult = {
    date: new Date().toISOString().slice(0, 10), commit, cores: cpus().length, quick: o.quick, dashboard, runs, note: o.note,
  };
  mkdirSync(join(BENCH, 'results'), { recursive: true });
  writeFileSync(join(BENCH, 'results', 'outcomes.json'), `${JSON.stringify(result, null, 2)}\n`);
  const md = join(BENCH, 'RESULTS.md');
  writeFileSync(md, mergeOutcomesSection(existsSync(md) ? readFileSync(md, 'utf8') : '# Benchmark results\n', renderOutcomesSection(result)));
  log('wrote bench/results/outcomes.json and the Outcomes section of bench/RESULTS.md');
  return result;
}
