import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FhirError } from '../../fhir/outcome.js';
import { CARE_ORGS, CARE_USERS, seedCareWorld } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../../web/web.test-helpers.js';
import type { ProxyPrincipal, StaffPrincipal } from '../principal.js';
import type { AccessVisit } from './access-log.grouping.js';
import { AuditService } from './audit.service.js';

/**
 * "Who has looked at my record" for a person whose record is read a lot: accesses are grouped into
 * visits in plain words, carers are named, a refused emergency access never shows its statement,
 * and the page is keyset-paged however long the log is.
 */
let t: TestPlatform;
const PAT = CARE_USERS.resident.patientId;
const gp: StaffPrincipal = {
  kind: 'staff', id: 'u-gp-9', displayName: 'Dr Lee', via: 'session', credentialId: 's-9',
  role: 'gp', organizationId: CARE_ORGS.gp, organizationIds: [CARE_ORGS.gp], practitionerId: 'pr-gp-9',
};
const discharge: StaffPrincipal = {
  kind: 'staff', id: 'u-dc-9', displayName: 'Jo Marsh', via: 'session', credentialId: 's-10',
  role: 'discharge-coordinator', organizationId: CARE_ORGS.acute, organizationIds: [CARE_ORGS.acute],
};
const carer: ProxyPrincipal = {
  kind: 'proxy', id: 'u-carer-9', displayName: 'Peter (account name)', via: 'session', credentialId: 's-11',
  relatedPersonIds: [CARE_USERS.carer.relatedPersonId], patientIds: [PAT],
};
const STATEMENT = 'refused-statement-'.repeat(1200);
const at = (day: number, h: number, m: number) => new Date(Date.UTC(2025, 2, day, h, m)).toISOString();

beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  await seedCareWorld(t.platform);
  const audit = new AuditService(t.platform.db);
  const writes: Promise<void>[] = [];
  // 1,000 views: on each of 100 days the GP reads 10 things over 18 minutes.
  for (let d = 0; d < 100; d++) {
    for (let i = 0; i < 10; i++) {
      const when = new Date(Date.UTC(2024, 0, 1 + d, 9, i * 2)).toISOString();
      writes.push(audit.record({ interaction: 'read', principal: gp, resources: [{ type: i % 2 ? 'MedicationRequest' : 'Condition', id: `r${d}-${i}` }], patientIds: [PAT], when }));
    }
  }
  // Newer, in order of time: a hospital coordinator filtering the timeline seven times and refused each
  // time (10:02 to 10:15), the carer looking in between; then a refused emergency access with a huge
  // statement, a granted one, and a read under it.
  const refusedTimes = [2, 4, 6, 8, 10, 13, 15];
  for (const m of refusedTimes) {
    writes.push(audit.record({ interaction: 'search', principal: discharge, resourceType: 'Observation', query: `patient=${PAT}&date=ge2024`, patientIds: [PAT], when: at(3, 10, m), status: 403 }));
    if (m === 6) writes.push(audit.record({ interaction: 'read', principal: carer, resources: [{ type: 'CarePlan', id: 'cp-1' }], patientIds: [PAT], when: at(3, 10, 7) }));
  }
  writes.push(audit.record({ interaction: 'break-glass', principal: discharge, resourceType: 'Patient', patientIds: [PAT], when: at(3, 11, 0), status: 400, reason: { code: 'direct-care', text: STATEMENT } }));
  writes.push(audit.record({ interaction: 'break-glass', principal: discharge, resourceType: 'Patient', patientIds: [PAT], when: at(3, 11, 5), reason: { code: 'direct-care', text: 'Admitted unconscious, need medicines' } }));
  writes.push(audit.record({ interaction: 'everything', principal: discharge, resources: [{ type: 'Patient', id: PAT }], patientIds: [PAT], when: at(3, 11, 6), reason: { code: 'direct-care', text: 'Admitted unconscious, need medicines' } }));
  await Promise.all(writes);
});
afterAll(async () => t?.close());

const visits = (cursor?: string, count?: number) => t.platform.access.accessLog.visitsFor(PAT, { cursor, count });

