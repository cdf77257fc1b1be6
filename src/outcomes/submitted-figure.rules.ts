import type { MeasureReport } from '@medplum/fhirtypes';
import { badRequest } from '../fhir/outcome.js';
import { wilson } from './confidence.js';
import { OUTCOMES_SD, type SubmittedComputation } from './indicator.definitions.js';
import type { Figure, Period } from './measure-evaluation.service.js';
import { roundCount, SUPPRESS_UP_TO } from './small-numbers.js';

/**
 * What a partner's submitted figure must be (issue 14 part 3), checked the same way whether it comes
 * as a MeasureReport on the API or from the workspace form: pure, so every refusal is a 400 naming
 * the field before anything is written. The period is whole months (the returns are termly, yearly
 * or quarterly), over by today; the place one of the residence places; the figure what the
 * indicator's scoring needs, never negative, a percentage never over 100, a numerator never over
 * its denominator.
 */

export interface SubmittedInput {
  periodStart?: string;
  periodEnd?: string;
  place?: string;
  numerator?: number;
  denominator?: number;
  value?: number;
}

export interface CheckedFigure {
  period: Period;
  place: string;
  numerator: number | null;
  denominator: number | null;
  /** The figure itself: the percentage (from numerator and denominator when given), count or score. */
  value: number;
}

/** The longest period one figure may cover (a year's return). */
export const MAX_PERIOD_MONTHS = 12;

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
const monthEnd = (s: string) => new Date(Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)), 0)).toISOString().slice(0, 10);
const round1 = (x: number) => Math.round(x * 10) / 10;

export function checkPeriod(start: string | undefined, end: string | undefined, today: string): Period {
  if (!start || !end) throw badRequest('Give the period the figure is for: its first and last day (YYYY-MM-DD)', ['periodStart', 'periodEnd']);
  if (!isDate(start)) throw badRequest(`The period's start '${start}' is not a calendar date (YYYY-MM-DD)`, 'periodStart');
  if (!isDate(end)) throw badRequest(`The period's end '${end}' is not a calendar date (YYYY-MM-DD)`, 'periodEnd');
  if (end < start) throw badRequest('The period ends before it starts', 'periodEnd');
  if (start.slice(8) !== '01' || end !== monthEnd(end)) throw badRequest('A period is whole months: from the 1st of a month to the last day of a month', ['periodStart', 'periodEnd']);
  const months = (Number(end.slice(0, 4)) - Number(start.slice(0, 4))) * 12 + Number(end.slice(5, 7)) - Number(start.slice(5, 7)) + 1;
  if (months > MAX_PERIOD_MONTHS) throw badRequest(`A figure covers at most ${MAX_PERIOD_MONTHS} months; this period is ${months}`, 'periodEnd');
  if (end >= today) throw badRequest(`The period must be over: it ends on ${end}, and figures are submitted for periods that have ended`, 'periodEnd');
  return { start, end };
}

const count = (n: number | undefined, field: string, words: string): number | undefined => {
  if (n === undefined) return undefined;
  if (!Number.isFinite(n)) throw badRequest(`The ${words} must be a number`, field);
  if (n < 0) throw badRequest(`The ${words} cannot be negative (${n})`, field);
  if (!Number.isInteger(n)) throw badRequest(`The ${words} is a count: a whole number (${n})`, field);
  return n;
};

