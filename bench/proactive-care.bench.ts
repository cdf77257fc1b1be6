/**
 * Proactive care (issue 12): the electronic Frailty Index's throughput, a cohort count's p95 and the
 * case-finding list's p95. Measured here, never asserted in a test.
 *
 *   1. Loads N synthetic residents (src/synth, the whole-county default, seed 2024) through the record's
 *      bulk import path, on a throwaway PostgreSQL cluster (Debian's binaries, bench/postgres.ts).
 *   2. eFI: FrailtyService.computeAll over everyone (RiskAssessments written for everyone 65+, person_risk
 *      for all), timed; then the same batches' rows only read (each person's entries through the
 *      reference index, their JSON fetched): the ratio says what the computation costs over reading.
 *      Extrapolated to 1.9 million people 65+ (and the whole population they sit in) at the measured rate.
 *   3. Cohort count: CohortService.evaluate for a user of one practice with six criteria (age, eFI
 *      category, admissions, no care plan, no named professional, a condition code set), sequentially.
 *   4. Case finding: CaseFindingService.list for the GP of the practice with the most people 65+.
 *
 * Each figure stands beside a ceiling measured in the same run on the same database: the eFI beside
 * reading the same rows; the cohort count beside one plain count of the same person_risk rows; the
 * case-finding list beside reading the listed people's person_risk rows by key.
 *
 * Part of `npm run bench` (bench/run.ts: at the largest of --sizes, 2,000 with --quick; its figures go
 * into bench/results/latest.json as `proactiveCare` and bench/results/proactive-care.json), or on its own:
 *   npm run build && node dist/bench/proactive-care.bench.js                 20,000 residents
 *   node dist/bench/proactive-care.bench.js --residents=100000 --requests=100 --note="…"
 *
 * At 100,000 residents: about 1.5 million resources, generated and imported as a stream (the synthetic
 * generator yields one resident's resources at a time; importItems holds a few batches of 500), so
 * memory stays that of a few batches; the time is the import's (at the import rate measured by
 * `npm run bench`, resources ÷ rate) plus the eFI pass.
 *
 * Writes bench/results/proactive-care.json and the "Proactive care" section of bench/RESULTS.md
 * (between markers, kept by `npm run bench`: see renderProactiveCareSection).
 */
import { mergeMarkedSection, shortCommit } from './report.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StaffPrincipal } from '../src/access/principal.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { importItems } from '../src/fhir/import.service.js';
import { createPlatform, type Platform } from '../src/platform.js';
import type { Criterion } from '../src/proactive-care/cohort.criteria.js';
import { CohortRepository } from '../src/proactive-care/cohort.repository.js';
import { restrictionFor } from '../src/access/policy/row-restriction.js';
import { efiCodeSets } from '../src/proactive-care/efi.vocabulary.js';
import { synthesize } from '../src/synth/index.js';
import { startCluster, type Cluster } from './postgres.js';
import { profileLink } from './profile-links.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BENCH = join(ROOT, 'bench');
export const PROACTIVE_START = '<!-- proactive-care-bench:start -->';
export const PROACTIVE_END = '<!-- proactive-care-bench:end -->';
const TARGETS = { efiMinutesAt19m: 10, cohortP95: 1000, caseFindingP95: 300 };
/** The issue's population: Kent and Medway's 1.9 million residents, the eFI computed for everyone 65+ among them. */
const POPULATION_TARGET = 1_900_000;
const AS_OF = '2025-07-01';

