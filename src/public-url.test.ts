import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from './config.js';
import { loadConfig } from './config.js';
import { isAllowedHost } from './public-url.js';
import { identityFor } from './access/identity/identity.js';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from './testing/test-platform.js';

describe('isAllowedHost', () => {
  const config = { host: '0.0.0.0', allowedHosts: ['onestory.example', 'care.example:8443'] };
  it('allows loopback names, the listed hosts (any port unless one is listed) and a named listen host; nothing else', () => {
    for (const h of ['localhost', 'localhost:8080', '127.0.0.1:80', '[::1]:8080', 'app.localhost', 'onestory.example', 'OneStory.Example:443', 'care.example:8443']) {
      expect(isAllowedHost(h, config), h).toBe(true);
    }
    for (const h of [undefined, '', 'evil.example', 'evil.example:8080', 'care.example:9999', 'onestory.example.evil.example', 'localhost.evil.example', 'a b', 'evil.example/x', '0.0.0.0:8080']) {
      expect(isAllowedHost(h, config), String(h)).toBe(false);
    }
    expect(isAllowedHost('onestory.internal:8080', { host: 'onestory.internal', allowedHosts: [] })).toBe(true);
  });

  it('reads ONESTORY_ALLOWED_HOSTS as a comma-separated list', () => {
    expect(loadConfig({ ONESTORY_ALLOWED_HOSTS: ' onestory.example, Care.Example:8443 ,' }).allowedHosts).toEqual(['onestory.example', 'care.example:8443']);
    expect(loadConfig({}).allowedHosts).toEqual([]);
  });
});

describe('absolute URLs over HTTP', () => {
  let t: TestPlatform;
  let patientId: string;
  let client: { clientId: string; clientSecret?: string };
  const config = () => t.platform.config as Config;
  beforeAll(async () => {
    t = await createTestPlatform();
    patientId = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient' })).body.id;
    client = await identityFor(t.platform).clients.register({ organizationId: TEST_ORG_ID, scope: 'system/Patient.rs' });
  });
  /** A search sent with `host`, with a token for the FHIR base that Host leads to (tokens are for one audience). */
  const searchVia = async (host: string) => {
    const token = await t.app.inject({
      method: 'POST', url: '/oauth2/token', headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret! }).toString(),
    });
    expect(token.statusCode, token.body).toBe(200);
    return fhir(t.app, 'GET', `Patient?_id=${patientId}`, undefined, { host, authorization: `Bearer ${token.json().access_token}` });
  };
  afterAll(async () => t?.close());
  afterEach(() => {
    config().baseUrl = undefined;
    config().allowedHosts = [];
  });

  const smart = (host: string) => t.app.inject({ method: 'GET', url: '/.well-known/smart-configuration', headers: { host } });

  it('never reflects a Host that is not allowed: SMART endpoints and Bundle links name localhost, and nothing is cached publicly', async () => {
    const res = await smart('evil.example');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('evil.example');
    expect(res.json().token_endpoint).toBe(`http://localhost:${config().port}/oauth2/token`);
    expect(String(res.headers['cache-control'])).not.toMatch(/public/);

    const bundle = await searchVia('evil.example');
    expect(bundle.status, bundle.text).toBe(200);
    expect(bundle.text).not.toContain('evil.example');
    expect(bundle.body.link[0].url).toMatch(new RegExp(`^http://localhost:${config().port}/fhir/R4/Patient`));
    expect(bundle.body.entry[0].fullUrl).toBe(`http://localhost:${config().port}/fhir/R4/Patient/${patientId}`);
  });

  it('uses an allowed Host (loopback, or listed in ONESTORY_ALLOWED_HOSTS), still not cached publicly', async () => {
    expect((await smart('127.0.0.1:9000')).json().issuer).toBe('http://127.0.0.1:9000');
    config().allowedHosts = ['onestory.example'];
    const res = await smart('onestory.example');
    expect(res.json().authorization_endpoint).toBe('http://onestory.example/oauth2/authorize');
    expect(String(res.headers['cache-control'])).not.toMatch(/public/);
  });

  it('with ONESTORY_BASE_URL uses only that, whatever the Host, and may then be cached publicly', async () => {
    config().baseUrl = 'https://onestory.example/fhir/R4';
    const res = await smart('evil.example');
    expect(res.json().token_endpoint).toBe('https://onestory.example/oauth2/token');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    const bundle = await searchVia('evil.example');
    expect(bundle.body.entry[0].fullUrl).toBe(`https://onestory.example/fhir/R4/Patient/${patientId}`);
  });
});
