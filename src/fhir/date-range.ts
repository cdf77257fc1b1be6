/**
 * FHIR dates as ranges. A value covers everything within its precision: "2020" is all of 2020,
 * "2020-03-01T10:00:00Z" is that second. Ranges are [low, high) as ISO instants; open ends are
 * PostgreSQL's -infinity / infinity.
 */
export const NEG_INF = '-infinity';
export const POS_INF = 'infinity';

export interface DateRange {
  low: string;
  high: string;
}

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Parses a FHIR date, dateTime or instant (or a search value of that shape); undefined when invalid. */
export function parseDateRange(value: string): DateRange | undefined {
  const m = DATE_RE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  if (year < 1 || year > 9999) return undefined;
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return undefined;
  if (!h) {
    // Dates without a time are taken as UTC days.
    const start = Date.UTC(year, mo ? Number(mo) - 1 : 0, d ? Number(d) : 1);
    if (d && new Date(start).getUTCDate() !== Number(d)) return undefined;
    const end = d
      ? Date.UTC(year, Number(mo) - 1, Number(d) + 1)
      : mo
        ? Date.UTC(year, Number(mo), 1)
        : Date.UTC(year + 1, 0, 1);
    return { low: iso(start), high: iso(end) };
  }
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return undefined;
  const offset = !tz || tz === 'Z' ? 0 : (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  const start =
    Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), s ? Number(s) : 0, ms) - offset * 60_000;
  if (Number.isNaN(start)) return undefined;
  const width = frac ? 1 : s !== undefined ? 1000 : 60_000;
  return { low: iso(start), high: iso(start + width) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
