import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { canonicalJson, parseJson, stringifyJson } from '../decimal-json.js';
import { importItems, readImportSource } from '../import.service.js';

let t: TestPlatform;
let patientId: string;
beforeAll(async () => {
  t = await createTestPlatform();
  patientId = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Decimal' }] })).body.id;
});
afterAll(async () => t?.close());

/** An Observation as text: the numbers must reach the server exactly as written. */
const observation = (value: string, component = '0.010', extra = '') => `{"resourceType":"Observation","status":"final","code":{"text":"Weight"},
  "subject":{"reference":"Patient/${patientId}"},"valueQuantity":{"value":${value},"unit":"kg"},
  "component":[{"code":{"text":"a"},"valueQuantity":{"value":${component}}},{"code":{"text":"b"},"valueQuantity":{"value":6.0}}]${extra}}`;

describe('decimals keep their precision', () => {
  it('as written on create, read and vread: 1.50, 0.010, 6.0', async () => {
    const made = await fhir(t.app, 'POST', 'Observation', observation('1.50'));
    expect(made.status).toBe(201);
    for (const text of [made.text, (await fhir(t.app, 'GET', `Observation/${made.body.id}`)).text, (await fhir(t.app, 'GET', `Observation/${made.body.id}/_history/1`)).text]) {
      expect(text).toContain('"value":1.50,');
      expect(text).toContain('"value":0.010}');
      expect(text).toContain('"value":6.0}');
    }
    const found = await fhir(t.app, 'GET', `Observation?_id=${made.body.id}`);
    expect(found.text).toContain('"value":1.50,');
  });

  it('search still finds them by value, with eq by the precision of the search value and ap', async () => {
    const id = (await fhir(t.app, 'POST', 'Observation', observation('72.50'))).body.id;
    const ids = async (q: string) => (await fhir(t.app, 'GET', `Observation?subject=Patient/${patientId}&${q}`)).body.entry?.map((e: any) => e.resource.id) ?? [];
    expect(await ids('value-quantity=72.5')).toContain(id);
    expect(await ids('value-quantity=72.50')).toContain(id);
    expect(await ids('value-quantity=73')).toContain(id); // 73 means [72.5, 73.5)
    expect(await ids('value-quantity=72.51')).not.toContain(id);
    expect(await ids('value-quantity=ap72')).toContain(id);
    expect(await ids('value-quantity=gt72.49')).toContain(id);
    expect(await ids('value-quantity=lt72.5')).not.toContain(id);
  });

  it('through an update: a change of precision alone is a new version, an identical update is not', async () => {
    const id = (await fhir(t.app, 'POST', 'Observation', observation('2.5'))).body.id;
    const withId = (v: string) => observation(v).replace('{"resourceType":"Observation",', `{"resourceType":"Observation","id":"${id}",`);
    const more = await fhir(t.app, 'PUT', `Observation/${id}`, withId('2.50'));
    expect(more.status).toBe(200);
    expect(more.body.meta.versionId).toBe('2');
    expect(more.text).toContain('"value":2.50,');
    const same = await fhir(t.app, 'PUT', `Observation/${id}`, withId('2.50'));
    expect(same.body.meta.versionId).toBe('2');
  });

  it('in _summary and _elements views, on search and read', async () => {
    const id = (await fhir(t.app, 'POST', 'Observation', observation('7.70'))).body.id;
    expect((await fhir(t.app, 'GET', `Observation/${id}?_elements=value`)).text).toContain('"value":7.70,');
    expect((await fhir(t.app, 'GET', `Observation?_id=${id}&_elements=value,component`)).text).toContain('"value":0.010}');
    expect((await fhir(t.app, 'GET', `Observation?_id=${id}&_summary=data`)).text).toContain('"value":7.70,');
  });

  it('through a JSON Patch: what is stored keeps its text, and so does a decimal the patch writes', async () => {
    const id = (await fhir(t.app, 'POST', 'Observation', observation('3.10'))).body.id;
    const patched = await fhir(t.app, 'PATCH', `Observation/${id}`, '[{"op":"replace","path":"/component/0/valueQuantity/value","value":0.0200},{"op":"add","path":"/component/-","value":{"code":{"text":"c"},"valueQuantity":{"value":1.000}}}]', { 'content-type': 'application/json-patch+json' });
    expect(patched.status).toBe(200);
    expect(patched.text).toContain('"value":3.10,');
    expect(patched.text).toContain('"value":0.0200}');
    expect(patched.text).toContain('"value":6.0}');
    expect(patched.text).toContain('"value":1.000}');
  });

  it('in a transaction', async () => {
    const res = await fhir(t.app, 'POST', '', `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Observation"},"resource":${observation('4.20')}}]}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('"value":4.20,');
    const location = res.body.entry[0].response.location as string;
    const url = location.replace(/\/_history\/.*$/, ''); // Observation/id
    expect((await fhir(t.app, 'GET', url)).text).toContain('"value":4.20,');
    // Read back in a batch (read and search), and patched with a Binary JSON Patch in a transaction.
    const batch = await fhir(t.app, 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [
      { request: { method: 'GET', url } }, { request: { method: 'GET', url: `Observation?_id=${url.split('/')[1]}` } },
    ] });
    expect(batch.text.match(/"value":4\.20,/g)).toHaveLength(2);
    const patch = Buffer.from('[{"op":"replace","path":"/valueQuantity/value","value":4.30}]').toString('base64');
    const patched = await fhir(t.app, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { request: { method: 'PATCH', url }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: patch } },
    ] });
    expect(patched.status).toBe(200);
    expect((await fhir(t.app, 'GET', url)).text).toContain('"value":4.30,');
  });

  it('through an NDJSON import', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onestory-decimal-'));
    try {
      writeFileSync(join(dir, 'Observation.ndjson'), `${observation('5.250').replace(/\n\s*/g, '').replace('{"resourceType":"Observation",', '{"resourceType":"Observation","id":"imp-dec",')}\n`);
      const summary = await importItems(t.platform, readImportSource(dir));
      expect(summary.rejected).toEqual([]);
      const row = await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Observation' AND id = 'imp-dec'");
      expect(row.rows[0].content).toContain('"value":5.250,');
      expect(row.rows[0].content).toContain('"value":0.010}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps exponents, -0 and integers past 2^53 as written; plain numbers are untouched', () => {
    const text = '{"a":1.50,"b":[1e2,-0,9007199254740993,0.1,2.5e-3],"c":{"d":1.5,"e":"1.50"},"f":100}';
    expect(stringifyJson(parseJson(text))).toBe(text);
    expect(stringifyJson(parseJson('{"a":1.5,"b":[1,2]}'))).toBe('{"a":1.5,"b":[1,2]}');
    // A number inside a string is not a number: "x:1.50," in a string does not shift the others.
    const tricky = '{"s":"x:1.50,","n":[0.50, "2.0", 3.0]}';
    expect(stringifyJson(parseJson(tricky))).toBe('{"s":"x:1.50,","n":[0.50,"2.0",3.0]}');
    expect(canonicalJson(parseJson('{"b":1.50,"a":1}'))).toBe('{"a":1,"b":1.50}');
    // A value changed in code is written as it now is.
    const changed = parseJson('{"a":1.50}') as { a: number };
    changed.a = 2;
    expect(stringifyJson(changed)).toBe('{"a":2}');
  });
});
