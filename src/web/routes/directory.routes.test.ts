import type { HealthcareService, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { loadDirectoryFixture } from '../../directory/directory.fixtures.js';
import { OUT_OF_DATE_REPORT_SYSTEM } from '../../directory/directory.service.js';
import { freshnessOf } from '../../directory/service-freshness.js';
import { CARE_PASSWORD } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

describe('the directory pages: staff search, "Find help near me", a service, reports and shortlists', () => {
  let t: TestPlatform;
  let fixture: Resource[];
  const now = new Date('2026-12-05T10:30:00Z');
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    t.platform.clock.now = () => now;
    fixture = await loadDirectoryFixture(t.platform);
    await createStaff(t.platform, 'linkworker.dir', CARE_PASSWORD, [{ organizationId: 'org-medway-council', role: 'link-worker' }]);
  });
  afterAll(async () => t?.close());

  const tasksFor = async (serviceId: string) => (await t.platform.db.query<{ content: string }>(
    `SELECT r.content FROM resource r JOIN sp_token k ON k.rid = r.rid AND k.code = 'identifier' AND k.system = $1 AND k.value = $2 WHERE r.resource_type = 'Task'`,
    [OUT_OF_DATE_REPORT_SYSTEM, serviceId])).rows.map((r) => JSON.parse(r.content));

  it('lets anyone, not signed in, find a befriending group open at weekends near their postcode, phone numbers first, on a map with a table', async () => {
    const b = new Browser(t);
    const start = await b.get('/services');
    expect(start.status).toBe(200);
    expect(start.body).toContain('Find help near me');
    const res = await b.get('/services?kind=befriending&postcode=ME7+1AB&distance=5&when=weekends');
    expect(res.status).toBe(200);
    expect(res.body).toContain('Saturday befriending club, Medway');
    expect(res.body).toMatch(/<a href="tel:01632960\d{3}">01632 960\d{3}<\/a>/);
    expect(res.body).toContain('role="img"');
    expect(res.body).toContain('The map as a table');
    expect(res.body).toContain('Saturday: 10am to 3pm');
    expect(res.body).not.toContain('Add to shortlist');
    // The phone number comes before the description of each result.
    const card = res.body.slice(res.body.indexOf('Saturday befriending club, Medway'));
    expect(card.indexOf('tel:')).toBeLessThan(card.indexOf('Last checked'));
  });

  it('answers a wrong postcode with the error summary and the answers kept, and changes nothing', async () => {
    const b = new Browser(t);
    for (const [postcode, words] of [['NOT A POSTCODE', 'Enter a real postcode'], ['SW1A 1AA', 'outside the area we cover']]) {
      const res = await b.get(`/services?what=lonely&postcode=${encodeURIComponent(postcode)}`);
      expect(res.status).toBe(400);
      expect(res.body).toContain('There is a problem');
      expect(res.body).toContain(words);
      expect(res.body).toContain('value="lonely"');
    }
    expect((await b.get('/services?cost=cheap')).status).toBe(400);
  });

  it('names the page\'s address parameters as the form names its fields, so a search is shared as a link (and older q= links still work)', async () => {
    const b = new Browser(t);
    const url = '/services?what=befriending&kind=befriending&postcode=ME7&distance=10&when=weekends&cost=free&referral=self';
    const res = await b.get(url);
    expect(res.status).toBe(200);
    const form = res.body.slice(res.body.indexOf('<form'), res.body.indexOf('</form>'));
    const fields = new Set([...form.matchAll(/name="([a-z]+)"/g)].map((m) => m[1]));
    for (const key of new URL(url, 'http://x').searchParams.keys()) expect(fields, key).toContain(key);
    expect(res.body).toContain('value="befriending"');
    const names = (body: string) => [...body.matchAll(/<a href="\/services\/([^"]+)">/g)].map((m) => m[1]);
    expect(names(res.body).length).toBeGreaterThan(0);
    expect(names((await b.get(url.replace('what=', 'q='))).body)).toEqual(names(res.body));
  });

  it('shows a service in plain words, with its freshness, and lets anyone report it as out of date: one task for its owner', async () => {
    const b = new Browser(t);
    const page = await b.get('/services/hs-dir-befriend-medway');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Wednesday: 2pm to 4pm');
    expect(page.body).not.toContain('Refer someone');
    const sent = await b.post('/services/hs-dir-befriend-medway/report', { what: 'It meets at the library now <script>alert(1)</script>' });
    expect(sent.status).toBe(303);
    expect((await b.get(String(sent.headers.location))).body).toContain('we have told the people who run this service');
    const again = await b.post('/services/hs-dir-befriend-medway/report', { what: 'Still wrong' });
    expect(String(again.headers.location)).toContain('reported=open');
    const tasks = await tasksFor('hs-dir-befriend-medway');
    expect(tasks).toHaveLength(1);
    expect(tasks[0].owner.reference).toBe('Organization/org-dir-befriend-medway');
    expect(tasks[0].note[0].text).toContain('<script>alert(1)</script>');
    expect((await b.get('/services/no-such-service')).status).toBe(404);
  });

  it('gives staff a "Refer someone" link, but not to a service unchecked for over a year', async () => {
    const b = new Browser(t);
    await b.signIn('linkworker.dir');
    const page = await b.get('/services/hs-dir-befriend-medway');
    expect(page.body).toContain('href="/referrals/new?service=hs-dir-befriend-medway"');
    expect(page.body).toContain('Find a service');
    const stale = fixture.find((r): r is HealthcareService => r.resourceType === 'HealthcareService' && freshnessOf(r, now).state === 'not-taking-referrals')!;
    const stalePage = await b.get(`/services/${stale.id}`);
    expect(stalePage.body).toContain('These details may be out of date');
    expect(stalePage.body).not.toContain('Refer someone');
  });

  it('lets staff build a shortlist and send it as a recorded text message', async () => {
    const b = new Browser(t);
    await b.signIn('linkworker.dir');
    const results = await b.get('/services?what=befriending&postcode=ME7&distance=10');
    expect(results.body).toContain('Add to shortlist');
    const list = await b.get('/services/shortlist?ids=hs-dir-befriend-medway,hs-dir-housing-medway');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Housing options and homelessness prevention, Medway');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(list.body)![1];
    const bad = await b.post('/services/shortlist', { csrf_token: csrf, ids: 'hs-dir-befriend-medway', channel: 'sms', to: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Enter a UK mobile number');
    expect(bad.body).toContain('value="12345"');
    const before = (await t.platform.db.query(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Communication'`)).rows[0].n;
    expect(before).toBe(0);
    const ok = await b.post('/services/shortlist', { csrf_token: csrf, ids: 'hs-dir-befriend-medway,hs-dir-housing-medway', channel: 'sms', to: '07700 900123' });
    expect(ok.status).toBe(303);
    const sent = await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'Communication'`);
    expect(sent.rows).toHaveLength(1);
    const c = JSON.parse(sent.rows[0].content);
    expect(c.medium[0].coding[0].code).toBe('SMSWRIT');
    expect(c.payload[0].contentString).toContain('Saturday befriending club, Medway');
    // A resident is not staff: no shortlist.
    expect((await new Browser(t).get('/services/shortlist?ids=hs-dir-befriend-medway')).status).toBe(303);
  });
});
