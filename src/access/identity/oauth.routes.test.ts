import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { authenticate } from './authenticate.js';
import { identityFor } from './identity.js';
import { JwtService } from './jwt.service.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { createOrganization, createPatient, createResident, createStaff, fakeClock, signIn } from './identity.test-helpers.js';

let t: TestPlatform;
let clock: ReturnType<typeof fakeClock>;
let app: { id: string; secret: string };
let sys: { id: string; secret: string };
const REDIRECT = 'http://127.0.0.1:9999/callback';
const FHIR_BASE = 'http://localhost:80/fhir/R4';

beforeAll(async () => {
  t = await createTestPlatform();
  clock = fakeClock(t.platform);
  await createOrganization(t.platform, 'org-gp', 'G82001');
  await createOrganization(t.platform, 'org-icb', 'QKS');
  await createPatient(t.platform, 'pat-1');
  await createPatient(t.platform, 'pat-2');
  // Registered at gp.one's practice, so gp.one sees it (pat-1 stays hidden from gp.one).
  await t.platform.resources.update('Patient', 'pat-2', { resourceType: 'Patient', id: 'pat-2', name: [{ given: ['Pat'], family: 'pat-2' }], generalPractitioner: [{ reference: 'Organization/org-gp' }] });
  await createResident(t.platform, 'resident.one', 'resident pass 1', 'pat-1');
  await createStaff(t.platform, 'gp.one', 'gp pass 1', [{ organizationId: 'org-gp', role: 'gp', practitionerId: 'prac-1' }]);
  await createStaff(t.platform, 'analyst', 'analyst pass 1', [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  const clients = identityFor(t.platform).clients;
  const a = await clients.register({ ods: 'G82001', scope: 'patient/*.cruds user/*.cruds launch/patient openid fhirUser', redirectUris: [REDIRECT], name: 'Test app' });
  app = { id: a.clientId, secret: a.clientSecret! };
  const s = await clients.register({ ods: 'G82001', scope: 'system/Patient.rs system/Observation.read' });
  sys = { id: s.clientId, secret: s.clientSecret! };
});
afterAll(async () => t?.close());

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string | undefined>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `/oauth2/authorize?${q}`;
}

function authParams(challenge: string, extra: Record<string, string | undefined> = {}) {
  return {
    response_type: 'code', client_id: app.id, redirect_uri: REDIRECT, scope: 'launch/patient patient/*.rs openid fhirUser',
    state: 'st-123', aud: FHIR_BASE, code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  };
}

async function getCode(cookie: string, challenge: string, extra: Record<string, string | undefined> = {}) {
  const res = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(challenge, extra)), headers: { cookie } });
  expect(res.statusCode, res.body).toBe(302);
  const loc = new URL(String(res.headers.location));
  expect(loc.origin + loc.pathname).toBe(REDIRECT);
  expect(loc.searchParams.get('state')).toBe('st-123');
  return loc.searchParams.get('code')!;
}

const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/oauth2/token', payload: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

const bearerReq = (tok: string, host = 'localhost:80') => ({ method: 'GET', headers: { authorization: `Bearer ${tok}`, host }, protocol: 'http' }) as any;

describe('discovery', () => {
  it('serves the SMART configuration at the root and under the FHIR base', async () => {
    for (const url of ['/.well-known/smart-configuration', '/fhir/R4/.well-known/smart-configuration']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        authorization_endpoint: 'http://localhost:80/oauth2/authorize',
        token_endpoint: 'http://localhost:80/oauth2/token',
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code', 'client_credentials'],
      });
      expect(res.json().capabilities).toContain('launch-standalone');
    }
    const jwks = await t.app.inject({ method: 'GET', url: '/oauth2/jwks' });
    expect(jwks.json().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwks.json().keys[0].d).toBeUndefined();
  });
});

