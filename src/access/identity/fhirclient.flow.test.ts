import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { identityFor } from './identity.js';
import { createOrganization, createPatient, createResident, createStaff } from './identity.test-helpers.js';

/**
 * A real third-party SMART client, `fhirclient` (SMART Health IT's JS library), runs the
 * authorization-code-with-PKCE flow against the server listening on loopback: a tiny app server
 * hosts its launch and callback pages, and a cookie-keeping user agent follows the redirects,
 * signs in on the server's page and lands back on the app, which exchanges the code.
 */
const smart = createRequire(import.meta.url)('fhirclient') as (req: unknown, res: unknown, storage: unknown) => any;

let t: TestPlatform;
let serverUrl: string;
let appServer: Server;
let appUrl: string;
let client: { id: string; secret: string };
const scope = 'launch/patient openid fhirUser patient/*.rs';

beforeAll(async () => {
  t = await createTestPlatform();
  await createOrganization(t.platform, 'org-gp', 'G82001');
  await createPatient(t.platform, 'pat-1');
  await createPatient(t.platform, 'pat-2');
  await createResident(t.platform, 'resident.one', 'resident pass 1', 'pat-1');
  await createStaff(t.platform, 'gp.one', 'gp pass 1', [{ organizationId: 'org-gp', role: 'gp', practitionerId: 'prac-1' }]);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  serverUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

  // The app: its session storage is one in-memory map (one user agent in this test).
  const store = new Map<string, unknown>();
  const storage = {
    get: async (k: string) => store.get(k),
    set: async (k: string, v: unknown) => (store.set(k, v), v),
    unset: async (k: string) => store.delete(k),
  };
  appServer = createServer(async (req, res) => {
    try {
      const url = new URL(req.url!, appUrl);
      if (url.pathname === '/launch') {
        await smart(req, res, storage).authorize({
          clientId: client.id, clientSecret: client.secret, scope, redirectUri: '/callback', iss: `${serverUrl}/fhir/R4`, pkceMode: 'required',
        });
      } else if (url.pathname === '/callback') {
        const c = await smart(req, res, storage).ready();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ tokenResponse: c.state.tokenResponse, patientId: c.patient.id, codeVerifierUsed: Boolean(c.state.codeVerifier) }));
      } else {
        res.writeHead(404).end();
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String((err as Error).stack ?? err));
    }
  });
  await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r));
  appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
  const registered = await identityFor(t.platform).clients.register({ ods: 'G82001', scope, redirectUris: [`${appUrl}/callback`], name: 'fhirclient test app' });
  client = { id: registered.clientId, secret: registered.clientSecret! };
});

afterAll(async () => {
  await new Promise((r) => appServer?.close(r));
  await t?.close();
});

/** A minimal browser: keeps cookies, follows redirects, and fills in the sign-in form when shown one. */
async function browse(start: string, credentials: { username: string; password: string }, choosePatient?: string) {
  const jar = new Map<string, string>();
  const visited: string[] = [];
  let url = start;
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    visited.push(`${init.method ?? 'GET'} ${url}`);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      init = {};
      continue;
    }
    const text = await res.text();
    if (res.status === 200 && text.includes('action="/auth/sign-in"')) {
      const returnTo = /name="return_to" value="([^"]+)"/.exec(text)![1].replace(/&amp;/g, '&');
      url = new URL('/auth/sign-in', url).toString();
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...credentials, return_to: returnTo }).toString(),
      };
      continue;
    }
    if (res.status === 200 && text.includes('Choose a patient') && choosePatient) {
      const fields = [...text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m): [string, string] => [m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"')]);
      url = `${new URL('/oauth2/authorize', url)}?${new URLSearchParams([...fields, ['patient', choosePatient]])}`;
      init = {};
      continue;
    }
    return { status: res.status, text, visited };
  }
  throw new Error(`too many hops: ${visited.join(' -> ')}`);
}

describe('fhirclient (a third-party SMART library) against the server on loopback', () => {
  it('completes authorization code + PKCE for a resident and gets a token for their own record', async () => {
    const result = await browse(`${appUrl}/launch`, { username: 'resident.one', password: 'resident pass 1' });
    expect(result.status, result.text).toBe(200);
    const body = JSON.parse(result.text);
    expect(body.patientId).toBe('pat-1');
    expect(body.codeVerifierUsed).toBe(true);
    expect(body.tokenResponse).toMatchObject({ token_type: 'Bearer', patient: 'pat-1', scope, fhirUser: 'Patient/pat-1' });
    const claims = decodeJwt(body.tokenResponse.access_token);
    expect(claims).toMatchObject({ iss: serverUrl, aud: `${serverUrl}/fhir/R4`, patient: 'pat-1', client_id: client.id, scope });
    // The flow went through the server's authorize endpoint with PKCE S256 and the sign-in page.
    const authorize = result.visited.find((v) => v.includes('/oauth2/authorize'))!;
    expect(authorize).toMatch(/code_challenge_method=S256/);
    expect(result.visited.some((v) => v.startsWith('POST') && v.endsWith('/auth/sign-in'))).toBe(true);
  });

  it('lets a GP pick the patient at launch; the token carries that patient', async () => {
    const result = await browse(`${appUrl}/launch`, { username: 'gp.one', password: 'gp pass 1' }, 'pat-2');
    expect(result.status, result.text).toBe(200);
    const body = JSON.parse(result.text);
    expect(body.patientId).toBe('pat-2');
    expect(decodeJwt(body.tokenResponse.access_token)).toMatchObject({ patient: 'pat-2', organisation: 'org-gp', role: 'gp', fhirUser: 'Practitioner/prac-1' });
  });
});
