/**
 * The soak (issue 16): steady signed-in mixed load at a fixed rate against a running server, for
 * minutes, reporting per window (a minute by default) the errors, p50/p95/p99 latency (drift) and the
 * server's resident memory (leaks). Writes bench/results/soak.json and its own section of
 * bench/RESULTS.md.
 *
 *   npm run soak                                   starts `onestory start` on a fresh embedded data
 *                                                  directory (demo population), 10 minutes at 20 req/s
 *   npm run soak -- --url=http://127.0.0.1:8080 --pid=1234   a server already running (pid: its RSS)
 *   options: --minutes=10 --seconds=… --rate=20 --window=60 --username=gp.demo --password=onestory-demo
 *            --demo-residents=2000 --no-write (print only)
 *
 * The mix, per request: FHIR read by id, FHIR searches (family name, NHS number), FHIR create (an
 * Observation for a person the user may see), "My work" (/work) and the record page (/people/:id).
 * Requests are sent open-loop at the fixed rate (the schedule does not wait for answers), so a slow
 * server shows as latency, not as a lower rate; at most MAX_IN_FLIGHT are outstanding, and a request
 * that would exceed that is counted as "not sent" (an error).
 */
import { mergeMarkedSection } from './report.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from './stats.js';

export const SOAK_KINDS = ['read', 'search-name', 'search-identifier', 'create', 'worklist', 'record-page'] as const;
export type SoakKind = (typeof SOAK_KINDS)[number];

/** How often each kind is sent, out of 20: reads and pages dominate, as in a working day. */
export const SOAK_MIX: Record<SoakKind, number> = { read: 5, 'search-name': 3, 'search-identifier': 2, create: 2, worklist: 3, 'record-page': 5 };
/** Requests outstanding at most, by default: past that the server is far behind, and sending more would only pile up. */
const MAX_IN_FLIGHT = 64;

export interface SoakOptions {
  /** The server's origin, e.g. http://127.0.0.1:8080. */
  url: string;
  username: string;
  password: string;
  seconds: number;
  /** Requests per second, sent at fixed intervals. */
  rate: number;
  /** Length of one reporting window in seconds (60: per minute). */
  windowSeconds: number;
  /** The server process, for its resident memory (Linux /proc); undefined: not reported. */
  pid?: number;
  /** Requests outstanding at most (default 64); one that would exceed it is not sent and counts as an error. */
  maxInFlight?: number;
  log?: (line: string) => void;
}

export interface SoakWindow {
  /** Seconds from the start of the load to the start and the end of this window. */
  startSecond: number;
  endSecond: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Resident set size of the server process at the end of the window, in MB. */
  rssMb?: number;
  /** The machine's 1-minute load average at the end of the window. */
  loadAvg1m: number;
}

export interface SoakResult {
  date: string;
  commit?: string;
  server: string;
  username: string;
  seconds: number;
  rate: number;
  windowSeconds: number;
  mix: Record<SoakKind, number>;
  /** What the discovery step found to ask for. */
  people: number;
  windows: SoakWindow[];
  total: { requests: number; errors: number; p50Ms: number; p95Ms: number; p99Ms: number; byKind: Record<string, { requests: number; errors: number; p50Ms: number; p95Ms: number }> };
  /** Up to 10 distinct failures, each with its count. */
  failures: { what: string; count: number }[];
  /** p95 of the last full window over the first: above 1 the server got slower as it ran. */
  p95Drift?: number;
  rssFirstMb?: number;
  rssLastMb?: number;
  loadAvg1mMax: number;
  note?: string;
}

interface Session {
  cookie: string;
  csrf: string;
}

