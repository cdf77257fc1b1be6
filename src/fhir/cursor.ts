import { badRequest } from './outcome.js';

/**
 * One cursor codec for every keyset-paged list (FHIR search, history, $everything, the record's
 * timeline, the access log, worklists): a cursor is the last row's sort values and its `rid`,
 * base64url-encoded JSON. It is opaque to clients, and checked value by value against the SQL type
 * it will be compared with, so a forged cursor is a 400, never a failing statement.
 */
export interface Cursor {
  /** The sort values of the last row shown, in key order (null for a missing value). */
  v: (string | null)[];
  /**
   * The last row's rid, the tie-breaker of every ordering; for history, whose rows have no rid, the
   * version number (the last key of its ordering). A bigint either way.
   */
  r: string;
}

/** The SQL types a cursor value may be compared as. */
export type CursorCast = 'text' | 'timestamptz' | 'numeric' | 'bigint';

const BIGINT_MAX = 9223372036854775807n;
/** 19 digits can still overflow a bigint, which the database would answer with an error. */
const isBigint = (v: string): boolean => /^-?\d{1,19}$/.test(v) && BigInt(v) <= BIGINT_MAX && BigInt(v) >= -BIGINT_MAX - 1n;

const CAST_CHECK: Record<CursorCast, (v: string) => boolean> = {
  text: () => true,
  // Milliseconds from JavaScript dates, microseconds from PostgreSQL's to_char (the record's timeline).
  timestamptz: (v) => v === 'infinity' || v === '-infinity' || (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/.test(v) && !Number.isNaN(Date.parse(v))),
  numeric: (v) => /^-?\d{1,30}(\.\d{1,30})?$/.test(v),
  bigint: isBigint,
};

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/**
 * The cursor in `s`, its values checked against `casts` (one per sort key). A cursor that is not
 * one this server made is a 400 naming `param`.
 */
export function decodeCursor(s: string, casts: readonly CursorCast[], param = '_cursor'): Cursor {
  const refuse = () => badRequest(`The ${param} parameter is not valid: use the links the server returned`, param);
  if (typeof s !== 'string' || s.length > 8192) throw refuse();
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const ok =
    !!c && typeof c === 'object' && Array.isArray((c as Cursor).v) && (c as Cursor).v.length === casts.length &&
    typeof (c as Cursor).r === 'string' && /^\d{1,19}$/.test((c as Cursor).r) && isBigint((c as Cursor).r) &&
    (c as Cursor).v.every((x, i) => x === null || (typeof x === 'string' && x.length < 2100 && CAST_CHECK[casts[i]](x)));
  if (!ok) throw refuse();
  return { v: (c as Cursor).v, r: (c as Cursor).r };
}
