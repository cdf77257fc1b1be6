import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { identityFor } from './identity.js';
import { createOrganization, createStaff, signIn } from './identity.test-helpers.js';
import { identityTextProblem, isUsableText, SIGN_IN_RULES } from './text-input.js';

// Whatever a client sends to the sign-in and OAuth endpoints, the answer is below 500, and they keep
// working for honest clients afterwards: the identity layer's side of src/fhir/rest/bad-input.test.ts.
let t: TestPlatform;
let app: { id: string; secret: string };
let staff: { cookie: string; csrf: string };
const REDIRECT = 'http://127.0.0.1:9999/callback';

beforeAll(async () => {
  t = await createTestPlatform();
  await createOrganization(t.platform, 'org-gp', 'G82001');
  // Registered at gp.one's practice: the launch the fuzz ends with is for a patient gp.one sees.
  await t.platform.resources.update('Patient', 'pat-1', { resourceType: 'Patient', id: 'pat-1', generalPractitioner: [{ reference: 'Organization/org-gp' }] });
  await createStaff(t.platform, 'gp.one', 'gp pass 1', [{ organizationId: 'org-gp', role: 'gp', practitionerId: 'prac-1' }]);
  // Not fuzzed (the fuzz locks gp.one out with wrong passwords): shows sign-in still works afterwards.
  await createStaff(t.platform, 'gp.two', 'gp pass 2', [{ organizationId: 'org-gp', role: 'gp' }]);
  const a = await identityFor(t.platform).clients.register({ ods: 'G82001', scope: 'patient/*.rs user/*.rs launch/patient openid fhirUser', redirectUris: [REDIRECT], name: 'Fuzz app' });
  app = { id: a.clientId, secret: a.clientSecret! };
  staff = await signIn(t.app, 'gp.one', 'gp pass 1');
});
afterAll(async () => t?.close());

