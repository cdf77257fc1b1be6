import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, writeAsPlatform, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
  await writeAsPlatform(t.platform, {
    resourceType: 'Provenance', id: 'prov-1', target: [{ reference: 'Organization/x' }], recorded: '2026-11-22T10:00:00Z',
    agent: [{ who: { display: 'the platform' } }],
  });
});
afterAll(async () => t?.close());

// AuditEvent and Provenance are written by the platform only: declared read-only, and refused alike.
describe('AuditEvent and Provenance are read-only to clients', () => {
  it('the CapabilityStatement declares read, vread, search-type and history only', async () => {
    const cs = (await fhir(t.app, 'GET', 'metadata')).body;
    for (const type of ['AuditEvent', 'Provenance']) {
      const r = cs.rest[0].resource.find((x: any) => x.type === type);
      // AuditEvents are served from the audit table: one version each, so no type history.
      const history = type === 'AuditEvent' ? ['history-instance'] : ['history-instance', 'history-type'];
      expect(r.interaction.map((i: any) => i.code).sort()).toEqual([...history, 'read', 'search-type', 'vread'].sort());
      expect(r.conditionalCreate).toBe(false);
      expect(r.conditionalUpdate).toBe(false);
      expect(r.conditionalDelete).toBe('not-supported');
      expect(r.updateCreate).toBe(false);
    }
    const audit = cs.rest[0].resource.find((x: any) => x.type === 'AuditEvent');
    expect(audit.searchParam.map((p: any) => p.name)).toEqual(expect.arrayContaining(['patient', 'date', 'agent', 'entity', 'type', 'outcome']));
    expect(audit.searchParam.map((p: any) => p.name)).not.toContain('site');
    const patient = cs.rest[0].resource.find((x: any) => x.type === 'Patient');
    expect(patient.interaction.map((i: any) => i.code)).toEqual(expect.arrayContaining(['create', 'update', 'patch', 'delete']));
  });

  const provenance = { resourceType: 'Provenance', target: [{ reference: 'Organization/x' }], recorded: '2026-11-22T10:00:00Z', agent: [{ who: { display: 'a client' } }] };
  const writes: [string, string, unknown, Record<string, string>?][] = [
    ['POST', 'Provenance', provenance],
    ['POST', 'Provenance', { resourceType: 'Provenance' }], // invalid too: the 405 comes first
    ['PUT', 'Provenance/prov-1', { ...provenance, id: 'prov-1' }],
    ['PUT', 'Provenance/new-one', { ...provenance, id: 'new-one' }],
    ['PUT', 'Provenance?recorded=2026', provenance],
    ['PATCH', 'Provenance/prov-1', [{ op: 'replace', path: '/recorded', value: '2026-01-01T00:00:00Z' }], { 'content-type': 'application/json-patch+json' }],
    ['DELETE', 'Provenance/prov-1', undefined],
    ['DELETE', 'Provenance?recorded=2026', undefined],
    ['POST', 'AuditEvent', { resourceType: 'AuditEvent' }],
    ['DELETE', 'AuditEvent/anything', undefined],
  ];
  for (const [method, url, body, headers] of writes) {
    it(`${method} ${url} answers 405 with an OperationOutcome`, async () => {
      const res = await fhir(t.app, method, url, body, headers);
      expect(res.status).toBe(405);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('not-supported');
    });
  }

  it('refuses a Provenance entry in a transaction with 405, even an invalid one, and writes nothing', async () => {
    const tx = await fhir(t.app, 'POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:6f1f0b9e-0a43-4c3e-9a4e-1d0d2f1c0a02', resource: { resourceType: 'Provenance' }, request: { method: 'POST', url: 'Provenance' } }],
    });
    expect(tx.status).toBe(405);
    const rows = await t.platform.db.query("SELECT id, version_id FROM resource WHERE resource_type = 'Provenance'");
    expect(rows.rows).toEqual([{ id: 'prov-1', version_id: 1 }]);
  });
});
