import type { Bundle, CarePlan, EpisodeOfCare, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { ProxyPrincipal, ResidentPrincipal } from '../access/principal.js';
import { FhirError } from '../fhir/outcome.js';
import { CARE_ORGS, CARE_USERS } from '../record-view/care.fixtures.js';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from '../testing/test-platform.js';
import { CARE_COORDINATION_TYPE, MDT_ACTION_KIND, PCSP_EXT, PLAN_CATEGORY, taskKindCode } from './care-planning.vocabulary.js';
import { PLAN_USERS, seedPlanWorld, staffPrincipal } from './care-planning.fixtures.js';
import { planDocument, readPlanDocument } from './plan-document.js';

// Care planning on a real database: one active plan and one named professional, enforced on the
// FHIR API and through the services; MDT actions need an owner and a due date; an agreement names
// the person or their representative; who may see and take part in a plan; the Composition round trip.

let t: TestPlatform;
const NOW = new Date('2026-03-02T10:00:00Z');
const gp = staffPrincipal(PLAN_USERS.gp);
const sw = staffPrincipal(PLAN_USERS.socialWorker);
const stranger = staffPrincipal(PLAN_USERS.stranger);
const nurse = staffPrincipal({ ...CARE_USERS.nurse });
const margaret: ResidentPrincipal = { kind: 'resident', id: 'u-margaret', displayName: 'Margaret Hollis', patientId: 'pat-hollis', via: 'session', credentialId: 'c1' };
const peter: ProxyPrincipal = { kind: 'proxy', id: 'u-peter', displayName: 'Peter Hollis', relatedPersonIds: ['rp-hollis'], patientIds: ['pat-hollis'], via: 'session', credentialId: 'c2' };
const API_PATIENT = 'pat-api-plans';

const fail = async (p: Promise<unknown>): Promise<FhirError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof FhirError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};
const count = async (type: string) => Number((await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => NOW;
  await seedPlanWorld(t.platform);
  await t.platform.resources.update('Patient', API_PATIENT, {
    resourceType: 'Patient', id: API_PATIENT, generalPractitioner: [{ reference: `Organization/${TEST_ORG_ID}` }], meta: { tag: [recordedByTag(TEST_ORG_ID)] },
  });
}, 60_000);
afterAll(async () => t?.close());

