import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { ProxyPrincipal, ResidentPrincipal } from '../access/principal.js';
import { CARE_ORGS } from '../record-view/care.fixtures.js';
import { refusal } from '../testing/refusal.js';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from '../testing/test-platform.js';
import { TASK_KIND_SYSTEM } from '../workflow/task.vocabulary.js';
import { PLAN_USERS, seedPlanWorld, staffPrincipal } from './care-planning.fixtures.js';
import { answerProblems } from './joint-assessment.rules.js';
import { PART_EXTENSION, PART_SYSTEM, PARTS, QUESTIONNAIRE_INPUT, RESPONSE_OUTPUT } from './joint-assessment.vocabulary.js';

// A joint assessment on a real database: a care coordinator starts it, health and social care and the
// person answer their own parts, a carer's assessment is offered; a part answered by someone it is not
// assigned to, an answer outside the Questionnaire, completing with parts missing: refused with nothing
// written, on the services and on the FHIR API alike; staff with no relationship and a resident for
// another person see nothing; the answers feed the plan.

let t: TestPlatform;
const NOW = new Date('2026-03-02T10:00:00Z');
const coordinator = staffPrincipal(PLAN_USERS.coordinator);
const gp = staffPrincipal(PLAN_USERS.gp);
const sw = staffPrincipal(PLAN_USERS.socialWorker);
const stranger = staffPrincipal(PLAN_USERS.stranger);
const margaret: ResidentPrincipal = { kind: 'resident', id: 'u-margaret', displayName: 'Margaret Hollis', patientId: 'pat-hollis', via: 'session', credentialId: 'c1' };
const penfold: ResidentPrincipal = { kind: 'resident', id: 'u-penfold', displayName: 'Arthur Penfold', patientId: 'pat-penfold', via: 'session', credentialId: 'c3' };
const peter: ProxyPrincipal = { kind: 'proxy', id: 'u-peter', displayName: 'Peter Hollis', relatedPersonIds: ['rp-hollis'], patientIds: ['pat-hollis'], via: 'session', credentialId: 'c2' };
const API_PATIENT = 'pat-api-assess';

