/**
 * Discharge (issue 13), measured by `npm run bench` (bench/run.ts) on each dataset after the record's
 * scenarios, on the same database, server and pool: the board for a trust with 1,000 inpatients, p95
 * under 300 ms at 100,000 patients; the 91-day (ASCOF 2B) and 21+ day figures for all of Kent and
 * Medway computed from the record in under 5 s, with their ratio to a plain count over the same rows.
 *
 *   1. Adds, through the record's import path: 1,000 stays in progress at the bench trust on 10 wards
 *      (lengths of stay 0-60 days, a third no longer meeting the criteria to reside, pathways and delay
 *      reasons), 1,000 at each of four other trusts, two discharge tasks for every other stay, and 2% of
 *      the patients discharged into reablement in October-December with a day-91 outcome (one in ten
 *      unknown), for two councils (Kent and Medway): about 14,000 resources at 100,000 patients.
 *   2. The board: `GET /discharge` over HTTP, signed in as a discharge coordinator of the bench trust
 *      (session, restriction, SQL over all 1,000 stays with their counts and delay days by reason, then
 *      the first page of the list: its people's tasks, its rows rendered, its people audited), one
 *      request at a time, beside its ceiling: the same stays with their Encounter and Patient rows read
 *      by one plain SQL statement on the same pool (no restriction, no tasks, no page), one at a time,
 *      in the same run.
 *   3. reablement91() and longStays(), each beside a plain count(*) of the same rows, three times each.
 *   4. Writes the EXPLAIN (ANALYZE, BUFFERS) of the board's stay and tasks queries to bench/work/discharge-plan.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { restrictionFor } from '../src/access/policy/index.js';
import { recordedByTag } from '../src/access/policy/policy-codes.js';
import type { StaffPrincipal } from '../src/access/principal.js';
import type { Queryable } from '../src/db/database.js';
import { DischargeBoardRepository } from '../src/discharge/discharge-board.repository.js';
import { BOARD_PAGE_SIZE } from '../src/discharge/discharge-board.service.js';
import { dayNumber, isoDay } from '../src/discharge/discharge.rules.js';
import {
  AT_HOME_91, conceptOf, DELAY_REASON_SYSTEM, DELAY_REASONS, DISCHARGE_TASK_SYSTEM, DISCHARGE_TASKS, EXT, PATHWAY_SYSTEM, PATHWAYS, REABLEMENT_EPISODE,
  type DelayReason, type DischargeTaskType, type Pathway,
} from '../src/discharge/discharge.vocabulary.js';
import { longStays, reablement91 } from '../src/discharge/reablement-91.js';
import { importItems } from '../src/fhir/import.service.js';
import type { Platform } from '../src/platform.js';
import { TASK_KIND_SYSTEM } from '../src/workflow/task.vocabulary.js';
import { BOARD_TARGET_MS, FIGURE_TARGET_MS, INPATIENTS_PER_TRUST, type DischargeBenchResult } from './discharge.report.js';
import { hash32, patientId } from './fixtures.js';
import { percentile } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORK = join(ROOT, 'bench', 'work');
const DAY = 86_400_000;
const TRUST = 'bench-trust';
const OTHER_TRUSTS = ['bench-trust-2', 'bench-trust-3', 'bench-trust-4', 'bench-trust-5'];
const COUNCILS = ['bench-kcc', 'bench-medway'];
const PARTNERS = ['bench-council-pool', 'bench-community', 'bench-transport'];
const REASONS = Object.keys(DELAY_REASONS) as DelayReason[];
const TASK_TYPES: DischargeTaskType[] = ['care-package', 'community-nursing', 'transport', 'equipment', 'home-from-hospital'];
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   discharge: ${m}\n`);

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
      const pid = patientId(h % o.patients);
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
    const pid = patientId(h % o.patients);
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

const sorted = (xs: number[]) => Float64Array.from(xs).sort();
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


/** Who the board is measured as: a discharge coordinator acting for the bench trust. */
export const BENCH_COORDINATOR = { role: 'discharge-coordinator', organizationId: TRUST, practitionerId: 'bench-dc', displayName: 'Dee Bench' } as const;

