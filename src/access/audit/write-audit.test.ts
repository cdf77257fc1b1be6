import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEventsOf } from '../../testing/audit-events.js';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { verifyChain } from './hash-chain.js';

// A write's audit record commits in the write's own transaction (issue 10 part 3): never an answered
// write without its record, never a record of a write that did not happen.
let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
  // A fault in the audit store, for one request id: the success record of a write cannot be written.
  await t.platform.db.exec(`CREATE FUNCTION test_audit_store_fails() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the audit store is failing'; END; $$;
    CREATE TRIGGER test_audit_store_fails BEFORE INSERT ON audit_event FOR EACH ROW
      WHEN (NEW.request_id LIKE 'fails-%' AND NEW.outcome = '0') EXECUTE FUNCTION test_audit_store_fails()`);
});
afterAll(async () => t?.close());

const patient = (family: string) => ({ resourceType: 'Patient', name: [{ family }] });
const withId = (id: string) => ({ 'x-request-id': id });
const countPatients = async (family: string) =>
  Number((await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM resource WHERE resource_type = 'Patient' AND content LIKE $1", [`%${family}%`])).rows[0].n);
const pendingOrLinked = async (requestId: string) => (await t.platform.db.query<{ linked: boolean; pending: boolean }>(
  `SELECT EXISTS (SELECT 1 FROM audit_chain c WHERE c.rid = e.seq) AS linked, EXISTS (SELECT 1 FROM audit_pending p WHERE p.seq = e.seq) AS pending
     FROM audit_event e WHERE e.request_id = $1`, [requestId])).rows;

describe('the audit record of a write', () => {
  it('is written with the write: a create, update, patch and delete each leave one record naming what was written, linked into the chain', async () => {
    const made = await fhir(t.app, 'POST', 'Patient', patient('WithAudit'), withId('w-create'));
    expect(made.status).toBe(201);
    const id = made.body.id;
    expect((await fhir(t.app, 'PUT', `Patient/${id}`, { ...patient('WithAudit2'), id }, withId('w-update'))).status).toBe(200);
    expect((await fhir(t.app, 'PATCH', `Patient/${id}`, [{ op: 'replace', path: '/name/0/family', value: 'WithAudit3' }], {
      ...withId('w-patch'), 'content-type': 'application/json-patch+json',
    })).status).toBe(200);
    expect((await fhir(t.app, 'DELETE', `Patient/${id}`, undefined, withId('w-delete'))).status).toBe(204);
    const events = await auditEventsOf(t.platform.db, `Patient/${id}`);
    const byRequest = new Map(events.map((e) => [e.event.entity!.find((x) => x.name === 'X-Request-Id')!.what!.identifier!.value, e.event]));
    expect(byRequest.get('w-create')!.entity).toContainEqual(expect.objectContaining({ what: { reference: `Patient/${id}` } }));
    expect(byRequest.get('w-create')!.outcome).toBe('0');
    for (const r of ['w-update', 'w-patch', 'w-delete']) expect(byRequest.get(r)?.outcome, r).toBe('0');
    // Linked into the chain right after the commit (or waiting in audit_pending for the next batch).
    await t.platform.access.audit.flush();
    for (const r of ['w-create', 'w-update', 'w-patch', 'w-delete']) expect(await pendingOrLinked(r), r).toEqual([{ linked: true, pending: false }]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true });
  });

  it('when it cannot be written, the write is not made: 503, nothing stored, and the refusal itself recorded', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', patient('NotAudited'), withId('fails-create'));
    expect(res.status).toBe(503);
    expect(res.body.issue[0].code).toBe('transient');
    expect(await countPatients('NotAudited')).toBe(0);
    const events = await auditEventsOf(t.platform.db, '"fails-create"');
    expect(events.map((e) => e.event.outcome)).toEqual(['8']);

    // A transaction Bundle: all or nothing, its record included.
    const bundle = await fhir(t.app, 'POST', '/fhir/R4', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:0b8d8e38-1f4b-4f8e-9d84-3f1c2a9e0a11', resource: patient('NotAuditedTx'), request: { method: 'POST', url: 'Patient' } }],
    }, withId('fails-transaction'));
    expect(bundle.status).toBe(503);
    expect(await countPatients('NotAuditedTx')).toBe(0);
  });

  it('a transaction Bundle leaves one record, written with it, naming every resource it wrote', async () => {
    const bundle = await fhir(t.app, 'POST', '/fhir/R4', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7c1e4a52-5a7e-4a39-8a55-0d4b2b0b6f01', resource: patient('TxAudit'), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:7c1e4a52-5a7e-4a39-8a55-0d4b2b0b6f02', resource: patient('TxAudit'), request: { method: 'POST', url: 'Patient' } },
      ],
    }, withId('w-transaction'));
    expect(bundle.status).toBe(200);
    const [event, ...more] = await auditEventsOf(t.platform.db, '"w-transaction"');
    expect(more).toEqual([]);
    const refs = (event.event.entity ?? []).map((e) => e.what?.reference).filter(Boolean);
    for (const e of bundle.body.entry) expect(refs.some((r) => r?.startsWith(e.response.location.split('/_history')[0].replace(/^.*\/fhir\/R4\//, '')))).toBe(true);
  });

  it('a refused or invalid write leaves one failure record and no success record', async () => {
    expect((await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', gender: 42 }, withId('w-invalid'))).status).toBe(400);
    expect((await auditEventsOf(t.platform.db, '"w-invalid"')).map((e) => e.event.outcome)).toEqual(['4']);
    // An update that changes nothing writes nothing, and is recorded once all the same.
    const made = await fhir(t.app, 'POST', 'Patient', patient('Same'), withId('w-same-1'));
    const again = await fhir(t.app, 'PUT', `Patient/${made.body.id}`, { ...patient('Same'), id: made.body.id }, withId('w-same-2'));
    expect(again.status).toBe(200);
    expect((await auditEventsOf(t.platform.db, '"w-same-2"')).map((e) => e.event.outcome)).toEqual(['0']);
  });
});