describe('authorization code with PKCE', () => {
  it('a browser without a session gets the sign-in page, and comes back after signing in', async () => {
    const { challenge } = pkce();
    const url = authorizeUrl(authParams(challenge));
    const page = await t.app.inject({ method: 'GET', url });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('name="return_to"');
    const returnTo = /name="return_to" value="([^"]+)"/.exec(page.body)![1].replace(/&amp;/g, '&');
    const form = new URLSearchParams({ username: 'resident.one', password: 'resident pass 1', return_to: returnTo }).toString();
    const signedIn = await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe(returnTo);
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0];
    const back = await t.app.inject({ method: 'GET', url: String(signedIn.headers.location), headers: { cookie } });
    expect(back.statusCode).toBe(302);
    expect(String(back.headers.location)).toMatch(/^http:\/\/127\.0\.0\.1:9999\/callback\?code=/);
  });

  it('never redirects to an open return_to', async () => {
    const form = new URLSearchParams({ username: 'resident.one', password: 'resident pass 1', return_to: 'https://evil.example/' }).toString();
    const res = await t.app.inject({ method: 'POST', url: '/auth/sign-in', payload: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
  });

  it('a resident gets a token for themselves; the token authenticates as them', async () => {
    const s = await signIn(t.app, 'resident.one', 'resident pass 1');
    const { verifier, challenge } = pkce();
    const code = await getCode(s.cookie, challenge);
    const res = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(app.id, app.secret));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600, patient: 'pat-1', scope: 'launch/patient patient/*.rs openid fhirUser', fhirUser: 'Patient/pat-1' });
    const claims = decodeJwt(body.access_token);
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(claims).toMatchObject({ iss: 'http://localhost:80', aud: FHIR_BASE, patient: 'pat-1', fhirUser: 'Patient/pat-1', client_id: app.id });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(typeof claims.jti).toBe('string');
    const p = await authenticate(bearerReq(body.access_token), t.platform);
    expect(p).toMatchObject({ kind: 'resident', patientId: 'pat-1', via: 'token', credentialId: claims.jti });
    expect(p!.scopes).toEqual([{ context: 'patient', resourceType: '*', interactions: new Set(['r', 's']) }]);
  });

  it('staff choose a patient (a chooser page, or the patient parameter); the token carries organisation and patient', async () => {
    const s = await signIn(t.app, 'gp.one', 'gp pass 1');
    const { verifier, challenge } = pkce();
    const chooser = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(challenge)), headers: { cookie: s.cookie } });
    expect(chooser.statusCode).toBe(200);
    expect(chooser.body).toContain('Choose a patient');
    const unknown = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(challenge, { patient: 'nope' })), headers: { cookie: s.cookie } });
    expect(unknown.statusCode).toBe(400);
    const code = await getCode(s.cookie, challenge, { patient: 'pat-2' });
    const res = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.id, client_secret: app.secret });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ patient: 'pat-2', fhirUser: 'Practitioner/prac-1' });
    const p = await authenticate(bearerReq(res.json().access_token), t.platform);
    expect(p).toMatchObject({ kind: 'staff', role: 'gp', organizationId: 'org-gp', patientId: 'pat-2', practitionerId: 'prac-1' });
  });

  it('answers a patient hidden from the user exactly as a missing one: no code, same status, same page', async () => {
    const s = await signIn(t.app, 'gp.one', 'gp pass 1');
    const { challenge } = pkce();
    const codes = async () => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM authorization_code')).rows[0].n);
    const before = await codes();
    const hidden = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(challenge, { patient: 'pat-1' })), headers: { cookie: s.cookie } });
    const missing = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(challenge, { patient: 'pat-none' })), headers: { cookie: s.cookie } });
    expect(hidden.statusCode).toBe(400);
    expect(missing.statusCode).toBe(hidden.statusCode);
    expect(missing.body).toBe(hidden.body);
    expect(hidden.headers.location).toBeUndefined();
    expect(await codes()).toBe(before);
  });

  it('refuses a wrong verifier, a replayed code (revoking its tokens) and an expired code with invalid_grant', async () => {
    const s = await signIn(t.app, 'resident.one', 'resident pass 1');
    const { verifier, challenge } = pkce();
    const wrong = await token({ grant_type: 'authorization_code', code: await getCode(s.cookie, challenge), redirect_uri: REDIRECT, code_verifier: pkce().verifier }, basic(app.id, app.secret));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json()).toMatchObject({ error: 'invalid_grant' });

    const code = await getCode(s.cookie, challenge);
    const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(app.id, app.secret));
    expect(first.statusCode).toBe(200);
    const issued = first.json().access_token;
    expect(await authenticate(bearerReq(issued), t.platform)).toMatchObject({ kind: 'resident' });
    const replay = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(app.id, app.secret));
    expect(replay.statusCode).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already been used/) });
    await expect(authenticate(bearerReq(issued), t.platform)).rejects.toMatchObject({ status: 401 });

    const late = await getCode(s.cookie, challenge);
    clock.advance(3 * 60_000);
    const expired = await token({ grant_type: 'authorization_code', code: late, redirect_uri: REDIRECT, code_verifier: verifier }, basic(app.id, app.secret));
    expect(expired.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/expired/) });
  });

  it('requires PKCE S256, a registered redirect URI, and the right client', async () => {
    const s = await signIn(t.app, 'resident.one', 'resident pass 1');
    const noPkce = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams('x', { code_challenge: undefined })), headers: { cookie: s.cookie } });
    expect(noPkce.statusCode).toBe(302);
    expect(new URL(String(noPkce.headers.location)).searchParams.get('error')).toBe('invalid_request');
    const plain = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(pkce().challenge, { code_challenge_method: 'plain' })), headers: { cookie: s.cookie } });
    expect(new URL(String(plain.headers.location)).searchParams.get('error')).toBe('invalid_request');
    const badRedirect = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(pkce().challenge, { redirect_uri: 'https://evil.example/cb' })), headers: { cookie: s.cookie } });
    expect(badRedirect.statusCode).toBe(400);
    expect(badRedirect.headers.location).toBeUndefined();
    const badClient = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(pkce().challenge, { client_id: sys.id })), headers: { cookie: s.cookie } });
    expect(badClient.statusCode).toBe(400);
    const twice = await t.app.inject({ method: 'GET', url: `${authorizeUrl(authParams(pkce().challenge))}&state=again`, headers: { cookie: s.cookie } });
    expect(twice.statusCode).toBe(400);

    const { verifier, challenge } = pkce();
    const code = await getCode(s.cookie, challenge);
    const otherClient = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, basic(sys.id, sys.secret));
    expect(otherClient.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses scope escalation: beyond the client registration or beyond the user role', async () => {
    const resident = await signIn(t.app, 'resident.one', 'resident pass 1');
    const analyst = await signIn(t.app, 'analyst', 'analyst pass 1');
    const errorOf = async (cookie: string, scope: string) => {
      const res = await t.app.inject({ method: 'GET', url: authorizeUrl(authParams(pkce().challenge, { scope, patient: 'pat-1' })), headers: { cookie } });
      expect(res.statusCode).toBe(302);
      return new URL(String(res.headers.location)).searchParams.get('error');
    };
    expect(await errorOf(resident.cookie, 'system/*.rs')).toBe('invalid_scope');
    expect(await errorOf(resident.cookie, 'user/*.rs')).toBe('invalid_scope'); // residents act in patient context only
    expect(await errorOf(resident.cookie, 'patient/*.cruds')).toBe('invalid_scope'); // no deletes for residents
    expect(await errorOf(analyst.cookie, 'user/Patient.cruds')).toBe('invalid_scope'); // analysts only read
    expect(await errorOf(resident.cookie, 'patient/Observation.rs?category=laboratory')).toBe('invalid_scope');
    expect(await errorOf(resident.cookie, 'patient/Observation.sr')).toBe('invalid_scope');
  });
});

