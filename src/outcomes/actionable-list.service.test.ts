import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffPrincipal, StaffRole } from '../access/principal.js';
import { FhirError } from '../fhir/outcome.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { AL_GP1_LIST, AL_NOW, seedActionableListWorld } from './actionable-list.fixtures.js';
import { ACTIONABLE_LISTS } from './actionable-list.definitions.js';

// The people behind an indicator on a real database: who is listed, who is not and why, and that
// nobody sees a person their row restriction hides ("user B cannot").
let t: TestPlatform;
const staff = (role: StaffRole, org: string): StaffPrincipal => ({
  kind: 'staff', id: `${role}@${org}`, displayName: role, role, organizationId: org, organizationIds: [org], via: 'session', credentialId: 'test',
});
const gp1 = staff('gp', 'prac-o1');
const gp2 = staff('gp', 'prac-o2');

beforeAll(async () => {
  t = await createTestPlatform();
  await seedActionableListWorld(t.platform);
}, 120_000);
afterAll(() => t?.close());

const ids = (d: { members: { id: string }[] }) => d.members.map((m) => m.id);

describe('the list behind smoking at delivery (O1.1)', () => {
  it('a GP sees the mothers at their practice who smoked at delivery in the last 12 months and have no stop-smoking referral since the pregnancy began', async () => {
    const d = await t.platform.outcomes.people.people(gp1, 'O1.1', AL_NOW);
    expect(d.scope).toEqual({ kind: 'practice', id: 'prac-o1', name: 'Orchard Surgery' });
    // Listed: no referral; a referral revoked; a referral long before this pregnancy. Not: referred (before or after delivery), a non-smoker, a delivery over a year ago.
    expect(ids(d)).toEqual(AL_GP1_LIST);
    expect(d.named).toBe(3);
    expect(d.members[0]).toMatchObject({ name: expect.stringContaining('Mother-o1-postnatal'), age: 30, detail: 'Smoker at delivery' });
    expect(d.members[0].nhsNumber).toMatch(/^999\d{7}$/);
    // The mother who objected to sharing matches but is not named (her smoking was recorded by the hospital).
    expect(d.notNamed).toEqual({ count: null, suppressed: true });
  });

  it('user B cannot: the GP at the other practice sees only their own patient, and neither GP sees the other\'s on the network\'s list', async () => {
    const d2 = await t.platform.outcomes.people.people(gp2, 'O1.1', AL_NOW);
    expect(ids(d2)).toEqual(['o2-smoker']);
    expect(ids(d2)).not.toContain('o1-smoker-a');
    const pcn1 = await t.platform.outcomes.people.people(gp1, 'O1.1', AL_NOW, 'pcn:pcn-o');
    expect(ids(pcn1)).toEqual(AL_GP1_LIST);
    expect(pcn1.notNamed.suppressed).toBe(true); // the objector and o2-smoker: counted, never named
    const pcn2 = await t.platform.outcomes.people.people(gp2, 'O1.1', AL_NOW, 'pcn:pcn-o');
    expect(ids(pcn2)).toEqual(['o2-smoker']);
  });

  it('a clinician with no registered list sees only people in their care (nobody here), and is told others exist', async () => {
    const d = await t.platform.outcomes.people.people(staff('community-nurse', 'community-o'), 'O1.1', AL_NOW);
    expect(d.scope).toBeUndefined();
    expect(d.members).toEqual([]);
    expect(d.notNamed).toEqual({ count: 5, suppressed: false }); // the three, the objector and o2-smoker
  });

  it('a scope that is not the user\'s own is a 400; an unknown indicator or one with no list a 404', async () => {
    await expect(t.platform.outcomes.people.people(gp2, 'O1.1', AL_NOW, 'practice:prac-o1')).rejects.toMatchObject({ status: 400 });
    await expect(t.platform.outcomes.people.people(gp1, 'O9.9', AL_NOW)).rejects.toMatchObject({ status: 404 });
    await expect(t.platform.outcomes.people.people(gp1, 'O3.2', AL_NOW)).rejects.toMatchObject({ status: 404 });
  });

  it('analysts and non-clinical staff are refused with the reason (403), whatever they ask', async () => {
    for (const p of [staff('icb-analyst', 'community-o'), staff('receptionist', 'prac-o1')]) {
      const err = await t.platform.outcomes.people.people(p, 'O1.1', AL_NOW).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FhirError);
      expect((err as FhirError).status).toBe(403);
      expect(JSON.stringify((err as FhirError).outcome)).toMatch(p.role === 'icb-analyst' ? /aggregate figures only/ : /receptionist/);
    }
  });

  it('every list\'s SQL runs (O1.3 and O4.2 are empty in this world)', async () => {
    for (const l of ACTIONABLE_LISTS) {
      const d = await t.platform.outcomes.people.people(gp1, l.indicatorId, AL_NOW);
      expect(d.indicator.id).toBe(l.indicatorId);
      if (l.indicatorId !== 'O1.1') expect(d.named).toBe(0);
    }
  });
});
