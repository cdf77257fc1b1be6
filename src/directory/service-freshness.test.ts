import { describe, expect, it } from 'vitest';
import { addMonths, freshnessOf, LAST_CHECKED_EXTENSION, takesReferrals } from './service-freshness.js';

const checked = (day?: string) => ({ extension: day ? [{ url: LAST_CHECKED_EXTENSION, valueDate: day }] : [] });

describe('service freshness', () => {
  const now = new Date('2026-12-01T10:00:00Z');

  it('is current up to six months after the last check, possibly out of date up to twelve, then not taking referrals', () => {
    expect(freshnessOf(checked('2026-11-30'), now)).toEqual({ lastChecked: '2026-11-30', state: 'current' });
    expect(freshnessOf(checked('2026-06-01'), now).state).toBe('current');
    expect(freshnessOf(checked('2026-05-31'), now).state).toBe('possibly-out-of-date');
    expect(freshnessOf(checked('2025-12-01'), now).state).toBe('possibly-out-of-date');
    expect(freshnessOf(checked('2025-11-30'), now)).toEqual({ lastChecked: '2025-11-30', state: 'not-taking-referrals' });
  });

  it('treats a missing or unreadable date as never checked: possibly out of date, still taking referrals', () => {
    expect(freshnessOf(checked(), now)).toEqual({ state: 'possibly-out-of-date' });
    expect(freshnessOf({ extension: [{ url: LAST_CHECKED_EXTENSION, valueDate: '2026-13-45' }] }, now).state).toBe('possibly-out-of-date');
    expect(takesReferrals(checked(), now)).toBe(true);
  });

  it('stops referrals to stale and inactive services', () => {
    expect(takesReferrals(checked('2024-01-01'), now)).toBe(false);
    expect(takesReferrals({ ...checked('2026-11-01'), active: false }, now)).toBe(false);
    expect(takesReferrals(checked('2026-11-01'), now)).toBe(true);
  });

  it('counts calendar months, clamped to the end of a shorter month', () => {
    expect(addMonths('2026-08-31', 6)).toBe('2027-02-28');
    expect(addMonths('2027-08-31', 6)).toBe('2028-02-29');
    expect(addMonths('2026-01-15', 12)).toBe('2027-01-15');
  });
});
