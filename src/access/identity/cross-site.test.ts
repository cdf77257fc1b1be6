import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { isCrossSiteRequest } from './cross-site.js';
import { createOrganization, createStaff } from './identity.test-helpers.js';

const req = (headers: Record<string, string>) => ({ headers: { host: 'onestory.local:8080', ...headers } });

describe('isCrossSiteRequest', () => {
  const config = { baseUrl: undefined };
  it('is cross-site for Sec-Fetch-Site: cross-site, an Origin of another host, or Origin: null', () => {
    expect(isCrossSiteRequest(req({ 'sec-fetch-site': 'cross-site' }), config)).toBe(true);
    expect(isCrossSiteRequest(req({ origin: 'https://evil.example' }), config)).toBe(true);
    expect(isCrossSiteRequest(req({ origin: 'http://onestory.local:9999' }), config)).toBe(true);
    expect(isCrossSiteRequest(req({ origin: 'null' }), config)).toBe(true);
    expect(isCrossSiteRequest(req({ origin: 'http://onestory.local:8080', 'sec-fetch-site': 'cross-site' }), config)).toBe(true);
  });

  it('is not for the same origin, the configured public origin, or a request without either header', () => {
    expect(isCrossSiteRequest(req({}), config)).toBe(false);
    expect(isCrossSiteRequest(req({ 'sec-fetch-site': 'same-origin', origin: 'http://onestory.local:8080' }), config)).toBe(false);
    expect(isCrossSiteRequest(req({ 'sec-fetch-site': 'none' }), config)).toBe(false);
    expect(isCrossSiteRequest(req({ origin: 'https://onestory.example' }), { baseUrl: 'https://onestory.example/fhir/R4' })).toBe(false);
  });
});

describe('POST /auth/sign-in from another site', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    await createOrganization(t.platform, 'org-a', 'A11111');
    await createStaff(t.platform, 'gp.one', 'correct horse battery', [{ organizationId: 'org-a', role: 'gp' }]);
  });
  afterAll(async () => t?.close());

  const sessions = async () => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM web_session')).rows[0].n);
  const signIn = (headers: Record<string, string>) => t.app.inject({
    method: 'POST', url: '/auth/sign-in', payload: 'username=gp.one&password=correct+horse+battery',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });

  it('refuses a cross-site form post with 403 and signs nobody in', async () => {
    const before = await sessions();
    const attempts: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }];
    for (const headers of attempts) {
      const res = await signIn(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().resourceType).toBe('OperationOutcome');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(await sessions()).toBe(before);
  });

  it('signs in from its own origin, and without browser headers', async () => {
    expect((await signIn({ origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
    expect((await signIn({})).statusCode).toBe(200);
  });
});
