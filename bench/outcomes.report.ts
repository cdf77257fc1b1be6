/**
 * The outcomes framework's figures in `npm run bench` (issue 14's Speed section): what
 * bench/outcomes.bench.ts measures, its targets, and how RESULTS.md shows them. Kept apart from the
 * measuring so the section can be rendered (and tested) without a database.
 */
import { mergeMarkedSection } from './report.js';
import { profileLink } from './profile-links.js';
import type { PageAgainstCeiling } from './stats.js';

/** The issue's targets: every computable indicator for every place and stratifier over 1.9 million residents in under 60 s; the dashboard p95 under 300 ms at 100,000 patients. */
export const EVALUATION_TARGET_SECONDS = 60;
export const DASHBOARD_TARGET_MS = 300;
export const POPULATION_TARGET = 1_900_000;
export const OUTCOMES_START = '<!-- outcomes-bench:start -->';
export const OUTCOMES_END = '<!-- outcomes-bench:end -->';

export interface OutcomesIndicatorTiming {
  id: string;
  /** cubeSql on PostgreSQL. */
  cubeMs: number;
  /** The practices' names and networks, then protectAll (JS) over the cube: the rest of MeasureEvaluationService.evaluate. */
  protectMs: number;
  /** The same statement on DuckDB (absent when DuckDB was not run). */
  duckdbMs?: number;
  /** count(*) and sum(length(content)) of the rows the indicator reads (Patients and its coded rows), no JSON parsed. */
  plainMs: number;
  plainRows: number;
  cells: number;
  /** The exact (unprotected) totals, the same on both engines. */
  num: number;
  den: number;
}

export interface OutcomesEvaluationRun {
  residents: number;
  resources: number;
  tokens: number;
  refs: number;
  /** Generation + COPY (bench/outcomes.load.ts). */
  loadSeconds: number;
  analyseSeconds: number;
  /** The derived tables the indicators read, filled after the COPY by the product's backfill (absent in runs from before them). */
  derivedSeconds?: number;
  /** resource + sp_token + sp_reference on disk with their indexes. */
  bytes: number;
  period: { start: string; end: string };
  indicators: OutcomesIndicatorTiming[];
  /** Every record indicator evaluated on PostgreSQL: the residents' table once, then each cube + protectAll, one after another. */
  postgresSeconds: number;
  /** The period's residents written once into the run's `person` table (PERSON_TABLE); absent in runs from before it existed. */
  residentsSeconds?: number;
  cubeSeconds: number;
  protectSeconds: number;
  plainSeconds: number;
  duckdb?: {
    loadSeconds: number;
    bytes: number;
    /** The same residents' table, once (absent in runs from before it existed). */
    residentsSeconds?: number;
    cubeSeconds: number;
    /** DuckDB's residents' table and cubes plus the same protectAll time as PostgreSQL's run (the JS is the same work on the same cells). */
    seconds: number;
    /** PostgreSQL end to end / DuckDB end to end. */
    ratio: number;
    cubeRatio: number;
    /** Every indicator's cube was equal, cell by cell (the bench throws otherwise). */
    equal: boolean;
  };
  loadAvg1m: number;
  /** The slowest indicator; its EXPLAIN (ANALYZE, BUFFERS) is in bench/work/outcomes-plan-<residents>.md. */
  slowest: string;
}

/** The dashboard; its ceiling: the same stored rows (the system's trends) and the residents count, read by plain statements on the same server and pool. */
export interface OutcomesDashboard extends PageAgainstCeiling {
  residents: number;
  /** Quarters evaluated and stored before the page is read (the nightly run's four), and how long that took. */
  quarters: number;
  storedRows: number;
  refreshSeconds: number;
  loadAvg1m: number;
}

export interface OutcomesBenchResult {
  date: string;
  commit: string;
  cores: number;
  quick: boolean;
  dashboard?: OutcomesDashboard;
  runs: OutcomesEvaluationRun[];
  note?: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en-GB');
const s1 = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const ms = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toString());
const verdict = (met: boolean) => (met ? 'met' : '**not met**');
/** The residents' table's share, when the run wrote one (runs before it parsed the Patients in every cube). */
const residents = (x: number | undefined) => (x === undefined ? '' : `the residents' table once ${s1(x)} s + `);
const gb = (b: number) => `${(b / 1e9).toFixed(1)} GB`;

/** Seconds for 1.9 million residents at this run's rate (the statements read every resident and their records once: linear in the population). */
export function extrapolateSeconds(run: Pick<OutcomesEvaluationRun, 'residents'>, seconds: number): number {
  return (seconds * POPULATION_TARGET) / run.residents;
}