const log = (m: string) => console.log(`[proactive-care-bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Latency { p50: number; p95: number; mean: number; n: number }

export interface ProactiveCareBenchResult {
  date: string;
  commit: string;
  residents: number;
  resources: number;
  older: number;
  efi: {
    seconds: number; peoplePerSecond: number; olderPerSecond: number; resourcesPerSecond: number; written: number;
    readSeconds: number; readRows: number; ratioToRead: number; extrapolatedMinutesFor19m: number;
  };
  cohort: Latency & { patients: number; criteria: number; ceiling?: Latency };
  caseFinding: Latency & { listed: number; ceiling?: Latency };
  cores: number;
  loadAvg1m: number;
  note?: string;
}

function latency(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length };
}

const staff = (organizationId: string, role: StaffPrincipal['role']): StaffPrincipal => ({
  kind: 'staff', id: `bench-${role}`, displayName: 'Bench', role, organizationId, organizationIds: [organizationId], via: 'session', credentialId: 'bench',
});

/** Reads the same people's rows as one eFI batch does, without computing: the floor the computation is compared with. */
async function readOnly(db: Database): Promise<{ seconds: number; rows: number }> {
  const started = performance.now();
  let rows = 0;
  let after = '0';
  for (;;) {
    const batch = await db.query<{ rid: string; id: string }>(`SELECT r.rid::text AS rid, r.id FROM resource r WHERE r.resource_type = 'Patient' AND NOT r.deleted AND r.rid > $1::bigint ORDER BY r.rid LIMIT 1000`, [after]);
    if (batch.rows.length === 0) break;
    after = batch.rows[batch.rows.length - 1].rid;
    const r = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT length(r.content) FROM sp_reference ref JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
        WHERE ref.resource_type IN ('Condition', 'Observation', 'MedicationRequest', 'Encounter', 'RelatedPerson') AND ref.code IN ('subject', 'patient')
          AND ref.target_type = 'Patient' AND ref.target_id = ANY($1::text[])) x`,
      [batch.rows.map((b) => b.id)],
    );
    rows += r.rows[0].n + batch.rows.length;
  }
  return { seconds: (performance.now() - started) / 1000, rows };
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export function renderProactiveCareSection(r: ProactiveCareBenchResult): string {
  const met = (b: boolean) => (b ? 'met' : 'not met');
  const n = (x: number) => Math.round(x).toLocaleString('en-GB');
  const ms = (l: Latency | undefined) => (l ? `p50 ${l.p50.toFixed(1)} ms, p95 ${l.p95.toFixed(1)} ms` : 'not measured in this run');
  const missed = r.efi.extrapolatedMinutesFor19m >= TARGETS.efiMinutesAt19m || r.cohort.p95 >= TARGETS.cohortP95 || r.caseFinding.p95 >= TARGETS.caseFindingP95;
  const scale = r.residents < 100_000
    ? ` Measured at ${n(r.residents)} residents, not the 100,000 the cohort and case-finding targets name: "met" says only that this size meets them.`
    : '';
  return `${PROACTIVE_START}
## Proactive care (eFI, cohorts, case finding)

${r.date}, commit ${r.commit}, ${r.cores} cores (load average ${r.loadAvg1m.toFixed(1)} at the end): ${n(r.residents)} synthetic residents (${n(r.resources)} resources), ${n(r.older)} aged 65+, on a throwaway PostgreSQL cluster. Each figure beside a ceiling from the same run.${scale}${r.note ? ` ${r.note}` : ''}

| measure | figure | ceiling (same run) | target | |
|---|---|---|---|---|
| eFI for everyone (RiskAssessments for 65+, person_risk for all) | ${r.efi.seconds.toFixed(1)} s: ${n(r.efi.peoplePerSecond)} people/s, ${n(r.efi.olderPerSecond)} people 65+/s, ${n(r.efi.resourcesPerSecond)} resources/s read (${n(r.efi.written)} RiskAssessments written) | reading the same rows only: ${r.efi.readSeconds.toFixed(1)} s (${n(r.efi.readRows)} rows); the computation takes ${r.efi.ratioToRead.toFixed(1)}× the read | | |
| eFI for everyone 65+ in a population of 1.9 million, extrapolated from this run's people/s (the pass reads everyone, so its time grows with the population) | ${r.efi.extrapolatedMinutesFor19m.toFixed(1)} minutes | | under ${TARGETS.efiMinutesAt19m} minutes | ${met(r.efi.extrapolatedMinutesFor19m < TARGETS.efiMinutesAt19m)} |
| cohort count, ${r.cohort.criteria} criteria over ${n(r.cohort.patients)} patients (${r.cohort.n} sequential) | ${ms(r.cohort)} | one plain count of the same person_risk rows: ${ms(r.cohort.ceiling)} | p95 under 1 s at 100,000 patients | ${met(r.cohort.p95 < TARGETS.cohortP95)} |
| case-finding list (${r.caseFinding.listed} people listed; ${r.caseFinding.n} sequential) | ${ms(r.caseFinding)} | the listed people's person_risk rows read by key: ${ms(r.caseFinding.ceiling)} | p95 under 300 ms | ${met(r.caseFinding.p95 < TARGETS.caseFindingP95)} |
${missed ? `\nWhat bounds the targets not met: ${profileLink('efi')}.\n` : ''}${PROACTIVE_END}`;
}

