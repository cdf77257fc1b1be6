import type { HealthcareServiceAvailableTime } from '@medplum/fhirtypes';

/**
 * Opening times: HealthcareService.availableTime as minutes of the week (Monday 00:00 = 0, local
 * time in Kent, Europe/London), so "open now", "evenings" and "weekends" are range tests in SQL
 * (an int4multirange in directory_service.open_week), and as plain words for people.
 */

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];
export const DAY_WORDS: Record<Day, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
const WEEK = 7 * 1440;

/** Minutes since midnight of "HH:MM" or "HH:MM:SS" (24:00 allowed as the end of a day); undefined when unreadable. */
export function minutesOf(t: string | undefined): number | undefined {
  const m = typeof t === 'string' ? /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(t.trim()) : null;
  if (!m) return undefined;
  const h = Number(m[1]), min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min > 0)) return undefined;
  return h * 60 + min;
}

/** Half-open [start, end) minute-of-week ranges, merged and sorted; overnight hours run into the next day, Sunday night into Monday. */
export function weeklyRanges(times: readonly HealthcareServiceAvailableTime[] | undefined): [number, number][] {
  const raw: [number, number][] = [];
  for (const t of times ?? []) {
    const days = (t.daysOfWeek ?? []).filter((d): d is Day => (DAYS as readonly string[]).includes(d));
    for (const d of days) {
      const base = DAYS.indexOf(d) * 1440;
      let start: number | undefined, end: number | undefined;
      if (t.allDay) [start, end] = [0, 1440];
      else {
        start = minutesOf(t.availableStartTime);
        end = minutesOf(t.availableEndTime);
        if (start === undefined || end === undefined) continue;
        if (end <= start) end += 1440; // e.g. 18:00 to 02:00
      }
      const s = base + start, e = base + end;
      if (e <= WEEK) raw.push([s, e]);
      else raw.push([s, WEEK], [0, e - WEEK]);
    }
  }
  raw.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of raw) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** The PostgreSQL int4multirange literal of the ranges ('{}' when never open or unknown). */
export function multirangeLiteral(ranges: readonly [number, number][]): string {
  return `{${ranges.map(([s, e]) => `[${s},${e})`).join(',')}}`;
}

/** Evenings: open at some time from 18:00 to midnight on any day. */
export const EVENINGS = multirangeLiteral(DAYS.map((_, i) => [i * 1440 + 18 * 60, (i + 1) * 1440] as [number, number]));
/** Weekends: open at some time on Saturday or Sunday. */
export const WEEKENDS = multirangeLiteral([[5 * 1440, WEEK]]);

/** A day's window [start, end) as a multirange literal, for the API's day/start_time/end_time. */
export function windowLiteral(days: readonly Day[], start = 0, end = 1440): string {
  return multirangeLiteral(days.map((d) => [DAYS.indexOf(d) * 1440 + start, DAYS.indexOf(d) * 1440 + end] as [number, number]));
}

const LONDON = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const SHORT: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** The minute of the week in Kent (Europe/London, summer time included) at an instant. */
export function minuteOfWeek(at: Date): number {
  const parts = Object.fromEntries(LONDON.formatToParts(at).map((p) => [p.type, p.value]));
  return SHORT[parts.weekday] * 1440 + Number(parts.hour) * 60 + Number(parts.minute);
}

export function isOpenAt(ranges: readonly [number, number][], minute: number): boolean {
  return ranges.some(([s, e]) => minute >= s && minute < e);
}

function clock(minutes: number): string {
  const m = minutes % 1440;
  if (m === 0) return 'midnight';
  if (m === 720) return 'midday';
  const h = Math.floor(m / 60), mm = m % 60;
  return `${h % 12 === 0 ? 12 : h % 12}${mm ? `:${String(mm).padStart(2, '0')}` : ''}${h < 12 ? 'am' : 'pm'}`;
}

/**
 * Opening times in plain words, one line per run of days with the same hours, e.g.
 * "Monday to Friday: 9am to 5pm", "Saturday: 10am to 3pm", "Every day: open 24 hours".
 * Days not listed are closed; an empty list means no opening times are recorded.
 */
export function openingTimesInWords(times: readonly HealthcareServiceAvailableTime[] | undefined): string[] {
  const byDay = new Map<Day, string[]>();
  for (const t of times ?? []) {
    for (const d of t.daysOfWeek ?? []) {
      if (!(DAYS as readonly string[]).includes(d)) continue;
      let words: string | undefined;
      if (t.allDay) words = 'open 24 hours';
      else {
        const s = minutesOf(t.availableStartTime), e = minutesOf(t.availableEndTime);
        if (s !== undefined && e !== undefined) words = `${clock(s)} to ${clock(e)}`;
      }
      if (words) byDay.set(d as Day, [...(byDay.get(d as Day) ?? []), words]);
    }
  }
  const lines: string[] = [];
  const key = (d: Day) => (byDay.get(d) ?? []).sort((a, b) => minutesSort(a) - minutesSort(b)).join(' and ');
  if (DAYS.every((d) => byDay.has(d)) && new Set(DAYS.map(key)).size === 1) return [`Every day: ${key('mon')}`];
  let i = 0;
  while (i < DAYS.length) {
    const k = key(DAYS[i]);
    if (!k) { i++; continue; }
    let j = i;
    while (j + 1 < DAYS.length && key(DAYS[j + 1]) === k) j++;
    const days = j === i ? DAY_WORDS[DAYS[i]] : j === i + 1 ? `${DAY_WORDS[DAYS[i]]} and ${DAY_WORDS[DAYS[j]]}` : `${DAY_WORDS[DAYS[i]]} to ${DAY_WORDS[DAYS[j]]}`;
    lines.push(`${days}: ${k}`);
    i = j + 1;
  }
  return lines;
}

function minutesSort(words: string): number {
  const m = /^(\d+)(?::(\d+))?(am|pm)/.exec(words);
  if (!m) return words === 'midday' ? 720 : 0;
  return ((Number(m[1]) % 12) + (m[3] === 'pm' ? 12 : 0)) * 60 + Number(m[2] ?? 0);
}