describe('client credentials', () => {
  it('issues a system token with client_secret_basic and client_secret_post', async () => {
    const a = await token({ grant_type: 'client_credentials', scope: 'system/Patient.rs' }, basic(sys.id, sys.secret));
    expect(a.statusCode, a.body).toBe(200);
    expect(a.json()).toMatchObject({ token_type: 'Bearer', scope: 'system/Patient.rs' });
    expect(a.json().patient).toBeUndefined();
    const p = await authenticate(bearerReq(a.json().access_token), t.platform);
    expect(p).toMatchObject({ kind: 'client', id: sys.id, organizationId: 'org-gp', via: 'token' });
    const b = await token({ grant_type: 'client_credentials', client_id: sys.id, client_secret: sys.secret });
    expect(b.json().scope).toBe('system/Patient.rs system/Observation.read');
  });

  it('refuses a wrong secret (401 invalid_client), an app client, and scopes beyond the registration', async () => {
    const wrong = await token({ grant_type: 'client_credentials' }, basic(sys.id, 'not-the-secret'));
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await token({ grant_type: 'client_credentials', client_id: 'onestory-nope', client_secret: 'x' })).statusCode).toBe(401);
    expect((await token({ grant_type: 'client_credentials', client_id: sys.id })).statusCode).toBe(401);
    expect((await token({ grant_type: 'client_credentials' }, basic(app.id, app.secret))).json()).toMatchObject({ error: 'unauthorized_client' });
    const escalate = await token({ grant_type: 'client_credentials', scope: 'system/Encounter.rs' }, basic(sys.id, sys.secret));
    expect(escalate.json()).toMatchObject({ error: 'invalid_scope' });
    expect((await token({ grant_type: 'client_credentials', scope: 'system/Patient.cruds' }, basic(sys.id, sys.secret))).json()).toMatchObject({ error: 'invalid_scope' });
    expect((await token({ grant_type: 'password' }, basic(sys.id, sys.secret))).json()).toMatchObject({ error: 'unsupported_grant_type' });
    const json = await t.app.inject({ method: 'POST', url: '/oauth2/token', payload: { grant_type: 'client_credentials' } });
    expect(json.statusCode).toBe(400);
    const garbage = await token({ grant_type: 'client_credentials' }, { authorization: 'Basic !!!' });
    expect(garbage.statusCode).toBe(401);
  });
});