describe('visits of the access log', () => {
  it('groups repeated accesses by who, what kind and when, newest first', async () => {
    const page = await visits(undefined, 5);
    expect(page.visits.map((v) => [v.who.kind, v.kind, v.outcome, v.times])).toEqual([
      ['staff', 'view', 'success', 1],
      ['staff', 'emergency-access', 'success', 1],
      ['staff', 'emergency-access', 'failure', 1],
      // The carer's look came in the middle of the refused searches, and does not split them.
      ['staff', 'view', 'failure', 7],
      ['carer', 'view', 'success', 1],
    ]);
    const refused = page.visits[3];
    expect(refused).toMatchObject({ earliest: at(3, 10, 2), latest: at(3, 10, 15), role: { code: 'discharge-coordinator' }, organisation: { id: CARE_ORGS.acute } });
    expect([...refused.types].sort()).toEqual(['Observation', 'Patient']);
    expect(refused.organisation?.name).toBeTruthy();
    expect(refused.auditEventIds).toHaveLength(7);
  });

  it('names a carer by their name on the record', async () => {
    const carerVisit = (await visits(undefined, 5)).visits.find((v) => v.who.kind === 'carer')!;
    expect(carerVisit.who.name).toBe('Peter Hollis');
    expect(carerVisit.types).toContain('CarePlan');
  });

  it('keeps the reason of a granted emergency access and drops the statement of a refused one', async () => {
    const page = await visits(undefined, 5);
    expect(page.visits[1].reason).toBe('Admitted unconscious, need medicines');
    expect(page.visits[2].reason).toBeUndefined();
    expect(JSON.stringify(page)).not.toContain('refused-statement');
  });

  it('pages 1,000 views as short pages, each access shown exactly once', async () => {
    const first = await visits();
    expect(first.visits).toHaveLength(20);
    expect(first.next).toBeDefined();
    const all: AccessVisit[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await visits(cursor);
      expect(page.visits.length).toBeLessThanOrEqual(20);
      all.push(...page.visits);
      cursor = page.next;
      pages++;
    } while (cursor);
    const ids = all.flatMap((v) => v.auditEventIds);
    expect(ids).toHaveLength(1000 + 7 + 1 + 3);
    expect(new Set(ids).size).toBe(ids.length);
    // Each day's ten reads are one visit: "Viewed your medicines and health conditions 10 times".
    const daily = all.filter((v) => v.role.code === 'gp');
    expect(daily).toHaveLength(100);
    expect(daily.every((v) => v.times === 10 && [...v.types].sort().join() === 'Condition,MedicationRequest,Patient')).toBe(true);
    expect(pages).toBeGreaterThanOrEqual(5);
  });

  it('refuses a forged cursor or a bad count with 400', async () => {
    for (const [cursor, count] of [['abc', undefined], ['999', undefined], [undefined, 0], [undefined, 101]] as const) {
      const err = await visits(cursor, count).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FhirError);
      expect((err as FhirError).status).toBe(400);
    }
  });
});

describe('the access log page', () => {
  it('says what happened in plain words, names the carer, and never shows a refused statement', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.resident.username);
    const page = await b.get('/my-access-log');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Tried to view your tests and measurements 7 times and was refused');
    expect(page.body).toContain('Your carer Peter Hollis');
    expect(page.body).toContain('Viewed your care plan');
    expect(page.body).toContain('Asked for emergency access and was refused');
    expect(page.body).toContain('Used emergency access to open your record');
    expect(page.body).toContain('Admitted unconscious, need medicines');
    expect(page.body).not.toContain('refused-statement');
    const rows = page.body.match(/<tr role="row" class="nhsuk-table__row">/g) ?? [];
    expect(rows.length).toBeLessThanOrEqual(20);
    const next = /href="(\/my-access-log\?cursor=[^"]+)"/.exec(page.body)?.[1];
    expect(next).toBeDefined();
    const older = await b.get(next!.replace(/&amp;/g, '&'));
    expect(older.status).toBe(200);
    expect(older.body).toContain('Viewed your medicines and health conditions 10 times');
    expect(older.body).toContain('Newest entries');
    expect((await b.get('/my-access-log?cursor=forged')).status).toBe(400);
  });
});
