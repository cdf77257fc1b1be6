import { LOS_BANDS, PLAN_NOTICE_HOURS } from './discharge.vocabulary.js';

/**
 * The arithmetic of discharge, in one place and pure (the board, the figures and the tests use it).
 * Days are calendar days in Kent (Europe/London, summer time included), as the ward counts them: a
 * stay that began at 23:30 BST is day 0 until local midnight, and one day long from then (the day
 * of admission is day 0, as the national length-of-stay counts have it). A day number names a
 * calendar date (days since 1970-01-01); an ISO date (YYYY-MM-DD) is that date wherever it is read.
 */
const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The wall clock in Kent at an instant, as parts (hourCycle h23, so midnight is 00). */
const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

const HOUR_MS = 3_600_000;
/**
 * Kent's offset from UTC by UTC hour. The clocks change on the hour in UTC (01:00), so the offset is
 * the same through every UTC hour: one formatToParts an hour instead of one a call (the board of
 * 1,000 inpatients asks thousands of times, and formatToParts was 7% of its CPU time).
 */
const offsetByHour = new Map<number, number>();

/** The Kent wall-clock time of an instant, as milliseconds since the epoch read as if it were UTC. */
function londonWallMs(t: number): number {
  const hour = Math.floor(t / HOUR_MS);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    const start = hour * HOUR_MS;
    const v: Record<string, number> = {};
    for (const part of LONDON.formatToParts(start)) if (part.type !== 'literal') v[part.type] = Number(part.value);
    offset = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second) - start;
    if (offsetByHour.size >= 100_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return t + offset;
}

/** The day number of an instant's calendar date in Kent, or of an ISO date. NaN for an unreadable value. */
export function dayNumber(at: Date | string): number {
  if (typeof at === 'string' && ISO_DATE.test(at)) return Math.floor(Date.parse(`${at}T00:00:00Z`) / DAY_MS);
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (!Number.isFinite(t)) return Number.NaN;
  return Math.floor(londonWallMs(t) / DAY_MS);
}

/** The ISO date (YYYY-MM-DD) of a day number. */
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The instant of a Kent wall-clock time on a day (e.g. midday): GMT in winter, BST (an hour earlier in UTC) in summer. */
export function londonTime(day: number, hour: number): Date {
  const wall = day * DAY_MS + hour * 3_600_000;
  // The offset at that wall time read as UTC is the offset then, except within the hour the clocks change (never at midday).
  return new Date(wall - (londonWallMs(wall) - wall));
}

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

/** Midday in Kent of an expected date of discharge: when the plan's 24 hours are counted back from. */
export function leavingTime(expectedDate: Date | string): Date {
  return londonTime(dayNumber(expectedDate), 12);
}