describe('on the FHIR API', () => {
  const plan = (status: string, extra: Partial<CarePlan> = {}): CarePlan => ({ resourceType: 'CarePlan', status, intent: 'plan', category: [PLAN_CATEGORY], subject: { reference: `Patient/${API_PATIENT}` }, ...extra } as CarePlan);

  it('a second active personalised care and support plan is refused with a 409, and nothing is written', async () => {
    const first = await fhir(t.app, 'POST', 'CarePlan', plan('active'));
    expect(first.status).toBe(201);
    const before = await count('CarePlan');
    const second = await fhir(t.app, 'POST', 'CarePlan', plan('active'));
    expect(second.status).toBe(409);
    expect(second.body.issue[0].diagnostics).toContain('already has an active personalised care and support plan');
    const draft = await fhir(t.app, 'POST', 'CarePlan', plan('draft'));
    expect(draft.status).toBe(201);
    const promote = await fhir(t.app, 'PUT', `CarePlan/${draft.body.id}`, { ...draft.body, status: 'active' });
    expect(promote.status).toBe(409);
    expect(await count('CarePlan')).toBe(before + 1);
  });

  it('a plan "agreed" by someone who is neither the person nor their representative is refused', async () => {
    const agreed = (by: string) => plan('draft', { extension: [{ url: PCSP_EXT.agreement, extension: [{ url: 'agreedBy', valueReference: { reference: by } }, { url: 'date', valueDateTime: '2026-03-01' }] }] });
    const res = await fhir(t.app, 'POST', 'CarePlan', agreed('Practitioner/pr-gp'));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain('agreed with the person or their representative');
    expect((await fhir(t.app, 'POST', 'CarePlan', agreed(`Patient/${API_PATIENT}`))).status).toBe(201);
  });

  it('a second active named professional is refused with a 409', async () => {
    const ep = { resourceType: 'EpisodeOfCare', status: 'active', type: [CARE_COORDINATION_TYPE], patient: { reference: `Patient/${API_PATIENT}` }, careManager: { reference: 'Practitioner/pr-gp' } } as EpisodeOfCare;
    expect((await fhir(t.app, 'POST', 'EpisodeOfCare', ep)).status).toBe(201);
    const second = await fhir(t.app, 'POST', 'EpisodeOfCare', { ...ep, careManager: { reference: 'Practitioner/pr-sw' } });
    expect(second.status).toBe(409);
    expect(second.body.issue[0].diagnostics).toContain('already has a named professional');
    // Written without a display, as a partner may: the pages name the professional from the record.
    const here = staffPrincipal({ username: 'gp.api-org', displayName: 'A GP', role: 'gp', organizationId: TEST_ORG_ID });
    expect((await t.platform.carePlanning.namedProfessionals.of(here, API_PATIENT)).current?.manager).toEqual({ reference: 'Practitioner/pr-gp', name: 'Helen Shah' });
  });

  it('an MDT action without an owner or a due date is refused, naming both', async () => {
    const task = { resourceType: 'Task', status: 'requested', intent: 'order', code: taskKindCode(MDT_ACTION_KIND), for: { reference: `Patient/${API_PATIENT}` }, description: 'Call the family' } as Task;
    const res = await fhir(t.app, 'POST', 'Task', task);
    expect(res.status).toBe(422);
    expect(res.body.issue.map((i: { expression: string[] }) => i.expression[0])).toEqual(['Task.owner', 'Task.restriction.period.end']);
    expect((await fhir(t.app, 'POST', 'Task', { ...task, owner: { reference: `Organization/${TEST_ORG_ID}` }, restriction: { period: { end: '2026-04-01' } } })).status).toBe(201);
  });
});

describe('the named professional', () => {
  it('is named once; a second is refused; a handover waits for the successor, who alone can accept it', async () => {
    const np = t.platform.carePlanning.namedProfessionals;
    const named = await np.assign(nurse, 'pat-hollis', 'Practitioner/pr-nurse');
    expect(named.manager.name).toBe('Amira Okafor');
    expect((await fail(np.assign(gp, 'pat-hollis', 'Practitioner/pr-gp'))).status).toBe(409);
    const handover = await np.proposeHandover(nurse, 'pat-hollis', 'Practitioner/pr-sw');
    expect(handover.manager.reference).toBe('Practitioner/pr-sw');
    expect((await np.of(gp, 'pat-hollis')).current?.manager.reference).toBe('Practitioner/pr-nurse');
    expect((await fail(np.acceptHandover(gp, 'pat-hollis'))).status).toBe(403);
    const now = await np.acceptHandover(sw, 'pat-hollis');
    expect(now.manager.reference).toBe('Practitioner/pr-sw');
    const active = await t.platform.db.query("SELECT id FROM resource WHERE resource_type = 'EpisodeOfCare' AND content::jsonb ->> 'status' = 'active' AND content LIKE '%care-coordination%' AND content LIKE '%pat-hollis%'");
    expect(active.rows).toHaveLength(1);
    expect((await fail(np.of(stranger, 'pat-hollis').then(() => np.assign(stranger, 'pat-hollis', 'Practitioner/pr-hillview')))).status).toBe(404);
  });
});

