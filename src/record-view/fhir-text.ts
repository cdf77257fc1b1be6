/**
 * FHIR values as people read them: names, dates, ages, coded concepts, addresses. Pure functions, no
 * I/O; the record summary and the pages use them so that every screen words things the same way.
 */
import { localReference } from '../fhir/reference.js';

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

export function conceptText(c: Any): string {
  if (!c) return '';
  if (typeof c.text === 'string' && c.text) return c.text;
  const coding = (c.coding ?? []).find((x: Any) => x?.display) ?? c.coding?.[0];
  return coding?.display ?? coding?.code ?? '';
}

export function conceptsText(cs: Any): string {
  return Array.isArray(cs) ? cs.map(conceptText).filter(Boolean).join(', ') : '';
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
