import { describe, expect, it } from 'vitest';
import { parseDateRange } from './date-range.js';

describe('parseDateRange', () => {
  it('covers a whole year, month or day at that precision', () => {
    expect(parseDateRange('2020')).toEqual({ low: '2020-01-01T00:00:00.000Z', high: '2021-01-01T00:00:00.000Z' });
    expect(parseDateRange('2020-02')).toEqual({ low: '2020-02-01T00:00:00.000Z', high: '2020-03-01T00:00:00.000Z' });
    expect(parseDateRange('2020-12-31')).toEqual({ low: '2020-12-31T00:00:00.000Z', high: '2021-01-01T00:00:00.000Z' });
  });
  it('applies the time zone of a dateTime and keeps its precision', () => {
    expect(parseDateRange('2020-06-01T10:00:00+01:00')).toEqual({
      low: '2020-06-01T09:00:00.000Z',
      high: '2020-06-01T09:00:01.000Z',
    });
    expect(parseDateRange('2020-06-01T10:00:00.123Z')?.low).toBe('2020-06-01T10:00:00.123Z');
  });
  it('rejects what is not a date', () => {
    for (const bad of ['', 'abc', '2020-13', '2020-02-30', '20201', '2020-01-01T25:00:00Z', "2020'; DROP"]) {
      expect(parseDateRange(bad)).toBeUndefined();
    }
  });
});
