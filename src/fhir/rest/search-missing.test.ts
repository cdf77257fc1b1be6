import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
let patientId: string;
let observationId: string;
beforeAll(async () => {
  t = await createTestPlatform();
  patientId = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Missing' }] })).body.id;
  observationId = (await fhir(t.app, 'POST', 'Observation', {
    resourceType: 'Observation', status: 'final', code: { text: 'Pulse' }, subject: { reference: `Patient/${patientId}` },
  })).body.id;
});
afterAll(async () => t?.close());

const ids = (res: { body: any }) => (res.body.entry ?? []).map((e: any) => e.resource.id);

// Every resource has an id and a lastUpdated: ":missing=true" matches none, ":missing=false" all.
describe(':missing on _id and _lastUpdated', () => {
  for (const [type, id] of [['Patient', () => patientId], ['Observation', () => observationId]] as const) {
    for (const param of ['_id', '_lastUpdated']) {
      it(`${type}?${param}:missing=true matches nothing, =false matches every ${type}`, async () => {
        const none = await fhir(t.app, 'GET', `${type}?${param}:missing=true`);
        expect(none.status).toBe(200);
        expect(ids(none)).toEqual([]);
        const all = await fhir(t.app, 'GET', `${type}?${param}:missing=false`);
        expect(all.status).toBe(200);
        expect(ids(all)).toContain(id());
      });
    }
  }

  it('combines with other parameters', async () => {
    const res = await fhir(t.app, 'GET', `Observation?_id:missing=false&subject=Patient/${patientId}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([observationId]);
  });

  it('refuses a value other than true or false with a 400', async () => {
    const res = await fhir(t.app, 'GET', 'Patient?_id:missing=maybe');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
