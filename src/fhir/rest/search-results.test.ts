import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { entryIds, entryRefs, ids, put, searchset } from './search-test-helpers.js';

// Result parameters (_sort, _count, _total, _summary, _elements), _include/_revinclude, chains, _has
// and POST _search.

let t: TestPlatform;
const get = (url: string) => searchset(t.app, url);

const AMB = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' };
const LOINC = 'http://loinc.org';

beforeAll(async () => {
  t = await createTestPlatform();
  const app = t.app;
  await put(app, { resourceType: 'Practitioner', id: 'gp', name: [{ family: 'Hughes' }] });
  await put(app, { resourceType: 'Organization', id: 'org', name: 'Kent Community Health' });
  const patient = (id: string, family: string | undefined, birthDate: string | undefined, extra: object = {}) =>
    put(app, {
      resourceType: 'Patient', id,
      ...(family ? { name: [{ family, given: ['Sam'] }] } : {}),
      ...(birthDate ? { birthDate } : {}),
      identifier: [{ system: 'urn:test:mrn', value: `mrn-${id}` }],
      ...extra,
    });
  await patient('s-adams-80', 'Adams', '1980-05-05', {
    generalPractitioner: [{ reference: 'Practitioner/gp' }],
    maritalStatus: { text: 'Married' },
    managingOrganization: { reference: 'Organization/org' },
  });
  await patient('s-adams-90', 'Adams', '1990-01-01');
  await patient('s-baker', 'Baker', '1970-02-02');
  await patient('s-carter', 'Carter', '1960-03-03');
  await patient('s-none', undefined, '1985-04-04');

  const enc = (id: string, subject: string, extra: object = {}) =>
    put(app, { resourceType: 'Encounter', id, status: 'finished', class: AMB, subject: { reference: subject }, ...extra });
  await enc('enc-adams', 'Patient/s-adams-80', { participant: [{ individual: { reference: 'Practitioner/gp' } }] });
  await enc('enc-baker', 'Patient/s-baker');
  await enc('enc-group', 'Group/grp');
  await put(app, { resourceType: 'Group', id: 'grp', type: 'person', actual: true });

  const obs = (id: string, code: string, subject: string, encounter?: string) =>
    put(app, {
      resourceType: 'Observation', id, status: 'final',
      code: { coding: [{ system: LOINC, code }] },
      subject: { reference: subject },
      ...(encounter ? { encounter: { reference: encounter } } : {}),
    });
  await obs('obs-1234-adams', '1234', 'Patient/s-adams-80', 'Encounter/enc-adams');
  await obs('obs-9999-baker', '9999', 'Patient/s-baker', 'Encounter/enc-baker');
  await obs('obs-1234-carter', '1234', 'Patient/s-carter');
});
afterAll(async () => t?.close());

describe('_sort', () => {
  it('sorts by several keys, ascending and descending, with missing values last', async () => {
    expect(entryIds(await get('Patient?_sort=family,-birthdate'))).toEqual(['s-adams-90', 's-adams-80', 's-baker', 's-carter', 's-none']);
    expect(entryIds(await get('Patient?_sort=-family,birthdate'))).toEqual(['s-carter', 's-baker', 's-adams-80', 's-adams-90', 's-none']);
    expect(entryIds(await get('Patient?_sort=birthdate'))).toEqual(['s-carter', 's-baker', 's-adams-80', 's-none', 's-adams-90']);
    expect(entryIds(await get('Patient?_sort=-birthdate'))).toEqual(['s-adams-90', 's-none', 's-adams-80', 's-baker', 's-carter']);
  });

  it('sorts by _id and _lastUpdated', async () => {
    const all = ['s-adams-80', 's-adams-90', 's-baker', 's-carter', 's-none'];
    expect(entryIds(await get('Patient?_sort=_id'))).toEqual(all);
    expect(entryIds(await get('Patient?_sort=-_id'))).toEqual([...all].reverse());
    // Created in this order, one after the other.
    expect(entryIds(await get('Patient?_sort=_lastUpdated'))).toEqual(all);
    expect(entryIds(await get('Patient?_sort=-_lastUpdated'))).toEqual([...all].reverse());
  });
});

