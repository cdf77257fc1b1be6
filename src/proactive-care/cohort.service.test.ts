import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { StaffPrincipal } from '../access/principal.js';
import { Params } from '../fhir/search.repository.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from '../web/web.test-helpers.js';
import type { Criterion } from './cohort.criteria.js';
import { PC_NOW, PC_PASSWORD, PC_PEOPLE, PC_USERS, seedProactiveCareWorld } from './proactive-care.fixtures.js';

const staff = (organizationId: string, role: StaffPrincipal['role'], id: string): StaffPrincipal => ({
  kind: 'staff', id, displayName: id, role, organizationId, organizationIds: [organizationId], via: 'session', credentialId: 't',
});
const GP1 = staff('prac-1', 'gp', 'gp1');
const GP2 = staff('prac-2', 'gp', 'gp2');
const ANALYST = staff('pcn-a', 'icb-analyst', 'analyst');
const CASE_FINDING: Criterion[] = [{ name: 'age', min: 65 }, { name: 'efi', values: ['moderate', 'severe'] }, { name: 'admissions', min: 1 }, { name: 'care-plan', none: true }];

describe('cohorts and case finding', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => PC_NOW;
    await seedProactiveCareWorld(t.platform);
    await t.platform.proactiveCare.frailty.computeAll();
  }, 120_000);
  afterAll(() => t.close());

  it('counts after each criterion match a direct count over the record itself (Patients, RiskAssessments, Encounters, CarePlans)', async () => {
    const r = await t.platform.proactiveCare.cohorts.evaluate(GP1, CASE_FINDING, PC_NOW);
    // Directly from the stored resources' JSON, not from person_risk or the index.
    const direct = await t.platform.db.query<{ n0: number; n1: number; n2: number; n3: number; n4: number }>(
      `WITH p AS (
         SELECT pt.id, (pt.content::jsonb ->> 'birthDate')::date AS born,
           (SELECT ra.content::jsonb #>> '{prediction,0,qualitativeRisk,coding,0,code}' FROM resource ra
             WHERE ra.resource_type = 'RiskAssessment' AND NOT ra.deleted AND ra.content::jsonb #>> '{subject,reference}' = 'Patient/' || pt.id) AS cat,
           (SELECT count(*) FROM resource e WHERE e.resource_type = 'Encounter' AND NOT e.deleted AND e.content::jsonb #>> '{subject,reference}' = 'Patient/' || pt.id
              AND e.content::jsonb #>> '{class,code}' = 'IMP' AND e.content::jsonb #>> '{priority,coding,0,code}' = 'EM'
              AND (e.content::jsonb #>> '{period,start}')::timestamptz >= $1::timestamptz - interval '365 days') AS adm,
           EXISTS (SELECT 1 FROM resource c WHERE c.resource_type = 'CarePlan' AND NOT c.deleted AND c.content::jsonb ->> 'status' = 'active'
              AND c.content::jsonb #>> '{subject,reference}' = 'Patient/' || pt.id) AS plan
         FROM resource pt WHERE pt.resource_type = 'Patient' AND NOT pt.deleted)
       SELECT count(*)::int AS n0,
         count(*) FILTER (WHERE born <= ($1::date - interval '65 years'))::int AS n1,
         count(*) FILTER (WHERE born <= ($1::date - interval '65 years') AND cat IN ('moderate', 'severe'))::int AS n2,
         count(*) FILTER (WHERE born <= ($1::date - interval '65 years') AND cat IN ('moderate', 'severe') AND adm >= 1)::int AS n3,
         count(*) FILTER (WHERE born <= ($1::date - interval '65 years') AND cat IN ('moderate', 'severe') AND adm >= 1 AND NOT plan)::int AS n4
       FROM p`,
      [PC_NOW.toISOString()],
    );
    const d = direct.rows[0];
    expect(r.steps.map((s) => s.count.count)).toEqual([d.n0, d.n1, d.n2, d.n3, d.n4]);
    // And against the fixture's own design: four at prac-1 and five at prac-2 qualify.
    expect(d.n4).toBe(PC_PEOPLE.filter((p) => p.id.includes('-cf-')).length);
  });

  it('names only the people the user has a care relationship with; user B (another practice) sees the same count but none of them by name', async () => {
    const a = await t.platform.proactiveCare.cohorts.evaluate(GP1, CASE_FINDING, PC_NOW);
    expect(a.members.map((m) => m.id).sort()).toEqual(['p1-cf-a', 'p1-cf-b', 'p1-cf-c', 'p1-cf-d']);
    expect(a.notNamed).toEqual({ count: 5, suppressed: false });
    const b = await t.platform.proactiveCare.cohorts.evaluate(GP2, [...CASE_FINDING, { name: 'practice', values: ['prac-1'] }], PC_NOW);
    expect(b.total.count).toBeNull(); // four: a small number, suppressed
    expect(b.total.suppressed).toBe(true);
    expect(b.members).toEqual([]);
    // The same rule as the FHIR API: none of prac-1's people pass user B's row restriction.
    const p = new Params();
    const seen = await t.platform.db.query(`SELECT r.id FROM resource r WHERE r.resource_type = 'Patient' AND r.id LIKE 'p1-%' AND ${restrictionFor(GP2, PC_NOW)('r', 'Patient', p)}`, p.values);
    expect(seen.rows).toEqual([]);
  });

  it('says why each member qualifies, from their own record', async () => {
    const a = await t.platform.proactiveCare.cohorts.evaluate(GP1, CASE_FINDING, PC_NOW);
    const first = a.members[0];
    expect(first.id).toBe('p1-cf-a'); // the frailest first
    expect(first.why).toEqual(['Aged 87', 'Severe frailty: eFI 0.39 (14 of 36 deficits)', '2 emergency admissions in the last 12 months', 'No active care plan']);
  });

  it('an analyst sees counts only, with small numbers suppressed', async () => {
    const r = await t.platform.proactiveCare.cohorts.evaluate(ANALYST, [...CASE_FINDING, { name: 'quintile', values: [1] }], PC_NOW);
    expect(r.members).toEqual([]);
    expect(r.total).toEqual({ count: null, suppressed: true });
    expect(r.notNamed.suppressed).toBe(true);
  });

  it('filters by practice, network, district, condition code set, deprivation, carer and named professional', async () => {
    const count = async (c: Criterion[]) => (await t.platform.proactiveCare.cohorts.evaluate(GP1, c, PC_NOW)).steps.at(-1)!.count.count;
    expect(await count([{ name: 'pcn', values: ['pcn-a'] }])).toBe(PC_PEOPLE.length);
    expect(await count([{ name: 'practice', values: ['prac-2'] }])).toBe(6);
    expect(await count([{ name: 'district', values: ['maidstone'] }])).toBe(PC_PEOPLE.length);
    expect(await count([{ name: 'quintile', values: [4] }])).toBe(5);
    expect(await count([{ name: 'carer', has: false }])).toBe(PC_PEOPLE.length - 2);
    expect(await count([{ name: 'named-professional', none: true }])).toBe(PC_PEOPLE.length);
    // Everyone with 9+ deficits has the first code set (activity limitation); the fit person has it too (2 deficits).
    const withFirst = PC_PEOPLE.filter((p) => p.deficits >= 1).length;
    expect(await count([{ name: 'condition', set: 'efi:activity-limitation', codes: (await import('./efi.vocabulary.js')).efiCodeSets().byKey.get('activity-limitation')!.codes }])).toBe(withFirst);
  });

  it('case finding: a GP lands on their practice\'s list with why each person qualifies and a link to add them to an MDT meeting', async () => {
    const b = new Browser(t);
    await b.signIn(PC_USERS.gp1, PC_PASSWORD);
    const page = await b.get('/case-finding');
    expect(page.status).toBe(200);
    for (const id of ['p1-cf-a', 'p1-cf-b', 'p1-cf-c', 'p1-cf-d']) expect(page.body).toContain(`href="/people/${id}"`);
    expect(page.body).not.toContain('p1-planned');
    expect(page.body).not.toContain('p2-cf-');
    expect(page.body).toContain('href="/mdt/add?patient=p1-cf-a"');
    expect(page.body).toContain('Severe frailty: eFI 0.39 (14 of 36 deficits)');
    // The network's list: the practice's four by name, the other practice's five counted, not named.
    const pcn = await b.get('/case-finding?scope=pcn%3Apcn-a');
    expect(pcn.body).toContain('5 more people match whom you may not see by name');
    expect((await b.get('/case-finding?scope=pcn%3Aelsewhere')).status).toBe(400);
  });

  it('a care plan written now takes the person off case finding at once', async () => {
    await t.platform.resources.update('CarePlan', 'p1-cf-c-plan', { resourceType: 'CarePlan', id: 'p1-cf-c-plan', status: 'active', intent: 'plan', subject: { reference: 'Patient/p1-cf-c' } });
    const r = await t.platform.proactiveCare.cohorts.evaluate(GP1, CASE_FINDING, PC_NOW);
    expect(r.members.map((m) => m.id)).not.toContain('p1-cf-c');
    await t.platform.resources.delete('CarePlan', 'p1-cf-c-plan');
    expect((await t.platform.proactiveCare.cohorts.evaluate(GP1, CASE_FINDING, PC_NOW)).members.map((m) => m.id)).toContain('p1-cf-c');
  });

  it('saves a cohort of people the user may see as a FHIR Group; refuses one naming people they may not, and a criterion that does not parse, writing nothing', async () => {
    const groups = async () => Number((await t.platform.db.query(`SELECT count(*) AS n FROM resource WHERE resource_type = 'Group'`)).rows[0].n);
    const b = new Browser(t);
    await b.signIn(PC_USERS.gp1, PC_PASSWORD);
    const form = await b.get('/cohorts?practice=prac-1&age=65-&efi=moderate&efi=severe&admissions=1&care-plan=none');
    expect(form.status).toBe(200);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1];
    const criteria = /name="criteria" value="([^"]+)"/.exec(form.body)![1].replaceAll('&amp;', '&');
    const saved = await b.post('/cohorts', { csrf_token: csrf, criteria, name: 'Frail, admitted, no plan' });
    expect(saved.status).toBe(303);
    const id = /saved=([^&]+)/.exec(String(saved.headers.location))![1];
    const g = JSON.parse((await t.platform.resources.read('Group', id)).content!);
    expect(g.member.map((m: { entity: { reference: string } }) => m.entity.reference).sort()).toEqual(['Patient/p1-cf-a', 'Patient/p1-cf-b', 'Patient/p1-cf-c', 'Patient/p1-cf-d']);
    expect(g.characteristic).toHaveLength(5);
    expect(g.extension.find((x: { url: string }) => x.url.endsWith('/cohort-as-of')).valueDate).toBe('2025-07-01');
    const before = await groups();
    // Without the practice: the network's other practice's people are in it.
    const refused = await b.post('/cohorts', { csrf_token: csrf, criteria: 'age=65-&efi=moderate,severe', name: 'Everyone frail' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('includes people you may not see by name');
    const bad = await b.post('/cohorts', { csrf_token: csrf, criteria: 'age=sixty&efi=moderate', name: 'Bad' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('is not an age range');
    expect(bad.body).toContain('value="sixty"');
    expect(await groups()).toBe(before);
    const badGet = await b.get('/cohorts?efi=frail');
    expect(badGet.status).toBe(400);
    expect(badGet.body).toContain('is not an eFI category');
  });

  it('the record page shows the eFI with its category, deficits and admissions; the GP of another practice is not shown it', async () => {
    const b = new Browser(t);
    await b.signIn(PC_USERS.gp1, PC_PASSWORD);
    const page = await b.get('/people/p1-cf-a');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Frailty and risk');
    expect(page.body).toContain('Severe frailty');
    expect(page.body).toContain('eFI 0.39: 14 of 36 deficits');
    expect(page.body).toMatch(/Emergency admissions in the last 12 months<\/dt>\s*<dd[^>]*>\s*2/);
    const young = await b.get('/people/p1-young');
    expect(young.body).toContain('computed for people aged 65 and over');
    expect(await t.platform.proactiveCare.risk.forPerson(GP2, 'p1-cf-a', PC_NOW)).toBeUndefined();
  });

  it('a receptionist may not use cohorts or case finding', async () => {
    const { createStaff } = await import('../access/identity/identity.test-helpers.js');
    await createStaff(t.platform, 'pc.reception', PC_PASSWORD, [{ organizationId: 'prac-1', role: 'receptionist' }]);
    const b = new Browser(t);
    await b.signIn('pc.reception', PC_PASSWORD);
    expect((await b.get('/case-finding')).status).toBe(403);
    expect((await b.get('/cohorts')).status).toBe(403);
  });
});
