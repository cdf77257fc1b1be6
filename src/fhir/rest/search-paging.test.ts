import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { allPages, entryIds, nextUrl, put, searchset } from './search-test-helpers.js';

// Paging follows `next` links (a keyset cursor, not OFFSET): every match once, and stable while
// other clients insert.

let t: TestPlatform;
const AMB = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' };

const birth = (i: number) => `19${50 + (i % 6)}-0${1 + (i % 3)}-1${i % 5}`;
const originals = Array.from({ length: 25 }, (_, i) => `pg-${String(i).padStart(2, '0')}`);

async function patient(id: string, family: string, birthDate?: string) {
  return put(t.app, { resourceType: 'Patient', id, name: [{ family, given: [id] }], ...(birthDate ? { birthDate } : {}), gender: ['male', 'female', 'other'][id.length % 3] });
}

beforeAll(async () => {
  t = await createTestPlatform();
  for (const [i, id] of originals.entries()) await patient(id, 'Pager', i % 7 === 3 ? undefined : birth(i));
});
afterAll(async () => t?.close());

function expectEachOnce(pages: string[][], expected: string[]) {
  const flat = pages.flat();
  expect(new Set(flat).size).toBe(flat.length);
  expect([...flat].sort()).toEqual([...expected].sort());
}

describe('following next links', () => {
  it('returns every match exactly once in the default order', async () => {
    const pages = await allPages(t.app, 'Patient?family=pager&_count=7');
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
    expect(pages.flat()).toEqual(originals);
  });

  it('returns every match exactly once in a sorted order with ties and missing values', async () => {
    for (const sort of ['-birthdate', 'birthdate', 'family,birthdate', 'gender,-_id', '-_lastUpdated', 'name,-birthdate,_id']) {
      const pages = await allPages(t.app, `Patient?family=pager&_count=4&_sort=${sort}`);
      expectEachOnce(pages, originals);
      const single = entryIds(await searchset(t.app, `Patient?family=pager&_count=100&_sort=${sort}`));
      expect(pages.flat(), sort).toEqual(single);
    }
  });

  it('pages over open-ended periods (infinite sort values) and numbers', async () => {
    const periods = [{ start: '2020-01-01' }, { end: '2019-01-01' }, { start: '2018-01-01', end: '2018-02-01' }, { start: '2021-01-01' }, { end: '2017-05-05' }, {}];
    for (const [i, period] of periods.entries()) {
      await put(t.app, { resourceType: 'Encounter', id: `pe-${i}`, status: 'finished', class: AMB, subject: { reference: 'Patient/pg-00' }, ...(Object.keys(period).length > 0 ? { period } : {}) });
    }
    const all = periods.map((_, i) => `pe-${i}`);
    for (const sort of ['date', '-date', 'date,-_id']) {
      const pages = await allPages(t.app, `Encounter?_count=2&_sort=${sort}`);
      expectEachOnce(pages, all);
      expect(pages.flat(), sort).toEqual(entryIds(await searchset(t.app, `Encounter?_count=50&_sort=${sort}`)));
    }
    // Open starts sort as -infinity; no period at all sorts last.
    expect(entryIds(await searchset(t.app, 'Encounter?_sort=date'))).toEqual(['pe-1', 'pe-4', 'pe-2', 'pe-0', 'pe-3', 'pe-5']);
    expect(entryIds(await searchset(t.app, 'Encounter?_sort=-date'))).toEqual(['pe-0', 'pe-3', 'pe-1', 'pe-2', 'pe-4', 'pe-5']);

    for (const [i, p] of [0.5, 0.125, 0.5, 0.9, 0.0001].entries()) {
      await put(t.app, { resourceType: 'RiskAssessment', id: `rk-${i}`, status: 'final', subject: { reference: 'Patient/pg-00' }, prediction: [{ probabilityDecimal: p }] });
    }
    const pages = await allPages(t.app, 'RiskAssessment?_count=2&_sort=-probability');
    expect(pages.flat()).toEqual(['rk-3', 'rk-0', 'rk-2', 'rk-1', 'rk-4']);
  });
});

describe('keyset stability while others insert', () => {
  it('default order: no duplicates or skips of the original matches', async () => {
    const first = await searchset(t.app, 'Patient?family=pager&_count=5');
    const seen = entryIds(first);
    expect(seen).toEqual(originals.slice(0, 5));
    for (let i = 0; i < 10; i++) await patient(`pg-new-${i}`, 'Pager', birth(i));
    const rest = await allPages(t.app, nextUrl(first)!);
    const flat = [...seen, ...rest.flat()];
    expect(new Set(flat).size).toBe(flat.length);
    expect(flat.filter((id) => originals.includes(id))).toEqual(originals);
    // New resources come after the old ones in the default order, so this client sees them too.
    expect(flat.filter((id) => !originals.includes(id))).toHaveLength(10);
  });

  it('sorted order: no duplicates or skips, whatever the new rows sort as', async () => {
    const url = 'Patient?family=sorted&_count=4&_sort=birthdate';
    const olds = Array.from({ length: 12 }, (_, i) => `so-${String(i).padStart(2, '0')}`);
    for (const [i, id] of olds.entries()) await patient(id, 'Sorted', `1960-01-${String(10 + i).padStart(2, '0')}`);
    const first = await searchset(t.app, url);
    expect(entryIds(first)).toEqual(olds.slice(0, 4));
    // Before the cursor, equal to its value, between the remaining rows, and after them all.
    await patient('sn-before', 'Sorted', '1950-01-01');
    await patient('sn-tie', 'Sorted', '1960-01-13');
    await patient('sn-middle', 'Sorted', '1960-01-17');
    await patient('sn-after', 'Sorted', '1999-01-01');
    const rest = (await allPages(t.app, nextUrl(first)!)).flat();
    const flat = [...entryIds(first), ...rest];
    expect(new Set(flat).size).toBe(flat.length);
    expect(flat.filter((id) => olds.includes(id))).toEqual(olds);
    expect(rest).not.toContain('sn-before');
    expect(rest).toContain('sn-after');
  });
});
