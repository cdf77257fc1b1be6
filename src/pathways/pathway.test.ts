import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { staff } from '../access/policy/policy.fixtures.js';
import type { FhirError } from '../fhir/outcome.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from '../web/web.test-helpers.js';
import { clockOf, durationText } from './pathway.vocabulary.js';

// The mental health pathways: clocks with a frozen clock, the board under the row restriction, a
// placement without a reason refused with nothing written, and the page.
const T0 = new Date('2026-03-02T09:00:00Z');
const DAY = 86_400_000;
const PASSWORD = 'correct horse battery staple';
const mh = staff('mental-health-practitioner', 'org-mh', { id: 'u-mh', practitionerId: 'pr-mh', displayName: 'Mo Hart' });
const mh2 = staff('mental-health-practitioner', 'org-mh2', { id: 'u-mh2', practitionerId: 'pr-mh2' });
const gp = staff('gp', 'org-gp', { id: 'u-gp', practitionerId: 'pr-gp' });
let t: TestPlatform;

async function refusal(p: Promise<unknown>): Promise<FhirError> {
  try {
    await p;
  } catch (e) {
    return e as FhirError;
  }
  throw new Error('expected a refusal');
}

describe('pathway clocks (a frozen clock)', () => {
  it('first episode of psychosis: 2 weeks; near its limit in the last fifth; breached after', () => {
    expect(clockOf('fep', T0, new Date(T0.getTime() + 10 * DAY))).toMatchObject({ breached: false, near: false, leftMs: 4 * DAY });
    expect(clockOf('fep', T0, new Date(T0.getTime() + 12 * DAY))).toMatchObject({ breached: false, near: true, leftMs: 2 * DAY });
    expect(clockOf('fep', T0, new Date(T0.getTime() + 15 * DAY))).toMatchObject({ breached: true, leftMs: -DAY });
  });
  it('Core 24 liaison: one hour; crisis: 24 hours', () => {
    expect(clockOf('core24', T0, new Date(T0.getTime() + 50 * 60_000))).toMatchObject({ breached: false, near: true });
    expect(clockOf('core24', T0, new Date(T0.getTime() + 61 * 60_000)).breached).toBe(true);
    expect(clockOf('crisis', T0, new Date(T0.getTime() + 25 * 3_600_000)).breached).toBe(true);
    expect(durationText(2 * DAY + 3 * 3_600_000)).toBe('2 days 3 hours');
    expect(durationText(45 * 60_000)).toBe('45 minutes');
  });
});

describe('the pathway board on a real database', () => {
  beforeAll(async () => {
    t = await createTestPlatform();
    const world: Resource[] = [
      ...['org-mh', 'org-mh2', 'org-gp'].map((id) => ({ resourceType: 'Organization', id, name: id }) as Resource),
      { resourceType: 'Patient', id: 'pat-1', birthDate: '1990-01-01', name: [{ given: ['Pip'], family: 'One' }], generalPractitioner: [{ reference: 'Organization/org-gp' }] } as Resource,
      { resourceType: 'Patient', id: 'pat-teen', birthDate: '2008-05-01', name: [{ given: ['Tia'], family: 'Teen' }] } as Resource,
      ...['pat-1', 'pat-teen'].map((p) => ({ resourceType: 'EpisodeOfCare', id: `eoc-${p}`, status: 'active', patient: { reference: `Patient/${p}` }, managingOrganization: { reference: 'Organization/org-mh' }, meta: { tag: [recordedByTag('org-mh')] } }) as Resource),
    ];
    for (const r of world) await t.platform.resources.update(r.resourceType, r.id!, r);
    t.platform.clock.now = () => T0;
    await createStaff(t.platform, 'mh.test', PASSWORD, [{ organizationId: 'org-mh', role: 'mental-health-practitioner', practitionerId: 'pr-mh' }]);
  }, 60_000);
  afterAll(async () => t?.close());

  it('a first-episode psychosis referral is near its 2-week limit on day 12, and breached on day 15; another team and a GP do not see it', async () => {
    await t.platform.pathways.refer(mh, { patientId: 'pat-1', pathway: 'fep' });
    const day12 = await t.platform.pathways.board(mh, new Date(T0.getTime() + 12 * DAY));
    expect(day12.waiting.map((w) => [w.pathway, w.person?.name, w.near, w.breached])).toEqual([['fep', 'Pip One', true, false]]);
    const day15 = await t.platform.pathways.board(mh, new Date(T0.getTime() + 15 * DAY));
    expect(day15.waiting[0].breached).toBe(true);
    expect((await t.platform.pathways.board(mh2, T0)).waiting).toEqual([]);
    expect((await refusal(t.platform.pathways.board(gp, T0))).status).toBe(403);
    expect(day12.transitions.map((x) => [x.name, x.eighteenOn])).toEqual([['Tia Teen', '2026-05-01']]);
  });

  it('refuses a pathway that does not exist, and a placement without a reason, writing nothing; counts inappropriate bed days', async () => {
    const count = async () => Number((await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type IN ('Encounter', 'Task', 'ServiceRequest')")).rows[0].n);
    const before = await count();
    const bad = await refusal(t.platform.pathways.refer(mh, { patientId: 'pat-1', pathway: 'astrology' }));
    expect([bad.status, bad.outcome.issue?.[0].expression]).toEqual([422, ['pathway']]);
    const noReason = await refusal(t.platform.pathways.recordPlacement(mh, { patientId: 'pat-1', where: 'Priory, Surrey', start: '2026-02-20' }));
    expect([noReason.status, noReason.outcome.issue?.[0].diagnostics]).toEqual([422, 'Say why the placement is out of area: a placement needs a reason']);
    expect(await count()).toBe(before);
    await t.platform.pathways.recordPlacement(mh, { patientId: 'pat-1', where: 'Priory, Surrey', start: '2026-02-20', reason: 'no-local-bed' });
    await t.platform.pathways.recordPlacement(mh, { patientId: 'pat-1', where: 'Specialist unit, London', start: '2026-02-25', reason: 'specialist-care' });
    const b = await t.platform.pathways.board(mh, T0);
    expect(b.placements.map((x) => [x.reason, x.appropriate, x.days]).sort()).toEqual([['no-local-bed', false, 10], ['specialist-care', true, 5]]);
    expect(b.inappropriateBedDays).toBe(10);
  });

  it('the page shows who is waiting and how long, and a placement without a reason comes back with the error summary', async () => {
    const br = new Browser(t);
    await br.signIn('mh.test', PASSWORD);
    const page = await br.get('/pathways');
    expect(page.status).toBe(200);
    expect(page.body).toContain('First episode of psychosis');
    expect(page.body).toContain('Inappropriate out-of-area bed days: <strong>10</strong>');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1];
    const res = await br.post('/pathways/placements', { csrf_token: csrf, patientId: 'pat-1', where: 'Somewhere', start: '2026-03-01' });
    expect(res.status).toBe(422);
    expect(res.body).toContain('a placement needs a reason');
    expect(res.body).toContain('value="Somewhere"');
  });
});
