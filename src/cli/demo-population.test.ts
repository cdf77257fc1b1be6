import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoAccount } from '../access/identity/demo-accounts.js';
import { restrictionFor } from '../access/policy/index.js';
import { frozenClock } from '../clock.js';
import { Params } from '../fhir/search.repository.js';
import { createLogger } from '../logger.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import { publishDefinitions } from './definitions.js';
import { demoPrincipal, loadDemoPopulation, WORKING_ROLES } from './demo-population.js';
import { seedDemoAccounts } from '../access/identity/demo-accounts.js';
import { DEMO_CASE_FINDING_PEOPLE } from '../proactive-care/case-finding.demo.js';
import { PATHWAY_AGES } from '../pathways/pathway.demo.js';
import type { MhPathway } from '../pathways/pathway.vocabulary.js';
import { ageOn } from '../record-view/fhir-text.js';

// The demo as a first start loads it (2,000 residents), on a fixed day so the counts are the same on every run.
const NOW = new Date('2025-07-01T09:00:00Z');
const TODAY = '2025-07-01';
const WEEK_AHEAD = '2025-07-08';

/** People each staff account must see without breaking glass: a caseload, not a handful. */
const MIN_PEOPLE: Record<string, number> = {
  gp: 200, 'practice-nurse': 200, receptionist: 200, 'care-coordinator': 60, 'link-worker': 60,
  'community-nurse': 20, 'social-worker': 20, 'mental-health-practitioner': 20, 'discharge-coordinator': 20,
};

let t: TestPlatform;
let accounts: DemoAccount[];

beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  // The services the demo seeds through read the platform's clock: the same fixed day.
  t.platform.clock.now = () => NOW;
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    // As `npm start` does it: the definitions first (a first start must still load the population).
    await publishDefinitions(t.platform);
    await loadDemoPopulation(t.platform, 2000, createLogger('silent'), { clock: frozenClock(NOW), asOf: TODAY });
    accounts = await seedDemoAccounts(t.platform);
  } finally {
    log.mockRestore();
  }
}, 600_000);
afterAll(async () => t?.close());

