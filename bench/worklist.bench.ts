/**
 * "My work" (issue 9): p95 under 300 ms for a member of staff whose organisation has 5,000 open
 * Tasks, with 100,000 patients loaded. Measured here, never asserted in a test.
 *
 *   1. Loads N patients (the bench fixtures, every one registered with the bench practice), then
 *      Tasks through the record's bulk write path (importItems: batches of 500, one statement each,
 *      task_work and care_relationship kept in step): 5,000 open Tasks of the practice (pool and its
 *      GP, mixed open statuses, due from 30 days ago to 60 days ahead, ten kinds, recorded by the
 *      practice or by the organisations that sent them), closed Tasks of the practice, and open
 *      Tasks of 20 other organisations, so the owner index has to discriminate.
 *   2. Signs in over HTTP as the practice's GP (POST /auth/sign-in → session cookie) and measures
 *      sequential `GET /work`, `GET /work?view=overdue` and page 2 (the page's own cursor link),
 *      interleaved in blocks of 50 with a ceiling on the same app and pool (one primary-key select).
 *   3. EXPLAIN (ANALYZE, BUFFERS) of the worklist's statements as WorklistRepository builds them for
 *      this principal (restrictionFor(principal, now)), written to bench/work/worklist-plans-*.md
 *      for docs/queries/worklist-plans.md.
 *
 *   npm run build && node dist/bench/worklist.bench.js               100,000 patients, throwaway PostgreSQL cluster
 *   node dist/bench/worklist.bench.js --patients=10000 --pglite      smaller, embedded database
 *   options: --requests=300 --org-tasks=5000 --other-tasks=20000 --closed-tasks=2500
 *            --no-write (measure and write the plans, leave results/worklist.json and RESULTS.md alone)
 *            --note="…" (a sentence added to the RESULTS.md section)
 *
 * Writes bench/results/worklist.json and the "My work (worklist)" section of bench/RESULTS.md
 * (between markers, so `npm run bench` keeps it: see renderWorklistSection).
 */
import { mergeMarkedSection, shortCommit } from './report.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { identityFor } from '../src/access/identity/identity.js';
import { hashPassword } from '../src/access/identity/password.service.js';
import { restrictionFor } from '../src/access/policy/index.js';
import { recordedByTag } from '../src/access/policy/policy-codes.js';
import type { StaffPrincipal } from '../src/access/principal.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database, type Queryable } from '../src/db/database.js';
import { importItems, readImportSource } from '../src/fhir/import.service.js';
import { createLogger } from '../src/logger.js';
import { createPlatform } from '../src/platform.js';
import { buildServer } from '../src/server.js';
import { OPEN_TASK_STATUSES, TASK_KIND_SYSTEM, TASK_KINDS, type TaskStatus } from '../src/workflow/task.vocabulary.js';
import { WorklistRepository, type WorklistFilter } from '../src/workflow/worklist.repository.js';
import { WORKLIST_PAGE_SIZE } from '../src/workflow/worklist.service.js';
import { BENCH_GP_ID, BENCH_PRACTICE_ID, hash32, patientId, writeFixtures } from './fixtures.js';
import { startCluster, type Cluster } from './postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH = join(ROOT, 'bench');
const WORK = join(BENCH, 'work');
export const WORKLIST_START = '<!-- worklist-bench:start -->';
export const WORKLIST_END = '<!-- worklist-bench:end -->';
const TARGET_P95 = 300;
const DAY = 86_400_000;
const OTHER_ORGS = 20;

