import type { HealthcareService } from '@medplum/fhirtypes';

/**
 * When a directory entry was last checked, and what that means for the people relying on it.
 *
 * Stored on the HealthcareService itself as an extension holding a FHIR `date` (YYYY-MM-DD): the day
 * the owning organisation (or whoever keeps the directory) last confirmed the entry is right. It is
 * not `meta.lastUpdated`, which moves on any write (a corrected typo, an import that changed nothing
 * the owner confirmed). The Open Referral UK API publishes it as the service's `assured_date`, and an
 * import takes it from a feed's `assured_date` (else its `last_modified`).
 *
 * The rule (issue 11): unchecked for more than 6 months, the entry is shown as possibly out of date;
 * for more than 12 months, it stops taking referrals (the referral service refuses them). An entry
 * with no date at all has never been confirmed: it is shown as possibly out of date but still takes
 * referrals, because the absence of a date says nothing about how old the entry is.
 */
export const LAST_CHECKED_EXTENSION = 'https://onestory.example/fhir/StructureDefinition/last-checked';

export type FreshnessState = 'current' | 'possibly-out-of-date' | 'not-taking-referrals';

export interface Freshness {
  /** The day the entry was last checked (YYYY-MM-DD), when recorded. */
  lastChecked?: string;
  state: FreshnessState;
}

/** Months after the last check at which an entry becomes possibly out of date, then stops taking referrals. */
export const POSSIBLY_OUT_OF_DATE_AFTER_MONTHS = 6;
export const NOT_TAKING_REFERRALS_AFTER_MONTHS = 12;

/** The words every page uses for each state. */
export const FRESHNESS_WORDS: Record<FreshnessState, string> = {
  current: 'Checked recently',
  'possibly-out-of-date': 'Possibly out of date',
  'not-taking-referrals': 'Out of date: not taking referrals',
};

/** The recorded last-checked day of a service, when it reads as a date. */
export function lastCheckedOf(service: Pick<HealthcareService, 'extension'>): string | undefined {
  const v = service.extension?.find((e) => e.url === LAST_CHECKED_EXTENSION)?.valueDate;
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ? v : undefined;
}

/** The day `months` calendar months after `day` (YYYY-MM-DD), clamped to the month's end (31 Aug + 6 months = 28/29 Feb). */
export function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12), month = total % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** The freshness of a day last checked, as of `now` (the platform's clock; the day is read in UTC). */
export function freshnessOfDate(lastChecked: string | undefined, now: Date): Freshness {
  if (!lastChecked) return { state: 'possibly-out-of-date' };
  const today = now.toISOString().slice(0, 10);
  if (today > addMonths(lastChecked, NOT_TAKING_REFERRALS_AFTER_MONTHS)) return { lastChecked, state: 'not-taking-referrals' };
  if (today > addMonths(lastChecked, POSSIBLY_OUT_OF_DATE_AFTER_MONTHS)) return { lastChecked, state: 'possibly-out-of-date' };
  return { lastChecked, state: 'current' };
}

/** The freshness of a directory entry as of `now`. */
export function freshnessOf(service: Pick<HealthcareService, 'extension'>, now: Date): Freshness {
  return freshnessOfDate(lastCheckedOf(service), now);
}

/** Whether a service may be sent new referrals: not when unchecked for more than 12 months, nor when inactive. */
export function takesReferrals(service: Pick<HealthcareService, 'extension' | 'active'>, now: Date): boolean {
  return service.active !== false && freshnessOf(service, now).state !== 'not-taking-referrals';
}