describe('MDT meetings', () => {
  it('a GP arranges a meeting, adds a person, gives actions to a social worker and a voluntary organisation; open actions carry over', async () => {
    const mdt = t.platform.carePlanning.mdt;
    const m = await mdt.arrange(gp, { title: 'Riverside frailty MDT', date: '2026-03-09', time: '13:00', organisations: [CARE_ORGS.council, CARE_ORGS.vcs, CARE_ORGS.community] });
    const item = await mdt.addPerson(gp, m.id, 'pat-hollis');
    expect((await fail(mdt.addPerson(gp, m.id, 'pat-hollis'))).status).toBe(409);
    expect((await fail(mdt.addPerson(gp, m.id, 'pat-baxter'))).status).toBe(404);
    const tasksBefore = await count('Task');
    const refused = await fail(mdt.addAction(gp, m.id, item, { what: 'Carer\'s assessment for Peter' }));
    expect(refused.status).toBe(422);
    expect(refused.outcome.issue!.map((i) => i.expression![0])).toEqual([`owner-${item}`, `due-${item}-day`]);
    expect(await count('Task')).toBe(tasksBefore);
    await mdt.recordDiscussion(gp, m.id, item, 'Two falls this month; Peter finding it hard.');
    await mdt.addAction(gp, m.id, item, { what: 'Review the care and support package', owner: 'Practitioner/pr-sw', due: '2026-03-20' });
    await mdt.addAction(gp, m.id, item, { what: 'Carer\'s assessment and a break for Peter', owner: `Organization/${CARE_ORGS.vcs}`, due: '2026-03-27' });
    const seen = await mdt.get(sw, m.id);
    expect(seen.people[0].discussion[0].text).toContain('Two falls');
    expect(seen.people[0].actions.map((a) => a.who?.name).sort()).toEqual(["Carers' Support Maidstone", 'Tom Reilly']);
    // Another practice's GP sees neither the meeting nor the person.
    expect((await fail(mdt.get(stranger, m.id))).status).toBe(404);
    const next = await mdt.arrange(gp, { title: 'Riverside frailty MDT', date: '2026-03-23', time: '13:00', organisations: [CARE_ORGS.council] });
    expect(next.people.map((x) => x.patientId)).toEqual(['pat-hollis']);
    expect(next.people[0].carriedOver.map((a) => a.what)).toContain('Review the care and support package');
    const due = await t.platform.carePlanning.lists.mdtActionsDue(sw);
    expect(due.map((a) => a.what)).toContain('Review the care and support package');
  });
});