describe('_count, _total, _summary, _elements', () => {
  it('_count limits the page and gives a next link', async () => {
    const b = await get('Patient?_count=2&_sort=_id');
    expect(entryIds(b)).toEqual(['s-adams-80', 's-adams-90']);
    expect(b.link.find((l: any) => l.relation === 'next')).toBeDefined();
    const all = await get('Patient?_count=5');
    expect(entryIds(all)).toHaveLength(5);
    expect(all.link.find((l: any) => l.relation === 'next')).toBeUndefined();
  });

  it('_total=accurate and _summary=count', async () => {
    const b = await get('Patient?family=adams&_total=accurate');
    expect(b.total).toBe(2);
    expect(entryIds(b).sort()).toEqual(['s-adams-80', 's-adams-90']);
    const c = await get('Patient?family=adams&_summary=count');
    expect(c.total).toBe(2);
    expect(c.entry ?? []).toHaveLength(0);
    expect((await get('Patient?_summary=count')).total).toBe(5);
    expect((await get('Patient?family=zzz&_summary=count')).total).toBe(0);
  });

  it('_elements keeps only the named elements and marks the resource SUBSETTED', async () => {
    const b = await get('Patient?_id=s-adams-80&_elements=name,birthDate');
    const r = b.entry[0].resource;
    expect(r.resourceType).toBe('Patient');
    expect(r.id).toBe('s-adams-80');
    expect(r.name[0].family).toBe('Adams');
    expect(r.birthDate).toBe('1980-05-05');
    expect(r.identifier).toBeUndefined();
    expect(r.generalPractitioner).toBeUndefined();
    expect(r.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
  });

  it('_summary=true keeps the summary elements only', async () => {
    const r = (await get('Patient?_id=s-adams-80&_summary=true')).entry[0].resource;
    expect(r.name[0].family).toBe('Adams');
    expect(r.identifier[0].value).toBe('mrn-s-adams-80');
    expect(r.birthDate).toBe('1980-05-05');
    expect(r.maritalStatus).toBeUndefined();
    expect(r.generalPractitioner).toBeUndefined();
    expect(r.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
    const full = (await get('Patient?_id=s-adams-80')).entry[0].resource;
    expect(full.maritalStatus.text).toBe('Married');
    expect(full.meta.tag.map((c: any) => c.code)).not.toContain('SUBSETTED');
  });
});

describe('_include and _revinclude', () => {
  it('_include adds the referenced resources in search mode include', async () => {
    const b = await get('Encounter?_include=Encounter:subject');
    expect(entryIds(b).sort()).toEqual(['enc-adams', 'enc-baker', 'enc-group']);
    expect(entryRefs(b, 'include')).toEqual(['Group/grp', 'Patient/s-adams-80', 'Patient/s-baker']);
    const typed = await get('Encounter?_include=Encounter:subject:Patient');
    expect(entryRefs(typed, 'include')).toEqual(['Patient/s-adams-80', 'Patient/s-baker']);
    const gp = await get('Patient?_id=s-adams-80,s-baker&_include=Patient:general-practitioner');
    expect(entryRefs(gp, 'include')).toEqual(['Practitioner/gp']);
    const two = await get('Patient?_id=s-adams-80&_include=Patient:general-practitioner&_include=Patient:organization');
    expect(entryRefs(two, 'include')).toEqual(['Organization/org', 'Practitioner/gp']);
    const star = await get('Encounter?_id=enc-adams&_include=Encounter:*');
    expect(entryRefs(star, 'include')).toEqual(['Patient/s-adams-80', 'Practitioner/gp']);
  });

  it('lists a resource once, as a match, when it is also included', async () => {
    const b = await get('Patient?_id=s-adams-80&_revinclude=Encounter:subject&_include:iterate=Encounter:subject');
    expect(entryRefs(b, 'match')).toEqual(['Patient/s-adams-80']);
    expect(entryRefs(b, 'include')).toEqual(['Encounter/enc-adams']);
  });

  it('_include:iterate follows references from included resources', async () => {
    const once = await get('Observation?code=1234&_include=Observation:encounter');
    expect(entryRefs(once, 'include')).toEqual(['Encounter/enc-adams']);
    const b = await get('Observation?code=1234&_include=Observation:encounter&_include:iterate=Encounter:participant');
    expect(entryRefs(b, 'match')).toEqual(['Observation/obs-1234-adams', 'Observation/obs-1234-carter']);
    expect(entryRefs(b, 'include')).toEqual(['Encounter/enc-adams', 'Practitioner/gp']);
  });

  it('_revinclude adds the resources that refer to the matches', async () => {
    const b = await get('Patient?family=adams,baker&_revinclude=Encounter:subject');
    expect(entryRefs(b, 'match')).toEqual(['Patient/s-adams-80', 'Patient/s-adams-90', 'Patient/s-baker']);
    expect(entryRefs(b, 'include')).toEqual(['Encounter/enc-adams', 'Encounter/enc-baker']);
    const pat = await get('Patient?_id=s-carter&_revinclude=Observation:patient');
    expect(entryRefs(pat, 'include')).toEqual(['Observation/obs-1234-carter']);
  });

  it('_revinclude:iterate follows references to included resources', async () => {
    const b = await get('Patient?_id=s-adams-80,s-baker&_revinclude=Encounter:subject&_revinclude:iterate=Observation:encounter');
    expect(entryRefs(b, 'include')).toEqual(['Encounter/enc-adams', 'Encounter/enc-baker', 'Observation/obs-1234-adams', 'Observation/obs-9999-baker']);
    const without = await get('Patient?_id=s-adams-80,s-baker&_revinclude=Encounter:subject&_revinclude=Observation:encounter');
    expect(entryRefs(without, 'include')).toEqual(['Encounter/enc-adams', 'Encounter/enc-baker']);
  });
});

describe('chained search and _has', () => {
  it('chains through a reference to a parameter of the target', async () => {
    expect(await ids(t.app, 'Encounter?patient.identifier=urn:test:mrn|mrn-s-baker')).toEqual(['enc-baker']);
    expect(await ids(t.app, 'Encounter?subject.identifier=urn:test:mrn|mrn-s-baker')).toEqual(['enc-baker']);
    expect(await ids(t.app, 'Observation?subject:Patient.name=adams')).toEqual(['obs-1234-adams']);
    expect(await ids(t.app, 'Observation?subject:Patient.birthdate=lt1975')).toEqual(['obs-1234-carter', 'obs-9999-baker']);
    expect(await ids(t.app, 'Observation?patient.name=nobody')).toEqual([]);
    expect(await ids(t.app, 'Encounter?subject:Patient.name=adams&subject:Patient.name=baker')).toEqual([]);
    expect(await ids(t.app, 'Encounter?subject:Patient.name=adams,baker')).toEqual(['enc-adams', 'enc-baker']);
  });

  it('_has selects by the resources that refer to the match', async () => {
    expect(await ids(t.app, 'Patient?_has:Observation:patient:code=1234')).toEqual(['s-adams-80', 's-carter']);
    expect(await ids(t.app, `Patient?_has:Observation:patient:code=${LOINC}|9999`)).toEqual(['s-baker']);
    expect(await ids(t.app, 'Patient?_has:Observation:patient:code=1234&birthdate=lt1970')).toEqual(['s-carter']);
    expect(await ids(t.app, 'Patient?_has:Observation:subject:code=0000')).toEqual([]);
    expect(await ids(t.app, 'Practitioner?_has:Encounter:participant:subject=Patient/s-adams-80')).toEqual(['gp']);
  });

  it('nested _has', async () => {
    expect(await ids(t.app, 'Patient?_has:Encounter:subject:_has:Observation:encounter:code=1234')).toEqual(['s-adams-80']);
    expect(await ids(t.app, 'Patient?_has:Encounter:subject:_has:Observation:encounter:code=9999')).toEqual(['s-baker']);
  });
});

describe('POST _search', () => {
  it('takes the parameters from a form body, with the URL query', async () => {
    const res = await fhir(t.app, 'POST', 'Patient/_search', 'family=adams&_sort=-birthdate', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(entryIds(res.body)).toEqual(['s-adams-90', 's-adams-80']);
    const both = await fhir(t.app, 'POST', 'Patient/_search?birthdate=lt1985', 'family=adams', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(entryIds(both.body)).toEqual(['s-adams-80']);
    const bad = await fhir(t.app, 'POST', 'Patient/_search', 'nonsense=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(bad.status).toBe(400);
  });

  it('pages with GET links that carry the form parameters', async () => {
    const res = await fhir(t.app, 'POST', 'Patient/_search', '_count=1&_sort=_id&family=adams', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(entryIds(res.body)).toEqual(['s-adams-80']);
    const next = new URL(res.body.link.find((l: any) => l.relation === 'next').url);
    const page2 = await get(`${next.pathname}${next.search}`);
    expect(entryIds(page2)).toEqual(['s-adams-90']);
  });
});