export interface DischargeBenchOptions {
  platform: Platform;
  /** The bench server's address (bench/run.ts serves the platform before the record's scenarios). */
  url: string;
  patients: number;
  quick: boolean;
  /** Signs a user in with this membership over HTTP and returns the headers of their session. */
  signIn: (who: typeof BENCH_COORDINATOR) => Promise<Record<string, string>>;
}

/** Adds the discharge world to the dataset's database and measures the board and the figures (see the top of this file). */
export async function benchDischarge(o: DischargeBenchOptions): Promise<DischargeBenchResult> {
  const { platform, patients } = o;
  const db = platform.db;
  const inpatients = INPATIENTS_PER_TRUST;
  const requests = o.quick ? 20 : 100;
  const now = platform.clock.now();
  await importItems(platform, directory());
  const d = await importItems(platform, discharges({ patients, inpatients, now }));
  if (d.rejected.length) throw new Error(`discharges rejected: ${JSON.stringify(d.rejected.slice(0, 3))}`);
  log(`imported ${d.imported} discharge resources in ${d.seconds.toFixed(1)} s`);
  await db.query('ANALYZE');

  // The board, as the coordinator's browser asks for it.
  const headers = await o.signIn(BENCH_COORDINATOR);
  const get = async () => {
    const res = await fetch(`${o.url}/discharge`, { headers: { ...headers, accept: 'text/html' } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /discharge answered ${res.status}: ${body.slice(0, 300)}`);
    return body;
  };
  const first = await get();
  // The board counts (and sums the delay days of) every stay it may show, and lists the first page of them.
  const counted = Number(/In hospital \(shown to you\)<\/dt>\s*<dd[^>]*>(\d+)</.exec(first)?.[1] ?? 0);
  const shown = (first.match(/href="\/discharge\/stays\//g) ?? []).length;
  if (counted < inpatients) throw new Error(`the board counted ${counted} stays, not the bench trust's ${inpatients}: the coordinator would see too little to measure`);
  if (shown < Math.min(inpatients, BOARD_PAGE_SIZE)) throw new Error(`the board listed ${shown} stays, not a page of ${BOARD_PAGE_SIZE}`);
  // The ceiling: the same stays and their people, one plain statement on the same pool.
  const plain = () => db.query(
    `SELECT r.content, pt.content AS patient FROM discharge_stay d JOIN resource r ON r.rid = d.rid AND NOT r.deleted
       JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = d.patient_id AND NOT pt.deleted
      WHERE d.provider_org = $1 AND d.status = 'in-progress'`, [TRUST]);
  const board: number[] = [];
  const ceiling: number[] = [];
  const loads: number[] = [loadavg()[0]];
  for (let i = 0; i < requests; i++) {
    ceiling.push((await time(plain))[1]);
    board.push((await time(get))[1]);
  }
  loads.push(loadavg()[0]);
  log(`board: ${counted} stays counted, ${shown} listed; p95 ${percentile(sorted(board), 95).toFixed(0)} ms against a plain read's ${percentile(sorted(ceiling), 95).toFixed(0)} ms`);

  // The figures, each beside a plain count of the same rows, three times (the slowest is judged).
  const year = now.getUTCFullYear() - 1;
  const plain91 = () => db.query(
    `SELECT count(*) FROM resource r WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted
       AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'EpisodeOfCare' AND t.code = 'type' AND t.value = 'reablement')
       AND r.rid IN (SELECT d.rid FROM sp_date d WHERE d.resource_type = 'EpisodeOfCare' AND d.code = 'date' AND d.low >= $1::timestamptz AND d.low < $2::timestamptz)`,
    [`${year}-10-01T00:00:00Z`, `${year + 1}-01-01T00:00:00Z`]);
  const plainLong = () => db.query(`SELECT count(*) FROM discharge_stay d JOIN resource r ON r.rid = d.rid AND NOT r.deleted WHERE d.status = 'in-progress'`);
  const r91: number[] = [];
  const c91: number[] = [];
  const rLong: number[] = [];
  const cLong: number[] = [];
  let fig91: Awaited<ReturnType<typeof reablement91>> | undefined;
  let figLong: Awaited<ReturnType<typeof longStays>> | undefined;
  for (let i = 0; i < 3; i++) {
    c91.push((await time(plain91))[1]);
    const [a, ams] = await time(() => reablement91(db, { now, year }));
    r91.push(ams);
    cLong.push((await time(plainLong))[1]);
    const [b, bms] = await time(() => longStays(db, { now }));
    rLong.push(bms);
    fig91 = a;
    figLong = b;
  }
  loads.push(loadavg()[0]);

  // The board's stay and tasks queries, as the repository builds them for this coordinator (the tasks
  // of the 50 longest stays, a first page's people).
  const principal: StaffPrincipal = {
    kind: 'staff', id: 'bench-dc-user', displayName: BENCH_COORDINATOR.displayName, via: 'session', credentialId: 'bench', role: BENCH_COORDINATOR.role,
    organizationId: TRUST, organizationIds: [TRUST], practitionerId: BENCH_COORDINATOR.practitionerId,
  };
  const repo = new DischargeBoardRepository();
  const restriction = restrictionFor(principal, now);
  const explain = async (title: string, run: (q: Queryable) => Promise<unknown>) => {
    const cap = capturing(db);
    await run(cap);
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${cap.last!.sql}`, cap.last!.params);
    return `## ${title}\n\n\`\`\`sql\n${cap.last!.sql}\n\`\`\`\n\n\`\`\`\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\`\n`;
  };
  let stays: { patient_id: string }[] = [];
  const stayPlan = await explain('The stays (every stay the coordinator may see: the counts are over all of them)', async (q) => {
    stays = await repo.currentStays(q, restriction, { org: TRUST, limit: 2000 });
  });
  const taskPlan = await explain(`The discharge tasks of a page's people (the ${BOARD_PAGE_SIZE} longest stays)`, (q) => repo.tasksFor(q, restriction, stays.slice(0, BOARD_PAGE_SIZE).map((r) => r.patient_id)));
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, 'discharge-plan.md'), `# The discharge board's queries (${patients} patients, ${inpatients} inpatients per trust)\n\n${stayPlan}\n${taskPlan}`);

  const slow = (xs: number[]) => Math.max(...xs);
  const fig = (ms: number[], plainMs: number[]) => ({ ms: slow(ms), runsMs: ms, plainCountMs: slow(plainMs), ratio: slow(ms) / slow(plainMs), met: slow(ms) < FIGURE_TARGET_MS });
  const f91 = fig91!;
  const fl = figLong!;
  return {
    inpatientsPerTrust: inpatients, trusts: 1 + OTHER_TRUSTS.length, resourcesAdded: d.imported + 1 + OTHER_TRUSTS.length + COUNCILS.length + PARTNERS.length + 1,
    loadAvg1m: Math.max(...loads),
    board: {
      requests, counted, shown, p50Ms: percentile(sorted(board), 50), p95Ms: percentile(sorted(board), 95), p99Ms: percentile(sorted(board), 99),
      ceilingP50Ms: percentile(sorted(ceiling), 50), ceilingP95Ms: percentile(sorted(ceiling), 95),
      ratio: percentile(sorted(board), 95) / percentile(sorted(ceiling), 95), met: percentile(sorted(board), 95) < BOARD_TARGET_MS,
    },
    reablement91: {
      ...fig(r91, c91), year, discharges: f91.total.discharges, percent: f91.total.percent,
      byCouncil: f91.authorities.map((a) => ({ name: a.authority.name, discharges: a.discharges, atHome: a.atHome, unknown: a.unknown, percent: a.percent })),
    },
    longStays: { ...fig(rLong, cLong), inpatients: fl.total.inpatients, los21: fl.total.los21, los21NotMeetingCriteria: fl.total.los21NotMeetingCriteria },
  };
}