/** mulberry32: a small seeded PRNG, so the corpus is the same on every run. */
function prng(seedValue: number) {
  let a = seedValue >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

const HOSTILE: string[] = [
  '', ' ', 'fuzz\u0000x', '\u0000', 'a\u0001b', '\u007f', '\u0085', 'x\ny', '\r\n\r\nSet-Cookie: a=b', '\uD800', 'x\uDC00', '\u202E', '\uFEFF',
  '%00', '%', '%zz', '%E0%A4%A', '../../etc/passwd', "' OR 1=1 --", '"); DROP TABLE app_user; --', '<script>alert(1)</script>',
  'javascript:alert(1)', 'http://evil.example/cb', '//evil.example', 'http://127.0.0.1:9999/callback#x', 'x'.repeat(5000), 'x'.repeat(70_000),
  'null', 'undefined', '[]', '{}', '__proto__', 'constructor', 'toString', 'Patient/pat-1', 'pat-1\u0000', '日本語', '🙂'.repeat(300),
];
const JSON_ODD: unknown[] = [null, true, 0, -1, 1e308, [], ['x'], {}, { toString: 'x' }];

/** The fixed list, then seeded random strings drawn from the awkward parts of Unicode. */
function corpus(seedValue: number, extra: number): string[] {
  const r = prng(seedValue);
  const alphabet = ['a', 'Z', '0', '\u0000', '\u0008', '\u001f', '\u007f', '\u00a0', '\u2028', '\uD83D', '\uDE00', '%', '&', '=', '+', '#', '?', '/', '\\', '"', "'", '<', ' '];
  const generated = Array.from({ length: extra }, () => Array.from({ length: 1 + r.int(40) }, () => r.pick(alphabet)).join(''));
  return [...HOSTILE, ...generated];
}

const VALUES = corpus(16, 16);
let address = 0;
/** A fresh client address per request: the sign-in rate limit would otherwise answer 429 before the deep paths are reached. */
const nextAddress = () => `10.16.${Math.floor(++address / 250) % 250}.${(address % 250) + 1}`;

function expectSafe(res: { statusCode: number; body: string }, what: string) {
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(500);
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
/** Percent-encodes the UTF-8 bytes (encodeURIComponent throws on a lone surrogate; Buffer writes U+FFFD). */
const pct = (v: string) => [...Buffer.from(v, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

describe('identityTextProblem', () => {
  it('refuses NUL and control characters and broken UTF-16, names the field, and lets passwords hold a tab', () => {
    expect(identityTextProblem({ username: 'fuzz\u0000x' }, SIGN_IN_RULES)).toMatch(/^username contains characters that are not allowed/);
    expect(identityTextProblem({ username: 'a\u0007b' })).toMatch(/^username/);
    expect(identityTextProblem({ state: '\uD800' })).toMatch(/^state/);
    expect(identityTextProblem({ username: 'x'.repeat(201) }, SIGN_IN_RULES)).toMatch(/^username is too long/);
    expect(identityTextProblem({ password: 'tab\there' }, SIGN_IN_RULES)).toBeUndefined();
    expect(identityTextProblem({ password: 'nul\u0000here' }, SIGN_IN_RULES)).toMatch(/^password/);
    expect(identityTextProblem({ username: 'Zoë O’Brien-日本 🙂', organization: undefined }, SIGN_IN_RULES)).toBeUndefined();
    expect(isUsableText('🙂')).toBe(true);
  });
});

describe('POST /auth/sign-in', () => {
  it('answers a NUL in the user name with a 400 naming the field, as JSON and as a form, and no session', async () => {
    const json = await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username: 'fuzz\u0000x', password: 'x' }, remoteAddress: nextAddress() });
    expect(json.statusCode, json.body).toBe(400);
    expect(json.json().resourceType).toBe('OperationOutcome');
    expect(json.body).toMatch(/username contains characters that are not allowed/);
    expect(json.headers['set-cookie']).toBeUndefined();
    const viaForm = await t.app.inject({
      method: 'POST', url: '/auth/sign-in', payload: 'username=fuzz%00x&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, remoteAddress: nextAddress(),
    });
    expect(viaForm.statusCode, viaForm.body).toBe(400);
  });

  it('never answers 5xx to hostile values in any field, as JSON or as a form', { timeout: 240_000 }, async () => {
    const base = { username: 'gp.one', password: 'gp pass 1', organization: 'org-gp', return_to: '/oauth2/authorize?client_id=x' };
    for (const field of Object.keys(base) as (keyof typeof base)[]) {
      for (const value of VALUES) {
        const fields = { ...base, [field]: value };
        const what = `sign-in ${field}=${JSON.stringify(value).slice(0, 40)}`;
        expectSafe(await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: fields, remoteAddress: nextAddress() }), `${what} (JSON)`);
        expectSafe(await t.app.inject({
          method: 'POST', url: '/auth/sign-in', payload: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' }, remoteAddress: nextAddress(),
        }), `${what} (form)`);
      }
      for (const odd of JSON_ODD) {
        expectSafe(await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { ...base, [field]: odd } as never, remoteAddress: nextAddress() }), `sign-in ${field}=${JSON.stringify(odd)}`);
      }
    }
    // Raw form bodies: encodings that are not valid, repeated fields.
    for (const raw of ['username=%00&password=x', 'username=%&password=%', 'username=a&username=b&password=x', '&&&=&', '%E0%A4%A=x']) {
      expectSafe(await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: raw, headers: { 'content-type': 'application/x-www-form-urlencoded' }, remoteAddress: nextAddress() }), `sign-in raw ${raw}`);
    }
    const after = await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username: 'gp.two', password: 'gp pass 2' }, remoteAddress: nextAddress() });
    expect(after.statusCode, after.body).toBe(200);
  });
});

describe('POST /auth/sign-out and GET /auth/session', () => {
  it('never answers 5xx to a hostile cookie or CSRF token', { timeout: 240_000 }, async () => {
    for (const value of VALUES) {
      const cookie = `onestory_session=${pct(value)}`;
      const rawCookie = `onestory_session=${value.replace(/[\r\n]/g, '')}`;
      for (const c of [cookie, rawCookie]) {
        expectSafe(await t.app.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie: c } }), `sign-out cookie ${JSON.stringify(value).slice(0, 40)}`);
        expectSafe(await t.app.inject({ method: 'GET', url: '/auth/session', headers: { cookie: c } }), `session cookie ${JSON.stringify(value).slice(0, 40)}`);
      }
      // A header value can only carry printable ASCII through inject: others go in the form field below.
      if (/^[\x20-\x7e]*$/.test(value)) {
        expectSafe(await t.app.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie: staff.cookie, 'x-csrf-token': value } }), `sign-out csrf ${value.slice(0, 40)}`);
      }
      expectSafe(await t.app.inject({
        method: 'POST', url: '/auth/sign-out', headers: { cookie: staff.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ csrf_token: value }),
      }), `sign-out csrf field ${JSON.stringify(value).slice(0, 40)}`);
    }
    expect((await t.app.inject({ method: 'GET', url: '/auth/session', headers: { cookie: staff.cookie } })).statusCode).toBe(200);
  });
});