async function count(a: DemoAccount, type: string, where = 'true'): Promise<number> {
  const p = new Params();
  const cond = restrictionFor(demoPrincipal(a), NOW)('r', type, p) ?? 'true';
  const res = await t.platform.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM resource r WHERE r.resource_type = ${p.add(type)} AND NOT r.deleted AND ${cond} AND ${where}`, p.values);
  return res.rows[0].n;
}

const openTask = `(r.content::jsonb ->> 'status') = ANY(ARRAY['${OPEN_TASK_STATUSES.join("','")}'])`;
const ownedBy = (ref: string) => `(r.content::jsonb -> 'owner' ->> 'reference') = '${ref}'`;
const due = (op: string, day: string) => `(r.content::jsonb -> 'restriction' -> 'period' ->> 'end') ${op} '${day}'`;

describe('the demo: caseloads and work for every staff account, through the row restriction', () => {
  it('gives every staff account with a worklist a caseload of at least its minimum, without breaking glass', async () => {
    const seen: Record<string, number> = {};
    for (const role of WORKING_ROLES) {
      const a = accounts.find((x) => x.role === role)!;
      seen[role] = await count(a, 'Patient');
    }
    console.info('people visible per demo account', seen);
    for (const role of WORKING_ROLES) expect(seen[role], role).toBeGreaterThanOrEqual(MIN_PEOPLE[role]);
  });

  it('gives each of them open work they can see: their own, their pool\'s, overdue and due this week', async () => {
    const seen: Record<string, number[]> = {};
    for (const role of WORKING_ROLES) {
      const a = accounts.find((x) => x.role === role)!;
      const [owned, pool, overdue, thisWeek] = await Promise.all([
        count(a, 'Task', `${openTask} AND ${ownedBy(`Practitioner/${a.practitionerId}`)}`),
        count(a, 'Task', `${openTask} AND ${ownedBy(`Organization/${a.organizationId}`)}`),
        count(a, 'Task', `${openTask} AND (${ownedBy(`Practitioner/${a.practitionerId}`)} OR ${ownedBy(`Organization/${a.organizationId}`)}) AND ${due('<', TODAY)}`),
        count(a, 'Task', `${openTask} AND (${ownedBy(`Practitioner/${a.practitionerId}`)} OR ${ownedBy(`Organization/${a.organizationId}`)}) AND ${due('>=', TODAY)} AND ${due('<=', WEEK_AHEAD)}`),
      ]);
      seen[role] = [owned, pool, overdue, thisWeek];
    }
    console.info('open tasks per demo account [owned, pool, overdue, due this week]', seen);
    for (const role of WORKING_ROLES) {
      const [owned, pool, overdue, thisWeek] = seen[role];
      expect(owned, role).toBeGreaterThan(0);
      expect(pool, role).toBeGreaterThan(0);
      expect(overdue, role).toBeGreaterThan(0);
      expect(thisWeek, role).toBeGreaterThan(0);
    }
  });

  it('dates nothing that has happened after the day it is loaded (demo tasks were asked for up to 13 days ahead)', async () => {
    // What was asked, recorded, sent or done; a planned encounter and a review date may be ahead.
    const res = await t.platform.db.query<{ resource_type: string; id: string; field: string; value: string }>(
      `SELECT r.resource_type, r.id, f.field, f.value
         FROM resource r CROSS JOIN LATERAL (VALUES
           ('authoredOn', r.content::jsonb ->> 'authoredOn'), ('recordedDate', r.content::jsonb ->> 'recordedDate'),
           ('effectiveDateTime', r.content::jsonb ->> 'effectiveDateTime'), ('sent', r.content::jsonb ->> 'sent'),
           ('authored', r.content::jsonb ->> 'authored'), ('occurrenceDateTime', r.content::jsonb ->> 'occurrenceDateTime'),
           ('performedDateTime', r.content::jsonb ->> 'performedDateTime'), ('lastModified', r.content::jsonb ->> 'lastModified'),
           ('period.start', CASE WHEN r.resource_type = 'Encounter' AND r.content::jsonb ->> 'status' <> 'planned' THEN r.content::jsonb -> 'period' ->> 'start' END)
         ) AS f(field, value)
        WHERE NOT r.deleted AND f.value > $1 ORDER BY 1, 2, 3 LIMIT 10`, [`${TODAY}T23:59:59Z`]);
    expect(res.rows).toEqual([]);
  });

  it('makes the community nurse on the demo resident\'s care team the one who signs in', async () => {
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const nurse = accounts.find((a) => a.role === 'community-nurse')!;
    const teams = await t.platform.db.query<{ content: string }>(
      `SELECT r.content FROM resource r JOIN sp_reference s ON s.rid = r.rid AND s.code = 'subject' AND s.target_id = $1
        WHERE r.resource_type = 'CareTeam' AND NOT r.deleted`, [resident.patientId]);
    const members = teams.rows.flatMap((r) => JSON.parse(r.content).participant.map((p: any) => p.member.reference));
    expect(members.some((m: string) => m === `Practitioner/${nurse.practitionerId}` || m === `Organization/${nurse.organizationId}`)).toBe(true);
    expect(await count(nurse, 'Patient', `r.id = '${resident.patientId}'`)).toBe(1);
  });

  it('computes the eFI at load, and the GP and the care coordinator land on a populated case-finding list', async () => {
    const older = await t.platform.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM person_risk WHERE efi_category IS NOT NULL`);
    expect(older.rows[0].n).toBeGreaterThan(200);
    for (const role of ['gp', 'care-coordinator'] as const) {
      const a = accounts.find((x) => x.role === role)!;
      const list = await t.platform.proactiveCare.caseFinding.list(demoPrincipal(a), NOW);
      expect(list.members.length, role).toBeGreaterThanOrEqual(DEMO_CASE_FINDING_PEOPLE);
      for (const m of list.members) expect(m.why).toContain('No active care plan');
    }
  });
});