const log = (m: string) => console.log(`[worklist-bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Latency { p50: number; p95: number; p99: number; mean: number }

export interface WorklistBenchResult {
  date: string;
  commit: string;
  patients: number;
  database: string;
  tasks: { orgOpen: number; orgPool: number; orgMine: number; orgClosed: number; otherOrgsOpen: number; otherOrgs: number; taskWorkRows: number };
  counts: { all: number; mine: number; pool: number; overdue: number; week: number };
  requests: number;
  /** Each measure with the 1-minute load average read just after it. */
  work: Latency & { loadAvg1m: number };
  overdue: Latency & { loadAvg1m: number };
  page2: Latency & { loadAvg1m: number };
  ceiling: Latency & { loadAvg1m: number };
  loadAvg1m: number;
  cores: number;
  /** EXPLAIN ANALYZE execution time of each worklist statement, ms (one run each, before the HTTP measures). */
  explainMs?: Record<string, number>;
  /** Every page of the worklist walked through the repository (keyset paging checked): how many, and ms a page. */
  paging?: { pages: number; msPerPage: number };
  note?: string;
}

function latency(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

const KINDS = Object.keys(TASK_KINDS).filter((k) => k !== 'escalation');
const otherOrg = (k: number) => `bench-other-org-${k}`;
const otherGp = (k: number) => `bench-other-gp-${k}`;

/** The other organisations (hospital, community, social care…) and one practitioner each: the directory the tasks name. */
function* directory(): Generator<{ resource: Resource; source: string }> {
  for (let k = 0; k < OTHER_ORGS; k++) {
    yield { resource: { resourceType: 'Organization', id: otherOrg(k), active: true, name: `Bench Partner ${k}` } as Resource, source: `org ${k}` };
    yield { resource: { resourceType: 'Practitioner', id: otherGp(k), active: true, name: [{ family: `Partner${k}`, given: ['Alex'] }] } as Resource, source: `gp ${k}` };
  }
}

interface TaskSpec {
  id: string;
  patient: number;
  status: TaskStatus;
  owner: string;
  requester: string;
  recordedBy: string;
  kind: string;
  due: Date;
  authored: Date;
}

function task(s: TaskSpec): Resource {
  return {
    resourceType: 'Task',
    id: s.id,
    meta: { tag: [recordedByTag(s.recordedBy)] },
    status: s.status,
    intent: 'order',
    ...(s.status === 'on-hold' ? { statusReason: { text: 'Waiting for results' } } : {}),
    code: { coding: [{ system: TASK_KIND_SYSTEM, code: s.kind, display: TASK_KINDS[s.kind as keyof typeof TASK_KINDS] }] },
    description: `${TASK_KINDS[s.kind as keyof typeof TASK_KINDS]} for patient ${s.patient}`,
    for: { reference: `Patient/${patientId(s.patient)}` },
    requester: { reference: s.requester },
    owner: { reference: s.owner },
    authoredOn: s.authored.toISOString(),
    restriction: { period: { end: s.due.toISOString() } },
  } as Resource;
}

/**
 * The practice's work and everyone else's. Open Tasks of the practice: 70% in its pool, 30% owned by
 * its GP (the signed-in user), so all 5,000 are in the user's worklist; half set by the practice
 * itself, half sent by a partner organisation (visible through the patient's registration, not
 * authorship). Due dates evenly spread from 30 days ago to 60 days ahead, with a per-task jitter.
 */
function* tasks(n: { patients: number; orgOpen: number; orgClosed: number; other: number }, now: number): Generator<{ resource: Resource; source: string }> {
  const due = (i: number, total: number) => new Date(now - 30 * DAY + Math.floor((i / total) * 90 * DAY) + (hash32(i * 11) % 3_600_000));
  for (let i = 0; i < n.orgOpen; i++) {
    const h = hash32(i + 900_001);
    const fromPartner = h % 2 === 1;
    const k = (h >>> 8) % OTHER_ORGS;
    const d = due(i, n.orgOpen);
    yield {
      resource: task({
        id: `bwt-org-${i}`, patient: hash32(i + 1_000_003) % n.patients, status: OPEN_TASK_STATUSES[(h >>> 4) % OPEN_TASK_STATUSES.length],
        owner: (h >>> 12) % 10 < 7 ? `Organization/${BENCH_PRACTICE_ID}` : `Practitioner/${BENCH_GP_ID}`,
        requester: fromPartner ? `Organization/${otherOrg(k)}` : `Practitioner/${BENCH_GP_ID}`,
        recordedBy: fromPartner ? otherOrg(k) : BENCH_PRACTICE_ID,
        kind: KINDS[(h >>> 16) % KINDS.length], due: d, authored: new Date(d.getTime() - 14 * DAY),
      }),
      source: `org task ${i}`,
    };
  }
  for (let i = 0; i < n.orgClosed; i++) {
    const h = hash32(i + 2_000_003);
    const d = due(i, n.orgClosed);
    yield {
      resource: task({
        id: `bwt-closed-${i}`, patient: hash32(i + 3_000_017) % n.patients, status: (['completed', 'cancelled', 'failed'] as const)[h % 3],
        owner: h % 2 ? `Organization/${BENCH_PRACTICE_ID}` : `Practitioner/${BENCH_GP_ID}`, requester: `Practitioner/${BENCH_GP_ID}`,
        recordedBy: BENCH_PRACTICE_ID, kind: KINDS[(h >>> 16) % KINDS.length], due: d, authored: new Date(d.getTime() - 14 * DAY),
      }),
      source: `closed task ${i}`,
    };
  }
  for (let i = 0; i < n.other; i++) {
    const h = hash32(i + 4_000_037);
    const k = h % OTHER_ORGS;
    const d = due(i, n.other);
    yield {
      resource: task({
        id: `bwt-other-${i}`, patient: hash32(i + 5_000_011) % n.patients, status: OPEN_TASK_STATUSES[(h >>> 4) % OPEN_TASK_STATUSES.length],
        owner: (h >>> 12) % 10 < 7 ? `Organization/${otherOrg(k)}` : `Practitioner/${otherGp(k)}`,
        requester: `Organization/${otherOrg((k + 1) % OTHER_ORGS)}`, recordedBy: otherOrg((k + 1) % OTHER_ORGS),
        kind: KINDS[(h >>> 16) % KINDS.length], due: d, authored: new Date(d.getTime() - 14 * DAY),
      }),
      source: `other task ${i}`,
    };
  }
}

async function signIn(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/auth/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const text = await res.text();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 200 || !cookie) throw new Error(`sign-in failed: ${res.status} ${text.slice(0, 300)}`);
  return cookie;
}

async function timeRequests(url: string, cookie: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    const body = await res.text();
    out.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 300)}`);
  }
  return out;
}