/** Signs in as a browser does (POST /auth/sign-in): the session cookie, and its CSRF token for writes. */
export async function signInSession(url: string, username: string, password: string): Promise<Session> {
  const res = await fetch(`${url}/auth/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`sign-in as ${username} failed: ${res.status} ${text.slice(0, 300)}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = (JSON.parse(text) as { csrfToken?: string }).csrfToken;
  if (!cookie.includes('=') || !csrf) throw new Error(`sign-in answered 200 without a session cookie or CSRF token: ${text.slice(0, 300)}`);
  return { cookie, csrf };
}

interface Person {
  id: string;
  family?: string;
  nhs?: string;
}

/** The people the signed-in user may see (first page of Patient?_count=50), with what to search them by. */
async function discoverPeople(url: string, s: Session): Promise<Person[]> {
  const res = await fetch(`${url}/fhir/R4/Patient?_count=50`, { headers: { cookie: s.cookie, accept: 'application/fhir+json' } });
  if (res.status !== 200) throw new Error(`GET Patient?_count=50 answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  const bundle = (await res.json()) as { entry?: { resource: { id: string; name?: { family?: string }[]; identifier?: { system?: string; value?: string }[] } }[] };
  return (bundle.entry ?? []).map(({ resource: r }) => ({
    id: r.id,
    family: r.name?.find((n) => n.family)?.family,
    nhs: r.identifier?.find((i) => i.system === 'https://fhir.nhs.uk/Id/nhs-number')?.value,
  }));
}

/** The k-th request of the mix: a fixed, repeating order (deterministic), spread over the people. */
export function soakRequest(k: number, people: Person[], s: Session): { kind: SoakKind; method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string } {
  const order = SOAK_KINDS.flatMap((kind) => Array<SoakKind>(SOAK_MIX[kind]).fill(kind));
  const kind = order[(k * 7) % order.length];
  const p = people[(k * 13 + Math.floor(k / order.length)) % people.length];
  const fhirHeaders = { cookie: s.cookie, accept: 'application/fhir+json' };
  const page = { cookie: s.cookie, accept: 'text/html' };
  switch (kind) {
    case 'read':
      return { kind, method: 'GET', path: `/fhir/R4/Patient/${p.id}`, headers: fhirHeaders };
    case 'search-name':
      return p.family
        ? { kind, method: 'GET', path: `/fhir/R4/Patient?name=${encodeURIComponent(p.family)}`, headers: fhirHeaders }
        : { kind, method: 'GET', path: `/fhir/R4/Patient?_id=${p.id}`, headers: fhirHeaders };
    case 'search-identifier':
      return p.nhs
        ? { kind, method: 'GET', path: `/fhir/R4/Patient?identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${p.nhs}`)}`, headers: fhirHeaders }
        : { kind, method: 'GET', path: `/fhir/R4/Patient?_id=${p.id}`, headers: fhirHeaders };
    case 'create': {
      const body = {
        resourceType: 'Observation', status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
        subject: { reference: `Patient/${p.id}` },
        effectiveDateTime: new Date().toISOString(),
        valueQuantity: { value: 50 + (k % 500) / 10, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      };
      return { kind, method: 'POST', path: '/fhir/R4/Observation', headers: { ...fhirHeaders, 'content-type': 'application/fhir+json', 'x-csrf-token': s.csrf }, body: JSON.stringify(body) };
    }
    case 'worklist':
      return { kind, method: 'GET', path: '/work', headers: page };
    case 'record-page':
      return { kind, method: 'GET', path: `/people/${p.id}`, headers: page };
  }
}

/** RSS of a process in MB from /proc (Linux); undefined elsewhere or when it has gone. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
  kind: SoakKind;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function figures(samples: Sample[]) {
  // A request never sent has no latency: it counts as an error only.
  const sorted = Float64Array.from(samples.filter((s) => Number.isFinite(s.ms)).map((s) => s.ms)).sort();
  return {
    requests: samples.length,
    errors: samples.filter((s) => !s.ok).length,
    p50Ms: round1(percentile(sorted, 50)),
    p95Ms: round1(percentile(sorted, 95)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** Runs the soak against a running server and returns what it saw; it throws only if it cannot start (sign-in, nobody visible). */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => undefined);
  const session = await signInSession(o.url, o.username, o.password);
  const people = await discoverPeople(o.url, session);
  if (people.length === 0) throw new Error(`${o.username} sees nobody (Patient?_count=50 is empty): nothing to soak on`);
  log(`signed in as ${o.username}; ${people.length} people to read, search and record for; ${o.rate} req/s for ${o.seconds} s`);
  const maxInFlight = o.maxInFlight ?? MAX_IN_FLIGHT;
  const samples: Sample[] = [];
  const failures = new Map<string, number>();
  const fail = (what: string) => failures.set(what, (failures.get(what) ?? 0) + 1);
  const started = performance.now();
  const total = Math.max(1, Math.round(o.seconds * o.rate));
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  // Memory and load are read as each window ends; its latencies are summed up at the end, once every
  // answer to a request sent in it has arrived.
  const marks: { endSecond: number; rssMb?: number; loadAvg1m: number }[] = [];
  const mark = (endSecond: number) => {
    const rss = rssMb(o.pid);
    marks.push({ endSecond, rssMb: rss === undefined ? undefined : round1(rss), loadAvg1m: round1(loadavg()[0]) });
    const done = samples.filter((x) => x.at >= endSecond - o.windowSeconds && x.at < endSecond);
    log(`  ${String(endSecond).padStart(5)} s: ${done.length} answered so far, ${done.filter((x) => !x.ok).length} errors${rss !== undefined ? `, RSS ${round1(rss)} MB` : ''}, load ${round1(loadavg()[0])}`);
  };
  const nextMark = () => (marks.length + 1) * o.windowSeconds;
  const send = async (k: number, scheduledAt: number) => {
    const r = soakRequest(k, people, session);
    const at = (scheduledAt - started) / 1000;
    if (inFlight >= maxInFlight) {
      samples.push({ at, ms: Number.NaN, ok: false, kind: r.kind });
      fail(`${r.kind}: not sent (${maxInFlight} requests already outstanding)`);
      return;
    }
    inFlight++;
    try {
      const res = await fetch(`${o.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body, redirect: 'manual' });
      await res.arrayBuffer();
      const ms = performance.now() - scheduledAt;
      const ok = res.status >= 200 && res.status < 300;
      samples.push({ at, ms, ok, kind: r.kind });
      if (!ok) fail(`${r.kind}: ${r.method} answered ${res.status}`);
    } catch (err) {
      samples.push({ at, ms: performance.now() - scheduledAt, ok: false, kind: r.kind });
      fail(`${r.kind}: ${(err as Error).message}`);
    } finally {
      inFlight--;
    }
  };
  for (let k = 0; k < total; k++) {
    // Latency is counted from the scheduled time, so a server that falls behind is not flattered.
    const scheduledAt = started + (k * 1000) / o.rate;
    const wait = scheduledAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while ((performance.now() - started) / 1000 >= nextMark() && nextMark() <= o.seconds) mark(nextMark());
    const p = send(k, scheduledAt);
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }
  const rest = o.seconds - (performance.now() - started) / 1000;
  if (rest > 0) await new Promise((r) => setTimeout(r, rest * 1000));
  while (nextMark() <= o.seconds) mark(nextMark());
  if (marks.length === 0 || marks[marks.length - 1].endSecond < o.seconds) mark(o.seconds);
  await Promise.all(pending);
  const windows: SoakWindow[] = marks.map((m, i) => {
    const startSecond = i === 0 ? 0 : marks[i - 1].endSecond;
    return { startSecond, ...m, ...figures(samples.filter((x) => x.at >= startSecond && x.at < m.endSecond)) };
  });
  const byKind: SoakResult['total']['byKind'] = {};
  for (const kind of SOAK_KINDS) {
    const f = figures(samples.filter((s) => s.kind === kind));
    byKind[kind] = { requests: f.requests, errors: f.errors, p50Ms: f.p50Ms, p95Ms: f.p95Ms };
  }
  const all = figures(samples);
  const full = windows.filter((w) => w.endSecond - w.startSecond >= o.windowSeconds && w.requests > 0);
  const rss = windows.map((w) => w.rssMb).filter((x): x is number => x !== undefined);
  return {
    date: new Date().toISOString(),
    server: o.url,
    username: o.username,
    seconds: o.seconds,
    rate: o.rate,
    windowSeconds: o.windowSeconds,
    mix: SOAK_MIX,
    people: people.length,
    windows,
    total: { requests: all.requests, errors: all.errors, p50Ms: all.p50Ms, p95Ms: all.p95Ms, p99Ms: all.p99Ms, byKind },
    failures: [...failures].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([what, count]) => ({ what, count })),
    p95Drift: full.length >= 2 && full[0].p95Ms > 0 ? full[full.length - 1].p95Ms / full[0].p95Ms : undefined,
    rssFirstMb: rss[0],
    rssLastMb: rss[rss.length - 1],
    loadAvg1mMax: Math.max(...windows.map((w) => w.loadAvg1m)),
  };
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-GB', { maximumFractionDigits: digits }));

export const SOAK_START = '<!-- soak:start -->';
export const SOAK_END = '<!-- soak:end -->';

/** The soak's section of bench/RESULTS.md. */
export function renderSoakSection(r: SoakResult): string {
  const lines = [
    SOAK_START,
    '## Soak (issue 16)',
    '',
    `Written by \`npm run soak\` on ${r.date.slice(0, 10)} (${r.date.slice(11, 16)} UTC)${r.commit ? ` at commit ${r.commit.slice(0, 12)}` : ''}: ${fmt(r.seconds / 60)} minutes of signed-in mixed load at a fixed ${fmt(r.rate)} requests/s (open loop: sent on schedule whatever the answers; latency counted from the scheduled time) against ${r.server}, signed in as \`${r.username}\` (session cookie; row restriction and audit as in production) over ${r.people} people it may see. ` +
      `Mix per 20 requests: ${SOAK_KINDS.map((k) => `${r.mix[k]} ${k}`).join(', ')} (read = \`GET Patient/id\`; searches by family name and NHS number; create = \`POST Observation\` for one of the people; worklist = \`GET /work\`; record page = \`GET /people/:id\`). ` +
      'RSS is the server process\'s resident memory (not the PostgreSQL processes\'); the load column is the machine\'s 1-minute load average (2 cores, shared with other work).',
    ...(r.note ? ['', r.note] : []),
    '',
    `| Window (s) | Requests | Errors | p50 / p95 / p99 ms | Max ms | RSS MB | Load (1 min) |`,
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...r.windows.map((w) => `| ${w.startSecond}–${w.endSecond} | ${fmt(w.requests, 0)} | ${fmt(w.errors, 0)} | ${fmt(w.p50Ms)} / ${fmt(w.p95Ms)} / ${fmt(w.p99Ms)} | ${fmt(w.maxMs)} | ${fmt(w.rssMb)} | ${fmt(w.loadAvg1m)} |`),
    `| **All** | ${fmt(r.total.requests, 0)} | ${fmt(r.total.errors, 0)} | ${fmt(r.total.p50Ms)} / ${fmt(r.total.p95Ms)} / ${fmt(r.total.p99Ms)} |  |  | max ${fmt(r.loadAvg1mMax)} |`,
    '',
    '| Kind | Requests | Errors | p50 / p95 ms |',
    '|---|---:|---:|---:|',
    ...SOAK_KINDS.map((k) => `| ${k} | ${fmt(r.total.byKind[k].requests, 0)} | ${fmt(r.total.byKind[k].errors, 0)} | ${fmt(r.total.byKind[k].p50Ms)} / ${fmt(r.total.byKind[k].p95Ms)} |`),
    '',
    `Errors: ${r.total.errors === 0 ? 'none' : r.failures.map((f) => `${f.what} (${f.count})`).join('; ')}. ` +
      `p95 drift, last full window over the first: ${r.p95Drift === undefined ? 'not enough windows' : `${fmt(r.p95Drift, 2)}×`}. ` +
      `Server RSS: ${r.rssFirstMb === undefined ? 'not measured' : `${fmt(r.rssFirstMb)} MB after the first window, ${fmt(r.rssLastMb)} MB after the last`}.`,
    SOAK_END,
  ];
  return lines.join('\n');
}

/** Puts the soak's section into RESULTS.md in place of the previous one, or at the end. */
export function mergeSoakSection(markdown: string, section: string): string {
  return mergeMarkedSection(markdown, SOAK_START, SOAK_END, section);
}

// ---------------------------------------------------------------------------------------------
// The command line: start a server (or use one), soak it, write the results.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH = join(ROOT, 'bench');

function arg(argv: string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
}

function num(argv: string[], name: string, dflt: number): number {
  const v = arg(argv, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${v}`);
  return n;
}

/** `onestory start` on a fresh embedded data directory, resolved once it says it is running (the demo loaded). */
async function startServer(dataDir: string, residents: number, log: (l: string) => void): Promise<{ child: ChildProcess; url: string }> {
  const { freePort } = await import('./postgres.js');
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'onestory.js'), 'start', '--demo-residents', String(residents)], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ONESTORY_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', LOG_REQUESTS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    // Read the server's output all along (a full pipe would stall it), kept only until it is ready.
    child.stdout!.on('data', (d: Buffer) => {
      if (ready) return;
      output += d.toString();
      if (output.includes('OneStory is running at')) {
        ready = true;
        resolve({ child, url: `http://127.0.0.1:${port}` });
      }
    });
    child.stderr!.on('data', (d: Buffer) => log(`server: ${d.toString().trimEnd()}`));
    child.once('exit', (code) => reject(new Error(`the server exited (code ${code}) before it was ready:\n${output.slice(-2000)}`)));
  });
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function main(argv: string[]): Promise<void> {
  const log = (l: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${l}\n`);
  const seconds = arg(argv, 'seconds') ? num(argv, 'seconds', 600) : num(argv, 'minutes', 10) * 60;
  const rate = num(argv, 'rate', 20);
  const windowSeconds = num(argv, 'window', 60);
  const username = arg(argv, 'username') ?? 'gp.demo';
  const password = arg(argv, 'password') ?? 'onestory-demo';
  const commit = git(['rev-parse', 'HEAD']);
  let url = arg(argv, 'url');
  let pid = arg(argv, 'pid') ? Number(arg(argv, 'pid')) : undefined;
  let server: { child: ChildProcess; url: string } | undefined;
  let dataDir: string | undefined;
  let note: string | undefined;
  try {
    if (!url) {
      dataDir = mkdtempSync(join(tmpdir(), 'onestory-soak-'));
      const residents = num(argv, 'demo-residents', 2000);
      log(`starting \`onestory start\` on a fresh embedded data directory (${dataDir}) with ${residents} demo residents`);
      const t = performance.now();
      server = await startServer(dataDir, residents, log);
      url = server.url;
      pid = server.child.pid;
      note = `The server was started by the soak: \`onestory start\` on a fresh embedded PostgreSQL data directory (the default, as \`npm start\` gives it), with the demo population of ${residents.toLocaleString('en-GB')} residents, ready after ${Math.round((performance.now() - t) / 1000)} s; pid ${pid}.`;
      log(`server ready at ${url} (pid ${pid}) after ${Math.round((performance.now() - t) / 1000)} s`);
    }
    const result = await runSoak({ url, username, password, seconds, rate, windowSeconds, pid, log });
    result.commit = commit;
    result.note = note ?? `Against a server already running at ${url}${pid ? ` (pid ${pid})` : ' (no pid given: RSS not measured)'}.`;
    log(`done: ${result.total.requests} requests, ${result.total.errors} errors, p50 ${result.total.p50Ms} p95 ${result.total.p95Ms} ms`);
    if (argv.includes('--no-write')) {
      process.stdout.write(`${renderSoakSection(result)}\n`);
    } else {
      writeFileSync(join(BENCH, 'results', 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
      const md = join(BENCH, 'RESULTS.md');
      writeFileSync(md, mergeSoakSection(existsSync(md) ? readFileSync(md, 'utf8') : '# OneStory benchmark results\n', renderSoakSection(result)));
      log('wrote bench/results/soak.json and the soak section of bench/RESULTS.md');
    }
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server!.child.once('exit', r));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`[soak] failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
