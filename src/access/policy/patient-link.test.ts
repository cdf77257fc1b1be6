import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { createStaff, signIn } from '../identity/identity.test-helpers.js';
import { recordedByTag } from './policy-codes.js';
import { linkedPatients } from './policy.js';
import { seedWorld } from './policy.fixtures.js';

// Patient.link names another person as surely as an Observation's subject does: a writer must see
// every Patient a new version links to (write-remit.service.ts), or a GP could tie a record they
// care for to one hidden from them (pat-b, registered at gp-b) or to one that does not exist.
const PASSWORD = 'correct horse battery staple';
let t: TestPlatform;
let gp: { cookie: string; csrf: string };

beforeAll(async () => {
  t = await createTestPlatform();
  await seedWorld(t.platform);
  // A second person at gp-a, visible to its GP: the link that must keep working.
  await t.platform.resources.update('Patient', 'pat-e', {
    resourceType: 'Patient', id: 'pat-e', generalPractitioner: [{ reference: 'Organization/gp-a' }], managingOrganization: { reference: 'Organization/gp-a' },
    meta: { tag: [recordedByTag('gp-a')] },
  });
  await createStaff(t.platform, 'gp-a-gp', PASSWORD, [{ organizationId: 'gp-a', role: 'gp' }]);
  gp = await signIn(t.app, 'gp-a-gp', PASSWORD);
});
afterAll(async () => t?.close());

const asGp = (method: string, url: string, body?: unknown) => fhir(t.app, method, url, body, { cookie: gp.cookie, authorization: '', 'x-csrf-token': gp.csrf });
const contentOf = async (type: string, id: string) =>
  (await t.platform.db.query<{ content: string }>('SELECT content FROM resource WHERE resource_type = $1 AND id = $2', [type, id])).rows[0]?.content;
const count = async (type: string) => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);

const patA = (link: string) => ({
  resourceType: 'Patient', id: 'pat-a', name: [{ family: 'pat-a' }],
  generalPractitioner: [{ reference: 'Organization/gp-a' }], managingOrganization: { reference: 'Organization/gp-a' },
  link: [{ other: { reference: link }, type: 'seealso' }],
});

describe('linkedPatients', () => {
  it("names a Patient's own id and the Patients its links point at (not RelatedPersons, not absolute URLs)", () => {
    expect(linkedPatients({
      resourceType: 'Patient', id: 'p1',
      link: [{ other: { reference: 'Patient/p2' }, type: 'replaced-by' }, { other: { reference: 'RelatedPerson/r1' }, type: 'seealso' }, { other: { reference: 'https://elsewhere.example/fhir/Patient/p3' }, type: 'refer' }],
    }).sort()).toEqual(['p1', 'p2']);
  });
});

describe('Patient.link and the writer\'s view', () => {
  it('refuses a link to a hidden or a missing Patient with 404, as an Observation naming them is, and writes nothing', async () => {
    const before = await contentOf('Patient', 'pat-a');
    for (const target of ['Patient/pat-b', 'Patient/nobody']) {
      const res = await asGp('PUT', 'Patient/pat-a', patA(target));
      expect(res.status, `${target}: ${res.text}`).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
      const obs = await asGp('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: target } });
      expect(obs.status, target).toBe(404);
    }
    expect(await contentOf('Patient', 'pat-a')).toBe(before);
  });

  it('refuses registering a new Patient linked to a hidden one, and writes nothing', async () => {
    const patients = await count('Patient');
    for (const body of [
      { resourceType: 'Patient', generalPractitioner: [{ reference: 'Organization/gp-a' }], link: [{ other: { reference: 'Patient/pat-b' }, type: 'seealso' }] },
      { resourceType: 'Patient', id: 'pat-new', generalPractitioner: [{ reference: 'Organization/gp-a' }], link: [{ other: { reference: 'Patient/pat-b' }, type: 'seealso' }] },
    ]) {
      const res = body.id ? await asGp('PUT', `Patient/${body.id}`, body) : await asGp('POST', 'Patient', body);
      expect(res.status, res.text).toBe(404);
    }
    expect(await count('Patient')).toBe(patients);
  });

  it('accepts a link to a Patient the writer sees', async () => {
    const res = await asGp('PUT', 'Patient/pat-a', patA('Patient/pat-e'));
    expect(res.status, res.text).toBe(200);
    expect(res.body.link).toEqual([{ other: { reference: 'Patient/pat-e' }, type: 'seealso' }]);
    const fresh = await asGp('POST', 'Patient', { resourceType: 'Patient', generalPractitioner: [{ reference: 'Organization/gp-a' }], link: [{ other: { reference: 'Patient/pat-e' }, type: 'seealso' }] });
    expect(fresh.status, fresh.text).toBe(201);
  });
});