/** The figure as the indicator's scoring needs it. */
export function checkFigure(c: SubmittedComputation, input: SubmittedInput): Pick<CheckedFigure, 'numerator' | 'denominator' | 'value'> {
  const v = input.value;
  if (v !== undefined && !Number.isFinite(v)) throw badRequest('The figure must be a number', 'value');
  if (v !== undefined && v < 0) throw badRequest(`The figure cannot be negative (${v})`, 'value');
  if (c.scoring === 'count') {
    const n = count(v, 'value', 'count');
    if (n === undefined) throw badRequest('Give the count', 'value');
    return { numerator: n, denominator: null, value: n };
  }
  if (c.scoring === 'score') {
    if (v === undefined) throw badRequest('Give the score', 'value');
    return { numerator: null, denominator: null, value: round1(v) };
  }
  const num = count(input.numerator, 'numerator', `numerator (${c.numerator ?? 'numerator'})`);
  const den = count(input.denominator, 'denominator', `denominator (${c.denominator ?? 'denominator'})`);
  if (v !== undefined && v > 100) throw badRequest(`A percentage cannot be over 100 (${v})`, 'value');
  if ((num === undefined) !== (den === undefined)) throw badRequest('Give both the numerator and the denominator, or neither and the percentage alone', num === undefined ? 'numerator' : 'denominator');
  if (num !== undefined && den !== undefined) {
    if (den === 0) throw badRequest('The denominator cannot be 0', 'denominator');
    if (num > den) throw badRequest(`The numerator (${num}) cannot be more than the denominator (${den})`, 'numerator');
    const pct = round1((100 * num) / den);
    if (v !== undefined && Math.abs(v - pct) > 0.1) throw badRequest(`The percentage ${v} does not match the numerator over the denominator (${pct})`, 'value');
    return { numerator: num, denominator: den, value: pct };
  }
  if (v === undefined) throw badRequest('Give the numerator and the denominator, or the percentage', 'numerator');
  return { numerator: null, denominator: null, value: round1(v) };
}

const POP = 'http://terminology.hl7.org/CodeSystem/measure-population';

/** The input a MeasureReport carries: period, the place extension, the group's populations and score. */
export function inputOfMeasureReport(body: unknown, measureUrl: string): SubmittedInput {
  const r = body as MeasureReport | undefined;
  if (!r || typeof r !== 'object' || r.resourceType !== 'MeasureReport') throw badRequest('Send a MeasureReport (or Parameters with a measureReport)', 'resourceType');
  if (r.measure !== undefined && r.measure !== measureUrl) throw badRequest(`The MeasureReport's measure '${r.measure}' is not ${measureUrl}`, 'MeasureReport.measure');
  if (r.status !== undefined && r.status !== 'complete') throw badRequest(`A submitted figure is complete; status '${r.status}' is not`, 'MeasureReport.status');
  if (r.type !== undefined && r.type !== 'summary') throw badRequest(`A submitted figure is a summary; type '${r.type}' is not`, 'MeasureReport.type');
  const place = r.extension?.find((x) => x.url === `${OUTCOMES_SD}/place`)?.valueCoding?.code;
  const groups = r.group ?? [];
  if (groups.length > 1) throw badRequest('One figure per submission: one group', 'MeasureReport.group');
  const g = groups[0];
  const pop = (code: string) => g?.population?.find((p) => p.code?.coding?.some((x) => x.system === POP && x.code === code))?.count;
  return {
    periodStart: r.period?.start, periodEnd: r.period?.end, place,
    numerator: pop('numerator'), denominator: pop('denominator'), value: g?.measureScore?.value ?? pop('measure-population'),
  };
}

/**
 * The figure as it may be published: counts of people from 1 to 7 suppressed (and so the figure
 * built on them), the rest rounded to 5, as every published figure is (small-numbers.ts); counts
 * of organisations are not people and are shown as given. Proportions from counts get Wilson's interval.
 */
export function publishedFigure(c: SubmittedComputation, f: Pick<CheckedFigure, 'numerator' | 'denominator' | 'value'>): Figure {
  const people = !c.countsOrganisations;
  const small = (n: number | null) => people && n !== null && n >= 1 && n <= SUPPRESS_UP_TO;
  const shown = (n: number | null) => (n === null ? null : people ? roundCount(n) : n);
  if (small(f.numerator) || small(f.denominator)) return { numerator: null, denominator: null, score: null, low: null, high: null, suppressed: true };
  const ci = f.numerator !== null && f.denominator !== null && c.scoring === 'proportion' ? wilson(f.numerator, f.denominator) : undefined;
  return {
    numerator: shown(f.numerator), denominator: shown(f.denominator), score: c.scoring === 'count' ? shown(f.numerator) : f.value,
    low: ci ? round1(100 * ci.low) : null, high: ci ? round1(100 * ci.high) : null, suppressed: false,
  };
}
