import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
});
afterAll(async () => t?.close());

async function post(resource: Record<string, unknown>): Promise<any> {
  const res = await fhir(t.app, 'POST', String(resource.resourceType), resource);
  expect(res.status).toBe(201);
  return res.body;
}

/** Follows next links from `url`, returning every page. */
async function allPages(url: string): Promise<any[]> {
  const pages = [];
  let next: string | undefined = url;
  while (next) {
    const res = await fhir(t.app, 'GET', next);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    pages.push(res.body);
    const link = res.body.link?.find((l: any) => l.relation === 'next')?.url as string | undefined;
    next = link ? new URL(link).pathname + new URL(link).search : undefined;
    expect(pages.length).toBeLessThan(50);
  }
  return pages;
}

const keys = (entries: any[]) => entries.map((e) => `${e.resource.resourceType}/${e.resource.id}`);
const matches = (page: any) => (page.entry ?? []).filter((e: any) => e.search?.mode === 'match');

let ada: any;
let bob: any;
let gp: any;
let practice: any;
const adaOwn: string[] = [];

beforeAll(async () => {
  practice = await post({ resourceType: 'Organization', name: 'Riverside Surgery', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'G82001' }] });
  gp = await post({ resourceType: 'Practitioner', name: [{ family: 'Mensah', prefix: ['Dr'] }] });
  const unrelatedOrg = await post({ resourceType: 'Organization', name: 'Unrelated Trust' });
  ada = await post({
    resourceType: 'Patient', name: [{ family: 'Everything', given: ['Ada'] }],
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' }],
    managingOrganization: { reference: `Organization/${practice.id}` },
    generalPractitioner: [{ reference: `Practitioner/${gp.id}` }],
  });
  bob = await post({ resourceType: 'Patient', name: [{ family: 'Other', given: ['Bob'] }], managingOrganization: { reference: `Organization/${unrelatedOrg.id}` } });
  adaOwn.push(`Patient/${ada.id}`);
  for (let i = 0; i < 4; i++) {
    const enc = await post({
      resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${ada.id}` },
      participant: [{ individual: { reference: `Practitioner/${gp.id}` } }], serviceProvider: { reference: `Organization/${practice.id}` },
    });
    adaOwn.push(`Encounter/${enc.id}`);
    for (let j = 0; j < 3; j++) {
      const obs = await post({
        resourceType: 'Observation', status: 'final', code: { text: 'Heart rate' }, subject: { reference: `Patient/${ada.id}` },
        encounter: { reference: `Encounter/${enc.id}` }, valueQuantity: { value: 60 + i * 3 + j },
      });
      adaOwn.push(`Observation/${obs.id}`);
    }
  }
  const cond = await post({ resourceType: 'Condition', subject: { reference: `Patient/${ada.id}` }, code: { text: 'Hypertension' } });
  adaOwn.push(`Condition/${cond.id}`);
  const allergy = await post({ resourceType: 'AllergyIntolerance', clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] }, patient: { reference: `Patient/${ada.id}` }, code: { text: 'Penicillin' } });
  adaOwn.push(`AllergyIntolerance/${allergy.id}`);
  // Bob's data, which must never appear in Ada's record.
  await post({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${bob.id}` } });
  await post({ resourceType: 'Observation', status: 'final', code: { text: 'Heart rate' }, subject: { reference: `Patient/${bob.id}` } });
  await post({ resourceType: 'Condition', subject: { reference: `Patient/${bob.id}` }, code: { text: 'Asthma' } });
});

