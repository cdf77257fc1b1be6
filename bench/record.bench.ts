/**
 * The web app's two speed figures (issue 5):
 *   1. GET /api/people/:id/summary (the record summary the record page is built from) for a person
 *      with 1,000+ resources, with N patients loaded: p50/p95/p99 over sequential requests on
 *      loopback, beside a ceiling (one primary-key select on the same app and pool) measured the same way.
 *   2. The record page in Chromium: from navigation start to the content painted (first contentful
 *      paint) and to DOMContentLoaded, over repeated navigations.
 *
 *   npm run build && node dist/bench/record.bench.js                 100,000 patients, throwaway PostgreSQL cluster
 *   node dist/bench/record.bench.js --patients=10000 --pglite        smaller, embedded database
 *   options: --requests=300 --navigations=20
 *
 * Writes bench/results/record.json and the "Record page and summary" section of bench/RESULTS.md
 * (between markers, so `npm run bench` keeps it: see renderRecordSection).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, seedCareWorld } from '../src/record-view/care.fixtures.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { importItems, readImportSource } from '../src/fhir/import.service.js';
import { createLogger } from '../src/logger.js';
import { createPlatform } from '../src/platform.js';
import { buildServer } from '../src/server.js';
import { writeFixtures } from './fixtures.js';
import { startCluster, type Cluster } from './postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH = join(ROOT, 'bench');
const WORK = join(BENCH, 'work');
export const RECORD_START = '<!-- record-bench:start -->';
export const RECORD_END = '<!-- record-bench:end -->';
const HEAVY = 'pat-hollis';
const EXTRA_RESOURCES = 1100;

const log = (m: string) => console.log(`[record-bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

export interface RecordBenchResult {
  date: string;
  patients: number;
  database: string;
  heavyPatientResources: number;
  requests: number;
  summary: Latency;
  ceiling: Latency;
  page?: { navigations: number; firstContentfulPaint: Latency; domContentLoaded: Latency; browser: string };
  loadAvg1m: number;
  cores: number;
}
interface Latency { p50: number; p95: number; p99: number; mean: number }

function latency(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  const r = (x: number) => Math.round(x * 10) / 10;
  return { p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

/** 1,100 more entries for the heavy person, from every organisation: contacts, observations, medicines. */
function* heavyRecord(): Generator<{ resource: Resource; source: string }> {
  const orgs = Object.values(CARE_ORGS);
  for (let i = 0; i < EXTRA_RESOURCES; i++) {
    const org = orgs[i % orgs.length];
    const day = new Date(Date.UTC(2015, 0, 1) + i * 3 * 86_400_000).toISOString().slice(0, 10);
    const meta = { tag: [{ system: 'https://onestory.example/fhir/CodeSystem/recorded-by-organization', code: org }] };
    const resource = (i % 3 === 0
      ? { resourceType: 'Encounter', id: `bench-enc-${i}`, status: 'finished', meta, class: { code: 'AMB' }, type: [{ text: 'Follow-up contact' }],
        subject: { reference: `Patient/${HEAVY}` }, serviceProvider: { reference: `Organization/${org}` }, period: { start: `${day}T09:00:00Z` } }
      : i % 3 === 1
        ? { resourceType: 'Observation', id: `bench-obs-${i}`, status: 'final', meta, code: { text: 'Blood pressure' }, subject: { reference: `Patient/${HEAVY}` },
          effectiveDateTime: `${day}T09:10:00Z`, valueQuantity: { value: 120 + (i % 30), unit: 'mmHg' } }
        : { resourceType: 'MedicationRequest', id: `bench-med-${i}`, status: 'completed', intent: 'order', meta, subject: { reference: `Patient/${HEAVY}` },
          medicationCodeableConcept: { text: 'Amoxicillin 500mg capsules' }, authoredOn: day }) as Resource;
    yield { resource, source: `heavy #${i}` };
  }
}

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/sign-in`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: CARE_USERS.nurse.username, password: CARE_PASSWORD }).toString(),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: ${res.status}`);
  return cookie;
}