describe('the personalised care and support plan', () => {
  it('is written by the team, refined and agreed by the person, seen by their carer, and hidden from anyone else', async () => {
    const plans = t.platform.carePlanning.plans;
    let p = await plans.start(nurse, 'pat-hollis', 'Staying well at home');
    expect((await fail(plans.start(gp, 'pat-hollis', 'Another plan'))).status).toBe(409);
    p = await plans.saveSections(gp, p.view.id, p.versionId, {
      title: 'Staying well at home', aboutMe: 'I have lived in Maidstone all my life.', whatMatters: 'Staying at home with my cat',
      needs: 'Help with dressing the leg ulcer\nSupport for Peter', contingency: [{ trigger: 'Peter is unwell', action: 'Call the rapid response team on 01632 960999' }],
      involvedCarers: ['RelatedPerson/rp-hollis'],
    });
    p = await plans.addGoal(nurse, p.view.id, p.versionId, 'Get out into the garden every day', '6');
    p = await plans.addAction(nurse, p.view.id, p.versionId, { what: 'Falls exercise group', owner: `Organization/${CARE_ORGS.community}`, ownerName: 'Kent Community Nursing', due: '2026-04-01' });
    p = await plans.setReview(nurse, p.view.id, p.versionId, '2026-03-20', 'Practitioner/pr-nurse', 'Amira Okafor');
    // Staff cannot record an agreement without the person or their representative.
    expect((await fail(plans.agree(nurse, p.view.id, p.versionId, {}))).status).toBe(400);
    expect((await fail(plans.agree(nurse, p.view.id, p.versionId, { agreedWith: 'Practitioner/pr-gp', date: '2026-03-01' }))).status).toBe(400);
    p = await plans.setStatus(nurse, p.view.id, p.versionId, 'active');
    // The person says what matters, rates their confidence, and agrees.
    p = await plans.setWhatMatters(margaret, p.view.id, p.versionId, 'Staying at home with Biscuit, and seeing my grandchildren');
    const goalId = p.view.goals[0].id;
    p = await plans.rateConfidence(margaret, p.view.id, goalId, '8');
    expect(p.view.agreedAsItIs).toBe(false);
    p = await plans.agree(margaret, p.view.id, p.versionId);
    expect(p.view.agreement?.agreedBy).toBe('Patient/pat-hollis');
    expect(p.view.agreedAsItIs).toBe(true);
    // The professional sees the person's changes, attributed.
    const asNurse = await plans.get(nurse, p.view.id);
    expect(asNurse.view.whatMatters).toContain('Biscuit');
    expect(asNurse.view.goals[0].confidence).toBe(8);
    expect(asNurse.view.contributions.map((c) => `${c.by}: ${c.text}`)).toContain('Margaret Hollis: Changed what matters to me');
    // A change after agreement: no longer shown as agreed (hazard PCSP-1).
    const changed = await plans.saveSections(nurse, p.view.id, asNurse.versionId, { ...asNurse.view, needs: 'Help with dressing the leg ulcer', contingency: asNurse.view.contingency, title: asNurse.view.title });
    expect(changed.view.agreement).toBeDefined();
    expect(changed.view.agreedAsItIs).toBe(false);
    // The carer sees it (their grant covers CarePlan and Goal) and may ask for a review.
    const asPeter = await plans.forPerson(peter, 'pat-hollis');
    expect(asPeter.current?.view.whatMatters).toContain('Biscuit');
    await plans.requestReview(peter, p.view.id, 'Mum is more unsteady since last week');
    const review = await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Task' AND content LIKE '%Mum is more unsteady%'");
    expect(JSON.parse(review.rows[0].content).owner.reference).toBe('Practitioner/pr-nurse');
    // A carer without a grant, and a GP with no relationship, cannot see or change it.
    const noGrant: ProxyPrincipal = { ...peter, relatedPersonIds: ['rp-nobody'] };
    expect((await fail(plans.requestReview(noGrant, p.view.id, 'please'))).status).toBe(404);
    expect((await fail(plans.get(stranger, p.view.id))).status).toBe(404);
    expect((await fail(plans.forPerson(stranger, 'pat-hollis'))).status).toBe(404);
    const reviewsAfter = await t.platform.db.query("SELECT 1 FROM resource WHERE resource_type = 'Task' AND content LIKE '%\"please\"%'");
    expect(reviewsAfter.rows).toHaveLength(0);
  });

  it('is exported as a FHIR document (Composition first) and read back without loss', async () => {
    const plans = t.platform.carePlanning.plans;
    const { current } = await plans.forPerson(nurse, 'pat-hollis');
    const doc: Bundle = planDocument(current!.plan, [...current!.goals.values()], [...current!.tasks.values()], current!.view, NOW);
    expect(doc.entry![0].resource!.resourceType).toBe('Composition');
    const sections = (doc.entry![0].resource as { section: { title: string }[] }).section.map((s) => s.title);
    expect(sections).toEqual(['About me', 'What matters to me', 'My needs', 'My goals and how confident I feel', 'Actions: who, what, by when', 'Contingency and crisis plan', 'Who was involved', 'Agreement', 'Next review']);
    const back = readPlanDocument(JSON.parse(JSON.stringify(doc)));
    expect(back.view).toEqual(current!.view);
    expect(back.plan).toEqual(current!.plan);
  });

  it('names whoever it refers to without a name, as far as the reader may see them, and dates its changes in words', async () => {
    const plans = t.platform.carePlanning.plans;
    const { current } = await plans.forPerson(nurse, 'pat-hollis');
    // As a partner (or the synthetic population) may write it: references with no display.
    const { meta: _meta, ...plan } = current!.plan;
    await t.platform.resources.update('CarePlan', plan.id!, {
      ...plan, contributor: [{ reference: 'Patient/pat-hollis' }, { reference: 'Practitioner/pr-gp' }, { reference: 'RelatedPerson/rp-hollis' }, { reference: 'Organization/org-closed-long-ago' }],
    });
    for (const reader of [margaret, nurse]) {
      const { current: seen } = await plans.forPerson(reader, 'pat-hollis');
      expect(seen!.view.involved.map((i) => i.name)).toEqual(['Margaret Hollis', 'Helen Shah', 'Peter Hollis', 'Name not recorded, or not shown to you']);
      expect(seen!.view.contributions.map((c) => c.text)).toContain('Set the next review for 20 March 2026');
    }
  });
});
