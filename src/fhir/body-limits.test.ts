import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { MAX_ARRAY_LENGTH, oversizedArray } from './body-limits.js';
import { MAX_PATCH_OPERATIONS } from './resource.service.js';

describe('oversizedArray', () => {
  it('finds the first array over the limit anywhere in the body and names its path', () => {
    expect(oversizedArray({ name: [{}, {}] }, 'Patient', 2)).toBeUndefined();
    expect(oversizedArray({ name: [{}, {}, {}] }, 'Patient', 2)).toEqual({ path: 'Patient.name', length: 3 });
    expect(oversizedArray({ contained: [{ resourceType: 'Patient', name: [{ given: ['a', 'b', 'c'] }] }] }, 'Observation', 2))
      .toEqual({ path: 'Observation.contained[0].name[0].given', length: 3 });
    expect(oversizedArray('not an object', 'Patient', 0)).toBeUndefined();
  });
});

describe('limits on what one request may ask for', () => {
  let t: TestPlatform;
  let id: string;
  const count = async () => Number((await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM resource WHERE resource_type = 'Patient'")).rows[0].n);
  beforeAll(async () => {
    t = await createTestPlatform();
    id = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Limit' }] })).body.id;
  });
  afterAll(async () => t?.close());

  it(`refuses a resource with an array of more than ${MAX_ARRAY_LENGTH} elements with a 400 naming its path, and writes nothing`, async () => {
    const before = await count();
    const names = Array.from({ length: MAX_ARRAY_LENGTH + 1 }, (_, i) => ({ family: `N${i}` }));
    const res = await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: names });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0]).toMatchObject({ code: 'too-costly', expression: ['Patient.name'] });
    const put = await fhir(t.app, 'PUT', `Patient/${id}`, { resourceType: 'Patient', id, name: [{ family: 'Limit', given: Array(MAX_ARRAY_LENGTH + 1).fill('x') }] });
    expect(put.status).toBe(400);
    expect(put.body.issue[0].expression).toEqual(['Patient.name[0].given']);
    expect(await count()).toBe(before);
    expect((await fhir(t.app, 'GET', `Patient/${id}`)).body.meta.versionId).toBe('1');
  });

  it(`refuses a JSON Patch of more than ${MAX_PATCH_OPERATIONS} operations with 413, and changes nothing; ${MAX_PATCH_OPERATIONS} are applied`, async () => {
    const patch = (n: number) => fhir(t.app, 'PATCH', `Patient/${id}`, JSON.stringify(Array.from({ length: n }, () => ({ op: 'test', path: '/id', value: id }))), { 'content-type': 'application/json-patch+json' });
    const big = await patch(MAX_PATCH_OPERATIONS + 1);
    expect(big.status).toBe(413);
    expect(big.body.resourceType).toBe('OperationOutcome');
    expect(big.body.issue[0].diagnostics).toMatch(/at most 1000 operations/);
    expect((await fhir(t.app, 'GET', `Patient/${id}`)).body.meta.versionId).toBe('1');
    expect((await patch(MAX_PATCH_OPERATIONS)).status).toBe(200);
  });
});
