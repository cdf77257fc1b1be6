import type { DirectoryQuery } from './directory-search.repository.js';
import { DAY_WORDS, DAYS, EVENINGS, minuteOfWeek, minutesOf, WEEKENDS, windowLiteral, type Day } from './opening-hours.js';
import { isUuid } from './oruk-ids.js';
import { locatePostcode } from './postcode-geography.js';

/** A bad parameter: answered 400 in the API's error shape, naming the parameter. */
export class OrukParameterError extends Error {
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 20;
/** 200 km: further than Kent and Medway is wide; anything more is a mistake, not a search. */
export const MAX_PROXIMITY_M = 200_000;

const SEARCH_PARAMS = ['search', 'page', 'per_page', 'taxonomy_term_id', 'taxonomy_id', 'postcode', 'proximity', 'modified_after',
  'minimum_age', 'maximum_age', 'start_time', 'end_time', 'day', 'open_now', 'evenings', 'weekends', 'free', 'self_referral'] as const;
const PAGE_PARAMS = ['page', 'per_page'] as const;

const RRULE_DAYS: Record<string, Day> = { MO: 'mon', TU: 'tue', WE: 'wed', TH: 'thu', FR: 'fri', SA: 'sat', SU: 'sun' };

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new OrukParameterError(name, `Give ${name} once`);
  return String(v);
}

function checkKnown(query: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(query)) {
    if (!allowed.includes(k)) throw new OrukParameterError(k, `Unknown parameter '${k.slice(0, 60)}'. This endpoint takes: ${allowed.join(', ')}`);
  }
}

function integer(query: Record<string, unknown>, name: string, min: number, max: number, fallback: number): number {
  const v = single(query, name);
  if (v === undefined) return fallback;
  if (!/^\d{1,9}$/.test(v.trim())) throw new OrukParameterError(name, `${name} must be a whole number from ${min} to ${max}`);
  const n = Number(v);
  if (n < min || n > max) throw new OrukParameterError(name, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function bool(query: Record<string, unknown>, name: string): boolean | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new OrukParameterError(name, `${name} must be true or false`);
}

function age(query: Record<string, unknown>, name: string): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 130) throw new OrukParameterError(name, `${name} must be an age in years from 0 to 130`);
  return n;
}

/** The page asked for: `page` from 1, `per_page` from 1 to 100 (default 20). */
export function parsePage(query: Record<string, unknown>, only = false): { page: number; perPage: number } {
  if (only) checkKnown(query, PAGE_PARAMS);
  const page = integer(query, 'page', 1, 1_000_000, 1);
  const perPage = integer(query, 'per_page', 1, MAX_PER_PAGE, DEFAULT_PER_PAGE);
  return { page, perPage };
}

/**
 * /services and /service_at_locations query parameters → a DirectoryQuery, or an
 * OrukParameterError naming the first bad one. `now` is the platform clock (for open_now).
 */
