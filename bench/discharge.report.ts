import type { PageAgainstCeiling } from './stats.js';

/**
 * Discharge's figures in `npm run bench` (issue 13's Speed section): what bench/discharge.bench.ts
 * measures on each dataset, its targets, and how RESULTS.md shows them. Kept apart from the
 * measuring so the report can be rendered (and tested) without a database.
 */

/** The issue's targets: the board p95 under 300 ms; each figure computed in under 5 s (at 100,000 patients). */
export const BOARD_TARGET_MS = 300;
export const FIGURE_TARGET_MS = 5_000;
/** The bench trust's inpatients: "a trust with 1,000 inpatients". */
export const INPATIENTS_PER_TRUST = 1_000;

export interface DischargeFigureTiming {
  /** The slowest of the runs: what is judged. */
  ms: number;
  runsMs: number[];
  /** The slowest plain count(*) of the same rows, run just before each. */
  plainCountMs: number;
  ratio: number;
  met: boolean;
}

export interface DischargeBenchResult {
  inpatientsPerTrust: number;
  trusts: number;
  resourcesAdded: number;
  loadAvg1m: number;
  /** The board; its ceiling: the same stays and people read by one plain statement, one request at a time in the same loop. */
  board: PageAgainstCeiling & {
    /** Stays counted on the board (its counts and delay days are over all of them); absent in runs before the board had pages. */
    counted?: number;
    /** Stays listed on the page the coordinator got. */
    shown: number;
  };
  reablement91: DischargeFigureTiming & {
    year: number;
    discharges: number;
    percent?: number;
    byCouncil: { name: string; discharges: number; atHome: number; unknown: number; percent?: number }[];
  };
  longStays: DischargeFigureTiming & { inpatients: number; los21: number; los21NotMeetingCriteria: number };
}

const int = (n: number) => Math.round(n).toLocaleString('en-GB');
const ms = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toString());
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

/** The discharge table of one dataset. */
export function renderDischargeTable(d: DischargeBenchResult, patients: number): string {
  const b = d.board;
  const r = d.reablement91;
  const l = d.longStays;
  const councils = r.byCouncil.map((c) => `${c.name} ${c.atHome}/${c.discharges}${c.percent === undefined ? '' : ` (${c.percent}%)`}, ${c.unknown} unknown`).join('; ');
  return [
    `| Measure | Figure | Ceiling (same run) | Ratio to ceiling | Target | Met |`,
    '|---|---:|---:|---:|---|---|',
    `| The board, \`GET /discharge\` signed in as the trust's discharge coordinator (${b.counted === undefined ? `${int(b.shown)} stays shown` : `${int(b.counted)} stays counted, the first ${int(b.shown)} listed`}), ${b.requests} requests one at a time | p50 ${ms(b.p50Ms)} / p95 ${ms(b.p95Ms)} / p99 ${ms(b.p99Ms)} ms | p50 ${ms(b.ceilingP50Ms)} / p95 ${ms(b.ceilingP95Ms)} ms: the same stays with their Encounter and Patient rows, one plain statement | ${b.ratio.toFixed(1)}× | p95 < ${BOARD_TARGET_MS} ms (at 100,000 patients) | ${verdict(b.met)} |`,
    `| The 91-day figure (ASCOF 2B, discharges 1 October–31 December ${r.year}) for Kent and for Medway, \`reablement91()\`: ${int(r.discharges)} discharges 65+; ${councils} | ${ms(r.ms)} ms (slowest of ${r.runsMs.length}: ${r.runsMs.map(ms).join(', ')}) | ${ms(r.plainCountMs)} ms: count(*) of the same reablement episodes | ${r.ratio.toFixed(1)}× | < ${int(FIGURE_TARGET_MS)} ms (at 100,000 patients) | ${verdict(r.met)} |`,
    `| The 21+ day figure for every trust, \`longStays()\`: ${int(l.inpatients)} in hospital, ${int(l.los21)} 21+ days, ${int(l.los21NotMeetingCriteria)} of them no longer meeting the criteria to reside | ${ms(l.ms)} ms (slowest of ${l.runsMs.length}: ${l.runsMs.map(ms).join(', ')}) | ${ms(l.plainCountMs)} ms: count(*) of the same stays | ${l.ratio.toFixed(1)}× | < ${int(FIGURE_TARGET_MS)} ms (at 100,000 patients) | ${verdict(l.met)} |`,
    '',
    `Added to the ${int(patients)}-patient dataset after the record's scenarios, through the import: ${int(d.inpatientsPerTrust)} stays in progress at each of ${d.trusts} trusts, ` +
      `their discharge tasks, and reablement episodes with day-91 outcomes for two councils (${int(d.resourcesAdded)} resources). Load average up to ${d.loadAvg1m.toFixed(1)}. ` +
      'The query plans of the board\'s stay and tasks queries are written to `bench/work/discharge-plan.md`.',
  ].join('\n');
}

/** "Not met" lines for the Targets section, one per missed discharge target. */
export function dischargeMisses(d: DischargeBenchResult, where: string): string[] {
  const out: string[] = [];
  if (!d.board.met) out.push(`the discharge board${where} (p95 ${ms(d.board.p95Ms)} ms)`);
  if (!d.reablement91.met) out.push(`the 91-day figure${where} (${ms(d.reablement91.ms)} ms)`);
  if (!d.longStays.met) out.push(`the 21+ day figure${where} (${ms(d.longStays.ms)} ms)`);
  return out;
}
