import type { Indicator } from './indicator.registry.js';
import type { Figure, Period } from './measure-evaluation.service.js';

/**
 * Progress against the strategy's targets: the baseline, a straight line from it to the target in
 * the target year, the latest figure with its interval, and a rating that respects the direction
 * (lower is better, higher is better, or held level) and refuses to call a trend from too little
 * data. Pure: the figures come from the stored reports.
 */

export type Rating = 'on-track' | 'at-risk' | 'off-track' | 'too-little-data';

export const RATING_WORDS: Record<Rating, string> = {
  'on-track': 'On track', 'at-risk': 'At risk', 'off-track': 'Off track', 'too-little-data': 'Too little data to tell',
};

/** The strategy's baselines describe the latest year before it was written: financial year 2023/24. */
export const STRATEGY_BASELINE_DATE = '2024-03-31';
/** Fewer than this in a proportion's denominator (or a rate's numerator) is too little to rate. */
export const MIN_DENOMINATOR = 50;
export const MIN_EVENTS = 10;
/** "Maintain": within this share of the target either way counts as held. */
export const MAINTAIN_TOLERANCE = 0.05;

export interface Point { date: string; value: number }

export interface Progress {
  baseline: (Point & { source: 'strategy' | 'first-figure' }) | null;
  target: Point | null;
  /** Where the straight line from baseline to target says the figure should be at the latest period's end. */
  expected: number | null;
  latest: { period: Period; figure: Figure } | null;
  rating: Rating;
  /** Why, in words. */
  reason: string;
}

/** The last day of the strategy's "by" (2028 → 2028-12-31; 2028/29 → 2029-03-31). */
export function targetDate(by: string | null): string | null {
  if (!by) return null;
  const fy = /^(\d{4})\/(\d{2})$/.exec(by);
  if (fy) return `${Number(fy[1]) + 1}-03-31`;
  return /^\d{4}$/.test(by) ? `${by}-12-31` : null;
}

const days = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

/** The trajectory's value on a day: a straight line from baseline to target, level after the target date. */
export function trajectoryAt(baseline: Point, target: Point, date: string): number {
  const span = days(target.date) - days(baseline.date);
  if (span <= 0) return target.value;
  const f = Math.min(1, Math.max(0, (days(date) - days(baseline.date)) / span));
  return baseline.value + (target.value - baseline.value) * f;
}

/**
 * `history`: the system's stored figures oldest first. The baseline is the strategy's where it
 * gives one, else the first stored figure (the strategy's "2024 rate"); the target is its number,
 * the baseline itself for "maintain", or — where the strategy gives only words ("an increase") —
 * no number: the figure is then rated against the baseline.
 */
export function progressOf(indicator: Indicator, history: { period: Period; figure: Figure }[]): Progress {
  const published = history.filter((h) => h.figure.score !== null && !h.figure.suppressed);
  const latest = history.length ? history[history.length - 1] : null;
  let baseline: Progress['baseline'] = null;
  if (indicator.baseline !== null) baseline = { date: STRATEGY_BASELINE_DATE, value: indicator.baseline, source: 'strategy' };
  else if (published.length >= 2 && published[0] !== latest) baseline = { date: published[0].period.end, value: published[0].figure.score!, source: 'first-figure' };
  const by = targetDate(indicator.by);
  const targetValue = indicator.target ?? (indicator.direction === 'maintain' ? baseline?.value ?? null : null);
  const target = targetValue !== null && by ? { date: by, value: targetValue } : null;
  const base = { baseline, target, latest };
  const none = (reason: string): Progress => ({ ...base, expected: null, rating: 'too-little-data', reason });

  if (!latest) return none('No figures yet.');
  const f = latest.figure;
  if (f.suppressed || f.score === null) return none('The latest figure is suppressed (a count from 1 to 7 or one that would reveal one).');
  const c = indicator.computation;
  const scoring = c.kind === 'record' ? c.scoring : indicator.unit === 'rate_per_100k' ? 'rate' : indicator.unit === 'count' ? 'count' : 'proportion';
  if (scoring === 'proportion' && f.denominator !== null && f.denominator < MIN_DENOMINATOR) return none(`Fewer than ${MIN_DENOMINATOR} people counted in the latest period.`);
  if (scoring === 'rate' && f.numerator !== null && f.numerator < MIN_EVENTS) return none(`Fewer than ${MIN_EVENTS} events in the latest period.`);
  if (!baseline) return none('No baseline: the strategy gives none and there is only one figure so far.');

  const low = f.low ?? f.score;
  const high = f.high ?? f.score;
  if (indicator.direction === 'maintain') {
    const t = target?.value ?? baseline.value;
    const tol = Math.abs(t) * MAINTAIN_TOLERANCE;
    if (high - low > 4 * tol) return none('The interval is too wide to tell whether the level is held.');
    const within = high >= t - tol && low <= t + tol;
    if (within) return { ...base, expected: t, rating: 'on-track', reason: `Held within ${(MAINTAIN_TOLERANCE * 100).toFixed(0)}% of ${t}.` };
    const far = Math.abs(f.score - t) > 2 * tol;
    return { ...base, expected: t, rating: far ? 'off-track' : 'at-risk', reason: `${f.score} against a level of ${t} to hold.` };
  }
  const up = indicator.direction === 'up';
  const better = (a: number, b: number) => (up ? a >= b : a <= b);
  const expected = target ? trajectoryAt(baseline, target, latest.period.end) : baseline.value;
  const worseEnd = up ? low : high;
  const betterEnd = up ? high : low;
  const against = target ? `the trajectory's ${round(expected)} for ${latest.period.end}` : `the baseline of ${round(expected)} (the target is in words only)`;
  if (better(f.score, expected)) {
    // On the line by its point estimate, but could the interval still be no better than the baseline?
    if (!better(worseEnd, baseline.value) && worseEnd !== baseline.value) {
      return { ...base, expected, rating: 'too-little-data', reason: `${f.score} is at or better than ${against}, but its interval reaches back past the baseline: too little data to tell.` };
    }
    return { ...base, expected, rating: 'on-track', reason: `${f.score} is at or better than ${against}.` };
  }
  if (better(betterEnd, expected)) return { ...base, expected, rating: 'at-risk', reason: `${f.score} is behind ${against}, but not clearly (the interval reaches it).` };
  return { ...base, expected, rating: 'off-track', reason: `${f.score} is behind ${against}, and its whole interval is.` };
}

const round = (x: number) => Math.round(x * 10) / 10;
