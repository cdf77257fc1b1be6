import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../fhir/validation.service.js';
import { auditEventsOf } from '../../testing/audit-events.js';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { createOrganization, createPatient, createResident, createStaff, signIn } from '../identity/identity.test-helpers.js';
import type { AuditEntry } from './audit-entry.js';
import { buildAuditEvent } from './audit-event.builder.js';
import { gp, socialWorker } from './audit.fixtures.js';

// AuditEvent on the FHIR API is rendered from the compact audit table: read, vread, history and
// search by the parameters a review needs, each under the reader's row rule.
let t: TestPlatform;
const PW = 'audit-events-pw-1';
const users: Record<string, { cookie: string }> = {};
const as = (who: string, url: string) => fhir(t.app, 'GET', url, undefined, { authorization: '', cookie: users[who].cookie });

beforeAll(async () => {
  t = await createTestPlatform();
  await createOrganization(t.platform, 'icb');
  await createOrganization(t.platform, 'gp-x');
  for (const id of ['pat-ae1', 'pat-ae2']) await createPatient(t.platform, id);
  await createStaff(t.platform, 'po', PW, [{ organizationId: 'icb', role: 'privacy-officer' }]);
  await createStaff(t.platform, 'doc', PW, [{ organizationId: 'gp-x', role: 'gp' }]);
  await createResident(t.platform, 'res1', PW, 'pat-ae1');
  for (const u of ['po', 'doc', 'res1']) users[u] = await signIn(t.app, u, PW);
  // Events with known times: a GP's reads of two people, a social worker refused, a break-glass.
  const audit = t.platform.access.audit;
  const at = (m: number) => new Date(Date.UTC(2025, 2, 1, 10, m));
  await audit.record({ interaction: 'read', principal: gp, when: at(0), status: 200, requestId: 'ae-r0', resources: [{ type: 'Observation', id: 'obs-1', versionId: 2 }], patientIds: ['pat-ae1'] });
  await audit.record({ interaction: 'search', principal: gp, when: at(1), status: 200, requestId: 'ae-r1', resourceType: 'Condition', query: 'patient=pat-ae2', patientIds: ['pat-ae2'] });
  await audit.record({ interaction: 'read', principal: socialWorker, when: at(2), status: 403, requestId: 'ae-r2', failure: 'not allowed', resources: [{ type: 'Patient', id: 'pat-ae1' }], patientIds: ['pat-ae1'] });
  await audit.record({ interaction: 'break-glass', principal: gp, when: at(3), status: 200, requestId: 'ae-r3', patientIds: ['pat-ae2'], reason: { code: 'emergency', text: 'Unconscious' } });
  await audit.record({ interaction: 'read', principal: gp, when: at(4), status: 200, requestId: 'ae-r4', patientIds: ['pat-ae1', 'pat-ae2'] });
});
afterAll(async () => t?.close());

const ids = (body: any): string[] => (body.entry ?? []).map((e: any) => e.resource.entity?.find((x: any) => x.name === 'X-Request-Id')?.what.identifier.value);
const idOf = async (requestId: string) => (await auditEventsOf(t.platform.db, `"${requestId}"`))[0].event.id!;

