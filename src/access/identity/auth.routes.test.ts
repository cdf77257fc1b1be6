import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { authenticate } from './authenticate.js';
import { identityFor } from './identity.js';
import { createOrganization, createPatient, createResident, createStaff, fakeClock, signIn } from './identity.test-helpers.js';
import { SIGN_IN_FAILED } from './session.service.js';

let t: TestPlatform;
let clock: ReturnType<typeof fakeClock>;

beforeAll(async () => {
  t = await createTestPlatform();
  clock = fakeClock(t.platform);
  await createOrganization(t.platform, 'org-a', 'A11111', 'Practice A');
  await createOrganization(t.platform, 'org-b', 'B22222', 'Council B');
  await createPatient(t.platform, 'pat-1');
  await createStaff(t.platform, 'gp.one', 'correct horse battery', [{ organizationId: 'org-a', role: 'gp', practitionerId: 'prac-1' }]);
  await createStaff(t.platform, 'two.orgs', 'correct horse battery', [
    { organizationId: 'org-a', role: 'practice-nurse' },
    { organizationId: 'org-b', role: 'social-worker' },
  ]);
  await createStaff(t.platform, 'locky', 'correct horse battery', [{ organizationId: 'org-a', role: 'receptionist' }]);
  await createResident(t.platform, 'resident.one', 'resident secret 1', 'pat-1');
});
afterAll(async () => t?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}, remoteAddress?: string) =>
  t.app.inject({ method: 'POST', url, payload: payload as any, headers, ...(remoteAddress ? { remoteAddress } : {}) });

