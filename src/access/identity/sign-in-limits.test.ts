import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { buildServer } from '../../server.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { identityFor } from './identity.js';
import { createOrganization, createStaff, fakeClock } from './identity.test-helpers.js';
import { STARTING_UP } from './sign-in.flow.js';

/**
 * Sign-in in a real building: colleagues share one internet address (a hospital's proxy), so only
 * failures count against an address, the real client is read from X-Forwarded-For only when
 * TRUST_PROXY names the proxy, and nothing counts while OneStory is still starting up.
 */
let t: TestPlatform;
let clock: ReturnType<typeof fakeClock>;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  clock = fakeClock(t.platform);
  await createOrganization(t.platform, 'org-a', 'A11111', 'Practice A');
  for (const name of ['ward.one', 'ward.two', 'ward.three', 'locked.one', 'early.bird', 'proxied.one']) {
    await createStaff(t.platform, name, PASSWORD, [{ organizationId: 'org-a', role: 'gp' }]);
  }
});
afterAll(async () => t?.close());

const signIn = (username: string, password: string, remoteAddress: string, headers: Record<string, string> = {}, app = t.app) =>
  app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username, password }, headers, remoteAddress });
const settings = () => identityFor(t.platform).settings;
/** A fresh window for each test: failures from earlier tests are forgotten. */
const nextWindow = () => clock.advance(settings().addressFailureWindowMs + 1000);

describe('sign-in limits count failures only', () => {
  it('never refuses 40 successful sign-ins from one address', async () => {
    nextWindow();
    const users = ['ward.one', 'ward.two', 'ward.three'];
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await signIn(users[i % 3], PASSWORD, '192.0.2.10')).statusCode);
    expect(statuses).toEqual(Array(40).fill(200));
  });

  it('limits failures from one address, with Retry-After, and forgets them after the window', async () => {
    nextWindow();
    const limit = settings().addressFailureLimit;
    // Spread over many accounts, so no account's own lockout is reached first.
    for (let i = 0; i < limit; i++) expect((await signIn(`nobody${i}`, 'guess', '192.0.2.20')).statusCode).toBe(401);
    const refused = await signIn('ward.one', PASSWORD, '192.0.2.20');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await signIn('ward.one', PASSWORD, '192.0.2.21')).statusCode).toBe(200);
    nextWindow();
    expect((await signIn('ward.one', PASSWORD, '192.0.2.20')).statusCode).toBe(200);
  });

  it('keeps a locked account locked while colleagues at the same address sign in', async () => {
    nextWindow();
    for (let i = 0; i < settings().maxFailedAttempts; i++) expect((await signIn('locked.one', `wrong ${i}`, '192.0.2.30')).statusCode).toBe(401);
    for (let i = 0; i < 10; i++) {
      expect((await signIn('ward.two', PASSWORD, '192.0.2.30')).statusCode).toBe(200);
      // The right password does not open a locked account.
      expect((await signIn('locked.one', PASSWORD, '192.0.2.30')).statusCode).toBe(401);
    }
    clock.advance(settings().lockoutMs + 1000);
    expect((await signIn('locked.one', PASSWORD, '192.0.2.30')).statusCode).toBe(200);
  });
});

describe('the client address behind a proxy', () => {
  it('ignores X-Forwarded-For without TRUST_PROXY: forged addresses share the connection’s budget', async () => {
    nextWindow();
    const limit = settings().addressFailureLimit;
    for (let i = 0; i < limit; i++) await signIn(`nobody${i}`, 'guess', '192.0.2.40', { 'x-forwarded-for': `198.51.100.${i}` });
    const res = await signIn('ward.one', PASSWORD, '192.0.2.40', { 'x-forwarded-for': '198.51.100.250' });
    expect(res.statusCode).toBe(429);
  });

  it('uses X-Forwarded-For from the proxy TRUST_PROXY names: one client’s failures do not lock out its colleagues', async () => {
    nextWindow();
    const proxied = await buildServer({ ...t.platform, config: { ...t.platform.config, trustProxy: ['192.0.2.50'] } }, createLogger('silent'));
    try {
      const limit = settings().addressFailureLimit;
      for (let i = 0; i < limit; i++) await signIn(`nobody${i}`, 'guess', '192.0.2.50', { 'x-forwarded-for': '203.0.113.7' }, proxied);
      expect((await signIn('proxied.one', PASSWORD, '192.0.2.50', { 'x-forwarded-for': '203.0.113.7' }, proxied)).statusCode).toBe(429);
      // A colleague behind the same proxy still signs in.
      expect((await signIn('proxied.one', PASSWORD, '192.0.2.50', { 'x-forwarded-for': '203.0.113.8' }, proxied)).statusCode).toBe(200);
      // A connection from anywhere else cannot choose its address by writing the header.
      nextWindow();
      for (let i = 0; i < limit; i++) await signIn(`nobody${i}`, 'guess', '192.0.2.51', { 'x-forwarded-for': `203.0.113.${100 + i}` }, proxied);
      expect((await signIn('proxied.one', PASSWORD, '192.0.2.51', { 'x-forwarded-for': '203.0.113.99' }, proxied)).statusCode).toBe(429);
    } finally {
      await proxied.close();
    }
  });
});

describe('sign-in while OneStory is starting up', () => {
  it('answers 503 with Retry-After and a plain message on every sign-in, and counts nothing', async () => {
    nextWindow();
    const identity = identityFor(t.platform);
    identity.startingUp = true;
    try {
      const page = await t.app.inject({ method: 'GET', url: '/sign-in', remoteAddress: '192.0.2.60' });
      expect(page.statusCode).toBe(503);
      expect(Number(page.headers['retry-after'])).toBeGreaterThan(0);
      expect(page.body).toContain(STARTING_UP);
      const limit = settings().addressFailureLimit;
      for (let i = 0; i < limit + 5; i++) {
        const form = await t.app.inject({
          method: 'POST', url: '/sign-in', remoteAddress: '192.0.2.60',
          headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `username=early.bird&password=wrong+${i}`,
        });
        expect(form.statusCode).toBe(503);
        expect(form.body).toContain(STARTING_UP);
        expect(form.headers['set-cookie']).toBeUndefined();
      }
      const json = await signIn('early.bird', PASSWORD, '192.0.2.60');
      expect(json.statusCode).toBe(503);
      expect(Number(json.headers['retry-after'])).toBeGreaterThan(0);
      expect(json.json().issue[0]).toMatchObject({ code: 'transient', diagnostics: STARTING_UP });
    } finally {
      identity.startingUp = false;
    }
    // Neither the account's lockout nor the address's budget was touched.
    expect((await t.app.inject({ method: 'GET', url: '/sign-in', remoteAddress: '192.0.2.60' })).statusCode).toBe(200);
    expect((await signIn('early.bird', PASSWORD, '192.0.2.60')).statusCode).toBe(200);
    for (let i = 0; i < settings().addressFailureLimit - 1; i++) await signIn(`nobody${i}`, 'guess', '192.0.2.60');
    expect((await signIn('ward.three', PASSWORD, '192.0.2.60')).statusCode).toBe(200);
  });
});
