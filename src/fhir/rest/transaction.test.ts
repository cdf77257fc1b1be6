import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
});
afterAll(async () => t?.close());

const patient = (system: string, value: string, family = 'Transact') => ({
  resourceType: 'Patient',
  identifier: [{ system, value }],
  name: [{ family, given: ['Tess'] }],
  gender: 'female',
  birthDate: '1950-01-01',
});

const tx = (entry: unknown[], type = 'transaction') => ({ resourceType: 'Bundle', type, entry });

async function count(url: string): Promise<number> {
  const res = await fhir(t.app, 'GET', `${url}${url.includes('?') ? '&' : '?'}_summary=count`);
  expect(res.status).toBe(200);
  return res.body.total;
}

async function patientIdBy(system: string, value: string): Promise<string[]> {
  const res = await fhir(t.app, 'GET', `Patient?identifier=${encodeURIComponent(`${system}|${value}`)}`);
  return (res.body.entry ?? []).map((e: any) => e.resource.id);
}

describe('transaction', () => {
  it('resolves urn:uuid references between entries to the ids the server assigns', async () => {
    const pUrn = 'urn:uuid:0f0e7f9c-3d4a-4d59-9b7e-1a1111111111';
    const eUrn = 'urn:uuid:0f0e7f9c-3d4a-4d59-9b7e-2a2222222222';
    const oUrn = 'urn:uuid:0f0e7f9c-3d4a-4d59-9b7e-3a3333333333';
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { fullUrl: oUrn, resource: {
        resourceType: 'Observation', status: 'final', code: { text: 'Pulse' },
        subject: { reference: pUrn }, encounter: { reference: eUrn }, valueQuantity: { value: 72, unit: '/min' },
      }, request: { method: 'POST', url: 'Observation' } },
      { fullUrl: pUrn, resource: patient('urn:test:tx', 'urn-1'), request: { method: 'POST', url: 'Patient' } },
      { fullUrl: eUrn, resource: {
        resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: pUrn },
      }, request: { method: 'POST', url: 'Encounter' } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('Bundle');
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry).toHaveLength(3);
    for (const e of res.body.entry) {
      expect(e.response.status).toMatch(/^201/);
      expect(e.response.location).toMatch(/^(Observation|Patient|Encounter)\/[^/]+\/_history\/1$/);
    }
    const [obsLoc, patLoc, encLoc] = res.body.entry.map((e: any) => e.response.location.split('/_history')[0]);
    expect(patLoc).toMatch(/^Patient\//);
    const obs = await fhir(t.app, 'GET', obsLoc);
    expect(obs.body.subject.reference).toBe(patLoc);
    expect(obs.body.encounter.reference).toBe(encLoc);
    const enc = await fhir(t.app, 'GET', encLoc);
    expect(enc.body.subject.reference).toBe(patLoc);
    // The index holds the rewritten references: search finds them.
    const found = await fhir(t.app, 'GET', `Observation?subject=${patLoc}`);
    expect(found.body.entry.map((e: any) => `Observation/${e.resource.id}`)).toEqual([obsLoc]);
  });

  it('conditional create (ifNoneExist) that matches answers 200 and references resolve to the existing id', async () => {
    const existing = await fhir(t.app, 'POST', 'Patient', patient('urn:test:tx', 'inx-1'));
    expect(existing.status).toBe(201);
    const pUrn = 'urn:uuid:6a3c1e7e-1111-4e0a-8f57-000000000001';
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { fullUrl: pUrn, resource: patient('urn:test:tx', 'inx-1', 'Different'),
        request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test:tx|inx-1' } },
      { resource: { resourceType: 'Encounter', status: 'planned', class: { code: 'AMB' }, subject: { reference: pUrn } },
        request: { method: 'POST', url: 'Encounter' } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^200/);
    expect(res.body.entry[0].response.location).toMatch(new RegExp(`^Patient/${existing.body.id}/_history/1$`));
    expect(res.body.entry[1].response.status).toMatch(/^201/);
    const enc = await fhir(t.app, 'GET', res.body.entry[1].response.location.split('/_history')[0]);
    expect(enc.body.subject.reference).toBe(`Patient/${existing.body.id}`);
    // The match was not changed and no second patient appeared.
    expect(await patientIdBy('urn:test:tx', 'inx-1')).toEqual([existing.body.id]);
    expect((await fhir(t.app, 'GET', `Patient/${existing.body.id}`)).body.name[0].family).toBe('Transact');
  });

  it('conditional create that matches nothing creates', async () => {
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: patient('urn:test:tx', 'inx-new'), request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test:tx|inx-new' } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^201/);
    expect(await patientIdBy('urn:test:tx', 'inx-new')).toHaveLength(1);
  });

  it('resolves a conditional reference to the one match', async () => {
    const p = await fhir(t.app, 'POST', 'Patient', patient('urn:test:cref', 'one'));
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: { resourceType: 'Condition', subject: { reference: 'Patient?identifier=urn:test:cref|one' }, code: { text: 'Asthma' } },
        request: { method: 'POST', url: 'Condition' } },
    ]));
    expect(res.status).toBe(200);
    const cond = await fhir(t.app, 'GET', res.body.entry[0].response.location.split('/_history')[0]);
    expect(cond.body.subject.reference).toBe(`Patient/${p.body.id}`);
  });

  it('answers 412 when a conditional reference matches none or several, and writes nothing', async () => {
    await fhir(t.app, 'POST', 'Patient', patient('urn:test:cref', 'twin'));
    await fhir(t.app, 'POST', 'Patient', patient('urn:test:cref', 'twin'));
    const before = await count('Condition');
    for (const value of ['nobody', 'twin']) {
      const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
        { resource: patient('urn:test:cref', `bystander-${value}`), request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Condition', subject: { reference: `Patient?identifier=urn:test:cref|${value}` }, code: { text: 'Gout' } },
          request: { method: 'POST', url: 'Condition' } },
      ]));
      expect(res.status).toBe(412);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(await patientIdBy('urn:test:cref', `bystander-${value}`)).toEqual([]);
    }
    expect(await count('Condition')).toBe(before);
  });

  it('is all or nothing: one invalid entry fails the whole transaction and nothing is written', async () => {
    const pUrn = 'urn:uuid:9b0c5a54-0000-4a2f-9c1b-aaaaaaaaaaaa';
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { fullUrl: pUrn, resource: patient('urn:test:atomic', 'a1'), request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: pUrn } },
        request: { method: 'POST', url: 'Encounter' } },
      // gender is a code from a closed set: invalid.
      { resource: { ...patient('urn:test:atomic', 'a2'), gender: 42 }, request: { method: 'POST', url: 'Patient' } },
    ]));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toContain('Bundle.entry[2]');
    expect(await patientIdBy('urn:test:atomic', 'a1')).toEqual([]);
    expect(await patientIdBy('urn:test:atomic', 'a2')).toEqual([]);
  });

  it('rolls back earlier writes when a later entry fails at execution (unknown PATCH target)', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient('urn:test:atomic', 'b1'))).body;
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: { ...p, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.id}` } },
      { request: { method: 'DELETE', url: `Patient/${p.id}` } },
      { resource: binaryPatch([{ op: 'replace', path: '/status', value: 'final' }]), request: { method: 'PATCH', url: 'Observation/does-not-exist' } },
    ]));
    expect(res.status).toBe(404);
    const after = await fhir(t.app, 'GET', `Patient/${p.id}`);
    expect(after.status).toBe(200);
    expect(after.body.gender).toBe('female');
    expect(after.body.meta.versionId).toBe('1');
  });

  it('processes DELETE, then POST, then PUT/PATCH, then GET, whatever the order in the Bundle', async () => {
    const gone = (await fhir(t.app, 'POST', 'Patient', patient('urn:test:order', 'gone'))).body;
    const kept = (await fhir(t.app, 'POST', 'Patient', patient('urn:test:order', 'kept'))).body;
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { request: { method: 'GET', url: `Patient/${kept.id}` } },
      { request: { method: 'GET', url: 'Patient?identifier=urn:test:order|' } },
      { resource: { ...kept, gender: 'other' }, request: { method: 'PUT', url: `Patient/${kept.id}` } },
      { resource: patient('urn:test:order', 'new'), request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'DELETE', url: `Patient/${gone.id}` } },
    ]));
    expect(res.status).toBe(200);
    const [get, search, put, post, del] = res.body.entry;
    expect(del.response.status).toMatch(/^204/);
    expect(post.response.status).toMatch(/^201/);
    expect(put.response.status).toMatch(/^200/);
    expect(put.response.etag).toBe('W/"2"');
    // The GETs ran last: they see the update, the new patient and not the deleted one.
    expect(get.response.status).toMatch(/^200/);
    expect(get.resource.gender).toBe('other');
    expect(get.resource.meta.versionId).toBe('2');
    expect(search.resource.type).toBe('searchset');
    const values = search.resource.entry.map((e: any) => e.resource.identifier[0].value).sort();
    expect(values).toEqual(['kept', 'new']);
    expect((await fhir(t.app, 'GET', `Patient/${gone.id}`)).status).toBe(410);
  });

  it('reads a version (vread) inside a transaction', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient('urn:test:vread', 'v'))).body;
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: { ...p, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.id}` } },
      { request: { method: 'GET', url: `Patient/${p.id}/_history/1` } },
      { request: { method: 'GET', url: `Patient/${p.id}/_history/2` } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry[1].resource.gender).toBe('female');
    expect(res.body.entry[2].resource.gender).toBe('male');
  });

  it('applies a PATCH entry carrying a Binary JSON Patch, honouring ifMatch', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient('urn:test:patch', 'p1'))).body;
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: binaryPatch([{ op: 'replace', path: '/gender', value: 'male' }, { op: 'add', path: '/active', value: true }]),
        request: { method: 'PATCH', url: `Patient/${p.id}`, ifMatch: 'W/"1"' } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^200/);
    const after = (await fhir(t.app, 'GET', `Patient/${p.id}`)).body;
    expect(after.gender).toBe('male');
    expect(after.active).toBe(true);
    expect(after.meta.versionId).toBe('2');
    const stale = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: binaryPatch([{ op: 'replace', path: '/gender', value: 'other' }]), request: { method: 'PATCH', url: `Patient/${p.id}`, ifMatch: 'W/"1"' } },
    ]));
    expect(stale.status).toBe(412);
    const bad = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from('not json').toString('base64') },
        request: { method: 'PATCH', url: `Patient/${p.id}` } },
    ]));
    expect(bad.status).toBe(400);
    expect((await fhir(t.app, 'GET', `Patient/${p.id}`)).body.gender).toBe('male');
  });

  it('handles a 100-entry transaction', async () => {
    const entry = [];
    for (let i = 0; i < 50; i++) {
      const urn = `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      entry.push({ fullUrl: urn, resource: patient('urn:test:hundred', `h${i}`), request: { method: 'POST', url: 'Patient' } });
      entry.push({ resource: { resourceType: 'Observation', status: 'final', code: { text: 'Weight' }, subject: { reference: urn }, valueQuantity: { value: 60 + i } },
        request: { method: 'POST', url: 'Observation' } });
    }
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx(entry));
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(100);
    expect(res.body.entry.every((e: any) => e.response.status.startsWith('201'))).toBe(true);
    expect(await count('Patient?identifier=urn:test:hundred|')).toBe(50);
    const obs = (await fhir(t.app, 'GET', res.body.entry[1].response.location.split('/_history')[0])).body;
    expect(obs.subject.reference).toBe(res.body.entry[0].response.location.split('/_history')[0]);
  });
});

describe('batch', () => {
  it('processes entries independently: a failing entry has its own status and outcome', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient('urn:test:batch', 'b0'))).body;
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { resource: patient('urn:test:batch', 'b1'), request: { method: 'POST', url: 'Patient' } },
      { resource: { ...patient('urn:test:batch', 'b2'), birthDate: 'not-a-date' }, request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient/unknown-id' } },
      { request: { method: 'GET', url: `Patient/${p.id}` } },
      { resource: { ...p, active: true }, request: { method: 'PUT', url: `Patient/${p.id}` } },
      { request: { method: 'GET', url: 'Spaceship/1' } },
      { resource: patient('urn:test:batch', 'b3'), request: { method: 'POST', url: 'Patient' } },
    ], 'batch'));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    const statuses = res.body.entry.map((e: any) => e.response.status.slice(0, 3));
    expect(statuses).toEqual(['201', '400', '404', '200', '200', '404', '201']);
    for (const i of [1, 2, 5]) expect(res.body.entry[i].response.outcome.resourceType).toBe('OperationOutcome');
    expect(await patientIdBy('urn:test:batch', 'b1')).toHaveLength(1);
    expect(await patientIdBy('urn:test:batch', 'b2')).toHaveLength(0);
    expect(await patientIdBy('urn:test:batch', 'b3')).toHaveLength(1);
    expect((await fhir(t.app, 'GET', `Patient/${p.id}`)).body.active).toBe(true);
  });

  it('gives each bad entry request its own error rather than failing the batch', async () => {
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([
      { request: { method: 'GET', url: 'Patient/../../etc/passwd' } },
      { request: { method: 'GET', url: 'Patient?badparam=1' } },
      { resource: patient('urn:test:batch', 'b4'), request: { method: 'POST', url: 'Patient' } },
    ], 'batch'));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^4/);
    expect(res.body.entry[1].response.status).toMatch(/^4/);
    expect(res.body.entry[2].response.status).toMatch(/^201/);
  });
});

describe('bad Bundles', () => {
  const cases: [string, unknown][] = [
    ['not a Bundle', { resourceType: 'Patient' }],
    ['a searchset', { resourceType: 'Bundle', type: 'searchset', entry: [] }],
    ['no type', { resourceType: 'Bundle' }],
    ['entry not an array', { resourceType: 'Bundle', type: 'transaction', entry: {} }],
    ['an entry without request', tx([{ resource: patient('urn:test:bad', 'x') }])],
    ['an entry without url', tx([{ resource: patient('urn:test:bad', 'x'), request: { method: 'POST' } }])],
    ['an unknown method', tx([{ request: { method: 'TRACE', url: 'Patient' } }])],
    ['a null entry', tx([null])],
    ['POST without a resource', tx([{ request: { method: 'POST', url: 'Patient' } }])],
    ['duplicate fullUrl', tx([
      { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: patient('urn:test:bad', 'd1'), request: { method: 'POST', url: 'Patient' } },
      { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: patient('urn:test:bad', 'd2'), request: { method: 'POST', url: 'Patient' } },
    ])],
    ['a dangling urn:uuid reference', tx([
      { resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' } },
        request: { method: 'POST', url: 'Encounter' } },
    ])],
    ['a bad ifMatch', tx([{ resource: patient('urn:test:bad', 'x'), request: { method: 'PUT', url: 'Patient/x', ifMatch: 'yesterday' } }])],
    ['an array', [tx([])]],
  ];
  for (const [name, body] of cases) {
    it(`refuses ${name} with a 400 OperationOutcome and writes nothing`, async () => {
      const before = await count('Patient');
      const res = await fhir(t.app, 'POST', '/fhir/R4', body);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toBeTruthy();
      expect(await count('Patient')).toBe(before);
    });
  }

  it('accepts an empty transaction', async () => {
    const res = await fhir(t.app, 'POST', '/fhir/R4', tx([]));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
  });
});

function binaryPatch(ops: object[]) {
  return { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify(ops)).toString('base64') };
}
