import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { identityFor } from '../../access/identity/identity.js';
import { hashPassword } from '../../access/identity/password.service.js';
import { coordinator, DISCHARGE_NOW, DISCHARGE_WORLD, dischargeDay } from '../../discharge/discharge.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { boardBody } from '../discharge.page.js';
import { Browser } from '../web.test-helpers.js';

// The discharge pages in-process: the board, a stay's forms (errors keep the answers, nothing is
// written), the hub, and the plan in the carer's portal.
const PASSWORD = 'correct horse battery staple';
let t: TestPlatform;
const version = (body: string) => /name="version" value="(\d+)"/.exec(body)![1];
const csrf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)![1];

beforeAll(async () => {
  t = await createTestPlatform();
  for (const r of DISCHARGE_WORLD) await t.platform.resources.update(r.resourceType, r.id!, r);
  t.platform.clock.now = () => DISCHARGE_NOW;
  await createStaff(t.platform, 'dc.test', PASSWORD, [{ organizationId: 'org-trust', role: 'discharge-coordinator', practitionerId: 'pr-dc' }]);
  await createStaff(t.platform, 'sw.test', PASSWORD, [{ organizationId: 'org-kcc', role: 'social-worker', practitionerId: 'pr-sw' }]);
  await createStaff(t.platform, 'rec.test', PASSWORD, [{ organizationId: 'org-trust', role: 'receptionist' }]);
  await identityFor(t.platform).users.create({ kind: 'proxy', username: 'carer.test', displayName: 'Rae Aske', passwordHash: await hashPassword(PASSWORD), proxyLinks: [{ relatedPersonId: 'rp-a', patientId: 'pat-a' }] });
}, 60_000);
afterAll(async () => t?.close());

describe('the discharge pages', () => {
  it('the coordinator sees the board with the 21+ day patient who no longer meets the criteria, and the counts', async () => {
    const b = new Browser(t);
    await b.signIn('dc.test', PASSWORD);
    const page = await b.get('/discharge');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Ada Aske');
    expect(page.body).toContain('21+ days');
    expect(page.body).toContain('Does not meet criteria');
    expect(page.body).toContain('Awaiting reablement or care at home (pathway 1)');
    expect(page.body).not.toContain('Xan Xu');
    expect((await b.get('/discharge?band=5')).status).toBe(400);
    // A page that is not a whole number: the error summary, pointing at the page; a page past the end: the last page.
    const badPage = await b.get('/discharge?page=x');
    expect(badPage.status).toBe(400);
    expect(badPage.body).toContain('href="#maincontent">The page must be a whole number from 1');
    const past = await b.get('/discharge?page=7');
    expect(past.status).toBe(200);
    expect(past.body).toContain('Ada Aske');
    expect(past.body).not.toContain('nhsuk-pagination');
  });

  it('a board of more than one page says which people it lists, and its page links keep the filters', async () => {
    const board = await t.platform.discharge.board.board(coordinator, { sort: 'name', band: 7 }, DISCHARGE_NOW);
    const body = boardBody({ ...board, page: { number: 2, pages: 3, size: 1 }, stays: board.stays.slice(1, 2) }, { trustNames: new Map(), errors: [], canPlan: true }).toString();
    expect(body).toContain('Showing 2 to 2 of 2 people (page 2 of 3). The counts above are of all 2.');
    expect(body).toContain('href="/discharge?band=7&amp;sort=name" class="nhsuk-pagination__previous"');
    expect(body).toContain('href="/discharge?band=7&amp;sort=name&amp;page=3" class="nhsuk-pagination__next"');
  });

  it('a bad Discharge Ready Date comes back with the error summary and the answers kept; nothing is written; pathway 1 then sends the referral', async () => {
    const b = new Browser(t);
    await b.signIn('dc.test', PASSWORD);
    const stay = await b.get('/discharge/stays/enc-a');
    expect(stay.status).toBe(200);
    const v = version(stay.body);
    const before = await t.platform.db.query("SELECT version_id FROM resource WHERE id = 'enc-a'");
    const bad = await b.post('/discharge/stays/enc-a/plan', {
      csrf_token: csrf(stay.body), version: v, 'readyDate-day': '1', 'readyDate-month': '1', 'readyDate-year': '2026', pathway: '1', delayReason: 'awaiting-reablement',
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('cannot be before the admission');
    expect(bad.body).toContain('href="#readyDate-day"');
    expect(bad.body).toContain('value="2026"');
    expect((await t.platform.db.query("SELECT version_id FROM resource WHERE id = 'enc-a'")).rows).toEqual(before.rows);
    const noPathway = await b.post('/discharge/stays/enc-a/plan', { csrf_token: csrf(stay.body), version: v, pathway: '9' });
    expect(noPathway.status).toBe(422);
    expect(noPathway.body).toContain('There is no discharge pathway');
    const [d, m, y] = dischargeDay(-6).split('-').reverse();
    const ok = await b.post('/discharge/stays/enc-a/plan', {
      csrf_token: csrf(stay.body), version: v, 'readyDate-day': d, 'readyDate-month': m, 'readyDate-year': y, pathway: '1', delayReason: 'awaiting-reablement',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/discharge/stays/enc-a?done=plan');
    const after = await b.get('/discharge/stays/enc-a?done=plan');
    expect(after.body).toContain('Reablement referral (pathway 1)');
    expect(after.body).toContain('Kent County Council');
  });

  it('a discharge without a destination is refused with the error summary', async () => {
    const b = new Browser(t);
    await b.signIn('dc.test', PASSWORD);
    const stay = await b.get('/discharge/stays/enc-b');
    const res = await b.post('/discharge/stays/enc-b/discharge', { csrf_token: csrf(stay.body), version: version(stay.body) });
    expect(res.status).toBe(422);
    expect(res.body).toContain('a discharge needs a destination');
    expect(res.body).toContain('href="#destination"');
  });

  it('the council\'s social worker finds the referral on the hub; the receptionist has no board', async () => {
    const b = new Browser(t);
    await b.signIn('sw.test', PASSWORD);
    const hub = await b.get('/discharge/hub');
    expect(hub.status).toBe(200);
    expect(hub.body).toContain('Reablement referral (pathway 1)');
    expect(hub.body).toContain('Ada Aske');
    const r = new Browser(t);
    await r.signIn('rec.test', PASSWORD);
    expect((await r.get('/discharge')).status).toBe(403);
  });

  it('the carer sees the plan for leaving hospital once it is shared, and not before', async () => {
    const c = new Browser(t);
    await c.signIn('carer.test', PASSWORD);
    expect((await c.get('/my-discharge-plan')).body).toContain('No plan for leaving hospital has been shared');
    const b = new Browser(t);
    await b.signIn('dc.test', PASSWORD);
    const stay = await b.get('/discharge/stays/enc-a');
    const shared = await b.post('/discharge/stays/enc-a/share', {
      csrf_token: csrf(stay.body), version: version(stay.body), where: 'Home', when: 'Tomorrow after lunch', support: 'Reablement twice a day', contact: 'The ward: 01622 000000', medicines: 'Your usual tablets',
    });
    expect(shared.status).toBe(303);
    const page = await c.get('/my-discharge-plan');
    expect(page.body).toContain('Tomorrow after lunch');
    expect(page.body).toContain('Reablement twice a day');
  });
});