describe('the demo: discharges (src/discharge/discharge.demo.ts)', () => {
  const as = (role: string) => demoPrincipal(accounts.find((x) => x.role === role)!);
  it('puts the discharge coordinator on a board with 21+ day patients no longer meeting the criteria, tasks in every state, and plans shared', async () => {
    const b = await t.platform.discharge.board.board(as('discharge-coordinator'), { sort: 'los' }, NOW);
    const states = new Set(b.stays.flatMap((s) => s.tasks.map((x) => x.status)));
    console.info('discharge board', b.counts, [...states]);
    expect(b.counts.total).toBeGreaterThanOrEqual(18);
    expect(b.counts.ready21).toBeGreaterThanOrEqual(3);
    expect(b.delayDaysByReason.length).toBeGreaterThanOrEqual(3);
    for (const s of ['requested', 'accepted', 'in-progress', 'on-hold', 'completed', 'cancelled']) expect(states, s).toContain(s);
    expect(b.stays.some((s) => s.planNotice === 'in-time')).toBe(true);
    expect(b.wards.length).toBe(3);
    // The plans' words for the person say a day as people do ("On 3 July 2025"), not "On 2025-07-03".
    const iso = await t.platform.db.query("SELECT id FROM resource WHERE NOT deleted AND content ~ 'On [0-9]{4}-[0-9]{2}-[0-9]{2}' LIMIT 5");
    expect(iso.rows).toEqual([]);
  });

  it('gives the community nurse a board and the social worker a hub with referrals and day-91 follow-ups; the carer a plan', async () => {
    expect((await t.platform.discharge.board.board(as('community-nurse'), { sort: 'los' }, NOW)).stays.length).toBeGreaterThan(0);
    const hub = await t.platform.discharge.board.hub(as('social-worker'), NOW);
    const types = hub.mine.map((i) => i.type);
    console.info('social worker hub', types);
    expect(types).toContain('reablement');
    expect(types).toContain('reablement-91');
    const carer = accounts.find((a) => a.kind === 'proxy')!;
    const proxy = { kind: 'proxy' as const, id: carer.username, displayName: carer.displayName, relatedPersonIds: [carer.relatedPersonId!], patientIds: [carer.patientId!], via: 'session' as const, credentialId: 'demo' };
    expect((await t.platform.discharge.board.plansFor(proxy, carer.patientId!, NOW)).length).toBe(1);
  });

  it('seeds care planning so the care coordinator, the GP, the resident and the carer land on populated pages', async () => {
    const cc = demoPrincipal(accounts.find((a) => a.role === 'care-coordinator')!);
    const gp = demoPrincipal(accounts.find((a) => a.role === 'gp')!);
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const carer = accounts.find((a) => a.kind === 'proxy')!;
    const { lists, mdt, plans } = t.platform.carePlanning;
    expect((await lists.withoutPlan(cc)).people.length).toBeGreaterThan(0);
    expect((await lists.dueForReview(cc)).length).toBeGreaterThan(0);
    const { upcoming } = await mdt.list(gp);
    expect(upcoming.length).toBeGreaterThan(0);
    const meeting = await mdt.get(gp, upcoming[0].id);
    expect(meeting.people.length).toBeGreaterThanOrEqual(2);
    const theirs = meeting.people.find((x) => x.patientId === resident.patientId)!;
    expect(theirs.carriedOver.map((a) => a.what)).toContain('Review the care and support package');
    expect(theirs.actions.length).toBeGreaterThan(0);
    const residentPlan = await plans.forPerson({ kind: 'resident', id: resident.username, displayName: resident.displayName, patientId: resident.patientId!, via: 'session', credentialId: 'demo' }, resident.patientId!);
    expect(residentPlan.current?.view.needs.length).toBeGreaterThan(0);
    const carerPlan = await plans.forPerson({ kind: 'proxy', id: carer.username, displayName: carer.displayName, relatedPersonIds: [carer.relatedPersonId!], patientIds: [carer.patientId!], via: 'session', credentialId: 'demo' }, carer.patientId!);
    expect(carerPlan.current?.view.id).toBe(residentPlan.current?.view.id);
    const states = await t.platform.db.query<{ status: string }>(
      "SELECT DISTINCT content::jsonb ->> 'status' AS status FROM resource WHERE resource_type = 'CarePlan' AND content LIKE '%personalised-care-and-support-plan%'",
    );
    expect(states.rows.map((r) => r.status).sort()).toEqual(expect.arrayContaining(['active', 'completed', 'draft']));
  });
});