/** The "next page" link of a worklist page, as the page renders it. */
function nextLink(html: string): string | undefined {
  const m = /href="(\/work\?[^"]*cursor=[^"]*)"/.exec(html);
  return m ? m[1].replace(/&amp;/g, '&') : undefined;
}

/** A Queryable that remembers the statements it runs, to EXPLAIN them with the same parameters. */
class Recorder implements Queryable {
  readonly statements: { sql: string; params: unknown[] }[] = [];
  constructor(private readonly db: Queryable) {}
  query<R = any>(sql: string, params: unknown[] = []) {
    this.statements.push({ sql, params });
    return this.db.query<R>(sql, params);
  }
}

async function explain(db: Database, principal: StaffPrincipal, now: Date, cursor: string | undefined): Promise<{ markdown: string; executionMs: Record<string, number> }> {
  const rec = new Recorder(db);
  const repo = new WorklistRepository(rec);
  const owners = { mine: [`Practitioner/${principal.practitionerId}`], pools: [`Organization/${principal.organizationId}`] };
  const restriction = restrictionFor(principal, now);
  const base: WorklistFilter = { view: 'all', sort: 'due', count: WORKLIST_PAGE_SIZE };
  const runs: [string, () => Promise<unknown>][] = [
    ['list, view all, page 1', () => repo.list(owners, base, now, restriction)],
    ['counts', () => repo.counts(owners, {}, now, restriction)],
    ['list, view overdue, page 1', () => repo.list(owners, { ...base, view: 'overdue' }, now, restriction)],
    ...(cursor ? [['list, view all, page 2 (cursor)', () => repo.list(owners, { ...base, cursor }, now, restriction)] as [string, () => Promise<unknown>]] : []),
  ];
  const out: string[] = [];
  const executionMs: Record<string, number> = {};
  for (const [label, run] of runs) {
    rec.statements.length = 0;
    await run(); // warm, and capture the statement
    const { sql, params } = rec.statements[0];
    const res = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    const plan = res.rows.map((r) => r['QUERY PLAN']).join('\n');
    const time = /Execution Time: ([\d.]+) ms/.exec(plan)?.[1];
    log(`EXPLAIN ${label}: execution ${time} ms`);
    executionMs[label] = Number(time);
    out.push(`### ${label}\n\n\`\`\`sql\n${sql.replace(/\n\s+/g, '\n  ')}\n\`\`\`\n\nParameters: \`${JSON.stringify(params)}\`\n\n\`\`\`\n${plan}\n\`\`\`\n`);
  }
  return { markdown: out.join('\n'), executionMs };
}

