import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { auditEventsOf } from '../../testing/audit-events.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
});
afterAll(async () => t?.close());

const patient = (extra: object = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' }],
  name: [{ family: 'Okafor', given: ['Ada'] }],
  gender: 'female',
  birthDate: '1948-03-02',
  ...extra,
});

describe('create, read, vread', () => {
  it('creates with a server id, version 1, Location and ETag', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', patient());
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.meta.versionId).toBe('1');
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers.location).toMatch(new RegExp(`^http://localhost(:80)?/fhir/R4/Patient/${res.body.id}/_history/1$`));
    const read = await fhir(t.app, 'GET', `Patient/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.name[0].family).toBe('Okafor');
    expect(read.headers['content-type']).toContain('application/fhir+json');
    const v = await fhir(t.app, 'GET', `Patient/${res.body.id}/_history/1`);
    expect(v.status).toBe(200);
    expect(v.body.meta.versionId).toBe('1');
  });

  it('ignores a client id on POST', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', patient({ id: 'mine' }));
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('mine');
  });

  it('answers 404 for unknown ids, versions and types', async () => {
    expect((await fhir(t.app, 'GET', 'Patient/nope')).status).toBe(404);
    const p = (await fhir(t.app, 'POST', 'Patient', patient())).body;
    expect((await fhir(t.app, 'GET', `Patient/${p.id}/_history/9`)).status).toBe(404);
    const unknown = await fhir(t.app, 'GET', 'Spaceship/1');
    expect(unknown.status).toBe(404);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const min = await fhir(t.app, 'POST', 'Patient', patient(), { prefer: 'return=minimal' });
    expect(min.status).toBe(201);
    expect(min.text).toBe('');
    expect(min.headers.location).toMatch(/\/Patient\/.+\/_history\/1$/);
    const oo = await fhir(t.app, 'POST', 'Patient', patient(), { prefer: 'return=OperationOutcome' });
    expect(oo.body.resourceType).toBe('OperationOutcome');
  });
});

describe('update', () => {
  it('makes a new version, and If-Match guards against lost updates', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient())).body;
    const u1 = await fhir(t.app, 'PUT', `Patient/${p.id}`, { ...p, gender: 'other' }, { 'if-match': 'W/"1"' });
    expect(u1.status).toBe(200);
    expect(u1.body.meta.versionId).toBe('2');
    // A second writer still holding version 1 is refused, and nothing changes.
    const stale = await fhir(t.app, 'PUT', `Patient/${p.id}`, { ...p, gender: 'male' }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect((await fhir(t.app, 'GET', `Patient/${p.id}`)).body.gender).toBe('other');
  });

  it('creates with the client id when the resource does not exist (update as create)', async () => {
    const res = await fhir(t.app, 'PUT', 'Patient/client-chosen-1', patient({ id: 'client-chosen-1' }));
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('client-chosen-1');
    expect((await fhir(t.app, 'GET', 'Patient/client-chosen-1')).status).toBe(200);
  });

  it('refuses an id mismatch or a missing id', async () => {
    const res = await fhir(t.app, 'PUT', 'Patient/a1', patient({ id: 'b2' }));
    expect(res.status).toBe(400);
    expect((await fhir(t.app, 'PUT', 'Patient/a1', patient())).status).toBe(400);
    expect((await fhir(t.app, 'GET', 'Patient/a1')).status).toBe(404);
  });

  it('makes no new version when nothing changed', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient())).body;
    const same = await fhir(t.app, 'PUT', `Patient/${p.id}`, p);
    expect(same.status).toBe(200);
    expect(same.body.meta.versionId).toBe('1');
  });

  it('never loses an update among concurrent writers', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient({ name: [{ family: 'Concurrent', given: ['X'] }] }))).body;
    const writers = Array.from({ length: 8 }, (_, i) =>
      fhir(t.app, 'PUT', `Patient/${p.id}`, { ...p, name: [{ family: 'Concurrent', given: [`W${i}`] }] }),
    );
    const results = await Promise.all(writers);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const versions = results.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const hist = await fhir(t.app, 'GET', `Patient/${p.id}/_history?_count=50`);
    expect(hist.body.entry).toHaveLength(9);
  });
});

describe('conditional interactions', () => {
  it('If-None-Exist creates once and then returns the match', async () => {
    const body = patient({ identifier: [{ system: 'urn:test', value: 'cond-1' }] });
    const first = await fhir(t.app, 'POST', 'Patient', body, { 'if-none-exist': 'identifier=urn:test|cond-1' });
    expect(first.status).toBe(201);
    const second = await fhir(t.app, 'POST', 'Patient', body, { 'if-none-exist': 'identifier=urn:test|cond-1' });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
  });

  it('If-None-Exist under concurrency still creates only one', async () => {
    const body = patient({ identifier: [{ system: 'urn:test', value: 'race-1' }] });
    const all = await Promise.all(
      Array.from({ length: 6 }, () => fhir(t.app, 'POST', 'Patient', body, { 'if-none-exist': 'identifier=urn:test|race-1' })),
    );
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    const found = await fhir(t.app, 'GET', 'Patient?identifier=urn:test|race-1&_total=accurate');
    expect(found.body.total).toBe(1);
  });

  it('If-None-Exist matching several answers 412 and writes nothing', async () => {
    await fhir(t.app, 'POST', 'Patient', patient({ identifier: [{ system: 'urn:test', value: 'dup' }] }));
    await fhir(t.app, 'POST', 'Patient', patient({ identifier: [{ system: 'urn:test', value: 'dup' }] }));
    const res = await fhir(t.app, 'POST', 'Patient', patient({ identifier: [{ system: 'urn:test', value: 'dup' }] }), {
      'if-none-exist': 'identifier=urn:test|dup',
    });
    expect(res.status).toBe(412);
    expect((await fhir(t.app, 'GET', 'Patient?identifier=urn:test|dup&_total=accurate')).body.total).toBe(2);
  });

  it('conditional update creates, then updates the match', async () => {
    const body = patient({ identifier: [{ system: 'urn:test', value: 'cu-1' }] });
    const created = await fhir(t.app, 'PUT', 'Patient?identifier=urn:test|cu-1', body);
    expect(created.status).toBe(201);
    const updated = await fhir(t.app, 'PUT', 'Patient?identifier=urn:test|cu-1', { ...body, gender: 'male' });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
  });

  it('conditional delete removes the match', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient({ identifier: [{ system: 'urn:test', value: 'cd-1' }] }))).body;
    expect((await fhir(t.app, 'DELETE', 'Patient?identifier=urn:test|cd-1')).status).toBe(204);
    expect((await fhir(t.app, 'GET', `Patient/${p.id}`)).status).toBe(410);
  });
});

describe('patch and delete', () => {
  it('applies a JSON Patch and validates the result', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient())).body;
    const ok = await fhir(t.app, 'PATCH', `Patient/${p.id}`, [{ op: 'replace', path: '/gender', value: 'male' }], {
      'content-type': 'application/json-patch+json',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.gender).toBe('male');
    expect(ok.body.meta.versionId).toBe('2');
    const invalid = await fhir(t.app, 'PATCH', `Patient/${p.id}`, [{ op: 'replace', path: '/gender', value: 42 }], {
      'content-type': 'application/json-patch+json',
    });
    expect(invalid.status).toBe(400);
    const failedTest = await fhir(t.app, 'PATCH', `Patient/${p.id}`, [{ op: 'test', path: '/gender', value: 'female' }], {
      'content-type': 'application/json-patch+json',
    });
    expect(failedTest.status).toBe(409);
    expect((await fhir(t.app, 'GET', `Patient/${p.id}`)).body.meta.versionId).toBe('2');
  });

  it('deletes: read answers 410, history keeps every version', async () => {
    const p = (await fhir(t.app, 'POST', 'Patient', patient())).body;
    expect((await fhir(t.app, 'DELETE', `Patient/${p.id}`)).status).toBe(204);
    const gone = await fhir(t.app, 'GET', `Patient/${p.id}`);
    expect(gone.status).toBe(410);
    expect(gone.body.resourceType).toBe('OperationOutcome');
    const hist = await fhir(t.app, 'GET', `Patient/${p.id}/_history`);
    expect(hist.status).toBe(200);
    expect(hist.body.type).toBe('history');
    expect(hist.body.entry.map((e: any) => e.request.method)).toEqual(['DELETE', 'POST']);
    // R4: deleting what does not exist (or no longer does) is not an error.
    expect((await fhir(t.app, 'DELETE', `Patient/${p.id}`)).status).toBe(204);
    expect((await fhir(t.app, 'DELETE', 'Patient/never-was')).status).toBe(204);
    expect((await fhir(t.app, 'GET', 'Patient/never-was')).status).toBe(404);
  });

  it('pages type history newest first', async () => {
    const subject = (await fhir(t.app, 'POST', 'Patient', patient())).body.id;
    for (let i = 0; i < 3; i++) await fhir(t.app, 'POST', 'Flag', { resourceType: 'Flag', status: 'active', code: { text: `f${i}` }, subject: { reference: `Patient/${subject}` } });
    const page1 = await fhir(t.app, 'GET', 'Flag/_history?_count=2');
    expect(page1.body.entry).toHaveLength(2);
    expect(page1.body.entry[0].resource.code.text).toBe('f2');
    const next = page1.body.link.find((l: any) => l.relation === 'next').url;
    const page2 = await fhir(t.app, 'GET', next.replace('http://localhost', ''));
    expect(page2.body.entry[0].resource.code.text).toBe('f0');
    // A forged cursor is a 400 naming it, never a failing statement (a version past a bigint, say).
    const forged = Buffer.from(JSON.stringify({ v: ['2024-01-01T00:00:00.000Z', 'x'], r: '9223372036854775808' })).toString('base64url');
    for (const c of ['garbage', forged]) {
      const bad = await fhir(t.app, 'GET', `Flag/_history?_count=2&_cursor=${c}`);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.issue)).toContain('_cursor');
    }
  });
});

describe('validation', () => {
  it('rejects an invalid NHS number, naming the path, and writes nothing', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', patient({ identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000019' }] }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression[0]).toBe('Patient.identifier[0].value');
    expect((await fhir(t.app, 'GET', 'Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000019')).body.entry).toHaveLength(0);
  });

  it('rejects wrong types and unknown elements with their paths', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', birthDate: 'yesterday', colour: 'blue' });
    expect(res.status).toBe(400);
    const paths = res.body.issue.flatMap((i: any) => i.expression ?? []);
    expect(paths).toContain('Patient.birthDate');
    expect(paths).toContain('Patient.colour');
  });

  it('rejects a malformed reference and a type mismatch with the URL', async () => {
    const bad = await fhir(t.app, 'POST', 'Condition', { resourceType: 'Condition', subject: { reference: 'not a reference' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0].expression[0]).toBe('Condition.subject.reference');
    const mismatch = await fhir(t.app, 'POST', 'Patient', { resourceType: 'Observation' });
    expect(mismatch.status).toBe(400);
  });

  it('checks ODS codes on organisations', async () => {
    const bad = await fhir(t.app, 'POST', 'Organization', { resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'not ods!' }] });
    expect(bad.status).toBe(400);
    const good = await fhir(t.app, 'POST', 'Organization', { resourceType: 'Organization', identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RVV' }], name: 'East Kent Hospitals' });
    expect(good.status).toBe(201);
  });

  it('$validate reports without writing', async () => {
    const ok = await fhir(t.app, 'POST', 'Patient/$validate', patient());
    expect(ok.status).toBe(200);
    expect(ok.body.issue[0].severity).toBe('information');
    const bad = await fhir(t.app, 'POST', 'Patient/$validate', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 7 } }] });
    expect(bad.status).toBe(200);
    expect(bad.body.issue[0].severity).toBe('error');
  });
});

describe('metadata and health', () => {
  it('serves a CapabilityStatement of what is implemented', async () => {
    const res = await fhir(t.app, 'GET', 'metadata');
    expect(res.status).toBe(200);
    expect(res.body.fhirVersion).toBe('4.0.1');
    const p = res.body.rest[0].resource.find((r: any) => r.type === 'Patient');
    expect(p.searchParam.map((s: any) => s.name)).toContain('identifier');
    expect(p.operation.map((o: any) => o.name)).toContain('everything');
    expect(res.body.rest[0].resource).toHaveLength(34);
  });
  it('answers /healthz', async () => {
    expect((await fhir(t.app, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('AuditEvents are the platform\'s own', () => {
  const event = {
    resourceType: 'AuditEvent',
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    recorded: '2026-11-22T10:00:00Z',
    agent: [{ requestor: true, who: { display: 'someone' } }],
    source: { observer: { display: 'elsewhere' } },
  };
  it('refuses every client write with 405 and writes nothing', async () => {
    expect((await fhir(t.app, 'POST', 'AuditEvent', event)).status).toBe(405);
    expect((await fhir(t.app, 'PUT', 'AuditEvent/forged', { ...event, id: 'forged' })).status).toBe(405);
    expect((await fhir(t.app, 'PUT', 'AuditEvent?recorded=2026', event)).status).toBe(405);
    expect((await fhir(t.app, 'DELETE', 'AuditEvent/forged')).status).toBe(405);
    expect((await fhir(t.app, 'DELETE', 'AuditEvent?recorded=2026')).status).toBe(405);
    expect((await fhir(t.app, 'PATCH', 'AuditEvent/forged', [{ op: 'add', path: '/outcome', value: '0' }], {
      'content-type': 'application/json-patch+json',
    })).status).toBe(405);
    const tx = await fhir(t.app, 'POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:6f1f0b9e-0a43-4c3e-9a4e-1d0d2f1c0a01', resource: event, request: { method: 'POST', url: 'AuditEvent' } }],
    });
    expect(tx.status).toBe(405);
    // Each of those requests left its own AuditEvent; none of them is the client's.
    expect((await t.platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'AuditEvent'")).rows).toHaveLength(0);
    const events = await auditEventsOf(t.platform.db);
    expect(events.filter((e) => e.event.id === 'forged' || e.text.includes('elsewhere'))).toHaveLength(0);
  });
});
