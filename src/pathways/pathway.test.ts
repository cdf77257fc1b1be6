import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { staff } from '../access/policy/policy.fixtures.js';
import type { FhirError } from '../fhir/outcome.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from '../web/web.test-helpers.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { BOARD_LIMIT } from './pathway-board.repository.js';
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
      { resourceType: 'Patient', id: 'pat-2', birthDate: '1985-02-02', name: [{ given: ['Quin'], family: 'Two' }], identifier: [{ system: NHS_NUMBER_SYSTEM, value: '9990001006' }] } as Resource,
      // Cared for by the other team only: hidden from org-mh, like a record that does not exist.
      { resourceType: 'Patient', id: 'pat-hidden', birthDate: '1970-03-03', name: [{ given: ['Hal'], family: 'Hidden' }], identifier: [{ system: NHS_NUMBER_SYSTEM, value: '9990001014' }] } as Resource,
      { resourceType: 'EpisodeOfCare', id: 'eoc-hidden', status: 'active', patient: { reference: 'Patient/pat-hidden' }, managingOrganization: { reference: 'Organization/org-mh2' }, meta: { tag: [recordedByTag('org-mh2')] } } as Resource,
      { resourceType: 'Patient', id: 'pat-teen', birthDate: '2008-05-01', name: [{ given: ['Tia'], family: 'Teen' }] } as Resource,
      ...['pat-1', 'pat-2', 'pat-teen'].map((p) => ({ resourceType: 'EpisodeOfCare', id: `eoc-${p}`, status: 'active', patient: { reference: `Patient/${p}` }, managingOrganization: { reference: 'Organization/org-mh' }, meta: { tag: [recordedByTag('org-mh')] } }) as Resource),
    ];
    for (const r of world) await t.platform.resources.update(r.resourceType, r.id!, r);
    t.platform.clock.now = () => T0;
    await createStaff(t.platform, 'mh.test', PASSWORD, [{ organizationId: 'org-mh', role: 'mental-health-practitioner', practitionerId: 'pr-mh' }]);
    await createStaff(t.platform, 'gp.test', PASSWORD, [{ organizationId: 'org-gp', role: 'gp', practitionerId: 'pr-gp' }]);
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

  it('the page shows who is waiting and how long; placements are recorded on the one referral page, not a second form here', async () => {
    const br = new Browser(t);
    await br.signIn('mh.test', PASSWORD);
    const page = await br.get('/pathways');
    expect(page.status).toBe(200);
    expect(page.body).toContain('First episode of psychosis');
    expect(page.body).toContain('Inappropriate out-of-area bed days: <strong>10</strong>');
    expect(page.body).toContain('<a href="/pathways/refer">Record an out-of-area placement</a>');
    expect(page.body).not.toContain('/pathways/placements');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page.body)![1];
    const before = Number((await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Encounter'")).rows[0].n);
    const old = await br.post('/pathways/placements', { csrf_token: csrf, patientId: 'pat-1', where: 'Somewhere', start: '2026-03-01', reason: 'no-local-bed' });
    expect(old.status).toBe(404);
    expect(Number((await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Encounter'")).rows[0].n)).toBe(before);
  });

  describe('referring onto a pathway from the page (/pathways/refer)', () => {
    const writes = async () => Number((await t.platform.db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type IN ('Encounter', 'Task', 'ServiceRequest')")).rows[0].n);
    const signedIn = async (username: string) => {
      const br = new Browser(t);
      await br.signIn(username, PASSWORD);
      return br;
    };
    const csrfOf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)![1];

    it('from the person\'s record: the form names them, and a first-episode psychosis referral starts its clock on the board', async () => {
      const br = await signedIn('mh.test');
      const record = await br.get('/people/pat-2');
      expect(record.body).toContain('href="/pathways/refer?person=pat-2"');
      const form = await br.get('/pathways/refer?person=pat-2');
      expect(form.status).toBe(200);
      expect(form.body).toContain('Quin Two');
      expect(form.body).toContain('value="pat-2"');
      const before = await writes();
      const res = await br.post('/pathways/refer', { csrf_token: csrfOf(form.body), person: 'pat-2', pathway: 'perinatal' });
      expect([res.status, res.headers.location]).toEqual([303, '/pathways?done=referred']);
      expect(await writes()).toBe(before + 2);
      const board = await t.platform.pathways.board(mh, T0);
      expect(board.waiting.filter((w) => w.person?.id === 'pat-2').map((w) => [w.pathway, w.leftMs])).toEqual([['perinatal', 14 * DAY]]);
    });

    it('by NHS number from the board, and an out-of-area placement with its reason', async () => {
      const br = await signedIn('mh.test');
      const board = await br.get('/pathways');
      expect(board.body).toContain('href="/pathways/refer"');
      const before = await writes();
      const res = await br.post('/pathways/refer', { csrf_token: csrfOf(board.body), nhsNumber: '999 000 1006', pathway: 'out-of-area', where: 'Independent hospital, Essex', 'start-day': '1', 'start-month': '3', 'start-year': '2026', reason: 'no-local-bed' });
      expect([res.status, res.headers.location]).toEqual([303, '/pathways?done=placement']);
      expect(await writes()).toBe(before + 1);
      expect((await t.platform.pathways.board(mh, T0)).placements.find((x) => x.where === 'Independent hospital, Essex')).toMatchObject({ reason: 'no-local-bed', appropriate: false, days: 1 });
    });

    it('bad input comes back with the error summary and the answers kept, and writes nothing', async () => {
      const br = await signedIn('mh.test');
      const csrf = csrfOf((await br.get('/pathways/refer')).body);
      const before = await writes();
      // A pathway that does not exist.
      const unknown = await br.post('/pathways/refer', { csrf_token: csrf, person: 'pat-1', pathway: 'astrology' });
      expect(unknown.status).toBe(422);
      expect(unknown.body).toContain('nhsuk-error-summary');
      expect(unknown.body).toContain('href="#pathway">Choose a pathway from the list');
      expect(unknown.body).toContain('value="pat-1"');
      // An out-of-area placement without a reason: the other answers stay.
      const noReason = await br.post('/pathways/refer', { csrf_token: csrf, person: 'pat-1', pathway: 'out-of-area', where: 'Priory, Surrey', 'start-day': '20', 'start-month': '2', 'start-year': '2026' });
      expect(noReason.status).toBe(422);
      expect(noReason.body).toContain('a placement needs a reason');
      expect(noReason.body).toContain('value="Priory, Surrey"');
      expect(noReason.body).toContain('value="20"');
      expect(noReason.body).toMatch(/value="out-of-area" checked/);
      // Nothing chosen, no NHS number: both said at once.
      const empty = await br.post('/pathways/refer', { csrf_token: csrf, nhsNumber: '12' });
      expect(empty.status).toBe(400);
      expect(empty.body).toContain('href="#nhsNumber">Enter the person’s 10-digit NHS number');
      expect(empty.body).toContain('href="#pathway">Choose a pathway');
      expect(empty.body).toContain('value="12"');
      expect(await writes()).toBe(before);
    });

    it('never answers 5xx to hostile answers in any field of the form or its query', async () => {
      const br = await signedIn('mh.test');
      const csrf = csrfOf((await br.get('/pathways/refer')).body);
      const HOSTILE = ['', ' ', '\u0000', 'a\u0000b', '\ud800', 'x'.repeat(5000), '<script>alert(1)</script>', "' OR 1=1 --", '../../etc/passwd', '__proto__', '-1', '99999999999999999999', 'Patient/pat-1'];
      const fields = ['person', 'nhsNumber', 'pathway', 'where', 'reason', 'start-day', 'start-month', 'start-year'];
      for (const [i, bad] of HOSTILE.entries()) {
        for (const [j, field] of fields.entries()) {
          const form: Record<string, string> = { csrf_token: csrf, person: 'pat-1', pathway: j % 2 ? 'out-of-area' : 'fep', where: 'Unit, Kent', reason: 'no-local-bed', 'start-day': '1', 'start-month': '3', 'start-year': '2026', [field]: bad };
          const res = await br.post('/pathways/refer', form);
          expect(res.status, `${i} ${field}`).toBeLessThan(500);
          const get = await br.get(`/pathways/refer?${new URLSearchParams({ [field]: bad }).toString()}`);
          expect(get.status, `GET ${i} ${field}`).toBeLessThan(500);
        }
      }
    });

    it('user B cannot: a person this team may not see is "no one you care for" whether named by id or NHS number; a GP may not refer at all; nothing is written', async () => {
      const br = await signedIn('mh.test');
      const csrf = csrfOf((await br.get('/pathways/refer')).body);
      const before = await writes();
      const byId = await br.post('/pathways/refer', { csrf_token: csrf, person: 'pat-hidden', pathway: 'crisis' });
      expect(byId.status).toBe(404);
      expect(byId.body).toContain('No one you care for has this record');
      expect(byId.body).not.toContain('Hal Hidden');
      const missing = await br.post('/pathways/refer', { csrf_token: csrf, person: 'pat-nobody', pathway: 'crisis' });
      expect([missing.status, missing.body.includes('No one you care for has this record')]).toEqual([404, true]);
      const byNhs = await br.post('/pathways/refer', { csrf_token: csrf, nhsNumber: '9990001014', pathway: 'crisis' });
      expect(byNhs.status).toBe(400);
      expect(byNhs.body).toContain('No one you care for has this NHS number');
      expect(byNhs.body).toContain('value="9990001014"');
      const shown = await br.get('/pathways/refer?person=pat-hidden');
      expect(shown.body).not.toContain('Hal Hidden');
      expect(shown.body).toContain('No one you care for has this record: enter their NHS number');

      const gp2 = await signedIn('gp.test');
      const gpCsrf = csrfOf((await gp2.get('/people')).body);
      expect((await gp2.get('/pathways/refer?person=pat-1')).status).toBe(403);
      expect((await gp2.post('/pathways/refer', { csrf_token: gpCsrf, person: 'pat-1', pathway: 'fep' })).status).toBe(403);
      expect((await gp2.get('/people/pat-1')).body).not.toContain('/pathways/refer');
      expect(await writes()).toBe(before);
    });
  });

  it('a list longer than the board shows is cut at its limit, and the page says so and what it counts', async () => {
    const start = (i: number) => `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`;
    const recorded = (await t.platform.pathways.board(mh, T0)).placements.length;
    for (let i = recorded; i <= BOARD_LIMIT.placements; i++) await t.platform.pathways.recordPlacement(mh, { patientId: 'pat-2', where: `Unit ${i}`, start: start(i), reason: 'no-local-bed' });
    const b = await t.platform.pathways.board(mh, T0);
    expect(b.placements).toHaveLength(BOARD_LIMIT.placements);
    expect(b.cut).toEqual({ waiting: false, placements: true, transitions: false });
    const br = new Browser(t);
    await br.signIn('mh.test', PASSWORD);
    const page = await br.get('/pathways');
    expect(page.body).toContain(`Inappropriate out-of-area bed days in the ${BOARD_LIMIT.placements} placements shown: <strong>${b.inappropriateBedDays}</strong>`);
    expect(page.body).toContain(`Your organisation has recorded more than ${BOARD_LIMIT.placements} placements`);
    expect(page.body).not.toContain('people are waiting: these are the');
  });
});
