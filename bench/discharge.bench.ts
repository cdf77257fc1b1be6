/**
 * Discharge (issue 13): the board for a trust with 1,000 inpatients, p95 under 300 ms at 100,000
 * patients; the 91-day (ASCOF 2B) and 21+ day figures for all of Kent and Medway computed from the
 * record in under 5 s, with their ratio to a plain count over the same rows. Measured here, never
 * asserted in a test.
 *
 *   1. Loads N patients (the bench fixtures), then through the record's bulk write path: 1,000 stays
 *      in progress at the bench trust on 10 wards (lengths of stay 0-60 days, a third no longer meeting
 *      the criteria to reside, pathways and delay reasons), 4,000 at four other trusts, two discharge
 *      tasks for every other stay, and 2% of patients discharged into reablement in October-December
 *      with a day-91 outcome (one in ten unknown), for two councils.
 *   2. Measures DischargeBoardService.board for a discharge coordinator of the bench trust (the
 *      service call the page makes: SQL, restriction, tasks, names, computing), sequentially.
 *   3. Times reablement91() and longStays() against a plain count(*) of the same rows, and writes the
 *      EXPLAIN (ANALYZE, BUFFERS) of the board's stay query to bench/work/discharge-plan.md.
 *
 *   npm run build && node dist/bench/discharge.bench.js                 100,000 patients, throwaway PostgreSQL cluster
 *   node dist/bench/discharge.bench.js --patients=10000 --requests=50   smaller
 *
 * Writes bench/results/discharge.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { restrictionFor } from '../src/access/policy/index.js';
import { recordedByTag } from '../src/access/policy/policy-codes.js';
import type { StaffPrincipal } from '../src/access/principal.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database, type Queryable } from '../src/db/database.js';
import { DischargeBoardRepository } from '../src/discharge/discharge-board.repository.js';
import { dayNumber, isoDay } from '../src/discharge/discharge.rules.js';
import {
  AT_HOME_91, conceptOf, DELAY_REASON_SYSTEM, DELAY_REASONS, DISCHARGE_TASK_SYSTEM, DISCHARGE_TASKS, EXT, PATHWAY_SYSTEM, PATHWAYS, REABLEMENT_EPISODE,
  type DelayReason, type DischargeTaskType, type Pathway,
} from '../src/discharge/discharge.vocabulary.js';
import { longStays, reablement91 } from '../src/discharge/reablement-91.js';
import { importItems, readImportSource } from '../src/fhir/import.service.js';
import { createPlatform } from '../src/platform.js';
import { TASK_KIND_SYSTEM } from '../src/workflow/task.vocabulary.js';
import { hash32, patientId, writeFixtures } from './fixtures.js';
import { startCluster, type Cluster } from './postgres.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = join(ROOT, 'bench', 'work');
const RESULTS = join(ROOT, 'bench', 'results');
const DAY = 86_400_000;
const TRUST = 'bench-trust';
const OTHER_TRUSTS = ['bench-trust-2', 'bench-trust-3', 'bench-trust-4', 'bench-trust-5'];
const COUNCILS = ['bench-kcc', 'bench-medway'];
const PARTNERS = ['bench-council-pool', 'bench-community', 'bench-transport'];
const REASONS = Object.keys(DELAY_REASONS) as DelayReason[];
const TASK_TYPES: DischargeTaskType[] = ['care-package', 'community-nursing', 'transport', 'equipment', 'home-from-hospital'];
const log = (m: string) => console.log(`[discharge-bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

function* directory(): Generator<{ resource: Resource; source: string }> {
  const orgs: [string, string][] = [[TRUST, 'Bench Hospitals Trust'], ...OTHER_TRUSTS.map((id, i) => [id, `Other Trust ${i + 2}`] as [string, string]),
    [COUNCILS[0], 'Bench Kent County Council'], [COUNCILS[1], 'Bench Medway Council'], ...PARTNERS.map((id) => [id, id] as [string, string])];
  for (const [id, name] of orgs) yield { resource: { resourceType: 'Organization', id, name } as Resource, source: id };
  yield { resource: { resourceType: 'Practitioner', id: 'bench-dc', name: [{ text: 'Dee Bench' }] } as Resource, source: 'bench-dc' };
}

/** The stays, their tasks, and the reablement episodes with their outcomes. */
function* discharges(o: { patients: number; inpatients: number; now: Date }): Generator<{ resource: Resource; source: string }> {
  const today = dayNumber(o.now);
  const trusts = [TRUST, ...OTHER_TRUSTS];
  let n = 0;
  for (const [t, trust] of trusts.entries()) {
    for (let i = 0; i < o.inpatients; i++) {
      const k = t * o.inpatients + i;
      const h = hash32(k + 77);
      const pid = patientId((h % o.patients) + 1);
      const los = h % 61;
      const ready = los >= 3 && h % 3 === 0;
      const pathway = String(h % 4) as Pathway;
      const id = `bs-${k}`;
      yield {
        source: id,
        resource: {
          resourceType: 'Encounter', id, status: 'in-progress', meta: { tag: [recordedByTag(trust)] },
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' }, subject: { reference: `Patient/${pid}` },
          serviceProvider: { reference: `Organization/${trust}` }, period: { start: new Date((today - los) * DAY + (h % 600) * 60_000).toISOString() },
          location: [{ location: { reference: `Location/${trust}-ward-${h % 10}`, display: `Ward ${h % 10}` }, physicalType: { coding: [{ code: 'wa' }] } }],
          extension: [
            ...(ready ? [{ url: EXT.readyDate, valueDateTime: isoDay(today - (h % los)) }, { url: EXT.delayReason, valueCodeableConcept: conceptOf(DELAY_REASON_SYSTEM, REASONS[h % REASONS.length], DELAY_REASONS) }] : []),
            { url: EXT.pathway, valueCodeableConcept: conceptOf(PATHWAY_SYSTEM, pathway, PATHWAYS) },
            { url: EXT.expectedDate, valueDate: isoDay(today + (h % 7)) },
            { url: EXT.criteriaReviewed, valueDateTime: o.now.toISOString() },
          ],
        } as Resource,
      };
      if (i % 2 === 0) {
        for (let j = 0; j < 2; j++) {
          const type = TASK_TYPES[(h + j) % TASK_TYPES.length];
          yield {
            source: `${id}-t${j}`,
            resource: {
              resourceType: 'Task', id: `${id}-t${j}`, status: j === 0 ? 'requested' : 'in-progress', intent: 'order', meta: { tag: [recordedByTag(trust)] },
              code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'discharge' }, { system: DISCHARGE_TASK_SYSTEM, code: type, display: DISCHARGE_TASKS[type] }] },
              for: { reference: `Patient/${pid}` }, focus: { reference: `Encounter/${id}` }, owner: { reference: `Organization/${PARTNERS[(h + j) % PARTNERS.length]}` },
              authoredOn: o.now.toISOString(), restriction: { period: { end: new Date(o.now.getTime() + ((h % 5) - 2) * DAY).toISOString() } },
            } as Resource,
          };
        }
      }
      n++;
    }
  }
  // 2% of patients discharged into reablement between 1 October and 31 December of last year.
  const year = o.now.getUTCFullYear() - 1;
  const oct1 = dayNumber(`${year}-10-01`);
  for (let i = 0; i < Math.round(o.patients * 0.02); i++) {
    const h = hash32(i + 991);
    const pid = patientId((h % o.patients) + 1);
    const start = isoDay(oct1 + (h % 92));
    const id = `be-${i}`;
    yield {
      source: id,
      resource: {
        resourceType: 'EpisodeOfCare', id, status: 'finished', type: [{ coding: [REABLEMENT_EPISODE] }], patient: { reference: `Patient/${pid}` },
        managingOrganization: { reference: `Organization/${COUNCILS[h % 2]}` }, period: { start, end: isoDay(dayNumber(start) + 30) },
      } as Resource,
    };
    if (h % 10 !== 0) {
      yield {
        source: `${id}-o`,
        resource: {
          resourceType: 'Observation', id: `${id}-o`, status: 'final', code: { coding: [AT_HOME_91] }, subject: { reference: `Patient/${pid}` },
          focus: [{ reference: `EpisodeOfCare/${id}` }], effectiveDateTime: isoDay(dayNumber(start) + 91), valueBoolean: h % 7 !== 0,
        } as Resource,
      };
    }
  }
  log(`generated ${n} stays`);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, performance.now() - t0];
};