/**
 * Walks every page of the caller's whole worklist through the repository, as the pages' next links
 * do, and checks the keyset paging: every open task once, in (due, rid) order, none skipped.
 */
async function checkPaging(db: Database, principal: StaffPrincipal, now: Date, expected: number): Promise<{ pages: number; ms: number }> {
  const repo = new WorklistRepository(db);
  const owners = { mine: [`Practitioner/${principal.practitionerId}`], pools: [`Organization/${principal.organizationId}`] };
  const restriction = restrictionFor(principal, now);
  const seen = new Set<string>();
  let prev: [number, bigint] | undefined;
  let cursor: string | undefined;
  let pages = 0;
  const t0 = performance.now();
  do {
    const page = await repo.list(owners, { view: 'all', sort: 'due', count: WORKLIST_PAGE_SIZE, cursor }, now, restriction);
    pages++;
    for (const row of page.rows) {
      if (seen.has(row.rid)) throw new Error(`paging returned task ${row.id} twice`);
      seen.add(row.rid);
      const due = Date.parse((JSON.parse(row.task) as { restriction?: { period?: { end?: string } } }).restriction?.period?.end ?? '');
      const key: [number, bigint] = [due, BigInt(row.rid)];
      if (prev && (key[0] < prev[0] || (key[0] === prev[0] && key[1] <= prev[1]))) throw new Error(`paging out of order at task ${row.id}`);
      prev = key;
    }
    cursor = page.next;
  } while (cursor);
  if (seen.size !== expected) throw new Error(`paging through the worklist gave ${seen.size} tasks, not ${expected}`);
  return { pages, ms: performance.now() - t0 };
}

