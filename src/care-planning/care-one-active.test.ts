import type { CarePlan, EpisodeOfCare } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { FhirError } from '../fhir/outcome.js';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from '../testing/test-platform.js';
import { CARE_COORDINATION_TYPE, PLAN_CATEGORY } from './care-planning.vocabulary.js';
import { PLAN_USERS, seedPlanWorld, staffPrincipal } from './care-planning.fixtures.js';

// One active plan and one named professional per person, race-proof (hazard PRO-6): writes made at
// the same instant, on the FHIR API and through the web's services, on a real database. Exactly one
// succeeds; every other is a 409 OperationOutcome and leaves nothing behind.

let t: TestPlatform;
const NOW = new Date('2026-03-02T10:00:00Z');
const gp = staffPrincipal(PLAN_USERS.gp);
const coordinator = staffPrincipal(PLAN_USERS.coordinator);

const plan = (patient: string, status = 'active'): CarePlan =>
  ({ resourceType: 'CarePlan', status, intent: 'plan', category: [PLAN_CATEGORY], subject: { reference: `Patient/${patient}` } }) as CarePlan;
const episode = (patient: string, manager: string): EpisodeOfCare =>
  ({ resourceType: 'EpisodeOfCare', status: 'active', type: [CARE_COORDINATION_TYPE], patient: { reference: `Patient/${patient}` }, careManager: { reference: manager } }) as EpisodeOfCare;

async function activeCount(type: 'CarePlan' | 'EpisodeOfCare', patient: string): Promise<number> {
  const field = type === 'CarePlan' ? 'subject' : 'patient';
  const kind = type === 'CarePlan' ? 'personalised-care-and-support-plan' : 'care-coordination';
  const r = await t.platform.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM resource WHERE resource_type = $1 AND NOT deleted AND content::jsonb ->> 'status' = 'active' AND content::jsonb #>> $2 = $3 AND content LIKE $4`,
    [type, `{${field},reference}`, `Patient/${patient}`, `%${kind}%`],
  );
  return r.rows[0].n;
}
const stored = async (type: string) => Number((await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);

/** Waits (bounded) until some session is waiting for a lock: the second writer has reached the constraint. */
async function someoneWaits(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const r = await t.platform.db.query('SELECT 1 FROM pg_locks WHERE NOT granted LIMIT 1');
    if (r.rows.length > 0) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('the second writer never waited for the first');
}

async function apiPatient(id: string): Promise<void> {
  await t.platform.resources.update('Patient', id, {
    resourceType: 'Patient', id, generalPractitioner: [{ reference: `Organization/${TEST_ORG_ID}` }], meta: { tag: [recordedByTag(TEST_ORG_ID)] },
  });
}

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => NOW;
  await seedPlanWorld(t.platform);
  for (const id of ['race-plan', 'race-plan-many', 'race-np', 'race-np-many', 'race-platform']) await apiPatient(id);
}, 60_000);
afterAll(async () => t?.close());

describe('one active plan per person, when two writers race', () => {
  it('the second of two API creates, made while the first is still uncommitted, waits for it and is then refused with a 409', async () => {
    const plansBefore = await stored('CarePlan');
    let second: Promise<Awaited<ReturnType<typeof fhir>>> | undefined;
    // The first writer holds its transaction open, so the second passes the write rule (it cannot see an
    // uncommitted plan) and only the database's constraint can stop it.
    await t.platform.db.transaction(async (tx) => {
      await t.platform.resources.create('CarePlan', plan('race-plan'), { tx });
      second = fhir(t.app, 'POST', 'CarePlan', plan('race-plan'));
      await someoneWaits();
    });
    const res = await second!;
    expect(res.status).toBe(409);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain('already has an active personalised care and support plan');
    expect(await activeCount('CarePlan', 'race-plan')).toBe(1);
    expect(await stored('CarePlan')).toBe(plansBefore + 1);
  });

  it('six API creates at once: exactly one 201, five 409s, one active plan', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => fhir(t.app, 'POST', 'CarePlan', plan('race-plan-many'))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(await activeCount('CarePlan', 'race-plan-many')).toBe(1);
  });

  it('the platform\'s own writes (import, synthetic data), which no write rule checks, cannot make a second active plan either', async () => {
    await t.platform.resources.create('CarePlan', plan('race-platform'));
    const err = await t.platform.resources.create('CarePlan', plan('race-platform')).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).status).toBe(409);
    // Ending the first frees the place; rewriting an active plan (same row out and in) is not a conflict.
    const [first] = (await t.platform.db.query<{ id: string }>("SELECT id FROM resource WHERE resource_type = 'CarePlan' AND content LIKE '%race-platform%'")).rows;
    const again = await t.platform.resources.update('CarePlan', first.id, { ...plan('race-platform'), id: first.id, title: 'Renamed' });
    expect(again.versionId).toBe(2);
    await t.platform.resources.update('CarePlan', first.id, { ...plan('race-platform', 'completed'), id: first.id });
    expect((await t.platform.resources.create('CarePlan', plan('race-platform'))).created).toBe(true);
    expect(await activeCount('CarePlan', 'race-platform')).toBe(1);
  });
});

describe('one named professional per person, when two writers race', () => {
  it('the second of two API creates, made while the first is uncommitted, is refused with a 409 and writes nothing', async () => {
    const before = await stored('EpisodeOfCare');
    let second: Promise<Awaited<ReturnType<typeof fhir>>> | undefined;
    await t.platform.db.transaction(async (tx) => {
      await t.platform.resources.create('EpisodeOfCare', episode('race-np', 'Practitioner/pr-gp'), { tx });
      second = fhir(t.app, 'POST', 'EpisodeOfCare', episode('race-np', 'Practitioner/pr-sw'));
      await someoneWaits();
    });
    const res = await second!;
    expect(res.status).toBe(409);
    expect(res.body.issue[0].diagnostics).toContain('already has a named professional');
    expect(await activeCount('EpisodeOfCare', 'race-np')).toBe(1);
    expect(await stored('EpisodeOfCare')).toBe(before + 1);
  });

  it('six API creates at once: exactly one 201, five 409s', async () => {
    const answers = await Promise.all(['pr-gp', 'pr-sw', 'pr-nurse', 'pr-gp', 'pr-sw', 'pr-nurse'].map((pr) => fhir(t.app, 'POST', 'EpisodeOfCare', episode('race-np-many', `Practitioner/${pr}`))));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(await activeCount('EpisodeOfCare', 'race-np-many')).toBe(1);
  });

  it('two staff naming a professional for the same person on the web at once: one is named, the other is refused with a 409', async () => {
    const np = t.platform.carePlanning.namedProfessionals;
    const results = await Promise.allSettled([np.assign(gp, 'pat-hollis', 'Practitioner/pr-gp'), np.assign(coordinator, 'pat-hollis', 'Practitioner/pr-nurse')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect((refused.reason as FhirError).status).toBe(409);
    expect(await activeCount('EpisodeOfCare', 'pat-hollis')).toBe(1);
  });
});