describe('Patient/$everything', () => {
  it('returns the patient, their record and what it refers to, and nothing of another patient', async () => {
    const res = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything`);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Bundle');
    const m = keys(matches(res.body));
    expect(m.sort()).toEqual([...adaOwn].sort());
    const included = keys(res.body.entry.filter((e: any) => e.search?.mode === 'include'));
    expect(included).toContain(`Practitioner/${gp.id}`);
    expect(included).toContain(`Organization/${practice.id}`);
    const all = keys(res.body.entry);
    expect(new Set(all).size).toBe(all.length);
    expect(all).not.toContain(`Patient/${bob.id}`);
    for (const e of res.body.entry) {
      const json = JSON.stringify(e.resource);
      expect(json).not.toContain(bob.id);
      expect(e.fullUrl).toMatch(/\/fhir\/R4\/[A-Za-z]+\/[^/]+$/);
    }
  });

  it('answers the same by POST', async () => {
    const res = await fhir(t.app, 'POST', `Patient/${ada.id}/$everything`);
    expect(res.status).toBe(200);
    expect(keys(matches(res.body)).sort()).toEqual([...adaOwn].sort());
  });

  it('pages through next links with every resource exactly once', async () => {
    const pages = await allPages(`Patient/${ada.id}/$everything?_count=4`);
    expect(pages.length).toBe(Math.ceil(adaOwn.length / 4));
    const seen = pages.flatMap((p) => keys(matches(p)));
    expect(seen.length).toBe(adaOwn.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...adaOwn].sort());
    for (const p of pages) expect(matches(p).length).toBeLessThanOrEqual(4);
    // The resources a page refers to come with that page.
    const first = pages[0];
    expect(keys(first.entry)).toContain(`Organization/${practice.id}`);
  });

  it('keeps paging stable while new resources arrive', async () => {
    const first = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?_count=5`);
    const seen = keys(matches(first.body));
    const extra = await post({ resourceType: 'Flag', status: 'active', code: { text: 'Lives alone' }, subject: { reference: `Patient/${ada.id}` } });
    const nextUrl = new URL(first.body.link.find((l: any) => l.relation === 'next').url);
    const rest = await allPages(nextUrl.pathname + nextUrl.search);
    seen.push(...rest.flatMap((p) => keys(matches(p))));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(`Flag/${extra.id}`);
    adaOwn.push(`Flag/${extra.id}`);
    expect([...seen].sort()).toEqual([...adaOwn].sort());
  });

  it('limits to the types in _type', async () => {
    const res = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?_type=Condition,AllergyIntolerance`);
    expect(res.status).toBe(200);
    const types = new Set(matches(res.body).map((e: any) => e.resource.resourceType));
    expect([...types].sort()).toEqual(['AllergyIntolerance', 'Condition']);
    const withPatient = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?_type=Patient,Encounter`);
    expect(keys(matches(withPatient.body)).filter((k) => k.startsWith('Encounter/'))).toHaveLength(4);
    expect(keys(matches(withPatient.body))).toContain(`Patient/${ada.id}`);
    const unknown = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?_type=Spaceship`);
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
  });

  it('returns only what changed since _since', async () => {
    const all = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything`);
    const latest = matches(all.body).map((e: any) => e.resource.meta.lastUpdated as string).sort().pop()!;
    const later = await post({ resourceType: 'Observation', status: 'final', code: { text: 'Weight' }, subject: { reference: `Patient/${ada.id}` } });
    adaOwn.push(`Observation/${later.id}`);
    const since = new Date(new Date(latest).getTime() + 1).toISOString();
    const res = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?_since=${encodeURIComponent(since)}`);
    expect(res.status).toBe(200);
    const got = keys(matches(res.body));
    expect(got).toContain(`Observation/${later.id}`);
    for (const e of matches(res.body)) expect(e.resource.meta.lastUpdated >= since).toBe(true);
    expect(got.length).toBeLessThan(adaOwn.length);
    const bad = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?_since=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
  });

  it('does not show deleted resources', async () => {
    const cond = await post({ resourceType: 'Condition', subject: { reference: `Patient/${ada.id}` }, code: { text: 'Resolved' } });
    expect((await fhir(t.app, 'DELETE', `Condition/${cond.id}`)).status).toBe(204);
    const res = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything`);
    expect(keys(res.body.entry)).not.toContain(`Condition/${cond.id}`);
  });

  it('answers 404 for an unknown patient, 410 for a deleted one, 400 for a bad _count or cursor', async () => {
    const unknown = await fhir(t.app, 'GET', 'Patient/no-such-patient/$everything');
    expect(unknown.status).toBe(404);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
    const gone = await post({ resourceType: 'Patient', name: [{ family: 'Gone' }] });
    await fhir(t.app, 'DELETE', `Patient/${gone.id}`);
    expect((await fhir(t.app, 'GET', `Patient/${gone.id}/$everything`)).status).toBe(410);
    expect((await fhir(t.app, 'GET', `Observation/${ada.id}/$everything`)).status).toBe(404);
    for (const q of ['_count=0', '_count=abc', '_count=-1', '_cursor=abc', '_cursor=99999999999999999999999', '_cursor=9999999999999999999', '_count=1e400']) {
      const res = await fhir(t.app, 'GET', `Patient/${ada.id}/$everything?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });
});