export function renderWorklistSection(r: WorklistBenchResult): string {
  const row = (label: string, l: Latency & { loadAvg1m: number }, target: boolean) =>
    `| ${label} | ${l.p50} / ${l.p95} / ${l.p99} | ${l.mean} | ${l.loadAvg1m.toFixed(1)} | ${target ? `p95 < ${TARGET_P95} ms` : ''} | ${target ? (l.p95 < TARGET_P95 ? 'met' : '**not met**') : ''} |`;
  const t = r.tasks;
  return [
    WORKLIST_START,
    '## My work (worklist)',
    '',
    `Written by \`node dist/bench/worklist.bench.js\` on ${r.date.slice(0, 10)} at commit ${r.commit}: ${r.patients.toLocaleString('en-GB')} patients loaded (the bench fixtures) on ${r.database}, ` +
      `then ${t.orgOpen.toLocaleString('en-GB')} open Tasks of the bench practice (${t.orgPool.toLocaleString('en-GB')} in its pool, ${t.orgMine.toLocaleString('en-GB')} owned by its GP; six open statuses, nine kinds, due from 30 days ago to 60 days ahead, ` +
      `half recorded by the practice and half by the partner that sent them), ${t.orgClosed.toLocaleString('en-GB')} closed Tasks of the practice, and ${t.otherOrgsOpen.toLocaleString('en-GB')} open Tasks of ${t.otherOrgs} other organisations ` +
      `(task_work: ${t.taskWorkRows.toLocaleString('en-GB')} rows). Signed in over HTTP as the practice's GP (session cookie, row restriction and audit as in production); ` +
      `the worklist shows all ${r.counts.all.toLocaleString('en-GB')} (mine ${r.counts.mine.toLocaleString('en-GB')}, pool ${r.counts.pool.toLocaleString('en-GB')}, overdue ${r.counts.overdue.toLocaleString('en-GB')}, due this week ${r.counts.week.toLocaleString('en-GB')}). ` +
      `${r.requests} sequential requests per measure on loopback, interleaved in blocks of 50. ${r.cores} cores shared by server, database and client (and other work on the machine); the load column is the 1-minute load average read after each measure.`,
    '',
    '| Measure | p50 / p95 / p99 ms | Mean ms | Load (1 min) | Target | Met |',
    '|---|---:|---:|---:|---|---|',
    row('`GET /work` (all my work, page 1 of 25, with the counts)', r.work, true),
    row('`GET /work?view=overdue`', r.overdue, true),
    row('`GET /work?cursor=…` (page 2, the page\'s own next link)', r.page2, true),
    row('Ceiling: one primary-key select on the same app and pool', r.ceiling, false),
    '',
    ...(r.explainMs
      ? [`Statement execution (EXPLAIN ANALYZE, one run each, just before the HTTP measures): ${Object.entries(r.explainMs).map(([k, v]) => `${k} ${v} ms`).join('; ')}.` +
        (r.paging ? ` Every page of the worklist walked through the repository (keyset checked: each task once, in order): ${r.paging.pages} pages, ${r.paging.msPerPage} ms a page.` : ''), '']
      : []),
    'The query plans and their reading are in `docs/queries/worklist-plans.md`.' + (r.note ? ` ${r.note}` : ''),
    WORKLIST_END,
  ].join('\n');
}

/** Puts the worklist section into RESULTS.md, replacing an earlier one. */
export function mergeWorklistSection(markdown: string, section: string): string {
  return mergeMarkedSection(markdown, WORKLIST_START, WORKLIST_END, section);
}