describe('sign-in', () => {
  it('signs in with the right password and sets a HttpOnly SameSite session cookie', async () => {
    const res = await post('/auth/sign-in', { username: 'gp.one', password: 'correct horse battery' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user).toMatchObject({ kind: 'staff', role: 'gp', organizationId: 'org-a', organizationIds: ['org-a'], practitionerId: 'prac-1', username: 'gp.one' });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^onestory_session=[A-Za-z0-9_-]{40,}; /);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Secure/); // plain http in the test
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('marks the cookie Secure over https', async () => {
    // fastify reports https only for TLS sockets; a configured https public URL also turns Secure on.
    const saved = t.platform.config.baseUrl;
    (t.platform.config as { baseUrl?: string }).baseUrl = 'https://onestory.example/fhir/R4';
    try {
      const secure = await post('/auth/sign-in', { username: 'gp.one', password: 'correct horse battery' }, {}, '10.9.9.10');
      expect(String(secure.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      (t.platform.config as { baseUrl?: string }).baseUrl = saved;
    }
  });

  it('accepts a form and answers the same for an unknown user and a wrong password', async () => {
    const form = await post('/auth/sign-in', 'username=resident.one&password=resident+secret+1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.statusCode).toBe(200);
    expect(form.json().user).toMatchObject({ kind: 'resident', patientId: 'pat-1' });

    const wrong = await post('/auth/sign-in', { username: 'gp.one', password: 'nope' });
    const unknown = await post('/auth/sign-in', { username: 'nobody.here', password: 'nope' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().issue[0]).toMatchObject({ code: 'login', diagnostics: SIGN_IN_FAILED });
    expect(unknown.body).toBe(wrong.body);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('refuses bad input with 400 and no session', async () => {
    expect((await post('/auth/sign-in', { username: 'gp.one' })).statusCode).toBe(400);
    expect((await post('/auth/sign-in', [1, 2])).statusCode).toBe(400);
    expect((await post('/auth/sign-in', { username: 'x'.repeat(300), password: 'y' })).statusCode).toBe(400);
    expect((await post('/auth/sign-in', '{not json', { 'content-type': 'application/json' })).statusCode).toBe(400);
  });

  it('asks staff of several organisations which one they act for', async () => {
    const res = await post('/auth/sign-in', { username: 'two.orgs', password: 'correct horse battery' });
    expect(res.statusCode).toBe(400);
    expect(res.json().organizations).toEqual([{ id: 'org-a', name: 'Practice A' }, { id: 'org-b', name: 'Council B' }]);
    const ok = await signIn(t.app, 'two.orgs', 'correct horse battery', { organization: 'org-b' });
    expect(ok.body.user).toMatchObject({ role: 'social-worker', organizationId: 'org-b', organizationIds: ['org-a', 'org-b'] });
    const notMine = await post('/auth/sign-in', { username: 'two.orgs', password: 'correct horse battery', organization: 'org-zzz' });
    expect(notMine.statusCode).toBe(400);
  });

  it('locks an account after 5 failures for 15 minutes, with the same answer', async () => {
    for (let i = 0; i < 5; i++) expect((await post('/auth/sign-in', { username: 'locky', password: `bad ${i}` }, {}, '10.0.0.1')).statusCode).toBe(401);
    const locked = await post('/auth/sign-in', { username: 'locky', password: 'correct horse battery' }, {}, '10.0.0.1');
    expect(locked.statusCode).toBe(401);
    expect(locked.json().issue[0].diagnostics).toBe(SIGN_IN_FAILED);
    clock.advance(14 * 60_000);
    expect((await post('/auth/sign-in', { username: 'locky', password: 'correct horse battery' }, {}, '10.0.0.1')).statusCode).toBe(401);
    clock.advance(2 * 60_000);
    expect((await post('/auth/sign-in', { username: 'locky', password: 'correct horse battery' }, {}, '10.0.0.1')).statusCode).toBe(200);
  });

  it('limits failed sign-ins from one address (429 with Retry-After)', async () => {
    const limit = identityFor(t.platform).settings.addressFailureLimit;
    for (let i = 0; i < limit; i++) await post('/auth/sign-in', { username: `someone${i}`, password: 'guess' }, {}, '10.0.0.2');
    const res = await post('/auth/sign-in', { username: 'gp.one', password: 'correct horse battery' }, {}, '10.0.0.2');
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is unaffected.
    expect((await post('/auth/sign-in', { username: 'gp.one', password: 'correct horse battery' }, {}, '10.0.0.3')).statusCode).toBe(200);
    clock.advance(identityFor(t.platform).settings.addressFailureWindowMs + 1000);
    expect((await post('/auth/sign-in', { username: 'gp.one', password: 'correct horse battery' }, {}, '10.0.0.2')).statusCode).toBe(200);
  });
});

describe('sessions', () => {
  const session = (cookie?: string) => t.app.inject({ method: 'GET', url: '/auth/session', headers: cookie ? { cookie } : {} });

  it('GET /auth/session gives the user and CSRF token; 401 without a session', async () => {
    const s = await signIn(t.app, 'gp.one', 'correct horse battery');
    const res = await session(s.cookie);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: { role: 'gp' }, csrfToken: s.csrf });
    expect((await session()).statusCode).toBe(401);
    expect((await session('onestory_session=forged-token-value-aaaaaaaaaaaaaaaaaaaaaa')).statusCode).toBe(401);
  });

  it('expires after 30 idle minutes, and activity keeps it alive', async () => {
    const s = await signIn(t.app, 'gp.one', 'correct horse battery');
    clock.advance(20 * 60_000);
    expect((await session(s.cookie)).statusCode).toBe(200);
    clock.advance(20 * 60_000); // 40 minutes since sign-in, 20 since last use
    expect((await session(s.cookie)).statusCode).toBe(200);
    clock.advance(31 * 60_000);
    expect((await session(s.cookie)).statusCode).toBe(401);
  });

  it('expires 12 hours after sign-in however active', async () => {
    const s = await signIn(t.app, 'gp.one', 'correct horse battery');
    for (let i = 0; i < 24; i++) {
      clock.advance(29 * 60_000);
      expect((await session(s.cookie)).statusCode).toBe(200);
    }
    clock.advance(25 * 60_000); // 12 h 21 min
    expect((await session(s.cookie)).statusCode).toBe(401);
  });

  it('sign-out ends the session on the server; it needs the CSRF token', async () => {
    const s = await signIn(t.app, 'gp.one', 'correct horse battery');
    expect((await post('/auth/sign-out', '', { cookie: s.cookie })).statusCode).toBe(403);
    expect((await post('/auth/sign-out', '', { cookie: s.cookie, 'x-csrf-token': 'wrong' })).statusCode).toBe(403);
    expect((await session(s.cookie)).statusCode).toBe(200);
    const out = await post('/auth/sign-out', '', { cookie: s.cookie, 'x-csrf-token': s.csrf });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^onestory_session=; .*Max-Age=0/);
    // The old cookie, replayed, is dead.
    expect((await session(s.cookie)).statusCode).toBe(401);
    const ended = await t.platform.db.query('SELECT count(*)::int AS n FROM web_session WHERE ended_at IS NOT NULL');
    expect(ended.rows[0].n).toBeGreaterThan(0);
  });

  it('stores only a hash of the session token', async () => {
    const s = await signIn(t.app, 'gp.one', 'correct horse battery');
    const token = s.cookie.split('=')[1];
    const r = await t.platform.db.query('SELECT count(*)::int AS n FROM web_session WHERE token_hash = $1', [token]);
    expect(r.rows[0].n).toBe(0);
  });
});

describe('authenticate() with the session cookie', () => {
  const fakeReq = (method: string, headers: Record<string, string>, body?: unknown) =>
    ({ method, headers, body, protocol: 'http' }) as any;

  it('returns the principal for GET, and demands the CSRF token for state-changing methods', async () => {
    const s = await signIn(t.app, 'gp.one', 'correct horse battery');
    const p = await authenticate(fakeReq('GET', { cookie: s.cookie }), t.platform);
    expect(p).toMatchObject({ kind: 'staff', role: 'gp', via: 'session' });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      await expect(authenticate(fakeReq(method, { cookie: s.cookie }), t.platform)).rejects.toMatchObject({ status: 403 });
      await expect(authenticate(fakeReq(method, { cookie: s.cookie, 'x-csrf-token': 'nope' }), t.platform)).rejects.toMatchObject({ status: 403 });
    }
    expect(await authenticate(fakeReq('POST', { cookie: s.cookie, 'x-csrf-token': s.csrf }), t.platform)).toMatchObject({ kind: 'staff' });
    const form = fakeReq('POST', { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, `csrf_token=${encodeURIComponent(s.csrf)}&a=b`);
    expect(await authenticate(form, t.platform)).toMatchObject({ kind: 'staff' });
  });

  it('is anonymous without credentials or with an ended session', async () => {
    expect(await authenticate(fakeReq('GET', {}), t.platform)).toBeUndefined();
    expect(await authenticate(fakeReq('POST', { cookie: 'onestory_session=unknown-token-aaaaaaaaaaaaaaaaaaaaaaaa' }), t.platform)).toBeUndefined();
  });
});
