import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARE_USERS, seedCareWorld } from '../../record-view/care.fixtures.js';
import { Prng } from '../../synth/prng.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { seedWork } from '../../workflow/work.fixtures.js';
import { Browser } from '../web.test-helpers.js';

/** Values that have broken web apps: control characters, huge, unicode, markup, SQL, path tricks, numbers out of range. */
const HOSTILE = [
  '', ' ', '\u0000', 'a\u0000b', '\u0007', '%00', '%', '%zz', '\ud800', '😀'.repeat(50), 'x'.repeat(5000), '<script>alert(1)</script>',
  "' OR 1=1 --", '"; DROP TABLE resource; --', '../../etc/passwd', '..%2f..%2f', '-1', '0', '32', '13', '99999999999999999999', '1e309',
  'NaN', 'null', 'undefined', '[]', '{}', '__proto__', 'constructor', 'Patient/pat-hollis', 'Practitioner/', 'Organization/../x',
  'requested', 'completed', 'entered-in-error', '2024-02-30', '0000', '\r\nSet-Cookie: x=1',
];
const FIELDS = ['username', 'password', 'organization', 'reason', 'text', 'note', 'owner', 'version', 'csrf_token', 'view', 'status', 'kind',
  'sort', 'cursor', 'person', 'from', 'by', 'nhs-number', 'name', 'day', 'month', 'year', 'postcode', 'organisation', 'from-day', 'from-month',
  'from-year', 'to-day', 'to-month', 'to-year', 'count'];

const ROUTES: { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'POST', path: '/sign-in' },
  { method: 'GET', path: '/people' },
  { method: 'GET', path: '/people/pat-hollis' },
  { method: 'GET', path: '/people/pat-hollis/break-glass' },
  { method: 'POST', path: '/people/pat-baxter/break-glass' },
  { method: 'GET', path: '/work' },
  { method: 'GET', path: '/work/tasks/t-penfold' },
  ...['claim', 'start', 'hold', 'resume', 'complete', 'reassign'].map((a) => ({ method: 'POST' as const, path: `/work/tasks/t-penfold/${a}` })),
  { method: 'POST', path: '/break-glass-review/x' },
  { method: 'GET', path: '/my-record' },
];

/**
 * Every web form and page query, fuzzed as the FHIR API is (src/fhir/rest/bad-input.test.ts): a
 * seeded corpus of hostile fields, sent signed in with a real CSRF token (so validation, not the
 * CSRF check, meets them), never answers 5xx, and the server keeps answering.
 */
describe('web forms under hostile input', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedCareWorld(t.platform);
    await seedWork(t.platform, t.platform.clock.now());
  });
  afterAll(() => t.close());

  it('never answers 5xx, for 600 seeded requests over every form and page query', { timeout: 240_000 }, async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const csrf = await b.csrf();
    const rng = new Prng(20261201);
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
    for (let i = 0; i < 600; i++) {
      const route = pick(ROUTES);
      const fields: Record<string, string> = {};
      for (let k = 1 + rng.int(5); k > 0; k--) fields[pick(FIELDS)] = pick(HOSTILE);
      if (route.method === 'POST' && route.path !== '/sign-in') fields.csrf_token = csrf;
      const res = route.method === 'GET'
        ? await b.get(`${route.path}?${new URLSearchParams(fields).toString()}`)
        : await b.post(route.path, fields);
      expect(res.status, `case ${i}: ${route.method} ${route.path} ${JSON.stringify(fields).slice(0, 200)}`).toBeLessThan(500);
      if (route.path === '/sign-in') await b.signIn(CARE_USERS.nurse.username); // a hostile sign-in may have signed us out
    }
    expect((await b.get('/work')).status).toBe(200);
  });

  it('a repeated field (an array) and a body that is not a form are refused cleanly', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    expect((await b.get('/work?view=mine&view=pool')).status).toBe(400);
    expect((await b.get('/people/pat-hollis?kind=task&kind=plan')).status).toBe(400);
    const res = await t.app.inject({ method: 'POST', url: '/work/tasks/t-penfold/claim', payload: '{"not":"a form"', headers: { 'content-type': 'application/json', cookie: b.cookie } });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });
});
