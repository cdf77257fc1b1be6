import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';

// The pages identity serves (sign-in, the patient chooser, errors) are where a clickjacked or
// sniffed page would do harm: each carries the shared page headers and a CSP that forbids framing.
let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
});
afterAll(async () => t?.close());

describe('identity pages', () => {
  it('are sent with nosniff, no referrer, no framing, no caching and a script-free CSP', async () => {
    for (const url of ['/auth/sign-in', '/oauth2/authorize?client_id=unknown', '/oauth2/authorize?client_id=a%00b']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(String(res.headers['content-type']), url).toMatch(/^text\/html/);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['cache-control'], url).toBe('no-store');
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toMatch(/default-src 'none'/);
      expect(csp, url).toMatch(/frame-ancestors 'none'/);
      expect(csp, url).not.toMatch(/script-src/);
    }
  });
});