const fail = refusal;
const count = async (type: string) => Number((await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);
const versions = async () => Number((await t.platform.db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource_history WHERE resource_type IN ('Task', 'QuestionnaireResponse', 'CarePlan')")).rows[0].n);

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => NOW;
  await seedPlanWorld(t.platform);
  await t.platform.resources.update('Patient', API_PATIENT, {
    resourceType: 'Patient', id: API_PATIENT, generalPractitioner: [{ reference: `Organization/${TEST_ORG_ID}` }], meta: { tag: [recordedByTag(TEST_ORG_ID)] },
  });
}, 60_000);
afterAll(async () => t?.close());

describe('the answers a Questionnaire allows', () => {
  const q = PARTS['social-care'].questionnaire;
  it('refuses a choice outside the options, an unknown question, and a completed response missing a required answer', () => {
    const problems = answerProblems(q, { status: 'completed', item: [
      { linkId: 'personal-care', answer: [{ valueCoding: { system: q.item![0].answerOption![0].valueCoding!.system, code: 'sometimes' } }] },
      { linkId: 'favourite-colour', answer: [{ valueString: 'blue' }] },
    ] });
    expect(problems.map((p) => p.diagnostics)).toEqual([
      '"Washing, dressing and using the toilet": "sometimes" is not one of the answers offered',
      '"favourite-colour" is not a question of Joint assessment: social care needs (Care Act eligibility outcomes)',
      'Answer "Preparing food and drink"', 'Answer "Being safe at home"', 'Answer "Care and support needs to include in the plan (one a line)"',
    ]);
  });
});

describe('a joint assessment', () => {
  let id: string;
  const partOf = async (code: string) => (await t.platform.carePlanning.assessments.get(coordinator, id)).parts.find((x) => x.code === code)!;

  it('is started by the care coordinator with parts for health, social care, the carer and the person, and only by staff caring for the person', async () => {
    const ja = t.platform.carePlanning.assessments;
    const before = await count('Task');
    // Health and social care from one organisation is not joint: refused, nothing written.
    const same = await fail(ja.start(coordinator, 'pat-hollis', [{ code: 'health', owner: `Organization/${CARE_ORGS.community}` }, { code: 'social-care', owner: `Organization/${CARE_ORGS.community}` }]));
    expect(same.status).toBe(400);
    // A carer who is not the person's: refused.
    const wrongCarer = await fail(ja.start(coordinator, 'pat-hollis', [
      { code: 'health', owner: `Organization/${CARE_ORGS.community}` }, { code: 'social-care', owner: `Organization/${CARE_ORGS.council}` },
      { code: 'carer', owner: `Organization/${CARE_ORGS.council}`, carer: 'RelatedPerson/rp-nobody' },
    ]));
    expect(wrongCarer.status).toBe(400);
    // A GP at another practice, with no relationship: the person is not found.
    expect((await fail(ja.start(stranger, 'pat-hollis', [{ code: 'health', owner: `Organization/${CARE_ORGS.gp2}` }, { code: 'social-care', owner: `Organization/${CARE_ORGS.council}` }]))).status).toBe(404);
    expect(await count('Task')).toBe(before);

    const a = await ja.start(coordinator, 'pat-hollis', [
      { code: 'health', owner: `Organization/${CARE_ORGS.community}` }, { code: 'social-care', owner: `Organization/${CARE_ORGS.council}` },
      { code: 'carer', owner: `Organization/${CARE_ORGS.council}`, carer: 'RelatedPerson/rp-hollis' },
    ]);
    id = a.id;
    expect(a.parts.map((x) => [x.code, x.owner.reference, x.status])).toEqual([
      ['health', `Organization/${CARE_ORGS.community}`, 'ready'], ['social-care', `Organization/${CARE_ORGS.council}`, 'ready'],
      ['carer', `Organization/${CARE_ORGS.council}`, 'ready'], ['about-me', 'Patient/pat-hollis', 'ready'],
    ]);
    expect(a.parts.find((x) => x.code === 'carer')!.carer?.reference).toBe('RelatedPerson/rp-hollis');
    expect(await count('Task')).toBe(before + 5);
    // A second one while this is open: refused.
    expect((await fail(ja.start(coordinator, 'pat-hollis', [{ code: 'health', owner: `Organization/${CARE_ORGS.community}` }, { code: 'social-care', owner: `Organization/${CARE_ORGS.council}` }]))).status).toBe(409);
  });

  it('puts each part on the work list of the organisation it is assigned to', async () => {
    const ja = t.platform.carePlanning.assessments;
    expect((await ja.toAnswer(sw)).parts.filter((x) => x.assessmentId === id).map((x) => x.part.code).sort()).toEqual(['carer', 'social-care']);
    expect((await ja.toAnswer(coordinator)).parts.filter((x) => x.assessmentId === id).map((x) => x.part.code)).toEqual(['health']);
    expect((await ja.toAnswer(margaret)).parts.map((x) => x.part.code)).toEqual(['about-me']);
    expect(await ja.toAnswer(stranger)).toEqual({ parts: [], more: false });
  });

  it('refuses an answer outside the allowed values, a missing required answer, and a part answered by another organisation, writing nothing', async () => {
    const ja = t.platform.carePlanning.assessments;
    const social = await partOf('social-care');
    const health = await partOf('health');
    const before = await versions();
    const bad = await fail(ja.answer(sw, social.id, { 'personal-care': 'sometimes', meals: 'some-help', 'home-safety': 'safe', 'social-care-needs': 'Help with washing' }));
    expect(bad.status).toBe(422);
    expect(bad.outcome.issue![0].diagnostics).toContain('"sometimes" is not one of the answers offered');
    const missing = await fail(ja.answer(sw, social.id, { 'personal-care': 'some-help' }));
    expect(missing.status).toBe(422);
    expect(missing.outcome.issue!.map((i) => i.diagnostics)).toContain('Answer "Being safe at home"');
    // The GP sees Margaret but the health part is the community team's, the social care part the council's.
    expect((await fail(ja.answer(gp, health.id, { 'health-summary': 'x', mobility: 'walking-aid', falls: 'one', medicines: 'none', 'health-needs': 'x' }))).status).toBe(403);
    expect((await fail(ja.answer(coordinator, social.id, { 'personal-care': 'some-help', meals: 'some-help', 'home-safety': 'safe', 'social-care-needs': 'x' }))).status).toBe(403);
    // A resident answers only their own part; the carer answers none; another resident sees nothing.
    expect((await fail(ja.answer(margaret, social.id, { 'personal-care': 'some-help' }))).status).toBe(403);
    const aboutMe = await partOf('about-me');
    expect((await fail(ja.answer(penfold, aboutMe.id, { 'about-me': 'Not me', 'what-matters': 'x' }))).status).toBe(404);
    expect((await fail(ja.answer(peter, aboutMe.id, { 'about-me': 'x', 'what-matters': 'x' }))).status).toBeGreaterThanOrEqual(403);
    // Staff with no relationship: not found, like a part that does not exist.
    expect((await fail(ja.answer(stranger, social.id, {}))).status).toBe(404);
    expect((await fail(ja.get(stranger, id))).status).toBe(404);
    expect((await fail(ja.get(penfold, id))).status).toBe(404);
    expect(await versions()).toBe(before);
  });

  it('cannot be completed with parts missing; each part is attributed to who answered it; then the answers feed the plan', async () => {
    const ja = t.platform.carePlanning.assessments;
    const before = await versions();
    const early = await fail(ja.complete(coordinator, id, (await ja.get(coordinator, id)).versionId));
    expect(early.status).toBe(422);
    expect(early.outcome.issue![0].diagnostics).toContain('not answered yet');
    expect(await versions()).toBe(before);

    await ja.answer(sw, (await partOf('social-care')).id, { 'personal-care': 'some-help', meals: 'some-help', 'home-safety': 'some-concerns', 'social-care-needs': 'Help with washing in the morning\nA key safe' });
    await ja.answer(coordinator, (await partOf('health')).id, { 'health-summary': 'Two falls; heart failure', mobility: 'walking-aid', falls: 'two-or-more', medicines: 'prompting', 'health-needs': 'Strength and balance exercises' });
    await ja.answer(sw, (await partOf('carer')).id, { willing: 'with-support', impact: 'struggling', break: 'yes', 'carer-needs': 'A regular break on Wednesdays' });
    const mine = await ja.ownParts(margaret);
    expect(mine[0].part.mine).toBe(true);
    await ja.answer(margaret, mine[0].part.id, { 'about-me': 'I was a district nurse for thirty years.', 'what-matters': 'Staying at home with Peter and my garden.' });
    // Answered once: a second answer to the same part is refused.
    expect((await fail(ja.answer(margaret, mine[0].part.id, { 'about-me': 'x', 'what-matters': 'y' }))).status).toBeGreaterThanOrEqual(404);

    const a = await ja.get(coordinator, id);
    expect(a.allAnswered).toBe(true);
    const by = Object.fromEntries(a.parts.map((x) => [x.code, [x.answered?.by, x.answered?.organisation]]));
    expect(by).toEqual({
      health: ['Amira Okafor', a.parts[0].owner.name], 'social-care': ['Tom Reilly', a.parts[1].owner.name], carer: ['Tom Reilly', a.parts[2].owner.name], 'about-me': ['Margaret Hollis', undefined],
    });
    const carerQr = await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'QuestionnaireResponse' AND content LIKE '%joint-assessment-carer%'");
    expect(JSON.parse(carerQr.rows[0].content).source.reference).toBe('RelatedPerson/rp-hollis');
    // The carer sees their own assessment in the portal.
    expect((await ja.carersOwn(peter, 'pat-hollis')).map((x) => x.status)).toEqual(['completed']);

    const done = await ja.complete(coordinator, id, a.versionId);
    expect(done.status).toBe('completed');

    const fed = await ja.feedPlan(coordinator, id);
    expect(fed.added).toContain('about me');
    const { current } = await t.platform.carePlanning.plans.forPerson(coordinator, 'pat-hollis');
    expect(current!.view.aboutMe).toBe('I was a district nurse for thirty years.');
    expect(current!.view.needs).toEqual(expect.arrayContaining(['Help with washing in the morning', 'Strength and balance exercises', 'For Peter Hollis: A regular break on Wednesdays']));
    expect(current!.view.involved.map((x) => x.reference)).toContain('RelatedPerson/rp-hollis');
  });
});

describe('on the FHIR API', () => {
  const task = (extra: Partial<Task>): Task => ({ resourceType: 'Task', status: 'ready', intent: 'order', for: { reference: `Patient/${API_PATIENT}` }, ...extra } as Task);
  const kind = (k: string, part?: string) => ({ coding: [{ system: TASK_KIND_SYSTEM, code: k }, ...(part ? [{ system: PART_SYSTEM, code: part }] : [])] });
  const input = (code: keyof typeof PARTS) => [{ type: { coding: [QUESTIONNAIRE_INPUT] }, valueCanonical: PARTS[code].questionnaire.url }];
  const sys = PARTS.health.questionnaire.item![1].answerOption![0].valueCoding!.system;
  const healthAnswer = (part: string, mobility = 'walking-aid') => ({
    resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: PARTS.health.questionnaire.url, subject: { reference: `Patient/${API_PATIENT}` },
    extension: [{ url: PART_EXTENSION, valueReference: { reference: `Task/${part}` } }],
    item: [
      { linkId: 'health-summary', answer: [{ valueString: 'Breathless on stairs' }] }, { linkId: 'mobility', answer: [{ valueCoding: { system: sys, code: mobility } }] },
      { linkId: 'falls', answer: [{ valueCoding: { system: sys, code: 'none' } }] }, { linkId: 'medicines', answer: [{ valueCoding: { system: sys, code: 'none' } }] },
      { linkId: 'health-needs', answer: [{ valueString: 'Pulmonary rehabilitation' }] },
    ],
  });

  it('QuestionnaireResponse and Task writes obey the same rules: allowed values, the assigned organisation, no completion with parts missing', async () => {
    const main = (await fhir(t.app, 'POST', 'Task', task({ code: kind('joint-assessment'), owner: { reference: `Organization/${TEST_ORG_ID}` } }))).body;
    const mine = (await fhir(t.app, 'POST', 'Task', task({ code: kind('joint-assessment-part', 'health'), partOf: [{ reference: `Task/${main.id}` }], owner: { reference: `Organization/${TEST_ORG_ID}` }, input: input('health') }))).body;
    const theirs = (await fhir(t.app, 'POST', 'Task', task({ code: kind('joint-assessment-part', 'social-care'), partOf: [{ reference: `Task/${main.id}` }], owner: { reference: `Organization/${CARE_ORGS.council}` }, input: input('social-care') }))).body;
    expect(mine.id && theirs.id).toBeTruthy();
    const before = await count('QuestionnaireResponse');

    const bad = await fhir(t.app, 'POST', 'QuestionnaireResponse', healthAnswer(mine.id, 'hovercraft'));
    expect(bad.status).toBe(422);
    expect(bad.body.issue[0].diagnostics).toContain('"hovercraft" is not one of the answers offered');
    const noPart = await fhir(t.app, 'POST', 'QuestionnaireResponse', { ...healthAnswer(mine.id), extension: undefined });
    expect(noPart.status).toBe(422);
    const wrongOrg = await fhir(t.app, 'POST', 'QuestionnaireResponse', { ...healthAnswer(theirs.id), questionnaire: PARTS['social-care'].questionnaire.url, item: [] });
    expect(wrongOrg.status).toBe(403);
    expect(wrongOrg.body.issue[0].diagnostics).toContain('only its staff answer it');
    expect(await count('QuestionnaireResponse')).toBe(before);

    const early = await fhir(t.app, 'PUT', `Task/${main.id}`, { ...main, status: 'completed' });
    expect(early.status).toBe(422);
    expect(early.body.issue[0].diagnostics).toContain('not answered yet');
    const noOutput = await fhir(t.app, 'PUT', `Task/${mine.id}`, { ...mine, status: 'completed' });
    expect(noOutput.status).toBe(422);

    const ok = await fhir(t.app, 'POST', 'QuestionnaireResponse', healthAnswer(mine.id));
    expect(ok.status).toBe(201);
    const again = await fhir(t.app, 'PUT', `QuestionnaireResponse/${ok.body.id}`, { ...ok.body, item: ok.body.item.slice(0, 1) });
    expect(again.status).toBe(422);
    const done = await fhir(t.app, 'PUT', `Task/${mine.id}`, { ...mine, status: 'completed', output: [{ type: { coding: [RESPONSE_OUTPUT] }, valueReference: { reference: `QuestionnaireResponse/${ok.body.id}` } }] });
    expect(done.status).toBe(200);
    // Still the council's part to come.
    expect((await fhir(t.app, 'PUT', `Task/${main.id}`, { ...main, status: 'completed' })).status).toBe(422);
  });
});

describe('the joint assessment Questionnaires in the record', () => {
  it("resolve every QuestionnaireResponse's and part's canonical URL on the FHIR API, and publishing again writes no new version", async () => {
    const r = await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'QuestionnaireResponse' AND NOT deleted`);
    const responses = r.rows.map((x) => JSON.parse(x.content) as { questionnaire?: string; extension?: { url: string }[] });
    const ours = responses.filter((qr) => qr.extension?.some((e) => e.url === PART_EXTENSION));
    expect(ours.length).toBeGreaterThanOrEqual(4);
    const parts = await t.platform.db.query<{ content: string }>(`SELECT r.content FROM resource r JOIN task_work w ON w.rid = r.rid WHERE w.kind = 'joint-assessment-part'`);
    const inputs = parts.rows.flatMap((x) => ((JSON.parse(x.content) as Task).input ?? []).map((i) => i.valueCanonical).filter((u): u is string => !!u));
    const urls = new Set([...ours.map((qr) => qr.questionnaire!), ...inputs]);
    expect(urls.size).toBe(4);
    for (const url of urls) {
      const res = await fhir(t.app, 'GET', `Questionnaire?url=${encodeURIComponent(url)}`);
      expect(res.status).toBe(200);
      expect(res.body.entry).toHaveLength(1);
      const q = res.body.entry[0].resource;
      expect(q.url).toBe(url);
      expect(q.item.map((i: { linkId: string }) => i.linkId)).toEqual(Object.values(PARTS).find((p) => p.questionnaire.url === url)!.questionnaire.item!.map((i) => i.linkId));
    }
    const before = await versions();
    const qVersions = async () => Number((await t.platform.db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource_history WHERE resource_type = 'Questionnaire'")).rows[0].n);
    const qBefore = await qVersions();
    await t.platform.carePlanning.assessments.publishQuestionnaires();
    expect(await qVersions()).toBe(qBefore);
    expect(await versions()).toBe(before);
  });
});
