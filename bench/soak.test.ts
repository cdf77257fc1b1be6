import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createStaff } from '../src/access/identity/identity.test-helpers.js';
import { createTestPlatform, type TestPlatform } from '../src/testing/test-platform.js';
import { mergeSoakSection, renderSoakSection, runSoak, SOAK_END, SOAK_KINDS, SOAK_START, soakRequest, type SoakResult } from './soak.js';

/**
 * The soak's short form (npm run soak runs it for 10 minutes): the same code, for 15 s at 8 requests/s
 * in 5 s windows (no cap on requests outstanding), against a real server on loopback, signed in as a GP who sees the five people of
 * their practice. It checks that it ran and reported (every window, every kind, memory), not how fast.
 */
describe('soak (short form)', () => {
  let t: TestPlatform;
  let url: string;
  let result: SoakResult;

  beforeAll(async () => {
    t = await createTestPlatform();
    const { platform } = t;
    await createOrganization(platform, 'soak-practice', 'S9999', 'Soak Surgery');
    await platform.resources.update('Practitioner', 'soak-gp', { resourceType: 'Practitioner', id: 'soak-gp', name: [{ family: 'Soak', given: ['Sam'] }] });
    for (let i = 0; i < 5; i++) {
      await platform.resources.update('Patient', `soak-${i}`, {
        resourceType: 'Patient', id: `soak-${i}`, name: [{ family: `Soakfamily${i}`, given: ['Pat'] }], birthDate: '1950-01-01',
        generalPractitioner: [{ reference: 'Organization/soak-practice' }],
      });
    }
    // Someone the GP has no relationship with: the soak must never reach them.
    await platform.resources.update('Patient', 'soak-stranger', { resourceType: 'Patient', id: 'soak-stranger', name: [{ family: 'Stranger' }] });
    await createStaff(platform, 'soak.gp', 'soak-password-1', [{ organizationId: 'soak-practice', role: 'gp', practitionerId: 'soak-gp' }]);
    url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    result = await runSoak({ url, username: 'soak.gp', password: 'soak-password-1', seconds: 15, rate: 8, windowSeconds: 5, pid: process.pid,
      // However busy the machine, every request is sent: this checks the soak works, not how fast the server is.
      maxInFlight: 1_000,
    });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('sends the whole mix at the fixed rate and answers every request', () => {
    expect(result.people).toBe(5);
    expect(result.total.requests).toBe(15 * 8);
    for (const kind of SOAK_KINDS) expect(result.total.byKind[kind].requests).toBeGreaterThan(0);
    expect(result.failures).toEqual([]);
    expect(result.total.errors).toBe(0);
  });

  it('reports every window with its latencies, memory and load', () => {
    expect(result.windows.map((w) => [w.startSecond, w.endSecond])).toEqual([[0, 5], [5, 10], [10, 15]]);
    expect(result.windows.reduce((n, w) => n + w.requests, 0)).toBe(result.total.requests);
    for (const w of result.windows) {
      expect(w.p95Ms).toBeGreaterThanOrEqual(w.p50Ms);
      expect(w.rssMb).toBeGreaterThan(0);
      expect(Number.isFinite(w.loadAvg1m)).toBe(true);
    }
    expect(result.p95Drift).toBeGreaterThan(0);
  });

  it('created one Observation per create it counted', async () => {
    const made = await t.platform.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM resource r JOIN sp_reference s ON s.rid = r.rid AND s.code = 'subject' WHERE r.resource_type = 'Observation' AND s.target_id LIKE 'soak-%'",
    );
    expect(Number(made.rows[0].n)).toBe(result.total.byKind.create.requests);
  });

  it('renders its own section of RESULTS.md and replaces it on the next run', () => {
    const section = renderSoakSection(result);
    expect(section).toContain('## Soak (issue 16)');
    expect(section).toContain('| 0–5 |');
    expect(section).toContain('Errors: none');
    const once = mergeSoakSection('# Results\n\nother figures\n', section);
    const twice = mergeSoakSection(once, section.replace('Errors: none', 'Errors: none at all'));
    expect(twice.split(SOAK_START)).toHaveLength(2);
    expect(twice.split(SOAK_END)).toHaveLength(2);
    expect(twice).toContain('other figures');
    expect(twice).toContain('Errors: none at all');
  });

  it('spreads the mix over the people it found', () => {
    const people = [{ id: 'a', family: 'A', nhs: '9990000018' }, { id: 'b' }];
    const kinds = new Set(Array.from({ length: 40 }, (_, k) => soakRequest(k, people, { cookie: 'c=1', csrf: 'x' }).kind));
    expect([...kinds].sort()).toEqual([...SOAK_KINDS].sort());
    const create = Array.from({ length: 40 }, (_, k) => soakRequest(k, people, { cookie: 'c=1', csrf: 'x' })).find((r) => r.kind === 'create')!;
    expect(create.headers['x-csrf-token']).toBe('x');
    expect(JSON.parse(create.body!).subject.reference).toMatch(/^Patient\/[ab]$/);
  });
});
