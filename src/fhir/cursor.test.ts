import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';
import { FhirError } from './outcome.js';

const forge = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');

/** The 400 a forged cursor must be, naming the parameter it came in. */
function refused(s: string, casts: Parameters<typeof decodeCursor>[1], param?: string): FhirError {
  try {
    decodeCursor(s, casts, param);
  } catch (e) {
    expect(e).toBeInstanceOf(FhirError);
    return e as FhirError;
  }
  throw new Error(`accepted ${s}`);
}

describe('cursor codec', () => {
  it('round-trips the sort values and rid, nulls included', () => {
    const c = { v: ['Smith', '2024-05-01T10:00:00.000Z', null, '-1.50', '42'], r: '9223372036854775807' };
    expect(decodeCursor(encodeCursor(c), ['text', 'timestamptz', 'numeric', 'numeric', 'bigint'])).toEqual(c);
    expect(decodeCursor(encodeCursor({ v: [], r: '7' }), [])).toEqual({ v: [], r: '7' });
    // PostgreSQL's to_char gives microseconds; infinities stand for open-ended periods.
    for (const t of ['2024-05-01T10:00:00.123456Z', 'infinity', '-infinity']) {
      expect(decodeCursor(encodeCursor({ v: [t], r: '1' }), ['timestamptz']).v).toEqual([t]);
    }
  });

  it('is a 400 naming the parameter, default _cursor', () => {
    const e = refused('garbage', ['text']);
    expect(e.status).toBe(400);
    expect(JSON.stringify(e.outcome)).toContain('_cursor');
    expect(JSON.stringify(refused('garbage', ['text'], 'cursor').outcome)).toContain('"cursor"');
  });

  it("refuses a value its cast cannot take", () => {
    for (const bad of ['2024-05-01', '2024-13-45T10:00:00.000Z', 'yesterday', "x' OR '1'='1"]) refused(forge({ v: [bad], r: '1' }), ['timestamptz']);
    for (const bad of ['1e5', 'NaN', '1.2.3', '', '1'.repeat(31)]) refused(forge({ v: [bad], r: '1' }), ['numeric']);
    for (const bad of ['1.5', '9223372036854775808', '-9223372036854775809', 'x']) refused(forge({ v: [bad], r: '1' }), ['bigint']);
    // text takes any string, but only strings (or null).
    for (const bad of [1, true, { $gt: 1 }, ['a']]) refused(forge({ v: [bad], r: '1' }), ['text']);
  });

  it('refuses a rid that is not a bigint', () => {
    for (const r of ['-1', '1; DROP TABLE resource', '9223372036854775808', '99999999999999999999', 1, null]) refused(forge({ v: [], r }), []);
  });

  it('refuses the wrong number of values, and other shapes', () => {
    refused(forge({ v: ['a', 'b'], r: '1' }), ['text']);
    refused(forge({ v: [], r: '1' }), ['text']);
    for (const c of [null, [1, 2, 3], 'x', { r: '1' }, { v: 'a', r: '1' }]) refused(forge(c), ['text']);
  });

  it('refuses an over-long cursor or value', () => {
    refused(forge({ v: ['x'.repeat(2100)], r: '1' }), ['text']);
    refused('A'.repeat(8193), ['text']);
  });
});
