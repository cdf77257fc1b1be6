import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFor } from '../../src/access/identity/identity.js';
import { hashPassword } from '../../src/access/identity/password.service.js';
import { recordedByTag } from '../../src/access/policy/policy-codes.js';
import { NHS_NUMBER_SYSTEM } from '../../src/fhir/nhs-number.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';

// SMART App Launch v2, standalone launch, authorization code + PKCE, driven by a maintained
// third-party OAuth client (openid-client v6) against the server listening on loopback. The
// user's part (the sign-in form and the patient chooser) is done with plain HTTP, as a browser
// would; the redirect back to the app is captured from the Location header, never followed.

const REDIRECT = 'http://127.0.0.1:9/smart/callback'; // registered, never served
const SCOPE = 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs';

// Synthetic fixtures: one GP practice, two people registered there, two Observations each.
const PRACTICE = 'org-smart-practice';
const ALICE = 'pat-smart-alice'; // the resident
const BOB = 'pat-smart-bob'; // the patient the GP chooses
const GP_PRACTITIONER = 'prac-smart-gp';
const RESIDENT = { username: 'alice.smart', password: 'alice smart pass 1' };
const GP = { username: 'gp.smart', password: 'gp smart pass 1' };
const OBS: Record<string, string[]> = { [ALICE]: ['obs-alice-1', 'obs-alice-2'], [BOB]: ['obs-bob-1', 'obs-bob-2'] };

let t: TestPlatform;
let origin: string;
let fhirBase: string;
let publicApp: oidc.Configuration; // resident-facing app, authenticates by PKCE alone
let confidentialApp: oidc.Configuration; // staff app with a client secret (client_secret_basic)

beforeAll(async () => {
  t = await createTestPlatform();
  const { platform } = t;
  await platform.resources.update('Organization', PRACTICE, {
    resourceType: 'Organization', id: PRACTICE, name: 'Smart Lane Surgery',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'G89001' }],
  });
  await platform.resources.update('Practitioner', GP_PRACTITIONER, { resourceType: 'Practitioner', id: GP_PRACTITIONER, name: [{ family: 'Oauth', given: ['Gwen'], prefix: ['Dr'] }] });
  const patient = (id: string, nhs: string, given: string, family: string, birthDate: string) =>
    platform.resources.update('Patient', id, {
      resourceType: 'Patient', id, identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }], name: [{ given: [given], family }], birthDate,
      generalPractitioner: [{ reference: `Organization/${PRACTICE}` }],
    });
  await patient(ALICE, '9990001006', 'Alice', 'Smartclient', '1961-04-12');
  await patient(BOB, '9990001014', 'Bob', 'Smartclient', '1958-11-30');
  for (const [subject, ids] of Object.entries(OBS)) {
    for (const [i, id] of ids.entries()) {
      await platform.resources.update('Observation', id, {
        resourceType: 'Observation', id, status: 'final', meta: { tag: [recordedByTag(PRACTICE)] },
        code: { coding: [{ system: 'http://loinc.org', code: '8310-5', display: 'Body temperature' }] },
        subject: { reference: `Patient/${subject}` }, effectiveDateTime: `2026-02-0${i + 1}T10:00:00Z`,
        valueQuantity: { value: 36.8 + i / 10, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' },
      });
    }
  }
  const identity = identityFor(platform);
  await identity.users.create({ kind: 'resident', username: RESIDENT.username, displayName: 'Alice Smartclient', passwordHash: await hashPassword(RESIDENT.password), patientId: ALICE });
  await identity.users.create({
    kind: 'staff', username: GP.username, displayName: 'Dr Gwen Oauth', passwordHash: await hashPassword(GP.password),
    memberships: [{ organizationId: PRACTICE, role: 'gp', practitionerId: GP_PRACTITIONER }],
  });
  const registered = 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs';
  const pub = await identity.clients.register({ ods: 'G89001', scope: registered, redirectUris: [REDIRECT], name: 'Resident app', public: true });
  const conf = await identity.clients.register({ ods: 'G89001', scope: registered, redirectUris: [REDIRECT], name: 'Clinician app' });
  expect(pub.clientSecret).toBeUndefined();

  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  fhirBase = `${origin}/fhir/R4`;

  // The client library's own discovery, given the SMART document's address (SMART v2 puts it under the FHIR base).
  const discovery = new URL(`${fhirBase}/.well-known/smart-configuration`);
  const insecureLoopback = { execute: [oidc.allowInsecureRequests] };
  publicApp = await oidc.discovery(discovery, pub.clientId, undefined, oidc.None(), insecureLoopback);
  confidentialApp = await oidc.discovery(discovery, conf.clientId, undefined, oidc.ClientSecretBasic(conf.clientSecret!), insecureLoopback);
});
afterAll(async () => t?.close());