async function timeRequests(url: string, cookie: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    const body = await res.text();
    out.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 200)}`);
  }
  return out;
}

async function pageFigures(url: string, navigations: number): Promise<RecordBenchResult['page']> {
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    log(`no Chromium at ${chromiumPath}: page figure skipped`);
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(`${url}/sign-in`);
    await page.fill('#username', CARE_USERS.nurse.username);
    await page.fill('#password', CARE_PASSWORD);
    await Promise.all([page.waitForURL(/\/people/), page.click('button[type=submit]')]);
    const fcp: number[] = [];
    const dcl: number[] = [];
    for (let i = 0; i < navigations + 2; i++) {
      await page.goto(`${url}/people/${HEAVY}`, { waitUntil: 'load' });
      // A string, not a function: this file is compiled without the DOM library.
      const t = (await page.evaluate(`(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const paint = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
        return { dcl: nav.domContentLoadedEventEnd, fcp: paint ? paint.startTime : nav.domContentLoadedEventEnd };
      })()`)) as { dcl: number; fcp: number };
      if (i < 2) continue; // warm-up: first loads fill the browser cache with the design system's CSS and JS
      fcp.push(t.fcp);
      dcl.push(t.dcl);
    }
    return { navigations, firstContentfulPaint: latency(fcp), domContentLoaded: latency(dcl), browser: browser.version() };
  } finally {
    await browser.close();
  }
}

export function renderRecordSection(r: RecordBenchResult): string {
  const row = (label: string, l: Latency, target: string, met: boolean | undefined) =>
    `| ${label} | ${l.p50} / ${l.p95} / ${l.p99} | ${l.mean} | ${target} | ${met === undefined ? '' : met ? 'met' : '**not met**'} |`;
  return [
    RECORD_START,
    '## Record page and summary (web app)',
    '',
    `Written by \`node dist/bench/record.bench.js\` on ${r.date.slice(0, 10)}: ${r.patients.toLocaleString('en-GB')} patients loaded (the bench fixtures) on ${r.database}, ` +
      `plus the web app's care fixtures, whose Margaret Hollis has ${r.heavyPatientResources.toLocaleString('en-GB')} resources from seven organisations. ` +
      `Signed in as her community nurse (session cookie, row restriction and audit as in production). ${r.cores} cores shared by server, database and client; 1-minute load average ${r.loadAvg1m.toFixed(1)}.`,
    '',
    '| Measure | p50 / p95 / p99 ms | Mean ms | Target | Met |',
    '|---|---:|---:|---|---|',
    row(`\`GET /api/people/${HEAVY}/summary\` (${r.requests} sequential requests on loopback)`, r.summary, 'p95 < 100 ms', r.summary.p95 < 100),
    row(`Ceiling: one primary-key select on the same app and pool (${r.requests} sequential requests)`, r.ceiling, '', undefined),
    ...(r.page
      ? [
        row(`Record page in Chromium ${r.page.browser}: navigation start to first contentful paint (${r.page.navigations} navigations)`, r.page.firstContentfulPaint, '< 1,000 ms', r.page.firstContentfulPaint.p95 < 1000),
        row('Record page: navigation start to DOMContentLoaded', r.page.domContentLoaded, '', undefined),
      ]
      : []),
    '',
    'The summary is the page\'s whole content (banner, care team, sections, the first 20 timeline entries); the page is rendered on the server from it, so first paint is the page\'s content.',
    RECORD_END,
  ].join('\n');
}

/** Puts the record section into RESULTS.md, replacing an earlier one. */
export function mergeRecordSection(markdown: string, section: string): string {
  const s = markdown.indexOf(RECORD_START);
  const e = markdown.indexOf(RECORD_END);
  if (s >= 0 && e > s) return `${markdown.slice(0, s)}${section}${markdown.slice(e + RECORD_END.length)}`;
  return `${markdown.trimEnd()}\n\n${section}\n`;
}