describe('the demo: a joint assessment in progress (src/care-planning/joint-assessment.demo.ts)', () => {
  it('leaves the social care part and the carer\'s assessment on the social worker\'s list, "about me" for the resident, and the carer\'s offered', async () => {
    const ja = t.platform.carePlanning.assessments;
    const sw = demoPrincipal(accounts.find((a) => a.role === 'social-worker')!);
    const cc = demoPrincipal(accounts.find((a) => a.role === 'care-coordinator')!);
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const carer = accounts.find((a) => a.kind === 'proxy')!;
    expect((await ja.toAnswer(sw)).parts.map((x) => x.part.code).sort()).toEqual(['carer', 'social-care']);
    const [a] = await ja.forPerson(cc, resident.patientId!);
    expect(a.parts.map((x) => [x.code, x.status])).toEqual([['health', 'completed'], ['social-care', 'ready'], ['carer', 'ready'], ['about-me', 'ready']]);
    const me = { kind: 'resident' as const, id: resident.username, displayName: resident.displayName, patientId: resident.patientId!, via: 'session' as const, credentialId: 'demo' };
    expect((await ja.ownParts(me)).map((x) => x.part.mine)).toEqual([true]);
    const proxy = { kind: 'proxy' as const, id: carer.username, displayName: carer.displayName, relatedPersonIds: [carer.relatedPersonId!], patientIds: [carer.patientId!], via: 'session' as const, credentialId: 'demo' };
    expect((await ja.carersOwn(proxy, carer.patientId!)).map((x) => x.status)).toEqual(['ready']);
  });
});

describe('the demo: the care coordinator\'s and the GP\'s lists (issue 12 part 7)', () => {
  it('lands both on populated lists (people without a plan, plans due for review, MDT actions due); the resident\'s named professional is the care coordinator', async () => {
    const ccAccount = accounts.find((a) => a.role === 'care-coordinator')!;
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const { lists, namedProfessionals } = t.platform.carePlanning;
    for (const role of ['care-coordinator', 'gp'] as const) {
      const p = demoPrincipal(accounts.find((a) => a.role === role)!);
      const [without, due, actions] = [(await lists.withoutPlan(p)).people.length, (await lists.dueForReview(p)).length, (await lists.mdtActionsDue(p)).length];
      console.info(role, { without, due, actions });
      expect(without, role).toBeGreaterThan(0);
      expect(due, role).toBeGreaterThan(0);
      expect(actions, role).toBeGreaterThan(0);
    }
    const named = await namedProfessionals.of(demoPrincipal(ccAccount), resident.patientId!);
    expect(named.current?.manager.reference).toBe(`Practitioner/${ccAccount.practitionerId}`);
  });
});

describe('the demo: mental health pathways (src/pathways/pathway.demo.ts)', () => {
  it('puts the mental health practitioner on a board with a first-episode psychosis referral near its limit, breaches and an inappropriate placement', async () => {
    const a = accounts.find((x) => x.role === 'mental-health-practitioner')!;
    const b = await t.platform.pathways.board(demoPrincipal(a), NOW);
    console.info('pathway board', b.waiting.map((w) => [w.pathway, w.near, w.breached]), b.inappropriateBedDays);
    expect(b.waiting.some((w) => w.pathway === 'fep' && w.near)).toBe(true);
    expect(b.waiting.filter((w) => w.breached).length).toBeGreaterThanOrEqual(2);
    expect(b.inappropriateBedDays).toBeGreaterThan(0);
    // Each referral is about someone its pathway is for: no perinatal referral for a man.
    const about = await t.platform.db.query<{ pathway: string; gender: string; birth: string }>(
      `SELECT t.content::jsonb -> 'code' -> 'coding' -> 1 ->> 'code' AS pathway, p.content::jsonb ->> 'gender' AS gender, p.content::jsonb ->> 'birthDate' AS birth
         FROM resource t JOIN resource p ON p.resource_type = 'Patient' AND 'Patient/' || p.id = t.content::jsonb -> 'for' ->> 'reference'
        WHERE t.resource_type = 'Task' AND t.id LIKE 'demo-mh-%'`);
    expect(about.rows.map((r) => r.pathway).sort()).toEqual(['core24', 'crisis', 'crisis', 'fep', 'fep', 'fep', 'perinatal', 'perinatal']);
    for (const r of about.rows) expect(PATHWAY_AGES[r.pathway as MhPathway]({ gender: r.gender, age: ageOn(r.birth, NOW)! }), JSON.stringify(r)).toBe(true);
    expect(about.rows.filter((r) => r.pathway === 'perinatal').every((r) => r.gender === 'female')).toBe(true);
  });
});