const decodeEntities = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);

/** The one form on a server page: its method, action and the values it already carries (hidden inputs). */
function formOf(html: string) {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  expect(forms, html).toHaveLength(1);
  const [, attrs, body] = forms[0];
  const attr = (tag: string, name: string) => {
    const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
    return m ? decodeEntities(m[1]) : undefined;
  };
  const fields: Record<string, string> = {};
  const inputs: string[] = [];
  for (const [tag] of body.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    inputs.push(name);
    if (attr(tag, 'type') === 'hidden') fields[name] = attr(tag, 'value') ?? '';
  }
  return { method: (attr(attrs, 'method') ?? 'get').toLowerCase(), action: attr(attrs, 'action') ?? '', fields, inputs };
}

/** A browser for one person: a cookie jar for this server, and no redirect followed by itself. */
class Browser {
  private readonly cookies = new Map<string, string>();
  /** Sign-in pages this browser was shown (a session is then reused, as a browser's would be). */
  signIns = 0;

  constructor(private readonly user: { username: string; password: string }) {}

  async request(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
    const u = new URL(url, origin);
    expect(u.origin, 'the browser stays on the server').toBe(origin);
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(u, { method: init.method ?? 'GET', body: init.body, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
      if (value === '' || /;\s*max-age=0\b/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /**
   * Opens the app's authorization URL and does what a person would: sign in on the page shown,
   * then (staff) type the patient id into the chooser. Returns the redirect to the app.
   */
  async authorize(authorizationUrl: URL, choosePatient?: string): Promise<URL> {
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${origin}/oauth2/authorize`);
    let res = await this.request(authorizationUrl.href);
    if (res.status === 200 && (await peek(res)).includes('action="/auth/sign-in"')) {
      this.signIns++;
      const form = formOf(await res.text());
      expect(form).toMatchObject({ method: 'post', action: '/auth/sign-in' });
      expect(form.inputs).toEqual(expect.arrayContaining(['username', 'password', 'return_to']));
      res = await this.request(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form.fields, username: this.user.username, password: this.user.password }).toString(),
      });
      expect(res.status, await peek(res)).toBe(303);
      expect(this.cookies.size, 'the sign-in sets a session cookie').toBe(1);
      res = await this.request(res.headers.get('location')!);
    }
    if (choosePatient !== undefined) {
      expect(res.status, await peek(res)).toBe(200);
      const form = formOf(await res.text());
      expect(form).toMatchObject({ method: 'get', action: '/oauth2/authorize' });
      expect(form.inputs).toContain('patient');
      const next = new URL(form.action, origin);
      next.search = new URLSearchParams({ ...form.fields, patient: choosePatient }).toString();
      res = await this.request(next.href);
    }
    expect(res.status, await peek(res)).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    return back;
  }
}

/** The body of a response, read without consuming it. */
const peek = (res: Response) => res.clone().text();

/** Everything the app does: PKCE, state, the authorization URL; the person's part; then the code exchange. */
async function launch(app: oidc.Configuration, browser: Browser, choosePatient?: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(app, {
    redirect_uri: REDIRECT, scope: SCOPE, state, aud: fhirBase,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const callback = await browser.authorize(url, choosePatient);
  expect(callback.searchParams.get('error'), callback.searchParams.get('error_description') ?? '').toBeNull();
  expect(callback.searchParams.get('state')).toBe(state);
  return { callback, verifier, state };
}

async function grant(app: oidc.Configuration, browser: Browser, choosePatient?: string) {
  const { callback, verifier, state } = await launch(app, browser, choosePatient);
  return oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: verifier, expectedState: state });
}

async function fhirGet(token: string, path: string) {
  const res = await fetch(`${fhirBase}/${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

const ids = (bundle: any): string[] => (bundle?.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
const observationsOf = (patient: string) => OBS[patient].map((id) => `Observation/${id}`).sort();

/** Another patient's data must not come back: a refusal (403, or 404 as for a missing record), or a search with nothing in it. */
function expectNothingOf(res: { status: number; body: any; text: string }) {
  if (res.status === 200) {
    expect(res.body?.resourceType, res.text).toBe('Bundle');
    expect(ids(res.body), res.text).toEqual([]);
  } else {
    expect([403, 404], res.text).toContain(res.status);
    expect(res.body?.resourceType, res.text).toBe('OperationOutcome');
  }
}

const resident = new Browser(RESIDENT);
const gp = new Browser(GP);

describe('SMART App Launch v2 with openid-client against the server on loopback', () => {
  it('discovers the authorization server from the SMART configuration under the FHIR base', () => {
    const md = publicApp.serverMetadata();
    expect(md).toMatchObject({
      issuer: origin,
      authorization_endpoint: `${origin}/oauth2/authorize`,
      token_endpoint: `${origin}/oauth2/token`,
    });
    expect(md.supportsPKCE()).toBe(true); // code_challenge_methods_supported has S256
    expect((md as any).capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'client-public', 'client-confidential-symmetric', 'context-standalone-patient']));
  });

  describe('a resident, with a public client', () => {
    let token: string;

    it('signs in on the authorize page and the app gets a token for their own record', async () => {
      const tokens = await grant(publicApp, resident);
      expect(resident.signIns).toBe(1);
      expect(tokens).toMatchObject({ token_type: 'bearer', patient: ALICE, fhirUser: `Patient/${ALICE}` });
      expect(tokens.scope!.split(' ').sort()).toEqual(SCOPE.split(' ').sort());
      expect(tokens.expiresIn()).toBeGreaterThan(0);
      token = tokens.access_token;
      expect(decodeJwt(token)).toMatchObject({ iss: origin, aud: fhirBase, patient: ALICE, client_id: publicApp.clientMetadata().client_id });
    });

    it('reads their Patient and searches their Observations with the token', async () => {
      const read = await fhirGet(token, `Patient/${ALICE}`);
      expect(read.status, read.text).toBe(200);
      expect(read.body).toMatchObject({ resourceType: 'Patient', id: ALICE, identifier: [{ system: NHS_NUMBER_SYSTEM, value: '9990001006' }] });
      const obs = await fhirGet(token, `Observation?patient=${ALICE}`);
      expect(obs.status, obs.text).toBe(200);
      expect(ids(obs.body)).toEqual(observationsOf(ALICE));
    });

    it('cannot read another patient, nor find their Observations, with the token', async () => {
      expectNothingOf(await fhirGet(token, `Patient/${BOB}`));
      expectNothingOf(await fhirGet(token, `Observation?patient=${BOB}`));
      expectNothingOf(await fhirGet(token, `Observation?subject=Patient/${BOB}`));
      const all = await fhirGet(token, 'Observation');
      expect(all.status, all.text).toBe(200);
      expect(ids(all.body)).toEqual(observationsOf(ALICE));
      const patients = await fhirGet(token, 'Patient');
      expect(patients.status, patients.text).toBe(200);
      expect(ids(patients.body)).toEqual([`Patient/${ALICE}`]);
    });
  });

  describe('a GP, with a confidential client, choosing a patient', () => {
    let token: string;

    it('signs in, types the patient id into the chooser, and the app gets a token for that patient', async () => {
      const tokens = await grant(confidentialApp, gp, BOB);
      expect(gp.signIns).toBe(1);
      expect(tokens).toMatchObject({ token_type: 'bearer', patient: BOB, fhirUser: `Practitioner/${GP_PRACTITIONER}` });
      token = tokens.access_token;
      expect(decodeJwt(token)).toMatchObject({ aud: fhirBase, patient: BOB, organisation: PRACTICE, role: 'gp' });
    });

    it('reads the chosen Patient and searches their Observations with the token', async () => {
      const read = await fhirGet(token, `Patient/${BOB}`);
      expect(read.status, read.text).toBe(200);
      expect(read.body).toMatchObject({ resourceType: 'Patient', id: BOB, identifier: [{ value: '9990001014' }] });
      const obs = await fhirGet(token, `Observation?patient=${BOB}`);
      expect(obs.status, obs.text).toBe(200);
      expect(ids(obs.body)).toEqual(observationsOf(BOB));
    });

    it('cannot read another patient with the token, even one registered at the same practice', async () => {
      expectNothingOf(await fhirGet(token, `Patient/${ALICE}`));
      expectNothingOf(await fhirGet(token, `Observation?patient=${ALICE}`));
      const all = await fhirGet(token, 'Observation');
      expect(all.status, all.text).toBe(200);
      expect(ids(all.body)).toEqual(observationsOf(BOB));
    });

    it('a second launch reuses the session: no sign-in page, straight to the chooser', async () => {
      const tokens = await grant(confidentialApp, gp, ALICE);
      expect(gp.signIns).toBe(1);
      expect(tokens.patient).toBe(ALICE);
    });
  });

  describe('the token endpoint, as the client library sees it', () => {
    it('refuses a wrong code_verifier with invalid_grant, and the code cannot then be used at all', async () => {
      const { callback, verifier, state } = await launch(publicApp, resident);
      const wrong = oidc.randomPKCECodeVerifier();
      expect(wrong).not.toBe(verifier);
      await expect(oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: wrong, expectedState: state }))
        .rejects.toMatchObject({ name: 'ResponseBodyError', status: 400, error: 'invalid_grant' });
      // The guess spent the code: a stolen code gives one try, not a search for the verifier.
      await expect(oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: state }))
        .rejects.toMatchObject({ name: 'ResponseBodyError', status: 400, error: 'invalid_grant' });
    });

    it('refuses a grant without the verifier (PKCE is not optional)', async () => {
      const { callback, state } = await launch(publicApp, resident);
      await expect(oidc.authorizationCodeGrant(publicApp, callback, { expectedState: state }))
        .rejects.toMatchObject({ name: 'ResponseBodyError', status: 400, error: 'invalid_request' });
    });

    it('refuses a replayed code with invalid_grant', async () => {
      const { callback, verifier, state } = await launch(publicApp, resident);
      const first = await oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: state });
      expect(first.patient).toBe(ALICE);
      await expect(oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: state }))
        .rejects.toMatchObject({ name: 'ResponseBodyError', status: 400, error: 'invalid_grant', error_description: expect.stringMatching(/already been used/) });
    });

    it('withdraws the token issued from a replayed code: the FHIR API then refuses it with 401', async () => {
      const { callback, verifier, state } = await launch(publicApp, resident);
      const first = await oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: state });
      const before = await fhirGet(first.access_token, `Patient/${ALICE}`);
      expect(before.status, before.text).toBe(200);
      await expect(oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
      const after = await fhirGet(first.access_token, `Patient/${ALICE}`);
      expect(after.status, after.text).toBe(401);
      expect(after.body).toMatchObject({ resourceType: 'OperationOutcome' });
    });

    it('the library rejects a callback whose state is not the one it sent, before any token request', async () => {
      const { callback, verifier } = await launch(publicApp, resident);
      await expect(oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: oidc.randomState() }))
        .rejects.toMatchObject({ name: 'ClientError', cause: { message: 'unexpected "state" response parameter value' } });
      // The code was not sent, so it is still good.
      const tokens = await oidc.authorizationCodeGrant(publicApp, callback, { pkceCodeVerifier: verifier, expectedState: callback.searchParams.get('state')! });
      expect(tokens.patient).toBe(ALICE);
    });
  });
});