async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const patients = Number(arg('patients') ?? 100_000);
  const requests = Number(arg('requests') ?? 300);
  const navigations = Number(arg('navigations') ?? 20);
  const pglite = process.argv.includes('--pglite');
  mkdirSync(WORK, { recursive: true });
  let cluster: Cluster | undefined;
  let db: Database;
  let database: string;
  if (pglite) {
    const dir = join(WORK, 'record-pglite');
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
    const imported = await importItems(platform, readImportSource(dir));
    if (imported.rejected.length) throw new Error(`fixtures rejected: ${JSON.stringify(imported.rejected.slice(0, 3))}`);
    log(`imported ${fixtures.resources} resources; adding the care fixtures and ${EXTRA_RESOURCES} entries for ${HEAVY}`);
    await seedCareWorld(platform);
    await importItems(platform, heavyRecord());
    await db.query('ANALYZE');
    const heavy = await db.query<{ n: string }>(
      "SELECT count(DISTINCT rid)::text AS n FROM sp_reference WHERE target_type = 'Patient' AND target_id = $1", [HEAVY]);
    const rid = (await db.query<{ rid: string }>("SELECT rid::text AS rid FROM resource WHERE resource_type = 'Patient' AND id = $1", [HEAVY])).rows[0].rid;

    process.env.LOG_REQUESTS = 'false';
    const app = await buildServer(platform, createLogger('warn'));
    app.get<{ Params: { rid: string } }>('/bench/ceiling/:rid', async (req, reply) => {
      const res = await platform.db.query<{ content: string }>('SELECT content FROM resource WHERE rid = $1', [req.params.rid]);
      return reply.type('application/fhir+json').send(res.rows[0]?.content ?? '');
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const cookie = await signIn(url);
      log('warming up');
      await timeRequests(`${url}/api/people/${HEAVY}/summary`, cookie, 20);
      await timeRequests(`${url}/bench/ceiling/${rid}`, cookie, 20);
      log(`measuring ${requests} summary requests and ${requests} ceiling requests, interleaved in blocks of 50`);
      const summary: number[] = [];
      const ceiling: number[] = [];
      for (let done = 0; done < requests; done += 50) {
        const k = Math.min(50, requests - done);
        ceiling.push(...(await timeRequests(`${url}/bench/ceiling/${rid}`, cookie, k)));
        summary.push(...(await timeRequests(`${url}/api/people/${HEAVY}/summary`, cookie, k)));
      }
      log('measuring the record page in Chromium');
      const pageResult = await pageFigures(url, navigations);
      const result: RecordBenchResult = {
        date: new Date().toISOString(), patients, database, heavyPatientResources: Number(heavy.rows[0].n) + 1, requests,
        summary: latency(summary), ceiling: latency(ceiling), ...(pageResult ? { page: pageResult } : {}), loadAvg1m: loadavg()[0], cores: cpus().length,
      };
      log(`summary p50/p95/p99 ${result.summary.p50}/${result.summary.p95}/${result.summary.p99} ms; ceiling p95 ${result.ceiling.p95} ms` +
        (pageResult ? `; page FCP p95 ${pageResult.firstContentfulPaint.p95} ms` : ''));
      mkdirSync(join(BENCH, 'results'), { recursive: true });
      writeFileSync(join(BENCH, 'results', 'record.json'), JSON.stringify(result, null, 2) + '\n');
      const md = join(BENCH, 'RESULTS.md');
      writeFileSync(md, mergeRecordSection(existsSync(md) ? readFileSync(md, 'utf8') : '# OneStory benchmark results\n', renderRecordSection(result)));
      log('wrote bench/results/record.json and the record section of bench/RESULTS.md');
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
