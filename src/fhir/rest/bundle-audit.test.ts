import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLogService } from '../../access/audit/access-log.service.js';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { auditEventsOf } from '../../testing/audit-events.js';

// A batch or transaction is one request and one AuditEvent: it must still name every resource and
// every person its entries touched, or a person's access log misses reads made inside a Bundle.
let t: TestPlatform;
let log: AccessLogService;

const observation = (id: string, patient: string, code = '364075005') => ({
  resourceType: 'Observation', id, status: 'final',
  code: { coding: [{ system: 'http://snomed.info/sct', code }] },
  subject: { reference: `Patient/${patient}` },
});

beforeAll(async () => {
  t = await createTestPlatform();
  log = new AccessLogService(t.platform.db);
  for (const p of ['pat-1', 'pat-2', 'pat-3', 'pat-4', 'pat-6', 'pat-7']) {
    expect((await fhir(t.app, 'PUT', `Patient/${p}`, { resourceType: 'Patient', id: p })).status).toBe(201);
  }
  for (const [id, p, code] of [['obs-2', 'pat-2'], ['obs-3', 'pat-3', '271649006'], ['obs-4', 'pat-4'], ['obs-7', 'pat-7']]) {
    expect((await fhir(t.app, 'PUT', `Observation/${id}`, observation(id, p, code))).status).toBe(201);
  }
});
afterAll(async () => t?.close());

/** The AuditEvent of a request, by its X-Request-Id. */
async function auditEventOf(requestId: string) {
  const found = await auditEventsOf(t.platform.db, requestId);
  expect(found).toHaveLength(1);
  return found[0].event;
}

const referencesIn = (event: { entity?: { what?: { reference?: string } }[] }) => (event.entity ?? []).map((e) => e.what?.reference).filter(Boolean);
const interactionsFor = async (patient: string) => (await log.accessLogFor(patient)).entries.map((e) => e.interaction.code);

describe('the AuditEvent of a Bundle', () => {
  it('names every resource and person a batch read, searched or deleted, so each person sees it', async () => {
    const res = await fhir(t.app, 'POST', '/fhir/R4', {
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'Patient/pat-1' } },
        { request: { method: 'GET', url: 'Observation/obs-2' } },
        { request: { method: 'GET', url: 'Observation?code=http://snomed.info/sct|271649006' } },
        { request: { method: 'DELETE', url: 'Observation/obs-4' } },
        { request: { method: 'GET', url: 'Observation/not-there' } },
      ],
    }, { 'x-request-id': 'bundle-audit-batch' });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['200 OK', '200 OK', '200 OK', '204 No Content', '404']);

    for (const p of ['pat-1', 'pat-2', 'pat-3', 'pat-4']) expect(await interactionsFor(p), p).toContain('batch');
    expect(await interactionsFor('pat-6')).not.toContain('batch');
    const refs = referencesIn(await auditEventOf('bundle-audit-batch'));
    expect(refs).toEqual(expect.arrayContaining(['Patient/pat-1', 'Observation/obs-2/_history/1', 'Observation/obs-3', 'Observation/obs-4', 'Patient/pat-2', 'Patient/pat-3', 'Patient/pat-4']));
  });

  it('names what a transaction wrote, new resources included', async () => {
    const res = await fhir(t.app, 'POST', '/fhir/R4', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:9a0c1a53-0d7e-4e53-8c1a-000000000006', resource: observation('ignored', 'pat-6'), request: { method: 'POST', url: 'Observation' } },
        { resource: { ...observation('obs-7', 'pat-7'), status: 'amended' }, request: { method: 'PUT', url: 'Observation/obs-7' } },
      ],
    }, { 'x-request-id': 'bundle-audit-transaction' });
    expect(res.status, res.text).toBe(200);
    const created = String(res.body.entry[0].response.location).split('/')[1];
    for (const p of ['pat-6', 'pat-7']) expect(await interactionsFor(p), p).toContain('transaction');
    expect(referencesIn(await auditEventOf('bundle-audit-transaction'))).toEqual(expect.arrayContaining([`Observation/${created}/_history/1`, 'Observation/obs-7/_history/2', 'Patient/pat-6', 'Patient/pat-7']));
  });
});