/** A Queryable that remembers the last statement it ran, to EXPLAIN it as the repository built it. */
function capturing(db: Queryable): Queryable & { last?: { sql: string; params: unknown[] } } {
  const c: Queryable & { last?: { sql: string; params: unknown[] } } = {
    query: (sql: string, params?: unknown[]) => {
      c.last = { sql, params: params ?? [] };
      return db.query(sql, params);
    },
  };
  return c;
}

async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const patients = Number(arg('patients') ?? 100_000);
  const inpatients = Number(arg('inpatients') ?? 1_000);
  const requests = Number(arg('requests') ?? 200);
  mkdirSync(WORK, { recursive: true });
  let cluster: Cluster | undefined;
  let url = process.env.DATABASE_URL;
  if (!url) {
    log('starting a throwaway PostgreSQL cluster');
    cluster = await startCluster();
    url = cluster.url;
  }
  const db: Database = await openDatabase({ databaseUrl: url, poolSize: 10 });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { cluster?.stop(); process.exit(130); });
  try {
    const platform = await createPlatform({ ...loadConfig(), databaseUrl: undefined, logLevel: 'warn' }, db);
    const dir = join(WORK, `fixtures-${patients}`);
    log(`${patients} patients: writing and importing the bench fixtures`);
    writeFixtures(dir, patients);
    const imported = await importItems(platform, readImportSource(dir));
    if (imported.rejected.length) throw new Error(`fixtures rejected: ${JSON.stringify(imported.rejected.slice(0, 3))}`);
    const now = new Date();
    await importItems(platform, directory());
    const d = await importItems(platform, discharges({ patients, inpatients, now }));
    if (d.rejected.length) throw new Error(`discharges rejected: ${JSON.stringify(d.rejected.slice(0, 3))}`);
    log(`imported ${d.imported} discharge resources in ${d.seconds.toFixed(1)} s`);
    await db.query('ANALYZE');

    const principal: StaffPrincipal = {
      kind: 'staff', id: 'bench-dc-user', displayName: 'Dee Bench', via: 'session', credentialId: 'bench', role: 'discharge-coordinator',
      organizationId: TRUST, organizationIds: [TRUST], practitionerId: 'bench-dc',
    };
    const svc = platform.discharge.board;
    const first = await svc.board(principal, { sort: 'los' }, now);
    log(`board: ${first.counts.total} stays shown, ${first.counts.band21} of 21+ days, ${first.counts.ready21} of them ready`);
    const board: number[] = [];
    for (let i = 0; i < requests; i++) board.push((await time(() => svc.board(principal, { sort: 'los' }, now)))[1]);
    const filtered: number[] = [];
    for (let i = 0; i < Math.ceil(requests / 4); i++) filtered.push((await time(() => svc.board(principal, { sort: 'ready', band: 21, readiness: 'ready' }, now)))[1]);

    const [r91, r91ms] = await time(() => reablement91(db, { now, year: now.getUTCFullYear() - 1 }));
    const [, plain91ms] = await time(() => db.query(
      `SELECT count(*) FROM resource r WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted
         AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'EpisodeOfCare' AND t.code = 'type' AND t.value = 'reablement')
         AND r.rid IN (SELECT d.rid FROM sp_date d WHERE d.resource_type = 'EpisodeOfCare' AND d.code = 'date' AND d.low >= $1::timestamptz AND d.low < $2::timestamptz)`,
      [`${now.getUTCFullYear() - 1}-10-01T00:00:00Z`, `${now.getUTCFullYear()}-01-01T00:00:00Z`]));
    const [ls, lsms] = await time(() => longStays(db, { now }));
    const [, plainLsms] = await time(() => db.query(`SELECT count(*) FROM discharge_stay d JOIN resource r ON r.rid = d.rid AND NOT r.deleted WHERE d.status = 'in-progress'`));

    // The board's stay query, as the repository builds it for this principal.
    const cap = capturing(db);
    await new DischargeBoardRepository().currentStays(cap, restrictionFor(principal, now), { org: TRUST, limit: 2000 });
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${cap.last!.sql}`, cap.last!.params);
    writeFileSync(join(WORK, 'discharge-plan.md'), `# The discharge board's stay query (${patients} patients, ${inpatients} inpatients per trust)\n\n\`\`\`sql\n${cap.last!.sql}\n\`\`\`\n\n\`\`\`\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\`\n`);

    const result = {
      date: now.toISOString(), patients, inpatientsPerTrust: inpatients, trusts: 1 + OTHER_TRUSTS.length, requests, cores: cpus().length, loadAvg1m: loadavg()[0],
      board: { p50: pct(board, 50), p95: pct(board, 95), p99: pct(board, 99), shown: first.counts.total, band21: first.counts.band21, ready21: first.counts.ready21 },
      boardFiltered21Ready: { p50: pct(filtered, 50), p95: pct(filtered, 95) },
      reablement91: { ms: r91ms, plainCountMs: plain91ms, ratio: r91ms / plain91ms, discharges: r91.total.discharges, percent: r91.total.percent, byCouncil: r91.authorities.map((a) => [a.authority.name, a.discharges, a.percent]) },
      longStays: { ms: lsms, plainCountMs: plainLsms, ratio: lsms / plainLsms, ...ls.total },
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'discharge.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.close();
    cluster?.stop();
    rmSync(join(WORK, `fixtures-${patients}`), { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
