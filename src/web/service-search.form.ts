import type { DirectoryQuery } from '../directory/directory-search.repository.js';
import { SERVICE_TYPE_SYSTEM, termIdOf } from '../directory/directory-taxonomy.js';
import { EVENINGS, minuteOfWeek, WEEKENDS } from '../directory/opening-hours.js';
import { locatePostcode, type Point } from '../directory/postcode-geography.js';
import type { FieldErrors } from './components/index.js';
import { one } from './web-context.js';

/** The search form's answers as the user gave them (kept on the page when one is wrong). */
export interface ServiceSearchForm {
  /** The words to search for: the field `what` in the form and in the page's address. */
  what: string;
  kind: string;
  postcode: string;
  distance: string;
  when: string[];
  cost: string;
  referral: string;
  page: number;
}

export const DISTANCES = ['1', '3', '5', '10', '25'];
export const WHEN = { 'open-now': 'Open now', evenings: 'Evenings (after 6pm)', weekends: 'Weekends' } as const;
export const PER_PAGE = 10;

const many = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/**
 * The search page's query (what, where, open when, free or paid, self-referral) → the form's answers,
 * the directory query, the point searched from, and the errors (a postcode that is not one, or is
 * outside Kent and Medway). Unknown choices are errors too, never silently ignored.
 */
export function readServiceSearch(query: Record<string, unknown>, now: Date): { form: ServiceSearchForm; q?: DirectoryQuery; from?: Point; errors: FieldErrors; asked: boolean } {
  const form: ServiceSearchForm = {
    // `q` was this field's name in earlier links: still read, so those links keep working.
    what: (one(query.what) ?? one(query.q) ?? '').trim().slice(0, 200), kind: one(query.kind) ?? '', postcode: (one(query.postcode) ?? '').trim().slice(0, 20),
    distance: one(query.distance) ?? '5', when: many(query.when), cost: one(query.cost) ?? '', referral: one(query.referral) ?? '',
    page: Math.max(1, Math.min(1000, Number.parseInt(one(query.page) ?? '1', 10) || 1)),
  };
  const asked = Object.keys(query).some((k) => ['what', 'q', 'kind', 'postcode', 'when', 'cost', 'referral'].includes(k));
  const errors: FieldErrors = [];
  const q: DirectoryQuery = { limit: PER_PAGE, offset: (form.page - 1) * PER_PAGE };
  if (form.what) q.text = form.what;
  if (form.kind) {
    if (!/^[a-z-]{1,60}$/.test(form.kind)) errors.push({ field: 'kind', text: 'Choose a kind of help from the list' });
    else q.termIds = [termIdOf(SERVICE_TYPE_SYSTEM, form.kind)];
  }
  let from: Point | undefined;
  if (form.postcode) {
    const located = locatePostcode(form.postcode);
    if (!located) errors.push({ field: 'postcode', text: 'Enter a real postcode, like ME7 1AB' });
    else if (!located.point) errors.push({ field: 'postcode', text: `We only list services in Kent and Medway: ${located.outward} is outside the area we cover` });
    else {
      from = located.point;
      if (!DISTANCES.includes(form.distance)) errors.push({ field: 'distance', text: 'Choose how far you can travel from the list' });
      else q.near = { point: from, within: Number(form.distance) * 1000 };
    }
  }
  for (const w of form.when) if (!(w in WHEN)) errors.push({ field: 'when', text: 'Choose when it needs to be open from the list' });
  if (form.when.includes('open-now')) q.openAt = minuteOfWeek(now);
  q.openDuring = [...(form.when.includes('evenings') ? [EVENINGS] : []), ...(form.when.includes('weekends') ? [WEEKENDS] : [])];
  if (form.cost === 'free') q.free = true;
  else if (form.cost === 'paid') q.free = false;
  else if (form.cost) errors.push({ field: 'cost', text: 'Choose free, paid or either' });
  if (form.referral === 'self') q.selfReferral = true;
  else if (form.referral === 'professional') q.selfReferral = false;
  else if (form.referral) errors.push({ field: 'referral', text: 'Choose how people can be referred from the list' });
  return { form, ...(errors.length ? {} : { q }), ...(from ? { from } : {}), errors, asked };
}

/**
 * The search's query string, for links that keep it (paging, back to results, a search shared by
 * link): the same names as the form's fields, so a page's address is the search that made it.
 */
export function searchQueryString(form: ServiceSearchForm, page = form.page): string {
  const p = new URLSearchParams();
  if (form.what) p.set('what', form.what);
  if (form.kind) p.set('kind', form.kind);
  if (form.postcode) p.set('postcode', form.postcode);
  if (form.postcode) p.set('distance', form.distance);
  for (const w of form.when) p.append('when', w);
  if (form.cost) p.set('cost', form.cost);
  if (form.referral) p.set('referral', form.referral);
  if (page > 1) p.set('page', String(page));
  return p.toString();
}
