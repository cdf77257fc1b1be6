import { LOS_BANDS, PLAN_NOTICE_HOURS } from './discharge.vocabulary.js';

/**
 * The arithmetic of discharge, in one place and pure (the board, the figures and the tests use it).
 * Days are calendar days in UTC: a stay that began yesterday at 23:00 is one day long today, as
 * the national length-of-stay counts have it (the day of admission is day 0).
 */
const DAY_MS = 86_400_000;

/** The day number (days since 1970-01-01, UTC) of an instant or an ISO date. */
export function dayNumber(at: Date | string): number {
  const t = typeof at === 'string' ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(at) ? `${at}T00:00:00Z` : at) : at.getTime();
  return Math.floor(t / DAY_MS);
}

/** The ISO date (YYYY-MM-DD) of a day number. */
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Length of stay in whole days: from the day of admission to today (or the day of discharge). */
export function lengthOfStay(admitted: Date | string, until: Date | string): number {
  return Math.max(0, dayNumber(until) - dayNumber(admitted));
}

/** The highest band a length of stay reaches: 21 (21+ days), 14, 7, or undefined under a week. */
export function losBand(days: number): (typeof LOS_BANDS)[number] | undefined {
  return LOS_BANDS.find((b) => days >= b);
}

/**
 * Days lost to delay: from the Discharge Ready Date to today (or to the day of discharge). A person
 * ready today has lost no day yet; ready yesterday and still here, one.
 */
export function delayDays(readyDate: Date | string | undefined, until: Date | string): number {
  if (!readyDate) return 0;
  return Math.max(0, dayNumber(until) - dayNumber(readyDate));
}

/** One day's decision on the criteria to reside. */
export interface CriteriaReview {
  /** The day it applies to (YYYY-MM-DD or an instant). */
  date: string;
  meets: boolean;
}

/**
 * The Discharge Ready Date from the daily reviews: the first day of the latest unbroken run of
 * "no longer meets the criteria" that reaches the latest review. Someone who meets the criteria
 * again (they became unwell) has no ready date until they stop meeting them again.
 */
export function readyDateOf(reviews: CriteriaReview[]): string | undefined {
  const sorted = [...reviews].sort((a, b) => dayNumber(a.date) - dayNumber(b.date));
  let ready: number | undefined;
  for (const r of sorted) {
    if (r.meets) ready = undefined;
    else ready ??= dayNumber(r.date);
  }
  return ready === undefined ? undefined : isoDay(ready);
}

/** Whether the discharge plan reached the person in time: shared at least 24 hours before they leave. */
export type PlanNotice = 'in-time' | 'late' | 'due' | 'overdue' | 'no-date';

/**
 * `leaving`: when they left (a finished stay), else midday of the expected date of discharge (the
 * usual hour of leaving; a plan for someone leaving that day is due by midday the day before).
 */
export function planNotice(shared: Date | undefined, leaving: Date | undefined, now: Date): PlanNotice {
  if (!leaving) return shared ? 'in-time' : 'no-date';
  const dueBy = leaving.getTime() - PLAN_NOTICE_HOURS * 3_600_000;
  if (shared) return shared.getTime() <= dueBy ? 'in-time' : 'late';
  return now.getTime() > dueBy ? 'overdue' : 'due';
}

/** Midday (UTC) of an expected date of discharge: when the plan's 24 hours are counted back from. */
export function leavingTime(expectedDate: Date | string): Date {
  return new Date((dayNumber(expectedDate) * DAY_MS) + 12 * 3_600_000);
}
