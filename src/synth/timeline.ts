import type { Clock } from '../clock.js';

/**
 * The days a synthetic population is generated around. Every date in it is relative to its "as of"
 * day (the day the extract is taken), so a population generated today has reviews and work due in
 * the coming weeks, and one generated for a fixed day is the same population on every run.
 *
 * The indicator year (what the calibrated rates are counted over) is the 365 days ending 92 days
 * before the as-of day, so every discharge's 91-day outcome is known by then. For the as-of day
 * 2025-07-01 that is exactly the financial year 2024/25, the year the strategy's figures describe;
 * any other as-of day moves the whole history by the same number of days, so the calibrated
 * figures do not depend on it.
 */
export interface Timeline {
  /** YYYY-MM-DD. */
  asOf: string;
  /** Day number (days since 1970-01-01) of the as-of day. */
  extractDay: number;
  /** First and last day numbers of the indicator year. */
  yearStart: number;
  yearEnd: number;
}

/** The as-of day the calibration was written against (financial year 2024/25 plus 91 days); tests use it. */
export const REFERENCE_AS_OF = '2025-07-01';

/** The timeline of an as-of day (YYYY-MM-DD); throws on anything that is not a real calendar day. */
export function timelineFor(asOf: string): Timeline {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(asOf);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== asOf) throw new Error(`as-of must be a calendar date as YYYY-MM-DD, not '${asOf}'`);
  const extractDay = ms / 86_400_000;
  const yearEnd = extractDay - 92;
  return { asOf, extractDay, yearStart: yearEnd - 364, yearEnd };
}

/** Today (UTC) by the given clock, as an as-of day. */
export function asOfToday(clock: Clock): string {
  return clock.now().toISOString().slice(0, 10);
}
