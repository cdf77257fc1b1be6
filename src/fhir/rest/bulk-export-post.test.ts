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
  await mk('org', { resourceType: 'Organization', name: 'Ashford Practice' });
  await mk('p1', { resourceType: 'Patient', name: [{ family: 'One' }] });
  await mk('p2', { resourceType: 'Patient', name: [{ family: 'Two' }] });
  await mk('o1', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${ids.p1}` } });
  await mk('g', { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${ids.p1}` } }] });
});
afterAll(async () => t?.close());

const params = (...p: [string, string][]) => ({ resourceType: 'Parameters', parameter: p.map(([name, valueString]) => ({ name, valueString })) });

/** Kicks off by POST and polls to the manifest; returns the ids per exported type. */
async function postExport(url: string, body: unknown) {
  const kick = await fhir(t.app, 'POST', url, body, { prefer: 'respond-async' });
  expect(kick.status).toBe(202);
  const status = new URL(kick.headers['content-location'] as string).pathname;
  for (let i = 0; i < 200; i++) {
    const s = await fhir(t.app, 'GET', status);
    if (s.status === 200) {
      const files: Record<string, string[]> = {};
      for (const o of s.body.output) {
        const f = await fhir(t.app, 'GET', new URL(o.url).pathname);
        files[o.type] = f.text.trim().split('\n').map((l: string) => JSON.parse(l).id).sort();
      }
      return files;
    }
    expect(s.status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('export did not finish');
}

describe('$export kick-off by POST with a Parameters body', () => {
  it('system level, with _type given twice and _outputFormat', async () => {
    const files = await postExport('$export', params(['_type', 'Patient'], ['_type', 'Organization'], ['_outputFormat', 'application/fhir+ndjson']));
    expect(Object.keys(files).sort()).toEqual(['Organization', 'Patient']);
    expect(files.Patient).toEqual([ids.p1, ids.p2].sort());
  });

  it('Patient level, with _since', async () => {
    const files = await postExport('Patient/$export', {
      resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient,Observation' }, { name: '_since', valueInstant: '2000-01-01T00:00:00Z' }],
    });
    expect(files.Observation).toEqual([ids.o1]);
    expect(files.Patient).toEqual([ids.p1, ids.p2].sort());
  });

  it('Group level', async () => {
    const files = await postExport(`Group/${ids.g}/$export`, params(['_type', 'Patient']));
    expect(files.Patient).toEqual([ids.p1]);
  });

  it('refuses a body that is not Parameters, an unsupported parameter or value, with a 400', async () => {
    const bad: unknown[] = [
      { resourceType: 'Patient' },
      params(['patient', 'Patient/x']),
      { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/x' } }] },
      { resourceType: 'Parameters', parameter: [{ name: '_type', valueReference: { reference: 'Patient/x' } }] },
      { resourceType: 'Parameters', parameter: 'x' },
      params(['_outputFormat', 'application/fhir+xml']),
    ];
    for (const body of bad) {
      const res = await fhir(t.app, 'POST', '$export', body, { prefer: 'respond-async' });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect((await fhir(t.app, 'POST', '$export', params(['_type', 'Patient']))).status).toBe(400); // no Prefer: respond-async
  });
});
