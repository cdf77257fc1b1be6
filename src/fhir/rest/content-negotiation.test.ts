import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
let patientId: string;
beforeAll(async () => {
  t = await createTestPlatform();
  patientId = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Negotiated' }] })).body.id;
});
afterAll(async () => t?.close());

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

// Only JSON is served: a client asking only for another format gets a 406 OperationOutcome (in JSON).
describe('content negotiation on the FHIR API', () => {
  const refused: [string, Record<string, string>][] = [
    ['Patient', { accept: 'application/fhir+xml' }],
    ['Patient', { accept: 'application/xml, text/xml' }],
    ['Patient', { accept: 'application/fhir+json;q=0, application/fhir+xml' }],
    ['Patient?_format=xml', {}],
    ['Patient?_format=application/fhir+xml', {}],
    ['Patient?_format=application%2Ffhir%2Bxml', {}],
    ['Patient?_format=xml', { accept: 'application/fhir+json' }], // _format overrides Accept
    ['metadata?_format=xml', {}],
    ['$export-status/none', { accept: 'application/fhir+xml' }],
    ['Nothing/here', { accept: 'application/fhir+xml' }],
  ];
  for (const [url, headers] of refused) {
    it(`GET ${url} with ${JSON.stringify(headers)} answers 406`, async () => {
      const res = await fhir(t.app, 'GET', url, undefined, headers);
      expect(res.status).toBe(406);
      expect(res.headers['content-type']).toContain('application/fhir+json');
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('not-supported');
    });
  }

  it('a refused write writes nothing', async () => {
    const before = (await fhir(t.app, 'GET', 'Patient?_summary=count')).body.total;
    const res = await fhir(t.app, 'POST', 'Patient?_format=xml', { resourceType: 'Patient' });
    expect(res.status).toBe(406);
    expect((await fhir(t.app, 'GET', 'Patient?_summary=count')).body.total).toBe(before);
  });

  const served: [string, Record<string, string>][] = [
    ['Patient', {}],
    ['Patient', { accept: 'application/fhir+json' }],
    ['Patient', { accept: 'application/json' }],
    ['Patient', { accept: 'application/fhir+json; fhirVersion=4.0' }],
    ['Patient', { accept: '*/*' }],
    ['Patient', { accept: BROWSER_ACCEPT }],
    ['Patient', { accept: 'application/fhir+xml;q=0.9, application/fhir+json' }],
    ['Patient?_format=json', {}],
    ['Patient?_format=application/json', {}],
    ['Patient?_format=application/fhir+json', {}],
    ['Patient?_format=application%2Ffhir%2Bjson', {}],
    ['Patient?_format=json', { accept: 'application/fhir+xml' }],
    ['metadata', { accept: BROWSER_ACCEPT }],
  ];
  for (const [url, headers] of served) {
    it(`GET ${url} with ${JSON.stringify(headers)} answers JSON`, async () => {
      const res = await fhir(t.app, 'GET', url, undefined, headers);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('application/fhir+json');
    });
  }

  it('reads honour it too', async () => {
    expect((await fhir(t.app, 'GET', `Patient/${patientId}?_format=xml`)).status).toBe(406);
    expect((await fhir(t.app, 'GET', `Patient/${patientId}?_format=json`)).status).toBe(200);
  });

  it('pages outside the FHIR API are not affected', async () => {
    expect((await fhir(t.app, 'GET', '/healthz', undefined, { accept: 'application/xml' })).status).toBe(200);
  });
});