describe('the demo: referrals and social prescribing (src/social-prescribing/social-prescribing.demo.ts)', () => {
  it('gives the link worker a caseload with people waiting, follow-ups due, a declined onward referral and a wellbeing change', async () => {
    const link = accounts.find((a) => a.role === 'link-worker')!;
    const c = await t.platform.socialPrescribing.caseload.caseload(demoPrincipal(link));
    console.info('demo caseload', { people: c.people.length, waiting: c.waiting.length, due: c.dueFollowUp.length, declined: c.declined.length, wellbeing: c.wellbeing });
    expect(c.people.length).toBeGreaterThanOrEqual(8);
    expect(c.waiting.length).toBeGreaterThanOrEqual(2);
    expect(c.dueFollowUp.length).toBeGreaterThanOrEqual(2);
    expect(c.declined.length).toBeGreaterThanOrEqual(1);
    expect(c.wellbeing.withBoth).toBe(2);
    expect(c.wellbeing.startOnly).toBeGreaterThanOrEqual(3);
  });

  it('vcse.demo works for the befriending charity; the link worker has referrals to it in every state, one past its clock; the resident sees theirs', async () => {
    const vcse = accounts.find((a) => a.username === 'vcse.demo')!;
    expect(vcse.role).toBe('vcse-worker');
    const link = accounts.find((a) => a.role === 'link-worker')!;
    const { referrals } = t.platform.referrals;
    const sent = await referrals.sent(demoPrincipal(link));
    const statuses = new Set(sent.map((r) => r.status));
    for (const s of ['requested', 'received', 'on-hold', 'accepted', 'in-progress', 'completed', 'rejected', 'cancelled', 'failed']) expect(statuses, s).toContain(s);
    expect(sent.some((r) => r.breached)).toBe(true);
    const received = await referrals.received(demoPrincipal(vcse));
    expect(received.length).toBeGreaterThanOrEqual(5);
    expect(received.every((r) => r.task?.owner?.reference === `Organization/${vcse.organizationId}`)).toBe(true);
    const resident = accounts.find((a) => a.kind === 'resident')!;
    const mine = await referrals.forPerson({ kind: 'resident', id: resident.username, displayName: resident.displayName, patientId: resident.patientId!, via: 'session', credentialId: 'demo' }, resident.patientId!);
    expect(mine.length).toBeGreaterThan(0);
  });
});


describe('the demo: submitted figures (issue 14 part 3)', () => {
  it('seeds figures the ICB analyst sees, one corrected, and the council\'s social worker may submit', async () => {
    const rows = await t.platform.db.query<{ measure_id: string; place: string; submitted_version: number }>(
      `SELECT measure_id, place, submitted_version FROM outcome_report WHERE submitted_version IS NOT NULL ORDER BY 1, 2, 3`);
    expect(rows.rows.length).toBeGreaterThanOrEqual(7);
    expect(rows.rows.some((r) => r.measure_id === 'O1.4' && r.place.startsWith('county:') && r.submitted_version === 2)).toBe(true);
    const worker = accounts.find((a) => a.role === 'social-worker')!;
    expect(t.platform.outcomes.submitted.maySubmit(demoPrincipal(worker), 'O1.4')).toBe(true);
    const analyst = accounts.find((a) => a.role === 'icb-analyst')!;
    expect((await t.platform.outcomes.service.indicator(demoPrincipal(analyst), 'O1.4'))!.history.length).toBe(2);
  });
});
