import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from '../testing/test-platform.js';
import { importItems, readImportSource, type ImportItem } from './import.service.js';

let t: TestPlatform;
let dir: string;
beforeAll(async () => {
  t = await createTestPlatform();
  dir = mkdtempSync(join(tmpdir(), 'onestory-import-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

// Registered with the test integration's organisation, so the API shows it what was imported (a care relationship).
const patient = (id: string, extra: object = {}) => ({
  resourceType: 'Patient', id, name: [{ family: 'Imported', given: [id] }], gender: 'female', birthDate: '1960-05-05',
  managingOrganization: { reference: `Organization/${TEST_ORG_ID}` }, ...extra,
});
const ndjson = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

async function search(url: string): Promise<string[]> {
  const res = await fhir(t.app, 'GET', url);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);
}

async function collect(path: string): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const i of readImportSource(path)) items.push(i);
  return items;
}

describe('NDJSON import', () => {
  it('writes the good lines and reports each rejected line with file:line and a reason', async () => {
    const sub = mkdtempSync(join(dir, 'mixed-'));
    writeFileSync(join(sub, 'Patient.ndjson'), ndjson([
      patient('imp-p1', { identifier: [{ system: 'urn:test:import', value: 'good-1' }] }),
      '{"resourceType": "Patient", "id": "imp-broken", ',
      '',
      patient('imp-bad-nhs', { identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000019' }, { system: 'urn:test:import', value: 'bad-nhs' }] }),
      { resourceType: 'Patient', name: [{ family: 'NoId' }], identifier: [{ system: 'urn:test:import', value: 'no-id' }] },
      patient('imp-p2', { identifier: [{ system: 'urn:test:import', value: 'good-2' }] }),
      patient('imp-bad-gender', { birthDate: 'sometime in 1960', identifier: [{ system: 'urn:test:import', value: 'bad-gender' }] }),
      42,
      '[]',
      { resourceType: 'Spaceship', id: 'x' },
      patient('bad id!'),
      `{"resourceType":"Patient","id":"imp-deep","extension":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
    ]));
    writeFileSync(join(sub, 'Observation.ndjson'), ndjson([
      { resourceType: 'Observation', id: 'imp-o1', status: 'final', code: { text: 'Pulse' }, subject: { reference: 'Patient/imp-p1' } },
      { resourceType: 'Observation', id: 'imp-o2', status: 'final', effectiveDateTime: 'last tuesday', code: { text: 'Pulse' }, subject: { reference: 'Patient/imp-p1' } },
      { resourceType: 'Observation', id: 'imp-o3', status: 'final', code: { text: 'Pulse' }, subject: { reference: 'not a reference' } },
    ]));
    writeFileSync(join(sub, 'notes.txt'), 'ignored');
    const progress: number[] = [];
    const summary = await importItems(t.platform, readImportSource(sub), (done) => progress.push(done));
    expect(summary.imported).toBe(3);
    const bySource = Object.fromEntries(summary.rejected.map((r) => [r.source.slice(sub.length + 1), r.reason]));
    expect(Object.keys(bySource).sort()).toEqual([
      'Observation.ndjson:2', 'Observation.ndjson:3',
      'Patient.ndjson:10', 'Patient.ndjson:11', 'Patient.ndjson:12', 'Patient.ndjson:2', 'Patient.ndjson:4', 'Patient.ndjson:5',
      'Patient.ndjson:7', 'Patient.ndjson:8', 'Patient.ndjson:9',
    ]);
    expect(bySource['Patient.ndjson:2']).toMatch(/JSON/);
    expect(bySource['Patient.ndjson:4']).toMatch(/NHS number/);
    expect(bySource['Patient.ndjson:5']).toMatch(/id/);
    expect(bySource['Patient.ndjson:10']).toMatch(/Spaceship/);
    expect(bySource['Patient.ndjson:12']).toMatch(/nests deeper/);
    for (const reason of Object.values(bySource)) expect(reason.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(3);

    // Good ones are readable and searchable; rejected ones left no resource and no index rows.
    expect((await fhir(t.app, 'GET', 'Patient/imp-p1')).status).toBe(200);
    expect((await fhir(t.app, 'GET', 'Observation/imp-o1')).status).toBe(200);
    expect(await search('Patient?identifier=urn:test:import|good-1')).toEqual(['Patient/imp-p1']);
    expect(await search('Observation?subject=Patient/imp-p1')).toEqual(['Observation/imp-o1']);
    for (const value of ['bad-nhs', 'no-id', 'bad-gender']) {
      expect(await search(`Patient?identifier=urn:test:import|${value}`)).toEqual([]);
    }
    for (const id of ['imp-broken', 'imp-bad-nhs', 'imp-bad-gender']) {
      expect((await fhir(t.app, 'GET', `Patient/${id}`)).status).toBe(404);
      expect(await search(`Patient?_id=${id}`)).toEqual([]);
    }
    expect((await fhir(t.app, 'GET', 'Observation/imp-o2')).status).toBe(404);
    expect(await search('Observation?_id=imp-o2,imp-o3')).toEqual([]);
  });

  it('re-importing makes new versions, never duplicates', async () => {
    const file = join(dir, 'reimport.ndjson');
    writeFileSync(file, ndjson([
      patient('imp-re-1', { identifier: [{ system: 'urn:test:reimport', value: '1' }] }),
      patient('imp-re-2', { identifier: [{ system: 'urn:test:reimport', value: '2' }] }),
    ]));
    const first = await importItems(t.platform, readImportSource(file));
    expect(first).toMatchObject({ imported: 2, rejected: [] });
    const second = await importItems(t.platform, readImportSource(file));
    expect(second).toMatchObject({ imported: 2, rejected: [] });
    expect((await search('Patient?identifier=urn:test:reimport|')).sort()).toEqual(['Patient/imp-re-1', 'Patient/imp-re-2']);
    const read = await fhir(t.app, 'GET', 'Patient/imp-re-1');
    expect(Number(read.body.meta.versionId)).toBeGreaterThanOrEqual(1);
    const hist = await fhir(t.app, 'GET', 'Patient/imp-re-1/_history');
    expect(hist.body.entry.length).toBe(Number(read.body.meta.versionId));
    // A version of a resource after a REST update keeps counting.
    const upd = await fhir(t.app, 'PUT', 'Patient/imp-re-1', { ...read.body, active: true });
    expect(Number(upd.body.meta.versionId)).toBe(Number(read.body.meta.versionId) + 1);
  });

  it('keeps the last of several lines with the same id in one file', async () => {
    const file = join(dir, 'repeat.ndjson');
    writeFileSync(file, ndjson([patient('imp-rep', { gender: 'male' }), patient('imp-rep', { gender: 'other' })]));
    const s = await importItems(t.platform, readImportSource(file));
    expect(s.rejected).toEqual([]);
    expect((await fhir(t.app, 'GET', 'Patient/imp-rep')).body.gender).toBe('other');
    expect(await search('Patient?_id=imp-rep')).toEqual(['Patient/imp-rep']);
  });

  it('loads more than one batch', async () => {
    const lines = Array.from({ length: 1203 }, (_, i) => patient(`imp-many-${i}`, { identifier: [{ system: 'urn:test:many', value: String(i) }] }));
    const file = join(dir, 'many.ndjson');
    writeFileSync(file, ndjson(lines));
    const s = await importItems(t.platform, readImportSource(file));
    expect(s.imported).toBe(1203);
    const count = await fhir(t.app, 'GET', 'Patient?identifier=urn:test:many|&_summary=count');
    expect(count.body.total).toBe(1203);
  });

  it('reports a file of invalid JSON and reads CRLF line endings', async () => {
    const sub = mkdtempSync(join(dir, 'crlf-'));
    writeFileSync(join(sub, 'a.ndjson'), `${JSON.stringify(patient('imp-crlf-1'))}\r\n${JSON.stringify(patient('imp-crlf-2'))}\r\n`);
    writeFileSync(join(sub, 'b.json'), '{ not json');
    const items = await collect(sub);
    expect(items.map((i) => i.source.slice(sub.length + 1))).toEqual(['a.ndjson:1', 'a.ndjson:2', 'b.json']);
    const s = await importItems(t.platform, items);
    expect(s.imported).toBe(2);
    expect(s.rejected).toHaveLength(1);
    expect(s.rejected[0].reason).toMatch(/JSON/);
  });
});

describe('Bundle import', () => {
  it('imports a collection Bundle entry by entry, rejecting the bad entries', async () => {
    const file = join(dir, 'collection.json');
    writeFileSync(file, JSON.stringify({
      resourceType: 'Bundle', type: 'collection', entry: [
        { resource: patient('imp-col-1', { identifier: [{ system: 'urn:test:col', value: '1' }] }) },
        { resource: patient('imp-col-2', { birthDate: 'long ago', identifier: [{ system: 'urn:test:col', value: '2' }] }) },
        { resource: { resourceType: 'Encounter', id: 'imp-col-e', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/imp-col-1' } } },
        {},
        null,
      ],
    }));
    const s = await importItems(t.platform, readImportSource(file));
    expect(s.imported).toBe(2);
    expect(s.rejected.map((r) => r.source.slice(dir.length + 1)).sort()).toEqual([
      'collection.json entry[1]', 'collection.json entry[3]', 'collection.json entry[4]',
    ]);
    expect(await search('Patient?identifier=urn:test:col|')).toEqual(['Patient/imp-col-1']);
    expect(await search('Encounter?subject=Patient/imp-col-1')).toEqual(['Encounter/imp-col-e']);
  });

  it('reports a collection Bundle whose entry is not an array, without stopping', async () => {
    const sub = mkdtempSync(join(dir, 'badbundle-'));
    writeFileSync(join(sub, 'a.json'), JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: { resource: patient('x') } }));
    writeFileSync(join(sub, 'b.ndjson'), ndjson([patient('imp-after-bad-bundle')]));
    const s = await importItems(t.platform, readImportSource(sub));
    expect(s.imported).toBe(1);
    expect(s.rejected).toHaveLength(1);
    expect(s.rejected[0].source).toMatch(/a\.json/);
  });

  it('imports a transaction Bundle as one transaction, resolving urn:uuid references', async () => {
    const file = join(dir, 'transaction.json');
    const urn = 'urn:uuid:3f1c7a7e-8a55-4c39-9d0e-5b5b5b5b5b5b';
    writeFileSync(file, JSON.stringify({
      resourceType: 'Bundle', type: 'transaction', entry: [
        { fullUrl: urn, resource: { ...patient('ignored'), id: undefined, identifier: [{ system: 'urn:test:txn', value: '1' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Condition', subject: { reference: urn }, code: { text: 'COPD' } }, request: { method: 'POST', url: 'Condition' } },
      ],
    }));
    const s = await importItems(t.platform, readImportSource(file));
    expect(s).toMatchObject({ imported: 2, rejected: [] });
    const [p] = await search('Patient?identifier=urn:test:txn|1');
    expect(p).toBeDefined();
    expect(await search(`Condition?subject=${p}`)).toHaveLength(1);
  });

  it('rejects a failing transaction Bundle as a whole, writing nothing of it', async () => {
    const file = join(dir, 'bad-transaction.json');
    writeFileSync(file, JSON.stringify({
      resourceType: 'Bundle', type: 'transaction', entry: [
        { resource: { ...patient('x'), id: undefined, identifier: [{ system: 'urn:test:txn', value: 'bad' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Condition', subject: { reference: 'Patient?identifier=urn:test:txn|nobody' }, code: { text: 'COPD' } }, request: { method: 'POST', url: 'Condition' } },
      ],
    }));
    const s = await importItems(t.platform, readImportSource(file));
    expect(s.imported).toBe(0);
    expect(s.rejected).toHaveLength(1);
    expect(s.rejected[0].source).toBe(file);
    expect(s.rejected[0].reason).toMatch(/nobody|matches no/);
    expect(await search('Patient?identifier=urn:test:txn|bad')).toEqual([]);
  });
});
