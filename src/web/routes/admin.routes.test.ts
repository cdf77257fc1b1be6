import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createPatient, createResident, createStaff } from '../../access/identity/identity.test-helpers.js';
import { clientCredentials, createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';
import { auditEventsOf } from '../../testing/audit-events.js';

const PW = 'correct-horse-battery';
const NEW_PW = 'my-own-new-password';

/** The CSRF token of a page. */
const csrfOf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)![1];
/** The secret a page shows once after a form. */
const secretOf = (body: string) => /<code>([^<]+)<\/code>/.exec(body)?.[1];

describe('administration in the web app (/admin)', () => {
  let t: TestPlatform;
  let ids: Record<string, string>;

  beforeAll(async () => {
    t = await createTestPlatform();
    await createOrganization(t.platform, 'org-a', 'A1234', 'Alder Surgery');
    await createOrganization(t.platform, 'org-b', 'B5678', 'Birch Practice');
    await createPatient(t.platform, 'pat-1');
    for (const id of ['pat-2', 'pat-3']) {
      await t.platform.resources.update('Patient', id, { resourceType: 'Patient', id, name: [{ given: ['Pat'], family: id }], generalPractitioner: [{ reference: 'Organization/org-a' }] });
    }
    await t.platform.resources.update('RelatedPerson', 'rp-2', { resourceType: 'RelatedPerson', id: 'rp-2', patient: { reference: 'Patient/pat-2' }, name: [{ text: 'Carer of pat-2' }] });
    ids = {
      sysadmin: await createStaff(t.platform, 'sys.admin', PW, [{ organizationId: 'org-a', role: 'system-admin' }]),
      localA: await createStaff(t.platform, 'local.a', PW, [{ organizationId: 'org-a', role: 'local-admin' }]),
      gpA: await createStaff(t.platform, 'gp.a', PW, [{ organizationId: 'org-a', role: 'gp' }]),
      gpB: await createStaff(t.platform, 'gp.b', PW, [{ organizationId: 'org-b', role: 'gp' }]),
      both: await createStaff(t.platform, 'nurse.both', PW, [{ organizationId: 'org-a', role: 'practice-nurse' }, { organizationId: 'org-b', role: 'practice-nurse' }]),
      resident: await createResident(t.platform, 'resident.1', PW, 'pat-1'),
    };
  });
  afterAll(() => t.close());

  const counts = async () => {
    const q = async (sql: string) => Number((await t.platform.db.query<{ n: string }>(sql)).rows[0].n);
    return {
      users: await q('SELECT count(*) AS n FROM app_user'),
      disabled: await q('SELECT count(*) AS n FROM app_user WHERE disabled'),
      mustChange: await q('SELECT count(*) AS n FROM app_user WHERE must_change_password'),
      hashes: (await t.platform.db.query<{ h: string }>("SELECT string_agg(password_hash, ',' ORDER BY id) AS h FROM app_user")).rows[0].h,
      memberships: (await t.platform.db.query<{ m: string }>("SELECT string_agg(user_id || organization_id || role, ',' ORDER BY user_id, organization_id) AS m FROM staff_membership")).rows[0].m,
      clients: (await t.platform.db.query<{ c: string }>("SELECT string_agg(client_id || disabled || coalesce(secret_hash, ''), ',' ORDER BY client_id) AS c FROM api_client")).rows[0].c,
    };
  };

  async function admin(username = 'sys.admin') {
    const b = new Browser(t);
    expect(await b.signIn(username, PW)).toBe('/admin');
    const home = await b.get('/admin');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/admin/users');
    const users = await b.get('/admin/users');
    expect(users.status).toBe(200);
    return { b, csrf: csrfOf(users.body), users };
  }

  async function createUser(b: Browser, csrf: string, fields: Record<string, string>) {
    const res = await b.post('/admin/users', { csrf_token: csrf, ...fields });
    expect(res.status, res.body.slice(0, 2000)).toBe(303);
    const location = String(res.headers.location);
    const id = /^\/admin\/users\/([^?]+)\?done=created&shown=/.exec(location)![1];
    const shown = await b.get(location);
    expect(shown.body).toContain('Account created.');
    const temporary = secretOf(shown.body)!;
    expect(temporary).toMatch(/^[A-Za-z0-9]{16}$/);
    // Shown once: the same address again shows the banner but no password.
    expect(secretOf((await b.get(location)).body)).toBeUndefined();
    return { id, temporary };
  }

  it('administrators land on /admin with Users and API clients in the menu; the list is searchable and says who signed in when', async () => {
    const { users } = await admin();
    expect(users.body).toContain('href="/admin/users"');
    expect(users.body).toContain('href="/admin/clients"');
    expect(users.body).toContain('>Users<');
    expect(users.body).toContain('API clients');
    expect(users.body).toContain('gp.b');
    expect(users.body).toContain('Birch Practice');
    // sys.admin has just signed in; gp.b never has.
    const row = (name: string) => users.body.slice(users.body.indexOf(`>${name}<`), users.body.indexOf('</tr>', users.body.indexOf(`>${name}<`)));
    expect(row('sys.admin')).not.toContain('Never');
    expect(row('gp.b')).toContain('Never');
    const b = new Browser(t);
    await b.signIn('sys.admin', PW);
    const found = await b.get('/admin/users?q=GP.');
    expect(found.body).toContain('gp.a');
    expect(found.body).not.toContain('nurse.both');
    // LIKE's wildcards are taken literally.
    expect((await b.get('/admin/users?q=%25')).body).toContain('No accounts match this search');
  });

  it('the list is paged 25 at a time by user name, every account once, the search kept across pages', async () => {
    const hash = (await t.platform.identity.users.findByUsername('gp.b'))!.passwordHash;
    for (let i = 0; i < 30; i++) {
      await t.platform.identity.users.create({ kind: 'staff', username: `page.user.${String(i).padStart(2, '0')}`, displayName: `Paged ${i}`, passwordHash: hash, memberships: [{ organizationId: 'org-b', role: 'gp' }] });
    }
    const { b } = await admin();
    const names = (body: string) => [...body.matchAll(/>(page\.user\.\d\d)</g)].map((m) => m[1]);
    const first = await b.get('/admin/users?q=page.user');
    expect(names(first.body)).toHaveLength(25);
    const next = /href="(\/admin\/users\?[^"]*after=[^"]+)"/.exec(first.body)![1].replaceAll('&amp;', '&');
    expect(next).toContain('q=page.user');
    const second = await b.get(next);
    expect(second.status).toBe(200);
    expect(names(second.body)).toHaveLength(5);
    expect(second.body).not.toContain('rel="next"');
    expect(new Set([...names(first.body), ...names(second.body)]).size).toBe(30);
  });

  it('an administrator creates an account; the person signs in with the temporary password, must choose their own, then is disabled (sessions end, no sign-in) and enabled again', async () => {
    const { b, csrf } = await admin();
    const { id, temporary } = await createUser(b, csrf, { username: 'new.nurse', displayName: 'Nadia Newman', organization: 'A1234', role: 'practice-nurse' });
    const page = await b.get(`/admin/users/${id}`);
    expect(page.body).toContain('Nadia Newman');
    expect(page.body).toContain('Alder Surgery');
    expect(page.body).toContain('Practice nurse');

    const u = new Browser(t);
    expect(await u.signIn('new.nurse', temporary)).toBe('/work');
    const work = await u.get('/work');
    expect(work.status).toBe(303);
    expect(work.headers.location).toBe('/choose-password');
    const choose = await u.get('/choose-password');
    expect(choose.status).toBe(200);
    expect(choose.body).toContain('Choose a new password');
    const uc = csrfOf(choose.body);
    // Nothing else works until the password is chosen: pages, the JSON API, the FHIR API with the cookie.
    expect((await u.get('/people')).headers.location).toBe('/choose-password');
    expect((await u.get('/api/people/pat-1/summary')).status).toBe(403);
    expect((await u.get('/fhir/R4/Patient')).status).toBe(403);
    const short = await u.post('/choose-password', { csrf_token: uc, password: 'short', confirm: 'short' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('at least 12 characters');
    const same = await u.post('/choose-password', { csrf_token: uc, password: temporary, confirm: temporary });
    expect(same.status).toBe(400);
    const mismatch = await u.post('/choose-password', { csrf_token: uc, password: NEW_PW, confirm: `${NEW_PW}x` });
    expect(mismatch.body).toContain('The passwords do not match');
    const chosen = await u.post('/choose-password', { csrf_token: uc, password: NEW_PW, confirm: NEW_PW });
    expect(chosen.status).toBe(303);
    expect(chosen.headers.location).toBe('/work');
    expect((await u.get('/work')).status).toBe(200);

    const disabled = await b.post(`/admin/users/${id}/disable`, { csrf_token: csrf });
    expect(disabled.status).toBe(303);
    expect((await b.get(String(disabled.headers.location))).body).toContain('Account disabled');
    // The person's session has ended, and they cannot sign in again.
    expect((await u.get('/work')).headers.location).toBe('/sign-in');
    expect((await new Browser(t).post('/sign-in', { username: 'new.nurse', password: NEW_PW })).status).toBe(401);
    expect((await b.get('/admin/users?q=new.nurse')).body).toContain('Disabled');

    expect((await b.post(`/admin/users/${id}/enable`, { csrf_token: csrf })).status).toBe(303);
    expect(await new Browser(t).signIn('new.nurse', NEW_PW)).toBe('/work');

    // Each of these requests left its AuditEvent naming the account.
    expect((await auditEventsOf(t.platform.db, `UserAccount/${id}`)).length).toBeGreaterThanOrEqual(5);
  });

  it('a reset password ends the sessions and forces a new one at the next sign-in', async () => {
    const { b, csrf } = await admin();
    const u = new Browser(t);
    expect(await u.signIn('gp.a', PW)).toBe('/work');
    const reset = await b.post(`/admin/users/${ids.gpA}/reset-password`, { csrf_token: csrf });
    expect(reset.status).toBe(303);
    const shown = await b.get(String(reset.headers.location));
    expect(shown.body).toContain('Password reset');
    const temporary = secretOf(shown.body)!;
    expect(temporary).toBeTruthy();
    expect((await u.get('/work')).headers.location).toBe('/sign-in');
    expect((await new Browser(t).post('/sign-in', { username: 'gp.a', password: PW })).status).toBe(401);
    const again = new Browser(t);
    await again.signIn('gp.a', temporary);
    expect((await again.get('/work')).headers.location).toBe('/choose-password');
    // Nor does the session authorise an app (SMART App Launch) before the password is chosen.
    const app = await t.platform.identity.clients.register({ organizationId: 'org-a', scope: 'user/Patient.rs', redirectUris: ['https://app.example/cb'], name: 'An app' });
    const authorize = new URLSearchParams({
      response_type: 'code', client_id: app.clientId, redirect_uri: 'https://app.example/cb', scope: 'user/Patient.rs', state: 's',
      aud: 'http://localhost:80/fhir/R4', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    });
    const code = await again.get(`/oauth2/authorize?${authorize}`);
    expect(code.status).toBe(303);
    expect(code.headers.location).toBe('/choose-password');
    const choose = await again.get('/choose-password');
    expect((await again.post('/choose-password', { csrf_token: csrfOf(choose.body), password: NEW_PW, confirm: NEW_PW })).status).toBe(303);
    expect((await again.get('/work')).status).toBe(200);
    expect((await again.get('/choose-password')).headers.location).toBe('/work');
  });

  it('anyone but an administrator gets 403 on every /admin route, and their POSTs write nothing', async () => {
    for (const username of ['gp.b', 'resident.1']) {
      const b = new Browser(t);
      await b.signIn(username, PW);
      const home = await b.get(username === 'gp.b' ? '/work' : '/my-record');
      const csrf = csrfOf(home.body);
      for (const url of ['/admin', '/admin/users', '/admin/users?q=gp', '/admin/users/new', `/admin/users/${ids.gpA}`, '/admin/people/new', '/admin/clients', '/admin/clients/new']) {
        expect((await b.get(url)).status, `${username} GET ${url}`).toBe(403);
      }
      const before = await counts();
      const posts: [string, Record<string, string>][] = [
        ['/admin/users', { username: 'sneaky', displayName: 'Sneaky', organization: 'org-a', role: 'system-admin' }],
        [`/admin/users/${ids.gpA}/disable`, {}], [`/admin/users/${ids.gpA}/enable`, {}], [`/admin/users/${ids.gpA}/reset-password`, {}],
        [`/admin/users/${ids.gpA}/memberships`, { organization: 'org-b', role: 'system-admin' }], [`/admin/users/${ids.gpA}/memberships/end`, { organization: 'org-a' }],
        ['/admin/people', { kind: 'resident', record: 'pat-3', username: 'sneaky.resident', displayName: 'S' }],
        ['/admin/clients', { organization: 'org-a', scope: 'system/*.cruds', name: 'x' }], ['/admin/clients/anything/rotate', {}], ['/admin/clients/anything/revoke', {}],
      ];
      for (const [url, fields] of posts) expect((await b.post(url, { csrf_token: csrf, ...fields })).status, `${username} POST ${url}`).toBe(403);
      expect(await counts()).toEqual(before);
    }
    // Without the session's CSRF token, an administrator's POST is refused too, and writes nothing.
    const { b } = await admin();
    const before = await counts();
    expect((await b.post(`/admin/users/${ids.gpB}/disable`, {})).status).toBe(403);
    expect(await counts()).toEqual(before);
  });

  it('a local administrator manages only their own organisation\'s accounts, and never a system administrator', async () => {
    const { b, csrf, users } = await admin('local.a');
    expect(users.body).toContain('gp.a');
    expect(users.body).not.toContain('gp.b');
    const before = await counts();
    expect((await b.get(`/admin/users/${ids.gpB}`)).status).toBe(403);
    expect((await b.get(`/admin/users/${ids.sysadmin}`)).status).toBe(403);
    for (const path of ['disable', 'reset-password']) {
      expect((await b.post(`/admin/users/${ids.gpB}/${path}`, { csrf_token: csrf })).status).toBe(403);
      expect((await b.post(`/admin/users/${ids.sysadmin}/${path}`, { csrf_token: csrf })).status).toBe(403);
    }
    expect((await b.post(`/admin/users/${ids.gpB}/memberships/end`, { csrf_token: csrf, organization: 'org-b' })).status).toBe(403);
    // No system-admin role to give, and no other organisation's membership.
    expect((await b.post(`/admin/users/${ids.gpA}/memberships`, { csrf_token: csrf, role: 'system-admin' })).status).toBe(403);
    const other = await b.post(`/admin/users/${ids.gpA}/memberships`, { csrf_token: csrf, organization: 'org-b', role: 'gp' });
    expect(other.status).toBe(400);
    expect(other.body).toContain('You manage the accounts of your own organisation only');
    const elsewhere = await b.post('/admin/users', { csrf_token: csrf, username: 'b.person', displayName: 'B', organization: 'B5678', role: 'gp' });
    expect(elsewhere.status).toBe(400);
    // An account that also works elsewhere: its membership here only, not the whole account.
    const both = await b.get(`/admin/users/${ids.both}`);
    expect(both.status).toBe(200);
    expect(both.body).toContain('only a system administrator can disable it');
    expect((await b.post(`/admin/users/${ids.both}/disable`, { csrf_token: csrf })).status).toBe(403);
    expect(await counts()).toEqual(before);
    // Their own organisation's: create (the organisation is theirs without asking), then disable.
    const form = await b.get('/admin/users/new');
    expect(form.body).toContain('Alder Surgery');
    expect(form.body).not.toContain('value="system-admin"');
    const { id } = await createUser(b, csrf, { username: 'local.made', displayName: 'Made Locally', role: 'receptionist' });
    expect((await t.platform.identity.users.findById(id))!.memberships).toEqual([{ organizationId: 'org-a', role: 'receptionist' }]);
    expect((await b.post(`/admin/users/${id}/disable`, { csrf_token: csrf })).status).toBe(303);
    expect((await b.post(`/admin/users/${ids.both}/memberships/end`, { csrf_token: csrf, organization: 'org-a' })).status).toBe(303);
    expect((await t.platform.identity.users.findById(ids.both))!.memberships.map((m) => m.organizationId)).toEqual(['org-b']);
  });

  it('bad input comes back as the form with errors and the answers kept, never a 5xx, and writes nothing', async () => {
    const { b, csrf } = await admin();
    const before = await counts();
    const cases: [Record<string, string>, string, string?][] = [
      [{ username: 'GP.A', displayName: 'Dup', organization: 'org-a', role: 'gp' }, 'An account with this user name already exists', 'GP.A'],
      [{ username: '', displayName: '', organization: '', role: '' }, 'Enter a user name'],
      [{ username: 'nul\u0000user', displayName: 'Nul\u0000Name', organization: 'org\u0000a', role: 'g\u0000p' }, 'User name must be'],
      [{ username: 'x'.repeat(5000), displayName: 'y'.repeat(5000), organization: 'z'.repeat(5000), role: 'gp' }, 'User name must be'],
      [{ username: 'ok.name', displayName: 'Kept Name', organization: 'org-a', role: 'overlord' }, 'Choose one of the roles', 'Kept Name'],
      [{ username: 'ok.name', displayName: 'Kept Name', organization: 'NOPE99', role: 'gp' }, 'No organisation has this ODS code or id', 'NOPE99'],
      [{ username: 'ok.name', displayName: '\u202e\u0007bell', organization: 'org-a', role: 'gp' }, 'without control characters'],
    ];
    for (const [fields, text, kept] of cases) {
      const res = await b.post('/admin/users', { csrf_token: csrf, ...fields });
      expect(res.status, JSON.stringify(fields).slice(0, 80)).toBe(400);
      expect(res.body).toContain('There is a problem');
      expect(res.body).toContain(text);
      if (kept) expect(res.body).toContain(`value="${kept}"`);
    }
    expect(await counts()).toEqual(before);
    for (const url of ['/admin/users?q=%00', `/admin/users?q=${'q'.repeat(300)}`, '/admin/users?after=%00', '/admin/users?q=a&q=b']) expect((await b.get(url)).status, url).toBeLessThan(500);
    expect((await b.get('/admin/users?q=%00')).status).toBe(400);
    for (const url of ['/admin/users/nobody', '/admin/users/%00', `/admin/users/${ids.resident}`]) expect((await b.get(url)).status, url).toBe(404);
    // Longer than a route parameter may be: the server's own 414.
    expect((await b.get(`/admin/users/${'x'.repeat(300)}`)).status).toBe(414);
    for (const url of ['/admin/users/nobody/disable', '/admin/clients/nobody/revoke', '/admin/clients/%00/rotate']) expect((await b.post(url, { csrf_token: csrf })).status, url).toBe(404);
    const membership = await b.post(`/admin/users/${ids.gpB}/memberships`, { csrf_token: csrf, organization: 'org-a', role: 'wizard' });
    expect(membership.status).toBe(400);
    expect(membership.body).toContain('value="org-a"');
    const end = await b.post(`/admin/users/${ids.gpB}/memberships/end`, { csrf_token: csrf, organization: 'org-z' });
    expect(end.status).toBe(400);
    const self = await b.post(`/admin/users/${ids.sysadmin}/disable`, { csrf_token: csrf });
    expect(self.status).toBe(400);
    expect(self.body).toContain('You cannot disable your own account');
    const json = await t.app.inject({ method: 'POST', url: '/admin/users', payload: '[1,2]', headers: { cookie: b.cookie, 'content-type': 'application/json', 'x-csrf-token': csrf } });
    expect(json.statusCode).toBe(400);
    const client = await b.post('/admin/clients', { csrf_token: csrf, organization: 'org-a', scope: 'patient/Observation.rs', name: 'Kept client' });
    expect(client.status).toBe(400);
    expect(client.body).toContain('system/ scopes only');
    expect(client.body).toContain('value="Kept client"');
    for (const fields of [{ organization: '', scope: '', name: '' }, { organization: 'org-a', scope: 'system/Patient.rs\u0000', name: 'n' }, { organization: 'org-a', scope: 'system/Patient.rs', name: 'n'.repeat(201) }]) {
      expect((await b.post('/admin/clients', { csrf_token: csrf, ...fields })).status).toBe(400);
    }
    expect(await counts()).toEqual(before);
  });

  it('600 seeded hostile submissions over every administration form: never a 5xx, never markup from the input', async () => {
    const { b, csrf } = await admin();
    let seed = 15;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const HOSTILE = ['', ' ', 'resident', 'carer', 'pat-1', 'rp-2', '\u0000', 'a\u0000b', 'x'.repeat(5000), '<script>alert(1)</script>', '%', '_', "'; DROP TABLE app_user; --", '\uD800', '\u202e',
      'system-admin', 'local-admin', 'gp', 'org-a', 'org-b', 'A1234', '../../etc', 'system/*.cruds', 'patient/*.rs', 'GP.A', 'ok.user'];
    const pick = () => HOSTILE[rand(HOSTILE.length)] + (rand(3) === 0 ? HOSTILE[rand(HOSTILE.length)] : '');
    const targets = [ids.gpB, ids.both, 'nobody', '%00'];
    const forms: [() => string, string[]][] = [
      [() => '/admin/users', ['username', 'displayName', 'organization', 'role']],
      [() => `/admin/users/${targets[rand(targets.length)]}/memberships`, ['organization', 'role']],
      [() => `/admin/users/${targets[rand(targets.length)]}/memberships/end`, ['organization']],
      [() => '/admin/clients', ['organization', 'scope', 'name']],
      [() => '/admin/people', ['kind', 'record', 'username', 'displayName']],
    ];
    for (let i = 0; i < 600; i++) {
      const [url, fields] = forms[rand(forms.length)];
      const u = url();
      const body: Record<string, string> = { csrf_token: csrf };
      for (const f of fields) if (rand(6) !== 0) body[f] = pick();
      const res = await b.post(u, body);
      expect(res.status, `${u} ${JSON.stringify(body).slice(0, 200)}`).toBeLessThan(500);
      expect(res.body).not.toContain('<script>alert(1)</script>');
    }
  });

  it('accounts for a resident and their carer, linked to their records: a temporary password, chosen anew at first sign-in; one account per record; a local administrator only for people registered with their organisation', async () => {
    const { b, csrf, users } = await admin();
    expect(users.body).toContain('href="/admin/people/new"');
    expect((await b.get('/admin/people/new')).status).toBe(200);
    const made: Record<string, string> = {};
    for (const [kind, record, username] of [['resident', 'pat-2', 'pat.two'], ['carer', 'rp-2', 'carer.two']]) {
      const res = await b.post('/admin/people', { csrf_token: csrf, kind, record, username, displayName: `The ${kind}` });
      expect(res.status, res.body.slice(0, 1500)).toBe(303);
      const shown = await b.get(String(res.headers.location));
      expect(shown.body).toContain('Account created for the person');
      made[kind] = secretOf(shown.body)!;
      const u = new Browser(t);
      const home = await u.signIn(username, made[kind]);
      expect((await u.get(home!)).headers.location).toBe('/choose-password');
      const choose = await u.get('/choose-password');
      const chosen = await u.post('/choose-password', { csrf_token: csrfOf(choose.body), password: NEW_PW, confirm: NEW_PW });
      expect(chosen.headers.location).toBe('/my-record');
      expect((await u.get('/my-record')).status).toBe(200);
    }
    const resident = await t.platform.identity.users.findByUsername('pat.two');
    expect(resident).toMatchObject({ kind: 'resident', patientId: 'pat-2' });
    expect((await t.platform.identity.users.findByUsername('carer.two'))!.proxyLinks).toEqual([{ relatedPersonId: 'rp-2', patientId: 'pat-2' }]);
    // The person's record shows that an account was made for it.
    expect((await auditEventsOf(t.platform.db, `UserAccount/${resident!.id}`, 'Patient/pat-2')).length).toBeGreaterThanOrEqual(1);

    const before = await counts();
    const refused: [Record<string, string>, string][] = [
      [{ kind: 'resident', record: 'pat-2', username: 'pat.two.again', displayName: 'Again' }, 'This person already has an account'],
      [{ kind: 'carer', record: 'rp-2', username: 'carer.again', displayName: 'Again' }, 'This person already has an account'],
      [{ kind: 'resident', record: 'no-such-patient', username: 'x.y.z', displayName: 'X' }, 'There is no Patient with this id'],
      [{ kind: 'carer', record: 'pat-3', username: 'x.y.z', displayName: 'X' }, 'There is no RelatedPerson with this id'],
      [{ kind: 'guardian', record: 'pat-3', username: 'x.y.z', displayName: 'X' }, 'Choose whether the account is for a resident or a carer'],
      [{ kind: 'resident', record: 'pat\u00003', username: 'x.y.z', displayName: 'X' }, 'A record id is letters'],
    ];
    for (const [fields, text] of refused) {
      const res = await b.post('/admin/people', { csrf_token: csrf, ...fields });
      expect(res.status, text).toBe(400);
      expect(res.body).toContain(text);
    }
    // A local administrator of another organisation cannot link a person registered elsewhere.
    await createStaff(t.platform, 'local.b', PW, [{ organizationId: 'org-b', role: 'local-admin' }]);
    const other = await admin('local.b');
    const res = await other.b.post('/admin/people', { csrf_token: other.csrf, kind: 'resident', record: 'pat-3', username: 'pat.three', displayName: 'Pat Three' });
    expect(res.status).toBe(400);
    expect(res.body).toContain('You can create accounts only for people registered with your organisation');
    expect((await counts()).users).toBe(before.users + 1); // local.b only
    expect(await t.platform.identity.users.findByUsername('pat.three')).toBeUndefined();
  });

  it('a client registered in the web app gets a token; a rotated secret and a revoked client do not, and their tokens stop working', async () => {
    const { b, csrf } = await admin();
    const res = await b.post('/admin/clients', { csrf_token: csrf, organization: 'A1234', scope: 'system/Patient.rs system/Organization.rs', name: 'Alder lab feed' });
    expect(res.status).toBe(303);
    const shown = await b.get(String(res.headers.location));
    expect(shown.body).toContain('API client registered');
    const clientId = /Client id (onestory-[0-9a-f]+), secret/.exec(shown.body)![1];
    const clientSecret = secretOf(shown.body)!;
    expect(secretOf((await b.get(String(res.headers.location))).body)).toBeUndefined();
    const list = await b.get('/admin/clients');
    expect(list.body).toContain('Alder lab feed');
    expect(list.body).toContain('system/Patient.rs system/Organization.rs');

    const token = await clientCredentials(t.app, { clientId, clientSecret });
    expect(token.statusCode).toBe(200);
    const bearer = `Bearer ${token.json().access_token}`;
    expect((await fhir(t.app, 'GET', '/fhir/R4/Organization/org-a', undefined, { authorization: bearer })).status).toBe(200);

    const rotated = await b.post(`/admin/clients/${clientId}/rotate`, { csrf_token: csrf });
    expect(rotated.status).toBe(303);
    const newSecret = secretOf((await b.get(String(rotated.headers.location))).body)!;
    expect(newSecret).not.toBe(clientSecret);
    expect((await clientCredentials(t.app, { clientId, clientSecret })).statusCode).toBe(401);
    expect((await fhir(t.app, 'GET', '/fhir/R4/Organization/org-a', undefined, { authorization: bearer })).status).toBe(401);
    const second = await clientCredentials(t.app, { clientId, clientSecret: newSecret });
    expect(second.statusCode).toBe(200);
    const bearer2 = `Bearer ${second.json().access_token}`;

    expect((await b.post(`/admin/clients/${clientId}/revoke`, { csrf_token: csrf })).status).toBe(303);
    expect((await b.get('/admin/clients?done=revoked')).body).toContain('Revoked');
    expect((await clientCredentials(t.app, { clientId, clientSecret: newSecret })).statusCode).toBe(401);
    expect((await fhir(t.app, 'GET', '/fhir/R4/Organization/org-a', undefined, { authorization: bearer2 })).status).toBe(401);

    // A local administrator sees and registers their own organisation's clients only.
    const local = await admin('local.a');
    const theirs = await local.b.get('/admin/clients');
    expect(theirs.body).toContain('Alder lab feed');
    expect(theirs.body).not.toContain('Test integration');
    const elsewhere = await local.b.post('/admin/clients', { csrf_token: local.csrf, organization: 'org-b', scope: 'system/Patient.rs', name: 'x' });
    expect(elsewhere.status).toBe(400);
  });
});