export function mergeProactiveCareSection(markdown: string, section: string): string {
  return mergeMarkedSection(markdown, PROACTIVE_START, PROACTIVE_END, section);
}

/**
 * Runs the proactive care benchmark on a throwaway cluster of its own and writes its figures
 * (bench/results/proactive-care.json and the RESULTS.md section); returns them.
 */
export async function benchProactiveCare(o: { residents: number; requests: number; note?: string }): Promise<ProactiveCareBenchResult> {
  const { residents, requests, note } = o;
  let cluster: Cluster | undefined;
  let platform: Platform | undefined;
  try {
    cluster = await startCluster();
    const db = await openDatabase({ databaseUrl: cluster.url, poolSize: 10 });
    platform = await createPlatform({ ...loadConfig(), databaseUrl: undefined, logLevel: 'warn' }, db, { startImportWorkers: true });
    const now = new Date(`${AS_OF}T12:00:00Z`);
    platform.clock.now = () => now;
    log(`loading ${residents.toLocaleString('en-GB')} synthetic residents`);
    const items = (function* () {
      let n = 0;
      for (const resource of synthesize({ residents, seed: 2024, asOf: AS_OF })) yield { resource, source: `synth #${++n}` };
    })();
    let lastLog = performance.now();
    const loaded = await importItems(platform, items, (done) => {
      if (performance.now() - lastLog < 30_000) return;
      lastLog = performance.now();
      log(`  import: ${done.toLocaleString('en-GB')} resources, RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
    });
    if (loaded.rejected.length > 0) throw new Error(`The import rejected ${loaded.rejected.length} resources, e.g. ${loaded.rejected[0].reason}`);
    log(`loaded ${loaded.imported.toLocaleString('en-GB')} resources in ${loaded.seconds.toFixed(0)} s`);
    await db.query('ANALYZE');
    efiCodeSets();

    log('eFI: computing for everyone');
    const run = await platform.proactiveCare.frailty.computeAll();
    log(`eFI: ${run.people} people, ${run.older} 65+, ${run.written} written in ${run.seconds.toFixed(1)} s`);
    await db.query('ANALYZE person_risk');
    const read = await readOnly(db);
    log(`read only: ${read.rows} rows in ${read.seconds.toFixed(1)} s`);
    // The pass walks everyone (person_risk for all, the eFI for 65+), so 1.9 million people take 1.9 million ÷ people/s.
    const extrapolatedSeconds = POPULATION_TARGET / (run.people / run.seconds);

    // The practice with the most people the case-finding list could name (moderate or severe frailty, an
    // emergency admission): chosen by people 65+ alone, the list was empty at 20,000 residents and measured nothing.
    const busiest = await db.query<{ practice_id: string }>(
      `SELECT practice_id FROM person_risk WHERE efi_category IS NOT NULL GROUP BY practice_id
        ORDER BY count(*) FILTER (WHERE efi_category IN ('moderate', 'severe') AND emergency_admissions >= 1) DESC, count(*) DESC, practice_id LIMIT 1`);
    const practice = busiest.rows[0].practice_id;
    const gp = staff(practice, 'gp');
    const criteria: Criterion[] = [
      { name: 'age', min: 65 }, { name: 'efi', values: ['moderate', 'severe'] }, { name: 'admissions', min: 1 },
      { name: 'care-plan', none: true }, { name: 'named-professional', none: true },
      { name: 'condition', set: 'efi:hypertension', codes: efiCodeSets().byKey.get('hypertension')!.codes },
    ];
    const { cohorts, caseFinding } = platform.proactiveCare;
    await cohorts.evaluate(gp, criteria, now);
    const cohortMs = await timed(requests, () => cohorts.evaluate(gp, criteria, now));
    // Where a cohort's time goes: the counts after each criterion, and the named members under the row restriction.
    const repo = new CohortRepository(db);
    const countsMs = latency(await timed(5, () => repo.stepCounts(criteria, AS_OF)));
    const membersMs = latency(await timed(5, () => repo.members(criteria, AS_OF, restrictionFor(gp, now), 100)));
    log(`cohort parts: counts p50 ${countsMs.p50.toFixed(0)} ms, members p50 ${membersMs.p50.toFixed(0)} ms`);
    const first = await caseFinding.list(gp, now);
    const caseMs = await timed(requests, () => caseFinding.list(gp, now));
    // Ceilings from the same run and database: a plain count of the rows the cohort counts, and the listed people's rows by key.
    const cohortCeiling = latency(await timed(requests, () => db.query('SELECT count(*) FROM person_risk WHERE practice_id = $1', [practice])));
    const listedIds = first.members.map((m) => m.id);
    const caseCeiling = latency(await timed(requests, () => db.query('SELECT * FROM person_risk WHERE patient_id = ANY($1::text[])', [listedIds])));

    const result: ProactiveCareBenchResult = {
      date: new Date().toISOString().slice(0, 10), commit: shortCommit(ROOT), residents, resources: loaded.imported, older: run.older,
      efi: {
        seconds: run.seconds, peoplePerSecond: run.people / run.seconds, olderPerSecond: run.older / run.seconds,
        resourcesPerSecond: read.rows / run.seconds, written: run.written,
        readSeconds: read.seconds, readRows: read.rows, ratioToRead: run.seconds / read.seconds, extrapolatedMinutesFor19m: extrapolatedSeconds / 60,
      },
      cohort: { ...latency(cohortMs), patients: run.people, criteria: criteria.length, ceiling: cohortCeiling },
      caseFinding: { ...latency(caseMs), listed: first.members.length, ceiling: caseCeiling },
      cores: cpus().length, loadAvg1m: loadavg()[0], note,
    };
    mkdirSync(join(BENCH, 'results'), { recursive: true });
    writeFileSync(join(BENCH, 'results', 'proactive-care.json'), `${JSON.stringify(result, null, 2)}\n`);
    const md = join(BENCH, 'RESULTS.md');
    writeFileSync(md, mergeProactiveCareSection(existsSync(md) ? readFileSync(md, 'utf8') : '# Benchmark results\n', renderProactiveCareSection(result)));
    log(`cohort p95 ${result.cohort.p95.toFixed(0)} ms; case finding p95 ${result.caseFinding.p95.toFixed(0)} ms; eFI for 1.9M people: ${result.efi.extrapolatedMinutesFor19m.toFixed(1)} min`);
    return result;
  } finally {
    await platform?.close().catch(() => undefined);
    cluster?.stop();
  }
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
  await benchProactiveCare({ residents: arg('residents', 20_000), requests: arg('requests', 50), note: process.argv.find((a) => a.startsWith('--note='))?.slice(7) });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
