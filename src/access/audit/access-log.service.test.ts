import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FhirError } from '../../fhir/outcome.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { AccessLogService } from './access-log.service.js';
import { EVENTS_ABOUT_PATIENT_SQL } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { carer, client, gp, socialWorker } from './audit.fixtures.js';

let t: TestPlatform;
let log: AccessLogService;
beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  log = new AccessLogService(t.platform.db);
  await t.platform.resources.update('Organization', 'org-practice-1', { resourceType: 'Organization', id: 'org-practice-1', name: 'Sunny Lane Surgery' });
  const audit = new AuditService(t.platform.db);
  const at = (m: number) => new Date(Date.UTC(2025, 0, 1, 9, m)).toISOString();
  // In order of time: 25 reads by the GP, then one break-glass by a social worker, then a carer, then a client.
  for (let i = 0; i < 25; i++) {
    await audit.record({ interaction: 'read', principal: gp, resources: [{ type: 'Observation', id: `o${i}` }], patientIds: ['alice'], when: at(i), status: 200 });
  }
  await audit.record({ interaction: 'break-glass', principal: socialWorker, patientIds: ['alice'], when: at(30), reason: { code: 'safeguarding', text: 'Urgent safeguarding concern' } });
  await audit.record({ interaction: 'everything', principal: carer, resources: [{ type: 'Patient', id: 'alice' }], patientIds: ['alice'], when: at(31), status: 403 });
  await audit.record({ interaction: 'search', principal: client, resourceType: 'Observation', patientIds: ['alice', 'bob'], query: 'patient=alice,bob', when: at(32) });
  // Someone else's record, and an event that names no patient.
  await audit.record({ interaction: 'read', principal: gp, patientIds: ['bob'], when: at(33) });
  await audit.record({ interaction: 'sign-in-success', principal: gp, when: at(34) });
});
afterAll(async () => t?.close());

describe('accessLogFor', () => {
  it('lists who looked at the record, newest first: organisation, role, when, what and why', async () => {
    const page = await log.accessLogFor('alice', { count: 3 });
    expect(page.entries.map((e) => e.interaction.code)).toEqual(['search', 'everything', 'break-glass']);
    expect(page.entries[0]).toMatchObject({ role: { code: 'client' }, organisation: { id: 'org-trust-1' }, when: '2025-01-01T09:32:00.000Z', outcome: 'success' });
    expect(page.entries[1]).toMatchObject({ role: { code: 'proxy', display: 'Carer or other proxy' }, outcome: 'failure' });
    expect(page.entries[1].organisation).toBeUndefined();
    expect(page.entries[2]).toMatchObject({
      role: { code: 'social-worker', display: 'Social worker' }, organisation: { id: 'org-council-1' },
      interaction: { code: 'break-glass', display: 'Break-glass access' }, reason: 'Urgent safeguarding concern',
    });
    expect(page.next).toBeDefined();
    // Staff are shown by role and organisation, not by name.
    expect(JSON.stringify(page)).not.toContain('Sam Jones');
  });

  it('pages through every entry exactly once, naming the organisation', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.accessLogFor('alice', { cursor, count: 10 });
      seen.push(...page.entries.map((e) => e.auditEventId));
      cursor = page.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(28);
    expect(new Set(seen).size).toBe(28);
    const last = await log.accessLogFor('alice', { count: 100 });
    expect(last.next).toBeUndefined();
    expect(last.entries.at(-1)).toMatchObject({ when: '2025-01-01T09:00:00.000Z', organisation: { id: 'org-practice-1', name: 'Sunny Lane Surgery' }, role: { code: 'gp', display: 'GP' }, interaction: { code: 'read' } });
    expect((await log.accessLogFor('bob')).entries.map((e) => e.interaction.code)).toEqual(['read', 'search']);
    expect((await log.accessLogFor('nobody')).entries).toEqual([]);
  });

  it('refuses a bad cursor or count with 400', async () => {
    for (const opts of [{ cursor: 'abc' }, { cursor: '-1' }, { cursor: '99999999999999999999999' }, { count: 0 }, { count: 101 }, { count: 1.5 }]) {
      const err = await log.accessLogFor('alice', opts).catch((e: unknown) => e);
      expect(err, JSON.stringify(opts)).toBeInstanceOf(FhirError);
      expect((err as FhirError).status).toBe(400);
    }
  });

  it('reads through the index of the people each event names, not a scan of the audit table', async () => {
    // With the few rows of this file a scan would be cheapest; the plan shape is what is checked.
    await t.platform.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const plan = (await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${EVENTS_ABOUT_PATIENT_SQL}`,
        ['alice', null, 11],
      )).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/audit_event_patient/);
    });
  });
});