export function parseServiceQuery(query: Record<string, unknown>, now: Date): { q: DirectoryQuery; page: number; perPage: number } {
  checkKnown(query, SEARCH_PARAMS);
  const { page, perPage } = parsePage(query);
  const q: DirectoryQuery = { limit: perPage, offset: (page - 1) * perPage };
  const search = single(query, 'search')?.trim();
  if (search) {
    if (search.length > 200) throw new OrukParameterError('search', 'search must be 200 characters or fewer');
    q.text = search;
  }
  const term = single(query, 'taxonomy_term_id');
  if (term !== undefined) {
    const ids = term.split(',').map((x) => x.trim().toLowerCase());
    if (ids.length > 20 || !ids.every(isUuid)) throw new OrukParameterError('taxonomy_term_id', 'taxonomy_term_id must be a taxonomy term id (a UUID from /taxonomy_terms), or up to 20 separated by commas');
    q.termIds = ids;
  }
  const taxonomy = single(query, 'taxonomy_id');
  if (taxonomy !== undefined) {
    if (!isUuid(taxonomy.trim())) throw new OrukParameterError('taxonomy_id', 'taxonomy_id must be a taxonomy id (a UUID from /taxonomies)');
    q.taxonomyId = taxonomy.trim().toLowerCase();
  }
  const postcode = single(query, 'postcode');
  const proximity = single(query, 'proximity');
  if (proximity !== undefined && postcode === undefined) throw new OrukParameterError('proximity', 'proximity needs a postcode to measure from');
  if (postcode !== undefined) {
    const located = locatePostcode(postcode);
    if (!located) throw new OrukParameterError('postcode', `'${postcode.slice(0, 20)}' is not a UK postcode (for example ME7 1AB, or ME7)`);
    if (!located.point) throw new OrukParameterError('postcode', `${located.outward} is not a postcode district in Kent or Medway, which this directory covers`);
    let within: number | undefined;
    if (proximity !== undefined) {
      const m = Number(proximity);
      if (proximity.trim() === '' || !Number.isFinite(m) || m <= 0 || m > MAX_PROXIMITY_M) {
        throw new OrukParameterError('proximity', `proximity must be a distance in metres greater than 0 and at most ${MAX_PROXIMITY_M}`);
      }
      within = m;
    }
    q.near = { point: located.point, ...(within !== undefined ? { within } : {}) };
  }
  const modified = single(query, 'modified_after');
  if (modified !== undefined) {
    const t = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(modified.trim()) ? Date.parse(modified.trim().length === 10 ? `${modified.trim()}T00:00:00Z` : modified.trim()) : NaN;
    if (Number.isNaN(t)) throw new OrukParameterError('modified_after', 'modified_after must be a date or date-time, for example 2026-06-01 or 2026-06-01T09:00:00Z');
    q.modifiedAfter = new Date(t).toISOString();
  }
  const minAge = age(query, 'minimum_age'), maxAge = age(query, 'maximum_age');
  if (minAge !== undefined) q.minimumAge = minAge;
  if (maxAge !== undefined) q.maximumAge = maxAge;

  // Opening times: day (RRULE MO…SU or a day's name), start_time and end_time (HH:MM) — open for the
  // whole of that window; open_now, evenings (after 6pm), weekends — open at some time in each.
  const dayWord = single(query, 'day');
  let days: Day[] | undefined;
  if (dayWord !== undefined) {
    const parsed = dayWord.split(',').map((d) => d.trim()).map((d) => RRULE_DAYS[d.toUpperCase()] ?? DAYS.find((x) => d.toLowerCase() === x || d.toLowerCase() === DAY_WORDS[x].toLowerCase()));
    if (parsed.length === 0 || parsed.some((d) => !d)) throw new OrukParameterError('day', 'day must be MO, TU, WE, TH, FR, SA or SU (or the day\'s name)');
    days = parsed as Day[];
  }
  const timeOf = (name: string) => {
    const v = single(query, name);
    if (v === undefined) return undefined;
    const m = minutesOf(v);
    if (m === undefined) throw new OrukParameterError(name, `${name} must be a time as HH:MM, for example 18:00`);
    return m;
  };
  const start = timeOf('start_time'), end = timeOf('end_time');
  if (start !== undefined && end !== undefined && end <= start) throw new OrukParameterError('end_time', 'end_time must be after start_time');
  if (days || start !== undefined || end !== undefined) {
    const window = windowLiteral(days ?? [...DAYS], start ?? 0, end ?? 1440);
    // With a time, the service must be open throughout it (on one of the days); a day alone: open at some time that day.
    if (start !== undefined && end !== undefined && (days?.length ?? 7) === 1) q.openThroughout = window;
    else q.openDuring = [...(q.openDuring ?? []), window];
  }
  if (bool(query, 'open_now')) q.openAt = minuteOfWeek(now);
  if (bool(query, 'evenings')) q.openDuring = [...(q.openDuring ?? []), EVENINGS];
  if (bool(query, 'weekends')) q.openDuring = [...(q.openDuring ?? []), WEEKENDS];
  const free = bool(query, 'free');
  if (free !== undefined) q.free = free;
  const self = bool(query, 'self_referral');
  if (self !== undefined) q.selfReferral = self;
  return { q, page, perPage };
}
