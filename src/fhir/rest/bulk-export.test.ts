import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestPlatform();
  const mk = async (key: string, body: object) => {
    const r = await fhir(t.app, 'POST', (body as { resourceType: string }).resourceType, body);
    expect(r.status).toBe(201);
    ids[key] = r.body.id;
  };
  await mk('org', { resourceType: 'Organization', name: 'Ashford Practice' });
  await mk('p1', { resourceType: 'Patient', name: [{ family: 'One' }] });
  await mk('p2', { resourceType: 'Patient', name: [{ family: 'Two' }] });
  await mk('o1', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${ids.p1}` } });
  await mk('o2', { resourceType: 'Observation', status: 'final', code: { text: 'bp' }, subject: { reference: `Patient/${ids.p2}` } });
  await mk('g', { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: `Patient/${ids.p1}` } }] });
});
afterAll(async () => t?.close());

async function runExport(url: string) {
  const kick = await fhir(t.app, 'GET', url, undefined, { prefer: 'respond-async' });
  expect(kick.status).toBe(202);
  const status = new URL(kick.headers['content-location'] as string).pathname;
  for (let i = 0; i < 200; i++) {
    const s = await fhir(t.app, 'GET', status);
    if (s.status === 200) {
      const files: Record<string, string[]> = {};
      for (const o of s.body.output) {
        const f = await fhir(t.app, 'GET', new URL(o.url).pathname);
        expect(f.headers['content-type']).toContain('application/fhir+ndjson');
        files[o.type] = f.text.trim().split('\n').map((l: string) => JSON.parse(l).id);
        expect(files[o.type]).toHaveLength(o.count);
      }
      return { manifest: s.body, files, status };
    }
    expect(s.status).toBe(202);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('export did not finish');
}

describe('$export', () => {
  it('exports the whole system as NDJSON per type', async () => {
    const { manifest, files } = await runExport('$export');
    expect(manifest.requiresAccessToken).toBe(true);
    expect(files.Patient.sort()).toEqual([ids.p1, ids.p2].sort());
    expect(files.Organization).toContain(ids.org);
    expect(files.Observation).toHaveLength(2);
  });

  it('exports patients and their compartments, filtered by _type', async () => {
    const { files } = await runExport('Patient/$export?_type=Patient,Observation');
    expect(Object.keys(files).sort()).toEqual(['Observation', 'Patient']);
    expect(files.Observation.sort()).toEqual([ids.o1, ids.o2].sort());
  });

  it('exports only the members of a Group', async () => {
    const { files } = await runExport(`Group/${ids.g}/$export`);
    expect(files.Patient).toEqual([ids.p1]);
    expect(files.Observation).toEqual([ids.o1]);
  });

  it('honours _since', async () => {
    const { files } = await runExport('$export?_since=2999-01-01T00:00:00Z');
    expect(files).toEqual({});
  });

  it('refuses a kick-off without respond-async, unknown types or formats, and unknown groups', async () => {
    expect((await fhir(t.app, 'GET', '$export')).status).toBe(400);
    expect((await fhir(t.app, 'GET', '$export?_type=Spaceship', undefined, { prefer: 'respond-async' })).status).toBe(400);
    expect((await fhir(t.app, 'GET', '$export?_outputFormat=text/csv', undefined, { prefer: 'respond-async' })).status).toBe(400);
    expect((await fhir(t.app, 'GET', 'Group/nope/$export', undefined, { prefer: 'respond-async' })).status).toBe(404);
  });

  it('cancels a job; its status is then gone', async () => {
    const { status } = await runExport('$export?_type=Patient');
    expect((await fhir(t.app, 'DELETE', status)).status).toBe(202);
    expect((await fhir(t.app, 'GET', status)).status).toBe(404);
    expect((await fhir(t.app, 'GET', '$export-status/not-a-job')).status).toBe(404);
  });

  it('leaves the other routes under Group and Patient working', async () => {
    expect((await fhir(t.app, 'GET', `Group/${ids.g}`)).status).toBe(200);
    expect((await fhir(t.app, 'GET', `Group/${ids.g}/_history`)).status).toBe(200);
    expect((await fhir(t.app, 'GET', `Patient/${ids.p1}/$everything`)).status).toBe(200);
  });
});
