import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDemoPopulation } from '../../cli/demo-population.js';
import { frozenClock } from '../../clock.js';
import { createLogger } from '../../logger.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { STAFF_ROLES } from '../principal.js';
import { DEMO_PASSWORD, seedDemoAccounts, type DemoAccount } from './demo-accounts.js';
import { signIn } from './identity.test-helpers.js';

let t: TestPlatform;
let printed = '';

beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await loadDemoPopulation(t.platform, 40, createLogger('silent'), { clock: frozenClock('2025-07-01T09:00:00Z'), asOf: '2025-07-01' });
    printed = log.mock.calls.flat().join('\n');
  } finally {
    log.mockRestore();
  }
}, 300_000);
afterAll(async () => t?.close());

describe('demo accounts on the synthetic population', () => {
  let accounts: DemoAccount[];
  beforeAll(async () => {
    accounts = await seedDemoAccounts(t.platform);
  });

  it('has one account per staff role, a resident and a carer, and the start prints the sign-in table', () => {
    expect(accounts.filter((a) => a.kind === 'staff').map((a) => a.role).sort()).toEqual([...STAFF_ROLES].sort());
    expect(accounts.filter((a) => a.kind === 'resident')).toHaveLength(1);
    expect(accounts.filter((a) => a.kind === 'proxy')).toHaveLength(1);
    expect(printed).toContain(`password for all: ${DEMO_PASSWORD}`);
    for (const a of accounts) expect(printed).toContain(a.username);
  });

  it('links staff to real Practitioners at organisations of the right kind', async () => {
    const by = (role: string) => accounts.find((a) => a.role === role)!;
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const patient = JSON.parse((await t.platform.resources.read('Patient', resident.patientId!)).content!);
    const practice = patient.generalPractitioner[0].reference.split('/')[1];
    expect(by('gp').organizationId).toBe(practice);
    expect(by('practice-nurse').organizationId).toBe(practice);
    expect(by('receptionist').organizationId).toBe(practice);
    expect(by('gp').organizationId).toMatch(/^org-gp-/);
    expect(by('care-coordinator').organizationId).toMatch(/^org-pcn-/);
    expect(by('link-worker').organizationId).toMatch(/^org-pcn-/);
    expect(['org-kcc', 'org-medway-council']).toContain(by('social-worker').organizationId);
    expect(by('discharge-coordinator').organizationName).toMatch(/Hospital|Trust/);
    expect(by('icb-analyst').organizationId).toBe('org-icb');
    for (const a of accounts.filter((x) => x.kind === 'staff' && x.practitionerId)) {
      const r = await t.platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Practitioner' AND id = $1", [a.practitionerId]);
      expect(r.rows, a.username).toHaveLength(1);
    }
    // The VCSE worker coordinates volunteers at the voluntary organisation running a befriending service.
    expect(by('vcse-worker').username).toBe('vcse.demo');
    const befriending = await t.platform.db.query(
      "SELECT 1 FROM resource WHERE resource_type = 'HealthcareService' AND content::jsonb -> 'providedBy' ->> 'reference' = $1 AND content LIKE '%befriending%'",
      [`Organization/${by('vcse-worker').organizationId}`],
    );
    expect(befriending.rows.length).toBeGreaterThan(0);
    expect(accounts.filter((a) => a.practitionerId)).toHaveLength(10); // the eight synthetic roles, the receptionist and the VCSE worker
  });

  it('names every staff account like a person, none of them the resident\'s namesake', () => {
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const surname = resident.displayName.split(' ').at(-1);
    for (const a of accounts.filter((x) => x.kind === 'staff')) {
      expect(a.displayName, a.username).toMatch(/^(Dr )?[A-Z][a-z'-]+ [A-Z][A-Za-z'-]+$/);
      expect(a.displayName, a.username).not.toMatch(/demo/i);
    }
    expect(accounts.find((a) => a.role === 'icb-analyst')!.displayName).toBe('Priya Raman');
    expect(new Set(accounts.filter((x) => x.kind === 'staff' && !x.practitionerId).map((a) => a.displayName.split(' ').at(-1)))).not.toContain(surname);
  });

  it('every account signs in; the carer acts for the resident', async () => {
    for (const a of accounts) {
      const s = await signIn(t.app, a.username, DEMO_PASSWORD);
      expect(s.body.user.kind).toBe(a.kind);
      if (a.kind === 'proxy') expect(s.body.user).toMatchObject({ relatedPersonIds: [a.relatedPersonId], patientIds: [a.patientId] });
      if (a.kind === 'resident') expect(s.body.user.patientId).toBe(a.patientId);
    }
  });

  it('is safe to call twice', async () => {
    const again = await seedDemoAccounts(t.platform);
    expect(again).toEqual(accounts);
    const n = await t.platform.db.query('SELECT count(*)::int AS n FROM app_user');
    expect(n.rows[0].n).toBe(accounts.length);
  });
});
