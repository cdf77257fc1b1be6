import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { entryIds, ids, nextUrl, put, searchset } from './search-test-helpers.js';

// Bad search input: a 4xx OperationOutcome that names the problem, or correct results; never a 5xx.

let t: TestPlatform;
const enc = encodeURIComponent;

beforeAll(async () => {
  t = await createTestPlatform();
  await put(t.app, { resourceType: 'Patient', id: 'h-pct', name: [{ family: `100% O'Neil_x\\y "q"` }], birthDate: '1970-01-01' });
  await put(t.app, { resourceType: 'Patient', id: 'h-plain', name: [{ family: '100 Oneilx' }], birthDate: '1980-01-01' });
  await put(t.app, { resourceType: 'Patient', id: 'h-uni', name: [{ family: '山田', given: ['Ünïcödé'] }] });
  for (let i = 0; i < 3; i++) await put(t.app, { resourceType: 'Patient', id: `h-page-${i}`, name: [{ family: 'Paging' }] });
});
afterAll(async () => t?.close());

async function expect400(url: string, mentions?: string) {
  const res = await fhir(t.app, 'GET', url);
  expect(res.status, url).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  if (mentions) expect(JSON.stringify(res.body.issue), url).toContain(mentions);
  return res.body;
}

describe('refused searches', () => {
  it('an unknown parameter is a 400 that names it', async () => {
    const oo = await expect400('Patient?nonsense=1&name=x', 'nonsense');
    expect(oo.issue[0].severity).toBe('error');
    expect(oo.issue[0].expression).toEqual(['nonsense']);
    await expect400('Patient?_has:Spaceship:patient:code=1', 'Spaceship');
    await expect400('Patient?_has:Observation:nonsense:code=1', 'nonsense');
    await expect400('Encounter?subject.nonsense=1', 'nonsense');
    await expect400('Patient?_sort=nonsense', 'nonsense');
  });

  it('Prefer: handling=lenient ignores it and says so in an outcome entry', async () => {
    const res = await fhir(t.app, 'GET', 'Patient?nonsense=1&name=100', undefined, { prefer: 'handling=lenient' });
    expect(res.status).toBe(200);
    expect(entryIds(res.body).sort()).toEqual(['h-pct', 'h-plain']);
    const outcomes = res.body.entry.filter((e: any) => e.search.mode === 'outcome');
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0].resource.resourceType).toBe('OperationOutcome');
    expect(outcomes[0].resource.issue[0].severity).toBe('warning');
    expect(outcomes[0].resource.issue[0].diagnostics).toContain('nonsense');
    // Lenient handling covers unknown parameters, not malformed values.
    const bad = await fhir(t.app, 'GET', 'Patient?birthdate=notadate', undefined, { prefer: 'handling=lenient' });
    expect(bad.status).toBe(400);
  });

  it('bad dates and numbers', async () => {
    for (const v of ['notadate', '2020-13', '2020-02-30', 'gt', 'xx2020', '2020-01-01T25:00', '20200101', '']) {
      if (v === '') continue;
      await expect400(`Patient?birthdate=${enc(v)}`, 'birthdate');
    }
    await expect400('Patient?_lastUpdated=yesterday', '_lastUpdated');
    await expect400('RiskAssessment?probability=abc', 'probability');
    await expect400('RiskAssessment?probability=gt', 'probability');
    await expect400('RiskAssessment?probability=1,2,x', 'probability');
    await expect400('Observation?value-quantity=heavy|http://unitsofmeasure.org|kg', 'value-quantity');
    await expect400('Patient?_count=-1', '_count');
    await expect400('Patient?_count=ten', '_count');
    await expect400('Patient?_total=maybe', '_total');
    await expect400('Patient?_summary=some', '_summary');
  });

  it('bad modifiers', async () => {
    await expect400('Patient?name:foo=x', 'foo');
    await expect400('Patient?gender:exact=male', 'exact');
    await expect400('Patient?birthdate:contains=1970', 'contains');
    await expect400('Patient?name:missing=maybe', 'name');
    await expect400('Patient?name:exact:contains=x');
    await expect400('Patient?_include:deep=Patient:organization', 'deep');
    await expect400('Observation?subject:Spaceship=1', 'Spaceship');
  });

  it('a tampered _cursor', async () => {
    const first = await searchset(t.app, 'Patient?family=paging&_count=1&_sort=family');
    const next = nextUrl(first)!;
    expect(next).toContain('_cursor=');
    const cursor = new URL(next, 'http://x').searchParams.get('_cursor')!;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const forge = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');
    const tampered = [
      'garbage',
      `${cursor}xx`,
      forge({ ...decoded, r: "1; DROP TABLE resource; --" }),
      forge({ ...decoded, r: '99999999999999999999999' }),
      forge({ ...decoded, v: [] }),
      forge({ ...decoded, v: [{ $gt: 1 }] }),
      forge({ ...decoded, v: ["x' OR '1'='1", 'extra'] }),
      forge([1, 2, 3]),
      forge(null),
    ];
    for (const c of tampered) {
      const res = await fhir(t.app, 'GET', `Patient?family=paging&_count=1&_sort=family&_cursor=${enc(c)}`);
      expect(res.status, c).toBe(400);
      expect(JSON.stringify(res.body.issue)).toContain('_cursor');
    }
    // A cursor made for one sort is refused by another whose keys have other types.
    const dated = nextUrl(await searchset(t.app, 'Patient?family=paging&_count=1&_sort=birthdate'))!;
    const dc = new URL(dated, 'http://x').searchParams.get('_cursor')!;
    expect((await fhir(t.app, 'GET', `Patient?family=paging&_count=1&_sort=birthdate,family&_cursor=${dc}`)).status).toBe(400);
    const real = forge({ ...decoded, v: ['zzzz'] });
    expect((await fhir(t.app, 'GET', `Patient?family=paging&_count=1&_sort=family&_cursor=${real}`)).status).toBe(200);
  });
});

