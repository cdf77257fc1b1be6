import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, seedCareWorld } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { seedWork, WORK_NOW } from '../../workflow/work.fixtures.js';
import { Browser } from '../web.test-helpers.js';

const NOW = WORK_NOW;

/** The stored version of a Task, straight from the record. */
async function stored(t: TestPlatform, id: string): Promise<Task & { meta: { versionId: string } }> {
  const v = await t.platform.resources.read('Task', id);
  return JSON.parse(v.content!);
}

describe('My work and a task, in the workspace', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => NOW;
    await seedCareWorld(t.platform);
    await seedWork(t.platform, NOW);
  });
  afterAll(() => t.close());

  it('staff land on My work: their own tasks and their pool, with counts, overdue marked, and the person named', async () => {
    const b = new Browser(t);
    expect(await b.signIn(CARE_USERS.nurse.username)).toBe('/work');
    const home = await b.get('/work');
    expect(home.status).toBe(200);
    expect(home.body).toContain('<h1>My work</h1>');
    expect(home.body).toContain('Dress leg ulcer');
    expect(home.body).toContain('Check blood pressure');
    expect(home.body).toContain('Review medicines');
    expect(home.body).not.toContain('Secret work');
    expect(home.body).toContain('Margaret Hollis');
    expect(home.body).toContain('Overdue');
    expect(home.body).toMatch(/All my work <span class="onestory-views__count">\(3\)/);
    expect(home.body).toMatch(/Assigned to me <span class="onestory-views__count">\(1\)/);
    expect(home.body).toMatch(/Team pool \(unassigned\) <span class="onestory-views__count">\(2\)/);
    expect(home.body).toMatch(/Overdue <span class="onestory-views__count">\(1\)/);
    const mine = await b.get('/work?view=mine');
    expect(mine.body).toContain('Check blood pressure');
    expect(mine.body).not.toContain('Dress leg ulcer');
    const kind = await b.get('/work?kind=medication-review');
    expect(kind.body).toContain('Review medicines');
    expect(kind.body).not.toContain('Dress leg ulcer');
    // Soonest first by default; latest first on request.
    expect(home.body.indexOf('Dress leg ulcer')).toBeLessThan(home.body.indexOf('Review medicines'));
    const latest = await b.get('/work?sort=-due');
    expect(latest.body.indexOf('Review medicines')).toBeLessThan(latest.body.indexOf('Dress leg ulcer'));
  });

  it('bad filters and forged cursors come back as the page with an error summary, never a 5xx', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    for (const q of ['view=everything', 'status=nonsense', 'kind=%00', 'sort=name', 'person=../x', `cursor=${'x'.repeat(50)}`, 'status=a&status=b']) {
      const res = await b.get(`/work?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body, q).toContain('There is a problem');
    }
  });

  it('takes, starts, holds, resumes and completes a pool task; each form keeps the answer on an error and writes nothing', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const csrf = await b.csrf();
    const page = await b.get('/work/tasks/t-pool');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Take this task');
    const v1 = (await stored(t, 't-pool')).meta.versionId;

    // No CSRF token: refused, nothing written.
    expect((await b.post('/work/tasks/t-pool/claim', { version: v1 })).status).toBe(403);
    expect((await stored(t, 't-pool')).meta.versionId).toBe(v1);

    const claimed = await b.post('/work/tasks/t-pool/claim', { csrf_token: csrf, version: v1 });
    expect(claimed.status).toBe(303);
    expect(claimed.headers.location).toBe('/work/tasks/t-pool?done=claimed');
    const after = await stored(t, 't-pool');
    expect(after.owner?.reference).toBe('Practitioner/pr-nurse');
    expect(after.status).toBe('accepted');
    const shown = await b.get(String(claimed.headers.location));
    expect(shown.body).toContain('You have taken this task');
    expect(shown.body).toContain('Start this task');

    // A colleague with the page still open (the old version) is told who has it; nothing changes.
    const other = new Browser(t);
    await other.signIn('nurse2.test');
    const late = await other.post('/work/tasks/t-pool/claim', { csrf_token: await other.csrf(), version: v1 });
    expect(late.status).toBe(409);
    expect(late.body).toContain('already taken by');
    expect((await stored(t, 't-pool')).owner?.reference).toBe('Practitioner/pr-nurse');
    // …and cannot start someone else's task (the form is not offered, and a forged post is refused).
    expect((await other.get('/work/tasks/t-pool')).body).not.toContain('Start this task');
    const forged = await other.post('/work/tasks/t-pool/start', { csrf_token: await other.csrf(), version: after.meta.versionId });
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);
    expect((await stored(t, 't-pool')).status).toBe('accepted');

    const started = await b.post('/work/tasks/t-pool/start', { csrf_token: csrf, version: after.meta.versionId });
    expect(started.status).toBe(303);
    let cur = await stored(t, 't-pool');
    expect(cur.status).toBe('in-progress');

    // Hold without a reason: the form again, an error summary, nothing written.
    const noReason = await b.post('/work/tasks/t-pool/hold', { csrf_token: csrf, version: cur.meta.versionId, reason: '   ' });
    expect(noReason.status).toBeGreaterThanOrEqual(400);
    expect(noReason.body).toContain('There is a problem');
    expect(noReason.body).toContain('href="#reason"');
    expect((await stored(t, 't-pool')).meta.versionId).toBe(cur.meta.versionId);
    expect((await b.post('/work/tasks/t-pool/hold', { csrf_token: csrf, version: cur.meta.versionId, reason: 'Waiting for dressings to arrive' })).status).toBe(303);
    cur = await stored(t, 't-pool');
    expect(cur.status).toBe('on-hold');
    expect(cur.statusReason?.text).toBe('Waiting for dressings to arrive');
    expect((await b.post('/work/tasks/t-pool/resume', { csrf_token: csrf, version: cur.meta.versionId })).status).toBe(303);
    cur = await stored(t, 't-pool');

    // Too long an outcome note: refused, and the text typed is kept in the form.
    const long = `Dressed the ulcer ${'x'.repeat(2100)}`;
    const tooLong = await b.post('/work/tasks/t-pool/complete', { csrf_token: csrf, version: cur.meta.versionId, note: long });
    expect(tooLong.status).toBeGreaterThanOrEqual(400);
    expect(tooLong.status).toBeLessThan(500);
    expect(tooLong.body).toContain('href="#note"');
    expect(tooLong.body).toContain(long);
    expect((await stored(t, 't-pool')).status).toBe('in-progress');
    // A stale version: refused with a clear message.
    const stale = await b.post('/work/tasks/t-pool/complete', { csrf_token: csrf, version: '1', note: 'Done' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('changed by someone else');

    const done = await b.post('/work/tasks/t-pool/complete', { csrf_token: csrf, version: cur.meta.versionId, note: 'Ulcer dressed; healing well' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/work?done=completed');
    const list = await b.get('/work?done=completed');
    expect(list.body).toContain('Task completed');
    expect(list.body).not.toContain('Dress leg ulcer');
    // On the person's timeline, with who did it and the outcome.
    const record = await b.get('/people/pat-hollis?kind=task');
    expect(record.status).toBe(200);
    expect(record.body).toContain('Home visit: Dress leg ulcer');
    expect(record.body).toContain('Completed by Amira Okafor');
    expect(record.body).toContain('Ulcer dressed; healing well');
  });

  it('hands a task over to a colleague, who then sees it as theirs', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const csrf = await b.csrf();
    const cur = await stored(t, 't-mine');
    const form = await b.get('/work/tasks/t-mine');
    expect(form.body).toContain('Ben Ashe');
    const bad = await b.post('/work/tasks/t-mine/reassign', { csrf_token: csrf, version: cur.meta.versionId, owner: 'Patient/pat-hollis' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('href="#owner"');
    const moved = await b.post('/work/tasks/t-mine/reassign', { csrf_token: csrf, version: cur.meta.versionId, owner: 'Practitioner/pr-nurse2' });
    expect(moved.status).toBe(303);
    const other = new Browser(t);
    await other.signIn('nurse2.test');
    expect((await other.get('/work?view=mine')).body).toContain('Check blood pressure');
  });

  it('a task hidden from the user, or missing, is the same 404 page; nothing can be done to it', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const hidden = await b.get('/work/tasks/t-hidden');
    const missing = await b.get('/work/tasks/t-nothing');
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.body.replaceAll('t-hidden', 'ID')).toBe(missing.body.replaceAll('t-nothing', 'ID'));
    const csrf = await b.csrf();
    expect((await b.post('/work/tasks/t-hidden/claim', { csrf_token: csrf, version: '1' })).status).toBe(404);
    expect((await stored(t, 't-hidden')).owner?.reference).toBe(`Organization/${CARE_ORGS.gp2}`);
    expect((await b.get('/work/tasks/..%2F..')).status).toBeLessThan(500);
  });

  it('residents are sent to the portal; a receptionist sees their practice pool', async () => {
    const r = new Browser(t);
    expect(await r.signIn(CARE_USERS.resident.username)).toBe('/my-record');
    expect((await r.get('/work')).headers.location).toBe('/my-record');
    const rec = new Browser(t);
    expect(await rec.signIn(CARE_USERS.receptionist.username)).toBe('/work');
    expect((await rec.get('/work')).status).toBe(200);
    // A role that reads no Task (an ICB analyst) lands on its own page, is not offered a work list,
    // and is told so if it opens one anyway, on every list, never a 5xx.
    await createStaff(t.platform, 'analyst.test', CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role: 'icb-analyst' }]);
    const analyst = new Browser(t);
    expect(await analyst.signIn('analyst.test')).toBe('/outcomes');
    expect((await analyst.get('/')).headers.location).toBe('/outcomes');
    for (const q of ['', '?view=mine', '?view=pool', '?view=overdue', '?sort=-due']) {
      const res = await analyst.get(`/work${q}`);
      expect(res.status, q).toBe(200);
      expect(res.body, q).toContain('Your role does not take tasks');
      expect(res.body, q).not.toContain('href="/work"');
    }
  });
});
