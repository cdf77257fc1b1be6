import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AL_NOW, AL_USERS, seedActionableListWorld } from '../../outcomes/actionable-list.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

// The people behind an indicator as pages: a GP goes from the outcomes menu to an indicator and its
// list; an analyst is refused with a page that says why; the analyst's indicator page says where the people are.
let t: TestPlatform;

beforeAll(async () => {
  t = await createTestPlatform();
  await seedActionableListWorld(t.platform);
  t.platform.clock.now = () => AL_NOW;
}, 120_000);
afterAll(() => t?.close());

describe('the people behind an indicator, in the web app', () => {
  it('a GP: Outcomes in the menu → the indicators with lists → O1.1 → their practice\'s list, each person linked, with the next step', async () => {
    const b = new Browser(t);
    await b.signIn(AL_USERS.gp1);
    const overview = await b.get('/outcomes');
    expect(overview.status).toBe(200);
    expect(overview.body).toContain('href="/outcomes"');
    expect(overview.body).toContain('href="/outcomes/O1.1/people"');
    expect(overview.body).toContain('The figures by place and quarter are for ICB analysts');
    const indicator = await b.get('/outcomes/O1.1');
    expect(indicator.status).toBe(200);
    expect(indicator.body).toContain('Mothers smoking at time of delivery');
    expect(indicator.body).toContain('href="/outcomes/O1.1/people"');
    const list = await b.get('/outcomes/O1.1/people');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Mothers smoking at delivery with no stop-smoking referral');
    expect(list.body).toContain('People at <strong>Orchard Surgery</strong> (3)');
    for (const id of ['o1-postnatal', 'o1-smoker-a', 'o1-smoker-c']) expect(list.body).toContain(`href="/people/${id}"`);
    for (const id of ['o1-referred', 'o1-objects', 'o2-smoker', 'o1-non-smoker']) expect(list.body).not.toContain(id);
    expect(list.body).toContain('href="/services?kind=stop-smoking"');
    expect(list.body).toContain('Fewer than 5 more people match');
    // The CSV of figures stays the analysts'.
    expect((await b.get('/outcomes/O1.1.csv')).status).toBe(403);
  });

  it('user B cannot: the other practice\'s GP sees only their own patient; the network view names no one from the other practice', async () => {
    const b = new Browser(t);
    await b.signIn(AL_USERS.gp2);
    const list = await b.get('/outcomes/O1.1/people');
    expect(list.body).toContain('href="/people/o2-smoker"');
    expect(list.body).not.toContain('o1-smoker-a');
    const pcn = await b.get('/outcomes/O1.1/people?scope=pcn%3Apcn-o');
    expect(pcn.status).toBe(200);
    expect(pcn.body).not.toContain('o1-smoker-a');
    expect((await b.get('/outcomes/O1.1/people?scope=practice%3Aprac-o1')).status).toBe(400);
  });

  it('an analyst is refused the list with a 403 page that says why; their indicator page says who sees the people', async () => {
    const b = new Browser(t);
    await b.signIn(AL_USERS.analyst);
    const res = await b.get('/outcomes/O1.1/people');
    expect(res.status).toBe(403);
    expect(res.body).toContain('ICB analysts see aggregate figures only');
    expect(res.body).not.toContain('o1-smoker-a');
    const page = await b.get('/outcomes/O1.1');
    expect(page.status).toBe(200);
    expect(page.body).toContain('The people behind this figure are not shown to analysts');
  });

  it('a receptionist sees no Outcomes and is refused (403, in words); an indicator with no list is a 404 page', async () => {
    const r = new Browser(t);
    await r.signIn(AL_USERS.reception);
    const res = await r.get('/outcomes/O1.1/people');
    expect(res.status).toBe(403);
    expect(res.body).toContain('receptionist');
    const g = new Browser(t);
    await g.signIn(AL_USERS.gp1);
    const none = await g.get('/outcomes/O3.2/people');
    expect(none.status).toBe(404);
  });
});