describe('hostile strings', () => {
  it('LIKE wildcards, quotes and backslashes are taken literally', async () => {
    expect(await ids(t.app, `Patient?name=${enc('100%')}`)).toEqual(['h-pct']);
    expect(await ids(t.app, `Patient?name=${enc('%')}`)).toEqual([]);
    expect(await ids(t.app, `Patient?name=${enc('_')}`)).toEqual([]);
    expect(await ids(t.app, `Patient?name:contains=${enc('l_x')}`)).toEqual(['h-pct']);
    expect(await ids(t.app, `Patient?name:contains=${enc("'neil")}`)).toEqual(['h-pct']);
    expect(await ids(t.app, `Patient?name:contains=${enc('x\\y')}`)).toEqual(['h-pct']);
    expect(await ids(t.app, `Patient?name:contains=${enc('"q"')}`)).toEqual(['h-pct']);
    expect(await ids(t.app, `Patient?name:exact=${enc(`100% O'Neil_x\\y "q"`)}`)).toEqual(['h-pct']);
    expect(await ids(t.app, `Patient?name=${enc('山')}`)).toEqual(['h-uni']);
    expect(await ids(t.app, `Patient?name=${enc('unicode')}`)).toEqual(['h-uni']);
    // An escaped comma is part of the value, not an OR.
    expect(await ids(t.app, `Patient?name=${enc('100\\,x')}`)).toEqual([]);
  });

  const values = [
    "'", "''", '"', "'; DROP TABLE resource; --", "' OR '1'='1", '1) OR (1=1', '\\', '\\\\', '\\,', '\\|', '%', '%%', '_', '%_%',
    '|', '||', '|||', 'a|b|c|d', ',', ',,,', '$', '\u0000', 'a\u0000b', '\uFFFF', '\uD83D\uDE00', '\u202E', '𝕏'.repeat(100),
    'x'.repeat(1999), 'x'.repeat(2001), 'y'.repeat(20000), 'Patient/', 'Patient/../../etc', 'http://', 'urn:uuid:', ':', '::',
    'gt', 'eq', 'ap', 'sa1', 'eb-1', 'gt1e999999', '1e999999', '-1e999999', '1e-999999', '9'.repeat(400), `0.${'0'.repeat(500)}1`,
    '9999', '9999-12-31T23:59:59-14:00', '0001-01-01T00:00:00+14:00', '0001', 'ge9999-12-31', 'le0001-01-01',
    '{"$ne":1}', '<script>', 'NaN', 'Infinity', '-Infinity', 'null', 'true',
  ];
  const params = [
    'Patient?name=', 'Patient?name:exact=', 'Patient?name:contains=', 'Patient?identifier=', 'Patient?identifier:text=',
    'Patient?gender:not=', 'Patient?_id=', 'Patient?birthdate=', 'Patient?_lastUpdated=', 'Observation?subject=',
    'Observation?subject:identifier=', 'Observation?value-quantity=', 'RiskAssessment?probability=', 'Questionnaire?url:below=',
    'Questionnaire?url:above=', 'Encounter?patient.name=', 'Patient?_has:Observation:patient:code=', 'Patient?_sort=',
    'Patient?_include=', 'Patient?_revinclude=', 'Patient?_elements=', 'Patient?_count=', 'Patient?_cursor=', 'Patient?_summary=',
  ];
  // About 1,500 requests (21 s in one test on a shared 2-core machine): four tests of about 5 s, each with a
  // limit far above that, so that a loaded CI machine cannot fail them on time alone.
  const PARTS = 4;
  const size = Math.ceil(params.length / PARTS);
  for (let part = 0; part < PARTS; part++) {
    const mine = params.slice(part * size, (part + 1) * size);
    it(`never answers 5xx (parameters ${part * size + 1}-${part * size + mine.length} of ${params.length})`, async () => {
      const failures: string[] = [];
      for (const p of mine) {
        for (const v of values) {
          const url = `${p}${enc(v)}`;
          const res = await fhir(t.app, 'GET', url);
          if (res.status >= 500 || !/^(Bundle|OperationOutcome)$/.test(res.body?.resourceType)) failures.push(`${res.status} ${url.slice(0, 120)}`);
        }
      }
      expect(failures).toEqual([]);
    }, 240_000);
  }

  it('hostile parameter names never answer 5xx', async () => {
    const names = [
      '_has', '_has:', '_has:Observation', '_has:Observation:patient', '_has:Observation:patient:', '_has::::', '.', '..', 'name.',
      '.name', 'subject.', 'subject:Patient.', 'subject:Patient..name', 'subject.name.name.name', 'name:', ':', '::', 'name::exact',
      "name'--", 'name%', '_include', '_include:', '_include:iterate:x', '_sort:x', 'x'.repeat(5000), '\u0000', 'name\u0000',
      '_has:Observation:patient:_has:Observation:patient:_has:Observation:patient:code',
    ];
    const failures: string[] = [];
    for (const n of names) {
      for (const v of ['1', 'Patient:organization', "'", '']) {
        const url = `Patient?${enc(n)}=${enc(v)}`;
        const res = await fhir(t.app, 'GET', url);
        if (res.status >= 500) failures.push(`${res.status} ${url.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    const res = await fhir(t.app, 'POST', 'Patient/_search', `name=${enc("'; DROP TABLE resource; --")}&%zz=%%`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBeLessThan(500);
    expect((await fhir(t.app, 'GET', 'Patient/h-pct')).status).toBe(200);
  });
});

describe('dates at the edges of the calendar', () => {
  it('stores and finds dates in the last year PostgreSQL can hold', async () => {
    await put(t.app, { resourceType: 'Patient', id: 'h-9999', birthDate: '9999-12-31' });
    expect(await ids(t.app, 'Patient?birthdate=9999')).toEqual(['h-9999']);
    expect(await ids(t.app, 'Patient?birthdate=ge9999-12-31')).toEqual(['h-9999']);
    expect(await ids(t.app, 'Patient?birthdate=gt9000&_sort=birthdate')).toEqual(['h-9999']);
  });
});
