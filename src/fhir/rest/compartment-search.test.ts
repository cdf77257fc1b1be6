import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
const ids: Record<string, string> = {};
beforeAll(async () => {
  t = await createTestPlatform();
  const mk = async (key: string, body: Record<string, unknown>) => {
    const r = await fhir(t.app, 'POST', body.resourceType as string, body);
    expect(r.status).toBe(201);
    ids[key] = r.body.id;
  };
  await mk('p1', { resourceType: 'Patient', name: [{ family: 'One' }] });
  await mk('p2', { resourceType: 'Patient', name: [{ family: 'Two' }] });
  await mk('pr', { resourceType: 'Practitioner', name: [{ family: 'Doctor' }] });
  for (const [key, p, status] of [['e1', 'p1', 'finished'], ['e1b', 'p1', 'in-progress'], ['e2', 'p2', 'finished']]) {
    await mk(key, { resourceType: 'Encounter', status, class: { code: 'AMB' }, subject: { reference: `Patient/${ids[p]}` } });
  }
  // In p1's compartment through subject, and through performer (the compartment's second parameter for Observation).
  await mk('o1', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${ids.p1}` } });
  await mk('o2', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${ids.p2}` }, performer: [{ reference: `Patient/${ids.p1}` }] });
  await mk('o3', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${ids.p2}` } });
});
afterAll(async () => t?.close());

const found = (res: { body: any }) => (res.body.entry ?? []).filter((e: any) => e.search?.mode !== 'include').map((e: any) => e.resource.id).sort();

describe('compartment search: GET Patient/id/Type', () => {
  it('finds the type\'s resources in the patient\'s compartment', async () => {
    const res = await fhir(t.app, 'GET', `Patient/${ids.p1}/Encounter`);
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('searchset');
    expect(found(res)).toEqual([ids.e1, ids.e1b].sort());
    expect(found(await fhir(t.app, 'GET', `Patient/${ids.p2}/Encounter`))).toEqual([ids.e2]);
  });

  it('uses every compartment parameter of the type (Observation: subject or performer)', async () => {
    expect(found(await fhir(t.app, 'GET', `Patient/${ids.p1}/Observation`))).toEqual([ids.o1, ids.o2].sort());
  });

  it('takes search parameters, and its links keep the compartment', async () => {
    expect(found(await fhir(t.app, 'GET', `Patient/${ids.p1}/Encounter?status=finished`))).toEqual([ids.e1]);
    const page = await fhir(t.app, 'GET', `Patient/${ids.p1}/Encounter?_count=1`);
    expect(found(page)).toHaveLength(1);
    const next = page.body.link.find((l: any) => l.relation === 'next').url as string;
    expect(new URL(next).pathname).toBe(`/fhir/R4/Patient/${ids.p1}/Encounter`);
    const second = await fhir(t.app, 'GET', new URL(next).pathname + new URL(next).search);
    expect([...found(page), ...found(second)].sort()).toEqual([ids.e1, ids.e1b].sort());
  });

  it('an unknown patient has an empty compartment', async () => {
    const res = await fhir(t.app, 'GET', 'Patient/nobody/Encounter');
    expect(res.status).toBe(200);
    expect(found(res)).toEqual([]);
  });

  it('a type outside the Patient compartment is a 400; an unknown type or compartment a 404; a bad id a 400', async () => {
    const outside = await fhir(t.app, 'GET', `Patient/${ids.p1}/Organization`);
    expect(outside.status).toBe(400);
    expect(outside.body.resourceType).toBe('OperationOutcome');
    expect((await fhir(t.app, 'GET', `Patient/${ids.p1}/Spaceship`)).status).toBe(404);
    expect((await fhir(t.app, 'GET', `Practitioner/${ids.pr}/Encounter`)).status).toBe(404);
    expect((await fhir(t.app, 'GET', 'Patient/bad%20id/Encounter')).status).toBe(400);
    expect((await fhir(t.app, 'GET', `Patient/${ids.p1}/Encounter?nonsense=1`)).status).toBe(400);
  });

  it('_history and $everything still answer as before', async () => {
    expect((await fhir(t.app, 'GET', `Patient/${ids.p1}/_history`)).body.type).toBe('history');
    expect((await fhir(t.app, 'GET', `Patient/${ids.p1}/$everything`)).body.type).toBe('searchset');
  });

  it('is declared in the CapabilityStatement', async () => {
    expect((await fhir(t.app, 'GET', 'metadata')).body.rest[0].compartment).toEqual(['http://hl7.org/fhir/CompartmentDefinition/patient']);
  });
});