describe('AuditEvent rendered from the audit table', () => {
  it('reads back, through the database, exactly the AuditEvent its entry builds (valid R4, version 1)', async () => {
    const entry: AuditEntry = {
      interaction: 'update', principal: socialWorker, clientIp: '192.0.2.1', status: 200, requestId: 'ae-eq', resourceType: 'Consent',
      resources: [{ type: 'Consent', id: 'c-1', versionId: 4 }], patientIds: ['pat-ae1'], description: 'PUT /fhir/R4/Consent/c-1',
      when: '2025-03-02T11:00:00.123Z',
    };
    await t.platform.access.audit.record(entry);
    const id = await idOf('ae-eq');
    const res = await as('po', `AuditEvent/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...buildAuditEvent(entry, id), meta: { versionId: '1', lastUpdated: '2025-03-02T11:00:00.123Z' } });
    expect(validate(res.body)).toEqual([]);
    expect(res.headers.etag).toBe('W/"1"');
    expect((await as('po', `AuditEvent/${id}/_history/1`)).body).toEqual(res.body);
    expect((await as('po', `AuditEvent/${id}/_history/2`)).status).toBe(404);
    const history = await as('po', `AuditEvent/${id}/_history`);
    expect(history.body).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 1, entry: [{ resource: res.body }] });
    expect((await as('po', 'AuditEvent/_history')).status).toBe(400);
  });

  it('searches by patient, date, agent, entity, type, subtype, outcome, action and id', async () => {
    const q = async (query: string) => {
      const res = await as('po', `AuditEvent?date=lt2025-03-02&${query}`);
      expect(res.status, query).toBe(200);
      return ids(res.body);
    };
    expect(await q('patient=pat-ae1')).toEqual(['ae-r0', 'ae-r2', 'ae-r4']);
    expect(await q('patient=Patient/pat-ae2')).toEqual(['ae-r1', 'ae-r3', 'ae-r4']);
    expect(await q('patient=pat-ae1,pat-ae2&outcome=0')).toEqual(['ae-r0', 'ae-r1', 'ae-r3', 'ae-r4']);
    expect(await q('date=ge2025-03-01T10:01:00Z&date=lt2025-03-01T10:03:00Z')).toEqual(['ae-r1', 'ae-r2']);
    expect(await q('date=2025-03-01T10:02:00Z')).toEqual(['ae-r2']);
    expect(await q('agent=Practitioner/pr-1&patient=pat-ae1')).toEqual(['ae-r0', 'ae-r4']);
    expect(await q('altid=u-sw-1')).toEqual(['ae-r2']);
    expect(await q('entity=Observation/obs-1')).toEqual(['ae-r0']);
    expect(await q('entity=Patient/pat-ae2')).toEqual(['ae-r1', 'ae-r3', 'ae-r4']);
    expect(await q('outcome=4')).toEqual(['ae-r2']);
    expect(await q('subtype=break-glass')).toEqual(['ae-r3']);
    expect(await q('subtype=http://hl7.org/fhir/restful-interaction|search-type')).toEqual(['ae-r1']);
    expect(await q('type=http://dicom.nema.org/resources/ontology/DCM|110113')).toEqual(['ae-r3']);
    expect(await q('action=R&agent-role=social-worker')).toEqual(['ae-r2']);
    expect(await q(`_id=${await idOf('ae-r3')}`)).toEqual(['ae-r3']);
  });

  it('pages newest first by date with the cursor, counts with _total, and refuses what it does not serve with a 400 naming it', async () => {
    const first = await as('po', 'AuditEvent?patient=pat-ae1&date=lt2025-03-02&_sort=-date&_count=2&_total=accurate');
    expect(first.body.total).toBe(3);
    expect(ids(first.body)).toEqual(['ae-r4', 'ae-r2']);
    const next = first.body.link.find((l: any) => l.relation === 'next').url as string;
    const second = await as('po', next.slice(next.indexOf('AuditEvent')));
    expect(ids(second.body)).toEqual(['ae-r0']);
    expect(second.body.link.find((l: any) => l.relation === 'next')).toBeUndefined();
    for (const [query, name] of [['site=OneStory', 'site'], ['_include=AuditEvent:agent', '_include'], ['patient:missing=true', 'patient'], ['_sort=outcome', '_sort'], ['_cursor=forged', '_cursor']]) {
      const res = await as('po', `AuditEvent?${query}`);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body.issue), query).toContain(name);
    }
  });

  it('shows a resident the events about them alone, refuses staff who do not read AuditEvent, and hides and misses alike', async () => {
    const mine = await as('res1', 'AuditEvent?date=lt2025-03-02');
    expect(ids(mine.body)).toEqual(['ae-r0', 'ae-r2']);
    expect((await as('res1', `AuditEvent/${await idOf('ae-r0')}`)).status).toBe(200);
    const hidden = await as('res1', `AuditEvent/${await idOf('ae-r4')}`);
    const missing = await as('res1', 'AuditEvent/no-such-event');
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(hidden.body.issue[0].diagnostics).toMatch(/is not known$/);
    expect((await as('doc', 'AuditEvent?patient=pat-ae1')).status).toBe(403);
    expect((await as('doc', `AuditEvent/${await idOf('ae-r0')}`)).status).toBe(403);
    // The test integration (a system client) does not read the audit trail either.
    expect((await fhir(t.app, 'GET', 'AuditEvent?patient=pat-ae1')).status).toBe(403);
  });

  it("a privacy officer's search is itself in the access log of the people it showed", async () => {
    await as('po', 'AuditEvent?patient=pat-ae2&date=lt2025-03-02');
    const log = await t.platform.access.accessLog.accessLogFor('pat-ae2', { count: 1 });
    expect(log.entries[0]).toMatchObject({ role: { code: 'privacy-officer' }, interaction: { code: 'search' }, types: expect.arrayContaining(['AuditEvent']) });
  });
});