function runRows(r: OutcomesEvaluationRun): string[] {
  const full = r.residents >= POPULATION_TARGET;
  const d = r.duckdb;
  const extra = full ? '' : ` (measured at ${int(r.residents)}; at 1.9 million, extrapolated linearly: ${s1(extrapolateSeconds(r, r.postgresSeconds))} s)`;
  const target = `< ${EVALUATION_TARGET_SECONDS} s at 1.9 million residents`;
  const met = full ? verdict(r.postgresSeconds < EVALUATION_TARGET_SECONDS) : `${verdict(extrapolateSeconds(r, r.postgresSeconds) < EVALUATION_TARGET_SECONDS)} (extrapolated)`;
  return [
    `| All ${r.indicators.length} record indicators for every place and stratifier, ${r.period.start} to ${r.period.end}, PostgreSQL, ${int(r.residents)} residents (${int(r.resources)} resources) | ${s1(r.postgresSeconds)} s${extra}: ${residents(r.residentsSeconds)}cubes ${s1(r.cubeSeconds)} s + places and protection ${s1(r.protectSeconds)} s | ${s1(r.plainSeconds)} s: count(*) and length of the same rows; ${(r.postgresSeconds / r.plainSeconds).toFixed(1)}× | ${target} | ${met} |`,
    d
      ? `| The same on DuckDB (the same rows exported from PostgreSQL as CSV, loaded in ${s1(d.loadSeconds)} s; ${gb(d.bytes)}) | ${s1(d.seconds)} s: ${residents(d.residentsSeconds)}cubes ${s1(d.cubeSeconds)} s + the same protection | PostgreSQL / DuckDB: ${d.ratio.toFixed(1)}× end to end, ${d.cubeRatio.toFixed(1)}× the cubes | reference | cubes equal to PostgreSQL's for every indicator: ${d.equal ? 'yes' : '**no**'} |`
      : '| The same on DuckDB | not run (--outcomes-duckdb=false) | | reference | |',
  ];
}

function indicatorTable(r: OutcomesEvaluationRun): string {
  const head = '| Indicator | PostgreSQL cube | protection | DuckDB cube | plain count (rows) | cells | numerator / denominator |\n|---|---:|---:|---:|---:|---:|---:|';
  const rows = r.indicators.map((i) => `| ${i.id} | ${ms(i.cubeMs)} ms | ${ms(i.protectMs)} ms | ${i.duckdbMs === undefined ? '' : `${ms(i.duckdbMs)} ms`} | ${ms(i.plainMs)} ms (${int(i.plainRows)}) | ${int(i.cells)} | ${int(i.num)} / ${int(i.den)} |`);
  return [head, ...rows].join('\n');
}

export function renderOutcomesSection(r: OutcomesBenchResult): string {
  const out: string[] = [OUTCOMES_START, '## Outcomes (issue 14: every indicator, PostgreSQL against DuckDB; the dashboard)', ''];
  out.push(`${r.date}, commit ${r.commit}, ${r.cores} cores${r.quick ? ', a --quick smoke run' : ''}. The synthetic population of src/synth (seed 2024, as of 2025-07-01, county-wide) written with COPY straight into \`resource\` and the index rows the indicators read (\`sp_token\` code/type, \`sp_reference\` subject: bench/outcomes.load.ts), each size in a fresh database of a throwaway PostgreSQL cluster (bench/postgres.ts). Each figure beside a ceiling from the same run.${r.note ? ` ${r.note}` : ''}`, '');
  out.push('| Measure | Figure | Ceiling (same run) and ratio | Target | Met |', '|---|---|---|---|---|');
  const b = r.dashboard;
  if (b) {
    out.push(`| The dashboard, \`GET /outcomes\` signed in as an ICB analyst, from stored reports (${b.quarters} quarters × every indicator and place, ${int(b.storedRows)} rows), ${int(b.residents)} residents, ${b.requests} requests one at a time | p50 ${ms(b.p50Ms)} / p95 ${ms(b.p95Ms)} / p99 ${ms(b.p99Ms)} ms | p50 ${ms(b.ceilingP50Ms)} / p95 ${ms(b.ceilingP95Ms)} ms: the system's stored trends and the residents count by plain statements on the same server and pool; ${b.ratio.toFixed(1)}× | p95 < ${DASHBOARD_TARGET_MS} ms at 100,000 patients${b.residents < 100_000 ? ` (measured at ${int(b.residents)})` : ''} | ${verdict(b.met)} |`);
  }
  for (const run of r.runs) out.push(...runRows(run));
  out.push('');
  const missed = (b && !b.met) || r.runs.some((run) => extrapolateSeconds(run, run.postgresSeconds) >= EVALUATION_TARGET_SECONDS);
  if (missed) out.push(`What bounds the targets not met: ${profileLink('outcomes')}.`, '');
  if (b) out.push(`The dashboard's four quarters were evaluated and stored first (the nightly run): ${s1(b.refreshSeconds)} s at ${int(b.residents)} residents. Load average up to ${b.loadAvg1m.toFixed(1)}.`, '');
  for (const run of r.runs) {
    out.push(`### ${int(run.residents)} residents`, '',
      `Loading (generation + COPY, bench-only): ${int(run.resources)} resources, ${int(run.tokens)} token rows, ${int(run.refs)} reference rows in ${s1(run.loadSeconds)} s (${int(run.resources / run.loadSeconds)} resources/s), ANALYZE ${s1(run.analyseSeconds)} s, ${gb(run.bytes)} on disk with indexes.${run.derivedSeconds !== undefined ? ` Then the derived tables the indicators read (residents' facts, the indicators' rows) filled from the loaded JSON by the product's own backfill in ${s1(run.derivedSeconds)} s (not in the evaluation's time: in production each write keeps its rows, in its own statement).` : ''} Load average up to ${run.loadAvg1m.toFixed(1)}. The slowest indicator is ${run.slowest}: its plan is in \`bench/work/outcomes-plan-${run.residents}.md\`.`, '',
      indicatorTable(run), '');
  }
  out.push(OUTCOMES_END);
  return out.join('\n');
}

export function mergeOutcomesSection(markdown: string, section: string): string {
  return mergeMarkedSection(markdown, OUTCOMES_START, OUTCOMES_END, section);
}
