import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
});
afterAll(async () => t?.close());

const JSON_PATCH = { 'content-type': 'application/json-patch+json' };
const patient = (value: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:test:cpatch', value }], gender: 'female' });
const versions = async () => (await t.platform.db.query("SELECT id, version_id FROM resource WHERE resource_type = 'Patient' ORDER BY id")).rows;

describe('conditional patch: PATCH Type?criteria', () => {
  it('patches the one match', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient('one'))).body;
    const res = await fhir(t.app, 'PATCH', 'Patient?identifier=urn:test:cpatch|one', [{ op: 'replace', path: '/gender', value: 'other' }], JSON_PATCH);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(p.id);
    expect(res.body.gender).toBe('other');
    expect(res.headers.etag).toBe('W/"2"');
    expect((await fhir(t.app, 'GET', `Patient/${p.id}`)).body.gender).toBe('other');
  });

  it('answers 404 when nothing matches and 412 when more than one does, writing nothing', async () => {
    await fhir(t.app, 'POST', 'Patient', patient('twice'));
    await fhir(t.app, 'POST', 'Patient', patient('twice'));
    const before = await versions();
    const none = await fhir(t.app, 'PATCH', 'Patient?identifier=urn:test:cpatch|nobody', [{ op: 'replace', path: '/gender', value: 'male' }], JSON_PATCH);
    expect(none.status).toBe(404);
    expect(none.body.resourceType).toBe('OperationOutcome');
    const many = await fhir(t.app, 'PATCH', 'Patient?identifier=urn:test:cpatch|twice', [{ op: 'replace', path: '/gender', value: 'male' }], JSON_PATCH);
    expect(many.status).toBe(412);
    expect(many.body.resourceType).toBe('OperationOutcome');
    expect(await versions()).toEqual(before);
  });

  it('refuses a patch without criteria, a bad patch and an unknown parameter with a 400', async () => {
    await fhir(t.app, 'POST', 'Patient', patient('bad'));
    const before = await versions();
    expect((await fhir(t.app, 'PATCH', 'Patient', [{ op: 'replace', path: '/gender', value: 'male' }], JSON_PATCH)).status).toBe(400);
    expect((await fhir(t.app, 'PATCH', 'Patient?identifier=urn:test:cpatch|bad', { op: 'replace' }, JSON_PATCH)).status).toBe(400);
    expect((await fhir(t.app, 'PATCH', 'Patient?identifier=urn:test:cpatch|bad', [{ op: 'replace', path: '/gender', value: 'not-a-gender' }], JSON_PATCH)).status).toBe(400);
    expect((await fhir(t.app, 'PATCH', 'Patient?nonsense=1', [{ op: 'replace', path: '/gender', value: 'male' }], JSON_PATCH)).status).toBe(400);
    expect(await versions()).toEqual(before);
  });

  it('is declared in the CapabilityStatement', async () => {
    const p = (await fhir(t.app, 'GET', 'metadata')).body.rest[0].resource.find((r: any) => r.type === 'Patient');
    expect(p.interaction.find((i: any) => i.code === 'patch').documentation).toMatch(/conditional/);
  });
});