describe('bearer tokens that must be refused with 401', () => {
  let good: string;
  beforeAll(async () => {
    good = (await token({ grant_type: 'client_credentials' }, basic(sys.id, sys.secret))).json().access_token;
  });

  it('accepts the genuine token', async () => {
    expect(await authenticate(bearerReq(good), t.platform)).toMatchObject({ kind: 'client' });
  });

  it('refuses a forged payload, alg none, a token signed by another key with the same kid, and garbage', async () => {
    const [h, , sig] = good.split('.');
    const payload = Buffer.from(JSON.stringify({ ...decodeJwt(good), organisation: 'org-icb' })).toString('base64url');
    const forged = `${h}.${payload}.${sig}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    const { privateKey } = await generateKeyPair('ES256');
    const kid = decodeProtectedHeader(good).kid!;
    const otherKey = await new SignJWT({ ...decodeJwt(good) }).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(privateKey);
    const hs = await new SignJWT({ ...decodeJwt(good) }).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(JSON.stringify(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey))));
    for (const bad of [forged, none, otherKey, hs, 'not-a-jwt', 'a.b.c']) {
      await expect(authenticate(bearerReq(bad), t.platform)).rejects.toMatchObject({ status: 401, outcome: { issue: [{ code: 'login' }] } });
    }
    await expect(authenticate({ method: 'GET', headers: { authorization: 'Basic abc' }, protocol: 'http' } as any, t.platform)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a token for another server (audience) and an expired token', async () => {
    await expect(authenticate(bearerReq(good, 'other.example'), t.platform)).rejects.toMatchObject({ status: 401 });
    clock.advance(11 * 60_000);
    await expect(authenticate(bearerReq(good), t.platform)).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/expired/) });
  });

  it('keeps signing keys across a restart (a new JwtService verifies with the stored key)', async () => {
    const fresh = (await token({ grant_type: 'client_credentials' }, basic(sys.id, sys.secret))).json().access_token;
    const restarted = new JwtService(new SigningKeyRepository(t.platform.db), identityFor(t.platform).clock);
    expect(await restarted.verify(fresh, { issuer: 'http://localhost:80', audience: FHIR_BASE })).toMatchObject({ sub: sys.id });
    expect((await t.platform.db.query('SELECT count(*)::int AS n FROM signing_key')).rows[0].n).toBe(1);
  });
});