describe('/oauth2/authorize', () => {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const good = () => ({
    response_type: 'code', client_id: app.id, redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs', state: 's',
    code_challenge: challenge, code_challenge_method: 'S256', patient: 'pat-1', aud: 'http://localhost:80/fhir/R4', launch: 'x',
  });

  it('never answers 5xx to hostile values in any parameter, signed in or not, GET or POST', { timeout: 240_000 }, async () => {
    for (const field of Object.keys(good())) {
      for (const value of VALUES) {
        const q = form({ ...good(), [field]: value });
        const what = `authorize ${field}=${JSON.stringify(value).slice(0, 40)}`;
        expectSafe(await t.app.inject({ method: 'GET', url: `/oauth2/authorize?${q}` }), what);
        expectSafe(await t.app.inject({ method: 'GET', url: `/oauth2/authorize?${q}`, headers: { cookie: staff.cookie } }), `${what} (signed in)`);
        expectSafe(await t.app.inject({
          method: 'POST', url: '/oauth2/authorize', payload: q, headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrf, 'content-type': 'application/x-www-form-urlencoded' },
        }), `${what} (POST)`);
      }
      expectSafe(await t.app.inject({ method: 'GET', url: `/oauth2/authorize?${form(good())}&${field}=again`, headers: { cookie: staff.cookie } }), `authorize ${field} twice`);
    }
    const ok = await t.app.inject({ method: 'GET', url: `/oauth2/authorize?${form(good())}`, headers: { cookie: staff.cookie } });
    expect(ok.statusCode).toBe(302);
    expect(String(ok.headers.location)).toMatch(/[?&]code=/);
  });
});

describe('POST /oauth2/token', () => {
  it('never answers 5xx to hostile values in any field or in the Basic credentials', { timeout: 240_000 }, async () => {
    const base = {
      grant_type: 'authorization_code', client_id: app.id, client_secret: app.secret, code: 'c'.repeat(43),
      code_verifier: 'v'.repeat(43), redirect_uri: REDIRECT, scope: 'patient/*.rs',
    };
    const post = (payload: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: '/oauth2/token', payload, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    for (const field of Object.keys(base)) {
      for (const value of VALUES) {
        expectSafe(await post(form({ ...base, [field]: value })), `token ${field}=${JSON.stringify(value).slice(0, 40)}`);
        expectSafe(await post(form({ ...base, grant_type: 'client_credentials', [field]: value })), `token (client credentials) ${field}=${JSON.stringify(value).slice(0, 40)}`);
      }
    }
    for (const value of VALUES) {
      const basic = Buffer.from(`${pct(value)}:${pct(value)}`).toString('base64');
      const rawBasic = Buffer.from(`${value}:${value}`).toString('base64');
      for (const b of [basic, rawBasic]) expectSafe(await post(form({ grant_type: 'client_credentials' }), { authorization: `Basic ${b}` }), `token Basic ${JSON.stringify(value).slice(0, 40)}`);
    }
    expectSafe(await t.app.inject({ method: 'POST', url: '/oauth2/token', payload: { grant_type: 'client_credentials' } }), 'token as JSON');
  });
});

describe('/.well-known/*', () => {
  it('never answers 5xx to hostile query strings', { timeout: 240_000 }, async () => {
    for (const path of ['/.well-known/smart-configuration', '/fhir/R4/.well-known/smart-configuration', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      for (const value of VALUES.slice(0, 30)) {
        expectSafe(await t.app.inject({ method: 'GET', url: `${path}?x=${pct(value)}` }), `${path} ${JSON.stringify(value).slice(0, 40)}`);
      }
      expectSafe(await t.app.inject({ method: 'GET', url: `${path}?%zz=%` }), `${path} bad encoding`);
    }
  });
});
