import { describe, expect, it } from 'vitest';
import { dayNumber, delayDays, isoDay, lengthOfStay, leavingTime, losBand, planNotice, readyDateOf } from './discharge.rules.js';

// The arithmetic of the board on hand-worked examples.
describe('length of stay and its bands', () => {
  it('counts calendar days from the day of admission (day 0), whatever the hour', () => {
    expect(lengthOfStay('2026-03-01T23:30:00Z', new Date('2026-03-02T00:10:00Z'))).toBe(1);
    expect(lengthOfStay('2026-03-02T08:00:00Z', new Date('2026-03-02T20:00:00Z'))).toBe(0);
    expect(lengthOfStay('2026-02-05T10:00:00Z', new Date('2026-03-02T09:00:00Z'))).toBe(25);
  });
  it('counts the days in Kent (Europe/London), not in UTC: admitted at 23:30 BST is day 0 until local midnight', () => {
    // 23:30 BST on Wednesday 10 June 2026 is 22:30 UTC.
    expect(lengthOfStay('2026-06-10T22:30:00Z', new Date('2026-06-10T22:50:00Z'))).toBe(0);
    expect(lengthOfStay('2026-06-10T22:30:00Z', new Date('2026-06-10T23:05:00Z'))).toBe(1); // 00:05 BST on 11 June (UTC: still the 10th)
    // 00:30 BST on 11 June is 23:30 UTC on the 10th: day 0 is the 11th.
    expect(lengthOfStay('2026-06-10T23:30:00Z', new Date('2026-06-11T08:00:00Z'))).toBe(0);
    expect(isoDay(dayNumber('2026-06-10T23:30:00Z'))).toBe('2026-06-11');
    expect(isoDay(dayNumber('2026-06-10T23:30:00+01:00'))).toBe('2026-06-10');
  });
  it('across the changes of the clocks: into summer time on 29 March 2026 and out of it on 25 October 2026', () => {
    // Admitted 23:30 GMT on Saturday 28 March; 00:30 BST on Monday 30 March (23:30 UTC on the 29th) is day 2.
    expect(lengthOfStay('2026-03-28T23:30:00Z', new Date('2026-03-29T23:30:00Z'))).toBe(2);
    expect(lengthOfStay('2026-03-28T23:30:00Z', new Date('2026-03-29T22:30:00Z'))).toBe(1); // 23:30 BST on Sunday 29 March
    // Admitted 00:30 BST on Sunday 25 October (23:30 UTC on the 24th); at 23:30 GMT that Sunday it is still day 0.
    expect(lengthOfStay('2026-10-24T23:30:00Z', new Date('2026-10-25T23:30:00Z'))).toBe(0);
    expect(lengthOfStay('2026-10-24T23:30:00Z', new Date('2026-10-26T00:00:00Z'))).toBe(1);
    // A date is that date, whatever the season.
    expect(dayNumber('2026-06-10') - dayNumber('2026-03-28')).toBe(74);
  });
  it('delay days and "today" follow the Kent calendar too', () => {
    expect(delayDays('2026-06-10', new Date('2026-06-10T23:05:00Z'))).toBe(1); // 00:05 BST on the 11th
    expect(dayNumber(new Date('2026-06-10T23:05:00Z'))).toBe(dayNumber('2026-06-11'));
  });
  it('puts a stay in its highest band: 21+, 14+, 7+, or none under a week', () => {
    expect([0, 6, 7, 13, 14, 20, 21, 60].map(losBand)).toEqual([undefined, undefined, 7, 7, 14, 14, 21, 21]);
  });
});

describe('the Discharge Ready Date from the daily reviews', () => {
  it('is the first day of the latest unbroken run of "no longer meets the criteria"', () => {
    expect(readyDateOf([
      { date: '2026-02-26', meets: true }, { date: '2026-02-27', meets: false }, { date: '2026-02-28', meets: false }, { date: '2026-03-01', meets: false },
    ])).toBe('2026-02-27');
  });
  it('starts again when the person meets the criteria again in between, and is none while they meet them', () => {
    expect(readyDateOf([
      { date: '2026-02-20', meets: false }, { date: '2026-02-21', meets: true }, { date: '2026-02-23', meets: false }, { date: '2026-02-24', meets: false },
    ])).toBe('2026-02-23');
    expect(readyDateOf([{ date: '2026-02-20', meets: false }, { date: '2026-02-21', meets: true }])).toBeUndefined();
    expect(readyDateOf([])).toBeUndefined();
  });
  it('reads the reviews in date order whatever order they come in', () => {
    expect(readyDateOf([{ date: '2026-03-01', meets: false }, { date: '2026-02-28', meets: true }, { date: '2026-02-27', meets: false }])).toBe('2026-03-01');
  });
});

describe('delay days', () => {
  it('counts the days from the Discharge Ready Date to today: ready today is no day lost yet', () => {
    const now = new Date('2026-03-02T09:00:00Z');
    expect(delayDays('2026-03-02', now)).toBe(0);
    expect(delayDays('2026-03-01', now)).toBe(1);
    expect(delayDays('2026-02-10', now)).toBe(20);
    expect(delayDays(undefined, now)).toBe(0);
    expect(delayDays('2026-03-05', now)).toBe(0);
  });
});

describe('whether the plan reached the person 24 hours before they leave', () => {
  const leaving = leavingTime('2026-03-04');
  it('counts back from midday in Kent of the expected date (12:00 GMT in winter, 11:00 UTC in summer time)', () => {
    expect(leaving.toISOString()).toBe('2026-03-04T12:00:00.000Z');
    expect(dayNumber(leaving)).toBe(dayNumber('2026-03-04'));
    expect(leavingTime('2026-06-11').toISOString()).toBe('2026-06-11T11:00:00.000Z');
    expect(leavingTime('2026-03-29').toISOString()).toBe('2026-03-29T11:00:00.000Z');
    expect(leavingTime('2026-10-25').toISOString()).toBe('2026-10-25T12:00:00.000Z');
  });
  it('in time, late, due or overdue', () => {
    expect(planNotice(new Date('2026-03-03T11:00:00Z'), leaving, new Date('2026-03-03T11:00:00Z'))).toBe('in-time');
    expect(planNotice(new Date('2026-03-03T13:00:00Z'), leaving, new Date('2026-03-03T13:00:00Z'))).toBe('late');
    expect(planNotice(undefined, leaving, new Date('2026-03-02T09:00:00Z'))).toBe('due');
    expect(planNotice(undefined, leaving, new Date('2026-03-03T12:30:00Z'))).toBe('overdue');
    expect(planNotice(undefined, undefined, new Date('2026-03-03T12:30:00Z'))).toBe('no-date');
  });
});

describe('dayNumber against the time zone database, instant by instant', () => {
  it('agrees with Intl for instants every 7 minutes 13 seconds across two years of clock changes', () => {
    const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
    const start = Date.UTC(2025, 9, 20);
    for (let t = start; t < start + 2 * 365 * 86_400_000; t += 433_000) {
      const expected = Math.floor(Date.parse(`${fmt.format(t)}T00:00:00Z`) / 86_400_000);
      if (dayNumber(new Date(t)) !== expected) expect(new Date(t).toISOString()).toBe(`day ${expected}`);
    }
    // The hours either side of both 2026 changes, minute by minute.
    for (const change of [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1)]) {
      for (let t = change - 3 * 3_600_000; t < change + 3 * 3_600_000; t += 60_000) {
        expect(dayNumber(new Date(t)), new Date(t).toISOString()).toBe(Math.floor(Date.parse(`${fmt.format(t)}T00:00:00Z`) / 86_400_000));
      }
    }
  });
});