async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const patients = Number(arg('patients') ?? 100_000);
  const requests = Number(arg('requests') ?? 300);
  const orgOpen = Number(arg('org-tasks') ?? 5_000);
  const orgClosed = Number(arg('closed-tasks') ?? 2_500);
  const other = Number(arg('other-tasks') ?? 20_000);
  const pglite = process.argv.includes('--pglite');
  const write = !process.argv.includes('--no-write');
  const note = process.argv.find((a) => a.startsWith('--note='))?.slice('--note='.length);
  mkdirSync(WORK, { recursive: true });
  let cluster: Cluster | undefined;
  let db: Database;
  let database: string;
  if (pglite) {
    const dir = join(WORK, 'worklist-pglite');
    rmSync(dir, { recursive: true, force: true });
    db = await openDatabase({ dataDir: dir });
    database = 'embedded PGlite';
  } else {
    let url = process.env.DATABASE_URL;
    if (!url) {
      log('starting a throwaway PostgreSQL cluster');
      cluster = await startCluster();
      url = cluster.url;
    }
    db = await openDatabase({ databaseUrl: url, poolSize: 10 });
    database = `PostgreSQL ${(await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v.split(' ')[0]}`;
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { cluster?.stop(); process.exit(130); });
  try {
    const platform = await createPlatform({ ...loadConfig(), databaseUrl: undefined, logLevel: 'warn' }, db, { startImportWorkers: true });
    const dir = join(WORK, `fixtures-${patients}`);
    log(`${patients} patients: writing and importing the bench fixtures`);
    const fixtures = writeFixtures(dir, patients);
    let lastLog = 0;
    const progress = (done: number) => {
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        log(`  import: ${done} resources`);
      }
    };
    const imported = await importItems(platform, readImportSource(dir), progress);
    if (imported.rejected.length) throw new Error(`fixtures rejected: ${JSON.stringify(imported.rejected.slice(0, 3))}`);
    log(`imported ${fixtures.resources} resources in ${imported.seconds.toFixed(0)} s; writing ${orgOpen} open + ${orgClosed} closed Tasks of ${BENCH_PRACTICE_ID} and ${other} of ${OTHER_ORGS} other organisations`);
    const dirImport = await importItems(platform, directory());
    const taskImport = await importItems(platform, tasks({ patients, orgOpen, orgClosed, other }, Date.now()), progress);
    const rejected = [...dirImport.rejected, ...taskImport.rejected];
    if (rejected.length) throw new Error(`tasks rejected: ${JSON.stringify(rejected.slice(0, 3))}`);
    log(`wrote ${taskImport.imported} Tasks in ${taskImport.seconds.toFixed(1)} s`);
    await db.query('ANALYZE');
    const tw = await db.query<{ n: number; open_org: number; pool: number; mine: number }>(
      `SELECT count(*)::int AS n,
        count(*) FILTER (WHERE status = ANY($1) AND owner IN ($2, $3))::int AS open_org,
        count(*) FILTER (WHERE status = ANY($1) AND owner = $2)::int AS pool,
        count(*) FILTER (WHERE status = ANY($1) AND owner = $3)::int AS mine
       FROM task_work`, [OPEN_TASK_STATUSES, `Organization/${BENCH_PRACTICE_ID}`, `Practitioner/${BENCH_GP_ID}`]);
    const taskWork = tw.rows[0];
    if (taskWork.open_org !== orgOpen) throw new Error(`task_work holds ${taskWork.open_org} open tasks of the practice, not ${orgOpen}`);
    log(`task_work: ${taskWork.n} rows, ${taskWork.open_org} open of the practice (pool ${taskWork.pool}, GP ${taskWork.mine})`);

    const username = `bench.worklist.${process.pid}`;
    const password = randomBytes(18).toString('base64url');
    const userId = await identityFor(platform).users.create({
      kind: 'staff', username, displayName: 'Dr Gwen Bench', passwordHash: await hashPassword(password),
      memberships: [{ organizationId: BENCH_PRACTICE_ID, role: 'gp', practitionerId: BENCH_GP_ID }],
    });
    const principal: StaffPrincipal = {
      kind: 'staff', id: userId, displayName: 'Dr Gwen Bench', via: 'session', credentialId: 'bench', role: 'gp',
      organizationId: BENCH_PRACTICE_ID, organizationIds: [BENCH_PRACTICE_ID], practitionerId: BENCH_GP_ID,
    };

    process.env.LOG_REQUESTS = 'false';
    const app = await buildServer(platform, createLogger('warn'));
    app.get<{ Params: { rid: string } }>('/bench/ceiling/:rid', { config: { audit: false } }, async (req, reply) => {
      const res = await platform.db.query<{ content: string }>('SELECT content FROM resource WHERE rid = $1', [req.params.rid]);
      return reply.type('application/fhir+json').send(res.rows[0]?.content ?? '');
    });
    const rid = (await db.query<{ rid: string }>("SELECT rid::text AS rid FROM resource WHERE resource_type = 'Task' AND id = 'bwt-org-0'")).rows[0].rid;
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const cookie = await signIn(url, username, password);
      const first = await fetch(`${url}/work`, { headers: { cookie } });
      const firstHtml = await first.text();
      if (first.status !== 200) throw new Error(`GET /work: ${first.status} ${firstHtml.slice(0, 300)}`);
      const page2 = nextLink(firstHtml);
      if (!page2) throw new Error('GET /work has no next-page link');
      const rows = (firstHtml.match(/href="\/work\/tasks\//g) ?? []).length;
      log(`GET /work: ${rows} task links on page 1; page 2 at ${page2.slice(0, 60)}…`);
      const counts = await new WorklistRepository(db).counts(
        { mine: [`Practitioner/${BENCH_GP_ID}`], pools: [`Organization/${BENCH_PRACTICE_ID}`] }, {}, new Date(), restrictionFor(principal, new Date()));
      log(`counts: ${JSON.stringify(counts)}`);
      if (counts.all !== orgOpen) throw new Error(`the worklist counts ${counts.all} tasks, not ${orgOpen}`);

      const cursor = new URLSearchParams(page2.split('?')[1]).get('cursor') ?? undefined;
      const plans = await explain(db, principal, new Date(), cursor);
      const planFile = join(WORK, `worklist-plans-${pglite ? 'pglite' : 'postgres'}-${patients}.md`);
      writeFileSync(planFile, `# Worklist plans: ${database}, ${patients} patients, ${new Date().toISOString()}, load ${loadavg()[0].toFixed(2)}\n\n${plans.markdown}`);
      log(`wrote ${planFile}`);
      const paging = await checkPaging(db, principal, new Date(), orgOpen);
      log(`paging check: ${orgOpen} tasks once each, in order, over ${paging.pages} pages (${(paging.ms / paging.pages).toFixed(1)} ms a page through the repository)`);

      const targets = { work: `${url}/work`, overdue: `${url}/work?view=overdue`, page2: `${url}${page2}`, ceiling: `${url}/bench/ceiling/${rid}` };
      log('warming up');
      for (const u of Object.values(targets)) await timeRequests(u, cookie, 20);
      log(`measuring ${requests} requests of each (ceiling, /work, overdue, page 2), interleaved in blocks of 50`);
      const ms: Record<keyof typeof targets, number[]> = { work: [], overdue: [], page2: [], ceiling: [] };
      const loads: Record<keyof typeof targets, number[]> = { work: [], overdue: [], page2: [], ceiling: [] };
      for (let done = 0; done < requests; done += 50) {
        const k = Math.min(50, requests - done);
        for (const key of ['ceiling', 'work', 'overdue', 'page2'] as const) {
          ms[key].push(...(await timeRequests(targets[key], cookie, k)));
          loads[key].push(loadavg()[0]);
        }
      }
      const withLoad = (key: keyof typeof targets) => ({ ...latency(ms[key]), loadAvg1m: Math.round((loads[key].reduce((a, b) => a + b, 0) / loads[key].length) * 100) / 100 });
      const result: WorklistBenchResult = {
        date: new Date().toISOString(), commit: shortCommit(ROOT), patients, database,
        tasks: { orgOpen, orgPool: taskWork.pool, orgMine: taskWork.mine, orgClosed, otherOrgsOpen: other, otherOrgs: OTHER_ORGS, taskWorkRows: taskWork.n },
        counts, requests, work: withLoad('work'), overdue: withLoad('overdue'), page2: withLoad('page2'), ceiling: withLoad('ceiling'),
        loadAvg1m: loadavg()[0], cores: cpus().length, ...(note ? { note } : {}), explainMs: plans.executionMs, paging: { pages: paging.pages, msPerPage: Math.round((paging.ms / paging.pages) * 10) / 10 },
      };
      for (const key of ['work', 'overdue', 'page2', 'ceiling'] as const) {
        const l = result[key];
        log(`${key}: p50/p95/p99 ${l.p50}/${l.p95}/${l.p99} ms (mean ${l.mean}), load ${l.loadAvg1m}`);
      }
      writeFileSync(join(WORK, `worklist-${pglite ? 'pglite' : 'postgres'}-${patients}.json`), JSON.stringify(result, null, 2) + '\n');
      if (write) {
        mkdirSync(join(BENCH, 'results'), { recursive: true });
        writeFileSync(join(BENCH, 'results', 'worklist.json'), JSON.stringify(result, null, 2) + '\n');
        const md = join(BENCH, 'RESULTS.md');
        writeFileSync(md, mergeWorklistSection(existsSync(md) ? readFileSync(md, 'utf8') : '# OneStory benchmark results\n', renderWorklistSection(result)));
        log('wrote bench/results/worklist.json and the worklist section of bench/RESULTS.md');
      }
    } finally {
      await app.close();
    }
    await platform.close();
  } finally {
    cluster?.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
