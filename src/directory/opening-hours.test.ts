import { describe, expect, it } from 'vitest';
import { isOpenAt, minuteOfWeek, openingTimesInWords, weeklyRanges } from './opening-hours.js';

describe('opening times', () => {
  it('says opening times in plain words, runs of days together', () => {
    expect(openingTimesInWords([{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri'], availableStartTime: '09:00:00', availableEndTime: '17:00:00' },
      { daysOfWeek: ['sat'], availableStartTime: '10:00:00', availableEndTime: '12:30:00' }])).toEqual(['Monday to Friday: 9am to 5pm', 'Saturday: 10am to 12:30pm']);
    expect(openingTimesInWords([{ daysOfWeek: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], allDay: true }])).toEqual(['Every day: open 24 hours']);
    expect(openingTimesInWords([{ daysOfWeek: ['wed', 'sat'], availableStartTime: '10:00', availableEndTime: '14:00' }])).toEqual(['Wednesday: 10am to 2pm', 'Saturday: 10am to 2pm']);
    expect(openingTimesInWords([{ daysOfWeek: ['thu', 'fri'], availableStartTime: '18:00', availableEndTime: '00:00' }])).toEqual(['Thursday and Friday: 6pm to midnight']);
    expect(openingTimesInWords([])).toEqual([]);
  });

  it('never shows a service open when it is closed: overnight hours run into the next day, odd times are left out', () => {
    const r = weeklyRanges([{ daysOfWeek: ['sun'], availableStartTime: '22:00', availableEndTime: '02:00' }, { daysOfWeek: ['mon'], availableStartTime: 'noon', availableEndTime: '17:00' }]);
    expect(r).toEqual([[0, 120], [6 * 1440 + 22 * 60, 7 * 1440]]);
    expect(isOpenAt(r, 60)).toBe(true); // Monday 1am
    expect(isOpenAt(r, 13 * 60)).toBe(false); // Monday 1pm: the unreadable "noon" is not guessed
  });

  it('reads "now" in Kent time, summer time included', () => {
    expect(minuteOfWeek(new Date('2026-12-05T10:30:00Z'))).toBe(5 * 1440 + 630); // Saturday, GMT
    expect(minuteOfWeek(new Date('2026-07-04T10:30:00Z'))).toBe(5 * 1440 + 690); // Saturday, BST
    expect(minuteOfWeek(new Date('2026-07-05T23:30:00Z'))).toBe(30); // Monday 00:30 BST
  });
});
