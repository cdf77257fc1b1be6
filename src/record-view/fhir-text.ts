/**
 * FHIR values as people read them: names, dates, ages, coded concepts, addresses. Pure functions, no
 * I/O; the record summary and the pages use them so that every screen words things the same way.
 */
import { localReference } from '../fhir/reference.js';
import { inWords, ukTermOf, type Words } from './uk-terms.js';

type Any = any; // FHIR JSON as stored; each helper checks the shape it reads.

export function humanName(names: Any): string {
  const n = Array.isArray(names) ? names.find((x: Any) => x?.use === 'official') ?? names[0] : undefined;
  if (!n) return '';
  if (typeof n.text === 'string' && n.text.trim()) return n.text.trim();
  return [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter((x) => typeof x === 'string' && x).join(' ');
}

/** "SMITH, Jane" style is for lists in NHS clinical systems; the pages use "Jane Smith". */
export function nameOf(resource: Any): string {
  if (!resource) return '';
  if (typeof resource.name === 'string') return resource.name;
  return humanName(resource.name);
}

/**
 * A coded concept in UK terms (uk-terms.ts), in clinical or plain words. Text someone wrote is kept as
 * written; text that only repeats a coding's display is a display like any other, so a known code's UK
 * term replaces it, and otherwise it is shown with UK spelling.
 */
export function conceptText(c: Any, words: Words = 'clinical'): string {
  if (!c) return '';
  const codings: Any[] = Array.isArray(c.coding) ? c.coding : [];
  const text = typeof c.text === 'string' && c.text ? c.text : undefined;
  if (text && !codings.some((x) => x?.display === text)) return text;
  for (const x of codings) {
    const uk = ukTermOf(x, words);
    if (uk) return uk;
  }
  const coding = codings.find((x) => x?.display) ?? codings[0];
  const shown = text ?? coding?.display;
  return typeof shown === 'string' ? inWords(shown, words) : coding?.code ?? '';
}

export function conceptsText(cs: Any, words: Words = 'clinical'): string {
  return Array.isArray(cs) ? cs.map((c) => conceptText(c, words)).filter(Boolean).join(', ') : '';
}

/**
 * The words for a status, the same wherever a page shows one (timeline entries, the referrals table,
 * care plan actions). A request that is active is "Open": it is waiting for someone to act on it.
 */
export const STATUS_TEXT: Readonly<Record<string, string>> = {
  draft: 'Draft', active: 'Active', 'on-hold': 'On hold', completed: 'Completed', cancelled: 'Cancelled', revoked: 'Cancelled',
  stopped: 'Stopped', 'entered-in-error': 'Entered in error', unknown: 'Unknown', final: 'Final', amended: 'Amended', preliminary: 'Preliminary',
  planned: 'Planned', arrived: 'Arrived', triaged: 'Triaged', 'in-progress': 'In progress', onleave: 'On leave', finished: 'Finished',
  proposed: 'Proposed', pending: 'Pending', booked: 'Booked', fulfilled: 'Attended', noshow: 'Did not attend', waitlist: 'On the waiting list',
  'not-started': 'Not started', scheduled: 'Scheduled', intended: 'Intended', 'not-taken': 'Not taken', inactive: 'Inactive', resolved: 'Resolved',
  'in-review': 'In review', superseded: 'Superseded', current: 'Current',
};
const REQUEST_TYPES = new Set(['ServiceRequest']);

/** "Open" for an active referral, "Completed", "Did not attend"…; the code itself when it has no words here. */
export function statusText(status: unknown, resourceType?: string): string {
  if (typeof status !== 'string' || !status) return '';
  if (status === 'active' && resourceType && REQUEST_TYPES.has(resourceType)) return 'Open';
  return STATUS_TEXT[status] ?? status.replace(/-/g, ' ');
}

/** UCUM units and unit strings as people read them; a score has no unit. */
const UNIT_TEXT: Readonly<Record<string, string>> = {
  'kg/m2': 'kg/m²', 'min/wk': 'minutes a week', 'mm[Hg]': 'mmHg', d: 'days', wk: 'weeks', mo: 'months', a: 'years', h: 'hours', min: 'minutes',
  '/min': 'a minute', '{beats}/min': 'beats a minute', '{breaths}/min': 'breaths a minute', Cel: '°C', '%': '%', score: '', '{score}': '',
};

/**
 * A Quantity as people read it: "27.4 kg/m²", "150 minutes a week", "0.19" for a score (scores have
 * no unit, and three decimal places say more than the score knows).
 */
export function quantityText(q: Any): string {
  if (!q || typeof q !== 'object') return '';
  const unitKey = typeof q.unit === 'string' && q.unit in UNIT_TEXT ? q.unit : typeof q.code === 'string' && q.code in UNIT_TEXT ? q.code : undefined;
  const unit = unitKey !== undefined ? UNIT_TEXT[unitKey] : typeof q.unit === 'string' ? q.unit : typeof q.code === 'string' && q.code !== '1' ? q.code : '';
  const isScore = unitKey === 'score' || unitKey === '{score}' || (q.code === '1' && !unit);
  const value = typeof q.value === 'number' && isScore ? String(Math.round(q.value * 100) / 100) : q.value ?? '';
  return `${q.comparator ?? ''}${value}${unit ? (unit === '%' || unit === '°C' ? unit : ` ${unit}`) : ''}`.trim();
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "3 March 2024" from a FHIR date or dateTime (the date part, as written); '' when absent or not a date. */
export function formatDate(value: unknown): string {
  if (typeof value !== 'string') return '';
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(value);
  if (!m) return '';
  const [, y, mo, d] = m;
  if (!mo) return y;
  const month = MONTHS[Number(mo) - 1];
  if (!month) return '';
  return d ? `${Number(d)} ${month} ${y}` : `${month} ${y}`;
}

/** "3 March 2024, 14:05" for a dateTime with a time (UK time is not applied: the time as recorded, UTC shown as such). */
export function formatDateTime(value: unknown): string {
  if (typeof value !== 'string') return '';
  const date = formatDate(value);
  const t = /T(\d{2}):(\d{2})/.exec(value);
  return t && date ? `${date}, ${t[1]}:${t[2]}` : date;
}

/** Whole years between a birth date (YYYY-MM-DD) and `now`; undefined when either is unknown. */
export function ageOn(birthDate: unknown, now: Date): number | undefined {
  if (typeof birthDate !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < mo || (now.getUTCMonth() + 1 === mo && now.getUTCDate() < d)) age--;
  return age >= 0 ? age : undefined;
}

export function addressText(addresses: Any): string {
  const a = Array.isArray(addresses) ? addresses.find((x: Any) => x?.use === 'home') ?? addresses[0] : undefined;
  if (!a) return '';
  if (typeof a.text === 'string' && a.text) return a.text;
  return [...(a.line ?? []), a.city, a.district, a.postalCode].filter((x) => typeof x === 'string' && x).join(', ');
}

export function postcodeOf(addresses: Any): string {
  const a = Array.isArray(addresses) ? addresses.find((x: Any) => x?.use === 'home') ?? addresses[0] : undefined;
  return typeof a?.postalCode === 'string' ? a.postalCode : '';
}

/** Phone numbers and email addresses, "mobile 07700 900123". */
export function contactsOf(telecom: Any): string[] {
  if (!Array.isArray(telecom)) return [];
  return telecom
    .filter((t: Any) => typeof t?.value === 'string')
    .map((t: Any) => `${t.system === 'email' ? 'email' : t.use === 'mobile' ? 'mobile' : t.use === 'work' ? 'work' : t.use === 'home' ? 'home' : t.system ?? 'contact'} ${t.value}`);
}

export function refId(ref: Any, type?: string): string | undefined {
  const k = localReference(typeof ref?.reference === 'string' ? ref.reference : undefined);
  return k && (!type || k.type === type) ? k.id : undefined;
}

/** The first period/date-like value of a resource, for a one-line summary. */
export function periodText(period: Any): string {
  if (!period) return '';
  const s = formatDate(period.start);
  const e = formatDate(period.end);
  return s && e ? (s === e ? s : `${s} to ${e}`) : s ? `from ${s}` : e ? `until ${e}` : '';
}
