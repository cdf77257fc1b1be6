import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResident } from '../../access/identity/identity.test-helpers.js';
import { newReferral, PEOPLE, REF, REF_PASSWORD, seedReferralWorld } from '../../referrals/referral.fixtures.js';
import { testNhsNumber } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

const csrfOf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)![1];
const keyOf = (body: string) => /name="key" value="([^"]+)"/.exec(body)![1];
const versionOf = (body: string) => /name="version" value="(\d+)"/.exec(body)![1];

describe('referral pages: refer, answer, follow, and the person sees it', () => {
  let t: TestPlatform;
  const count = async () => Number((await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM resource WHERE resource_type = 'ServiceRequest'")).rows[0].n);
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedReferralWorld(t.platform);
    await createResident(t.platform, 'ref.ada', REF_PASSWORD, REF.pat);
  });
  afterAll(() => t.close());

  it('a link worker refers by NHS number; a double submit makes one referral; bad answers come back kept with the error summary', async () => {
    const link = new Browser(t);
    await link.signIn('ref.link', REF_PASSWORD);
    const form = await link.get(`/referrals/new?service=${REF.serviceA}`);
    expect(form.status).toBe(200);
    expect(form.body).toContain('Befriending, Ashford');
    const fields = {
      csrf_token: csrfOf(form.body), key: keyOf(form.body), service: REF.serviceA, nhsNumber: testNhsNumber(710),
      reason: 'Lonely since moving here', priority: 'routine', consent: 'yes', share: 'what-matters', whatMatters: 'Meeting people <b>nearby</b>', healthInfo: '',
    };
    const noConsent = await link.post('/referrals', { ...fields, consent: '' });
    expect(noConsent.status).toBe(400);
    expect(noConsent.body).toContain('There is a problem');
    expect(noConsent.body).toContain('Lonely since moving here');
    const before = await count();
    const sent = await link.post('/referrals', fields);
    expect(sent.status).toBe(303);
    const again = await link.post('/referrals', fields);
    expect(again.headers.location).toBe(sent.headers.location);
    expect(await count()).toBe(before + 1);
    const page = await link.get(String(sent.headers.location));
    expect(page.body).toContain('Referral sent');
    // Text from the form is shown as text, never markup.
    expect(page.body).toContain('Meeting people &lt;b&gt;nearby&lt;/b&gt;');
    expect((await link.get('/referrals')).body).toContain('Befriending, Ashford');
  });

  it('the VCSE worker accepts, starts and completes; the other VCSE organisation cannot see it; the link worker and the person see each change', async () => {
    const link = new Browser(t);
    await link.signIn('ref.link', REF_PASSWORD);
    const list = await link.get('/referrals');
    const id = /href="\/referrals\/([^"?]+)"/.exec(list.body)![1];
    const a = new Browser(t);
    expect(await a.signIn('ref.vcs.a', REF_PASSWORD)).toBe('/work');
    const b = new Browser(t);
    await b.signIn('ref.vcs.b', REF_PASSWORD);
    expect((await b.get(`/referrals/${id}`)).status).toBe(404);
    expect((await a.get('/referrals')).body).toContain(`/referrals/${id}`);
    let page = await a.get(`/referrals/${id}`);
    expect(page.body).toContain('Accept referral');
    expect(page.body).not.toContain('Health information');
    // B posting A's form: refused, not found.
    expect((await b.post(`/referrals/${id}/accept`, { csrf_token: csrfOf((await b.get('/referrals')).body), version: versionOf(page.body) })).status).toBe(404);
    for (const [action, extra] of [['accept', {}], ['start', {}], ['complete', { outcome: 'support-given', note: 'Weekly calls with a volunteer' }]] as const) {
      page = await a.get(`/referrals/${id}`);
      const res = await a.post(`/referrals/${id}/${action}`, { csrf_token: csrfOf(page.body), version: versionOf(page.body), ...extra });
      expect(res.status, action).toBe(303);
      const seen = await link.get(`/referrals/${id}`);
      expect(seen.body).toContain(action === 'accept' ? 'Accepted' : action === 'start' ? 'In progress' : 'Weekly calls with a volunteer');
    }
    const ada = new Browser(t);
    await ada.signIn('ref.ada', REF_PASSWORD);
    const mine = await ada.get('/my-referrals');
    expect(mine.status).toBe(200);
    expect(mine.body).toContain('Befriending, Ashford');
    expect(mine.body).toContain('Finished');
    // Referrals outside the directory's workflow are on the record page, and each page points to the other.
    expect(mine.body).toContain('href="/my-record#referrals"');
    expect((await ada.get('/my-record')).body).toContain('href="/my-referrals"');
  });

  it('a stale form and an illegal step come back as the page with the error, nothing changed', async () => {
    const link = new Browser(t);
    await link.signIn('ref.link', REF_PASSWORD);
    const form = await link.get(`/referrals/new?service=${REF.serviceA}&person=${REF.pat}`);
    const sent = await link.post('/referrals', { csrf_token: csrfOf(form.body), key: keyOf(form.body), service: REF.serviceA, person: REF.pat, reason: 'Company', priority: 'routine', consent: 'yes' });
    const id = String(sent.headers.location).split('/')[2].split('?')[0];
    const a = new Browser(t);
    await a.signIn('ref.vcs.a', REF_PASSWORD);
    const page = await a.get(`/referrals/${id}`);
    const stale = await a.post(`/referrals/${id}/accept`, { csrf_token: csrfOf(page.body), version: '99' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('changed by someone else');
    const early = await a.post(`/referrals/${id}/complete`, { csrf_token: csrfOf(page.body), version: versionOf(page.body), outcome: 'support-given', note: 'x' });
    expect(early.status).toBe(422);
    expect((await link.get(`/referrals/${id}`)).body).toContain('Requested');
  });

  it('re-routing: the requester sends a declined referral to another service, which makes a new Task; bad answers kept, nothing written; others cannot', async () => {
    const { referrals } = t.platform.referrals;
    const sent = await referrals.send(PEOPLE.linkWorker, newReferral({ reason: 'Needs company on Saturdays' }));
    await referrals.act(PEOPLE.vcsA, sent.referral.id, 'reject', sent.referral.taskVersion!, { reason: 'no-capacity' });
    const id = sent.referral.id;
    const tasks = async () => Number((await t.platform.db.query<{ n: string }>("SELECT count(*) AS n FROM resource r JOIN sp_reference f ON f.rid = r.rid AND f.code = 'focus' AND f.target_id = $1 WHERE r.resource_type = 'Task'", [id])).rows[0].n);
    expect(await tasks()).toBe(1);
    const link = new Browser(t);
    await link.signIn('ref.link', REF_PASSWORD);
    const detail = await link.get(`/referrals/${id}`);
    expect(detail.body).toContain(`href="/referrals/${id}/reroute"`);
    const b = new Browser(t);
    await b.signIn('ref.vcs.b', REF_PASSWORD);
    expect((await b.get(`/referrals/${id}/reroute`)).status).toBe(404);
    const form = await link.get(`/referrals/${id}/reroute`);
    expect(form.status).toBe(200);
    expect(form.body).toContain('The service has no capacity');
    expect(form.body).toContain(`value="${REF.serviceB}"`);
    expect(form.body).not.toContain(`value="${REF.serviceA}"`);
    expect(form.body).not.toContain(`value="${REF.closed}"`);
    const base = { csrf_token: csrfOf(form.body), version: versionOf(form.body) };
    const missing = await link.post(`/referrals/${id}/reroute`, { ...base, note: 'She cares for her husband' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('There is a problem');
    expect(missing.body).toContain('She cares for her husband');
    expect((await link.post(`/referrals/${id}/reroute`, { ...base, service: REF.serviceA, consent: 'yes' })).status).toBe(400);
    expect((await link.post(`/referrals/${id}/reroute`, { ...base, service: REF.closed, consent: 'yes' })).status).toBe(422);
    expect((await link.post(`/referrals/${id}/reroute`, { ...base, service: REF.serviceB, consent: 'no' })).status).toBe(400);
    expect(await tasks()).toBe(1);
    // Someone who did not make the referral cannot re-route it, even by posting the form.
    expect((await b.post(`/referrals/${id}/reroute`, { ...base, csrf_token: csrfOf((await b.get('/referrals')).body), service: REF.serviceB, consent: 'yes' })).status).toBe(404);
    const done = await link.post(`/referrals/${id}/reroute`, { ...base, service: REF.serviceB, consent: 'yes', note: 'She cares for her husband' });
    expect(done.status).toBe(303);
    expect(await tasks()).toBe(2);
    const now = await referrals.get(PEOPLE.linkWorker, id);
    expect(now.status).toBe('requested');
    expect(now.serviceId).toBe(REF.serviceB);
    expect(now.task?.owner?.reference).toBe(`Organization/${REF.vcsB}`);
    expect(now.sr.note?.at(-1)?.text).toContain('after Befriending, Ashford declined it');
    expect((await referrals.received(PEOPLE.vcsB)).map((r) => r.id)).toContain(id);
    // The same form again: the referral has moved on, so it is refused and nothing more is made.
    const again = await link.post(`/referrals/${id}/reroute`, { ...base, service: REF.serviceB, consent: 'yes' });
    expect(again.status).toBe(409);
    expect(await tasks()).toBe(2);
  });
});
