import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS, NHS, seedCareWorld } from '../record-view/care.fixtures.js';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from './web.test-helpers.js';

describe('web app (server-rendered pages)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedCareWorld(t.platform);
  });
  afterAll(() => t.close());

  it('sends a visitor to sign in, and refuses a wrong password with a clear message', async () => {
    const b = new Browser(t);
    expect((await b.get('/')).headers.location).toBe('/sign-in');
    expect((await b.get('/people')).headers.location).toBe('/sign-in');
    const page = await b.get('/sign-in');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('Skip to main content');
    const bad = await b.post('/sign-in', { username: CARE_USERS.nurse.username, password: 'wrong' });
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('There is a problem');
    const empty = await b.post('/sign-in', {});
    expect(empty.status).toBe(400);
    // An unknown web path is an NHS-styled page; an unknown API path stays an OperationOutcome.
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const lost = await t.app.inject({ method: 'GET', url: '/no-such-page', headers: { accept } });
    expect(lost.statusCode).toBe(404);
    expect(lost.headers['content-type']).toContain('text/html');
    expect(lost.body).toContain('<h1>Page not found</h1>');
    const api = await t.app.inject({ method: 'GET', url: '/fhir/R4/NoSuchThing/x/y/z', headers: { accept } });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/fhir+json');
    // A NUL or other control character in the user name is refused before it reaches the database (was a 500).
    for (const username of ['fuzz\u0000x', 'a\u0007b']) {
      const nul = await b.post('/sign-in', { username, password: 'x' });
      expect(nul.status).toBe(400);
      expect(nul.body).toContain('There is a problem');
    }
    // Login CSRF: a form on another site cannot sign this browser in, even with the right password.
    const cross = await t.app.inject({
      method: 'POST', url: '/sign-in', payload: new URLSearchParams({ username: CARE_USERS.nurse.username, password: CARE_PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.statusCode).toBe(403);
    expect(cross.headers['set-cookie']).toBeUndefined();
  });

  it('a nurse finds a person by NHS number and opens their joined-up record; bad input is a 400 page, never a 5xx', async () => {
    const b = new Browser(t);
    expect(await b.signIn(CARE_USERS.nurse.username)).toBe('/work');
    const home = await b.get('/people');
    expect(home.body).toContain('Amira Okafor');
    expect(home.body).toContain('Community nurse, Kent Community Nursing');

    const wrong = await b.get('/people?by=nhs&nhs-number=999+000+0001');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('not a valid NHS number');
    const short = await b.get('/people?by=nhs&nhs-number=12');
    expect(short.status).toBe(400);

    const found = await b.get(`/people?by=nhs&nhs-number=${NHS.hollis}`);
    expect(found.status).toBe(200);
    expect(found.body).toContain('href="/people/pat-hollis"');
    const byName = await b.get('/people?by=name&name=margaret+hollis&day=14&month=5&year=1941&postcode=ME15+6XX');
    expect(byName.body).toContain('href="/people/pat-hollis"');
    const noDob = await b.get('/people?by=name&name=hollis');
    expect(noDob.status).toBe(400);
    expect(noDob.body).toContain('date of birth');

    const record = await b.get('/people/pat-hollis');
    expect(record.status).toBe(200);
    for (const text of ['Margaret Hollis', 'Named professional', 'To stay in my own home', 'Penicillin', 'Peter Hollis', 'Staying well at home',
      'Occupational therapy', 'Timeline across all organisations', '1 entry is withheld from you']) expect(record.body).toContain(text);
    expect(record.body).not.toContain('cognitive impairment');
    const hospital = await b.get(`/people/pat-hollis?organisation=${CARE_ORGS.acute}`);
    expect(hospital.body.match(/Recorded by <strong>([^<]+)<\/strong>/g)!.every((m) => m.includes('Weald General Hospital'))).toBe(true);
    for (const bad of ['?kind=nonsense', '?from=2024-13-01', '?cursor=%7B', '?count=100000']) {
      const res = await b.get(`/people/pat-hollis${bad}`);
      expect(res.status).toBe(400);
      expect(res.body).toContain('There is a problem');
    }
    expect((await b.get('/people/pat-nobody')).status).toBe(404);

    // The timeline's dates are the NHS three-box input: an impossible date or a From after a To comes
    // back as the record with the error summary and what was typed, not a bare error page.
    const after = await b.get('/people/pat-hollis?kind=medication&from-day=5&from-month=3&from-year=2025&to-day=1&to-month=1&to-year=2024');
    expect(after.status).toBe(400);
    expect(after.body).toContain('The From date must be the same as or before the To date');
    expect(after.body).toContain('href="#from-day"');
    expect(after.body).toContain('id="from-year" name="from-year" type="text" inputmode="numeric" value="2025"');
    expect(after.body).toContain('<option value="medication" selected');
    expect(after.body).toContain('Margaret Hollis');
    const day32 = await b.get('/people/pat-hollis?from-day=32&from-month=1&from-year=2024');
    expect(day32.status).toBe(400);
    expect(day32.body).toContain('The From date must be a real date');
    const ok = await b.get('/people/pat-hollis?from-day=1&from-month=1&from-year=2000&to-day=31&to-month=12&to-year=2030');
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('value="2030"');
  });

  it('break-glass: a reason and a statement, then the record with a banner saying access is audited', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const search = await b.get(`/people?by=nhs&nhs-number=${NHS.baxter}`);
    expect(search.body).toContain('/people/pat-baxter/break-glass');
    expect(search.body).not.toContain('Doreen');
    const closed = await b.get('/people/pat-baxter');
    expect(closed.status).toBe(404);
    expect(closed.body).toContain('Request emergency access');
    // Hidden and missing look the same: same status, same page (apart from the id in the link), so
    // the page cannot tell whether someone has a record here.
    const missing = await b.get('/people/pat-nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.replaceAll('pat-nobody', 'ID')).toBe(closed.body.replaceAll('pat-baxter', 'ID'));
    const csrf = await b.csrf();
    expect((await b.post('/people/pat-baxter/break-glass', { reason: 'unscheduled-care', text: 'Fell at home today' })).status).toBe(403);
    const short = await b.post('/people/pat-baxter/break-glass', { csrf_token: csrf, reason: 'unscheduled-care', text: 'fall' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('at least 10 characters');
    const granted = await b.post('/people/pat-baxter/break-glass', { csrf_token: csrf, reason: 'unscheduled-care', text: 'Found on the floor at home, GP closed' });
    expect(granted.status).toBe(303);
    const record = await b.get('/people/pat-baxter');
    expect(record.status).toBe(200);
    expect(record.body).toContain('Emergency access: this access is audited');
    expect(record.body).toContain('Doreen Baxter');
  });

  it('the privacy officer sees each emergency access with its statement, reviews it, and the list empties; no one else sees the list', async () => {
    await createStaff(t.platform, 'privacy.test', CARE_PASSWORD, [{ organizationId: CARE_ORGS.gp, role: 'privacy-officer' }]);
    const nurse = new Browser(t);
    await nurse.signIn(CARE_USERS.nurse.username);
    expect((await nurse.get('/break-glass-review')).status).toBe(403);
    const b = new Browser(t);
    expect(await b.signIn('privacy.test')).toBe('/break-glass-review');
    const list = await b.get('/break-glass-review');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Amira Okafor');
    expect(list.body).toContain('Found on the floor at home, GP closed');
    // Whose record, by name and NHS number (not an id).
    expect(list.body).toContain(`Doreen Baxter, NHS number ${NHS.baxter.slice(0, 3)} ${NHS.baxter.slice(3, 6)} ${NHS.baxter.slice(6)}`);
    expect(list.body).not.toContain('Patient/pat-baxter');
    const id = /action="\/break-glass-review\/([^"]+)"/.exec(list.body)![1];
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(list.body)![1];
    expect((await b.post(`/break-glass-review/${id}`, { note: 'Checked with the ward' })).status).toBe(403);
    const noNote = await b.post(`/break-glass-review/${id}`, { csrf_token: csrf, note: ' ' });
    expect(noNote.status).toBe(400);
    expect(noNote.body).toContain('Write what you checked');
    expect((await b.post('/break-glass-review/not-a-grant', { csrf_token: csrf, note: 'Checked with the ward' })).status).toBe(404);
    expect((await nurse.post(`/break-glass-review/${id}`, { csrf_token: await nurse.csrf(), note: 'Checked' })).status).toBe(403);
    const done = await b.post(`/break-glass-review/${id}`, { csrf_token: csrf, note: `Checked with the ward${String.fromCharCode(0)}: appropriate` });
    expect(done.status).toBe(303);
    expect((await b.get('/break-glass-review')).body).toContain('There is no emergency access waiting for review');
  });

  it('says sharing is withheld for a person who objects', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const record = await b.get('/people/pat-penfold');
    expect(record.body).toContain('Sharing is withheld.');
    expect(record.body).toContain('Consent: objects to sharing');
    expect(record.body).not.toContain('A&amp;E attendance');
  });

  it('the resident sees their record in plain English and who has looked at it; staff pages send them home', async () => {
    const nurse = new Browser(t);
    await nurse.signIn(CARE_USERS.nurse.username);
    await nurse.get('/people/pat-hollis');
    const b = new Browser(t);
    expect(await b.signIn(CARE_USERS.resident.username)).toBe('/my-record');
    const mine = await b.get('/my-record');
    expect(mine.status).toBe(200);
    expect(mine.body).toContain('Your record');
    expect(mine.body).toContain('Your health conditions');
    expect(mine.body).not.toContain('Third-party information');
    expect((await b.get('/people')).headers.location).toBe('/my-record');
    const team = await b.get('/my-care-team');
    expect(team.body).toContain('07700 900101');
    const log = await b.get('/my-access-log');
    expect(log.status).toBe(200);
    expect(log.body).toContain('Kent Community Nursing');
    expect(log.body).toContain('Community nurse');
  });

  it('the carer sees only what consent allows, and not the access log', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.carer.username);
    const theirs = await b.get('/my-record');
    expect(theirs.status).toBe(200);
    expect(theirs.body).toContain("Margaret Hollis's record");
    expect(theirs.body).toContain('Metformin');
    expect(theirs.body).not.toContain('Heart failure');
    expect((await b.get('/my-access-log')).status).toBe(403);
    expect((await b.get('/my-record?person=pat-penfold')).status).toBe(404);
  });

  it('serves the summary as JSON to a signed-in user only, and the design system assets with cache headers', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/people/pat-hollis/summary' })).statusCode).toBe(401);
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const api = await b.get('/api/people/pat-hollis/summary?kind=contact');
    expect(api.status).toBe(200);
    const json = JSON.parse(api.body);
    expect(json.patient.name).toBe('Margaret Hollis');
    expect(json.timeline.entries.every((e: { type: string }) => e.type === 'Encounter')).toBe(true);
    expect((await b.get('/api/people/pat-nobody/summary')).status).toBe(404);
    const css = await t.app.inject({ method: 'GET', url: '/assets/nhsuk-frontend.min.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['cache-control']).toContain('max-age');
    const again = await t.app.inject({ method: 'GET', url: '/assets/nhsuk-frontend.min.css', headers: { 'if-none-match': String(css.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect((await t.app.inject({ method: 'GET', url: '/assets/../package.json' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/assets/%2e%2e/package.json' })).statusCode).toBe(404);
  });
});
