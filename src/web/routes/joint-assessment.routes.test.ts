import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFor } from '../../access/identity/identity.js';
import { recordedByTag } from '../../access/policy/policy-codes.js';
import { hashPassword } from '../../access/identity/password.service.js';
import { PLAN_USERS, seedPlanWorld } from '../../care-planning/care-planning.fixtures.js';
import { CARE_ORGS, CARE_PASSWORD, CARE_USERS } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

// The joint assessment's pages in-process, signed in as real users: the coordinator starts it from
// the person's record, the social worker answers the social care part from their list (an answer
// outside the options comes back with the error summary, answers kept, nothing written), the person
// answers "about me" in the portal, the carer sees their own assessment and is signposted to carers'
// support; a GP with no relationship and a resident for another person see nothing.
let t: TestPlatform;
const NOW = new Date('2026-03-02T10:00:00Z');
const count = async (type: string) => Number((await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);
const version = (body: string) => /name="version" value="(\d+)"/.exec(body)![1];

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => NOW;
  await seedPlanWorld(t.platform);
  await identityFor(t.platform).users.create({ kind: 'resident', username: 'penfold.test', displayName: 'Arthur Penfold', passwordHash: await hashPassword(CARE_PASSWORD), patientId: 'pat-penfold' });
}, 60_000);
afterAll(async () => t?.close());

describe('the joint assessment pages', () => {
  it('start, answer by each organisation and the person, refusals with nothing written, and who cannot see it', async () => {
    const cc = new Browser(t);
    await cc.signIn(PLAN_USERS.coordinator.username);
    const csrf = await cc.csrf();
    const form = await cc.get('/people/pat-hollis/assessment');
    expect(form.status).toBe(200);
    expect(form.body).toContain('Start a joint assessment');
    // The same organisation for health and social care: refused on the page, answers kept.
    const same = await cc.post('/people/pat-hollis/assessment', { csrf_token: csrf, 'health-owner': `Organization/${CARE_ORGS.community}`, 'social-care-owner': `Organization/${CARE_ORGS.community}`, carers: 'RelatedPerson/rp-hollis', 'carer-owner': `Organization/${CARE_ORGS.council}` });
    expect(same.status).toBe(400);
    expect(same.body).toContain('nhsuk-error-summary');
    expect(same.body).toContain('choose two different organisations');
    const started = await cc.post('/people/pat-hollis/assessment', { csrf_token: csrf, 'health-owner': `Organization/${CARE_ORGS.community}`, 'social-care-owner': `Organization/${CARE_ORGS.council}`, carers: 'RelatedPerson/rp-hollis', 'carer-owner': `Organization/${CARE_ORGS.council}` });
    expect(started.status).toBe(303);
    const at = started.headers.location as string;
    const id = /\/assessments\/([^?]+)/.exec(at)![1];

    // The social worker finds the social care part on their list and answers it.
    const sw = new Browser(t);
    await sw.signIn(PLAN_USERS.socialWorker.username);
    const swCsrf = await sw.csrf();
    const list = await sw.get('/assessments');
    expect(list.body).toContain('Social care needs');
    // The link to the team's work opens the work list filtered to these parts (it was /work?view=team: a 400).
    const workLink = /href="(\/work\?[^"]+)">your team's work/.exec(list.body)![1].replaceAll('&amp;', '&');
    const work = await sw.get(workLink);
    expect(work.status).toBe(200);
    expect(work.body).toContain('Social care needs');
    const partUrl = /href="(\/assessments\/[^"]+\/parts\/[^"]+)">Answer<span class="nhsuk-u-visually-hidden"> Social care needs/.exec(list.body)![1];
    const partPage = await sw.get(partUrl);
    const qrs = await count('QuestionnaireResponse');
    const bad = await sw.post(partUrl, { csrf_token: swCsrf, version: version(partPage.body), 'personal-care': 'sometimes', meals: 'some-help', 'home-safety': 'safe', 'social-care-needs': 'Help with washing' });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('is not one of the answers offered');
    expect(bad.body).toContain('Help with washing</textarea>');
    expect(await count('QuestionnaireResponse')).toBe(qrs);
    const ok = await sw.post(partUrl, { csrf_token: swCsrf, version: version(partPage.body), 'personal-care': 'some-help', meals: 'some-help', 'home-safety': 'safe', 'social-care-needs': 'Help with washing' });
    expect(ok.status).toBe(303);

    // The coordinator cannot answer the council's part (a direct POST is refused, nothing written).
    const ccPart = await cc.post(partUrl, { csrf_token: csrf, version: '2', 'personal-care': 'some-help', meals: 'some-help', 'home-safety': 'safe', 'social-care-needs': 'x' });
    expect([403, 409]).toContain(ccPart.status);
    expect(await count('QuestionnaireResponse')).toBe(qrs + 1);
    // Completing with parts missing: refused, said on the page.
    const page = await cc.get(`/assessments/${id}`);
    expect(page.body).toContain('Tom Reilly');
    // Not offered while parts are missing, and a direct POST is refused.
    expect(page.body).toContain('can be completed once every part is answered');
    expect(page.body).not.toContain('Complete the assessment</button>');
    const current = await t.platform.carePlanning.assessments.get({ kind: 'staff', id: 'cc', displayName: 'Amira Okafor', role: 'care-coordinator', organizationId: CARE_ORGS.community, organizationIds: [CARE_ORGS.community], via: 'session', credentialId: 'test' }, id);
    const early = await cc.post(`/assessments/${id}/complete`, { csrf_token: csrf, version: String(current.versionId) });
    expect(early.status).toBe(422);
    expect(early.body).toContain('not answered yet');

    // The person answers "about me" in the portal; the plan offer shows it.
    const me = new Browser(t);
    await me.signIn(CARE_USERS.resident.username);
    const meCsrf = await me.csrf();
    const mine = await me.get('/my-assessment');
    const action = /action="(\/my-assessment\/parts\/[^"]+)"/.exec(mine.body)![1];
    const empty = await me.post(action, { csrf_token: meCsrf, version: version(mine.body), 'about-me': '', 'what-matters': 'My garden' });
    expect(empty.status).toBe(422);
    expect(empty.body).toContain('Answer &quot;About me: who I am and my life&quot;');
    expect((await me.post(action, { csrf_token: meCsrf, version: version(mine.body), 'about-me': 'A retired teacher', 'what-matters': 'My garden' })).status).toBe(303);
    expect((await cc.get(`/assessments/${id}`)).body).toContain('A retired teacher');

    // The carer sees their own assessment offered and is signposted to carers' support.
    const peter = new Browser(t);
    await peter.signIn(CARE_USERS.carer.username);
    const carerPlan = await peter.get('/my-plan');
    expect(carerPlan.body).toContain("Your carer's assessment");
    expect(carerPlan.body).toContain('/services?kind=carers-support');

    // Nobody else: a GP with no relationship, a resident for another person.
    const stranger = new Browser(t);
    await stranger.signIn(PLAN_USERS.stranger.username);
    expect((await stranger.get(`/assessments/${id}`)).status).toBe(404);
    expect((await stranger.get('/people/pat-hollis/assessment')).status).toBe(404);
    const other = new Browser(t);
    await other.signIn('penfold.test');
    const theirs = await other.get('/my-assessment');
    expect(theirs.body).not.toContain('A retired teacher');
    expect((await other.post(action, { csrf_token: await other.csrf(), version: '1', 'about-me': 'x', 'what-matters': 'y' })).status).toBe(404);
    expect(await count('QuestionnaireResponse')).toBe(qrs + 2);
  });
});

describe('a voluntary organisation given a part of a joint assessment', () => {
  it('its worker answers their part from their list and sees the assessment with the other parts said to be not shown; a worker of another voluntary organisation sees nothing', async () => {
    const users = identityFor(t.platform).users;
    const passwordHash = await hashPassword(CARE_PASSWORD);
    await t.platform.resources.update('Organization', 'org-other-vcs', { resourceType: 'Organization', id: 'org-other-vcs', name: 'Another Charity', active: true });
    await users.create({ kind: 'staff', username: 'vcse.carers', displayName: 'Jo Carter', passwordHash, memberships: [{ organizationId: CARE_ORGS.vcs, role: 'vcse-worker' }] });
    await users.create({ kind: 'staff', username: 'vcse.other', displayName: 'Sam Other', passwordHash, memberships: [{ organizationId: 'org-other-vcs', role: 'vcse-worker' }] });
    // A person of the care world's practice, on the community nurse's care team, with a carer; her carer's assessment is given to Carers' Support.
    const tag = { tag: [recordedByTag(CARE_ORGS.community)] };
    await t.platform.resources.update('Patient', 'pat-vcs', { resourceType: 'Patient', id: 'pat-vcs', name: [{ given: ['Nora'], family: 'Ellis' }], birthDate: '1940-04-04', generalPractitioner: [{ reference: `Organization/${CARE_ORGS.gp}` }], meta: tag });
    await t.platform.resources.update('CareTeam', 'ct-vcs', { resourceType: 'CareTeam', id: 'ct-vcs', status: 'active', subject: { reference: 'Patient/pat-vcs' }, participant: [{ member: { reference: 'Practitioner/pr-nurse' } }], meta: tag });
    await t.platform.resources.update('RelatedPerson', 'rp-vcs', { resourceType: 'RelatedPerson', id: 'rp-vcs', active: true, patient: { reference: 'Patient/pat-vcs' }, name: [{ given: ['Ray'], family: 'Ellis' }], meta: tag });
    const cc = new Browser(t);
    await cc.signIn(PLAN_USERS.coordinator.username);
    const started = await cc.post('/people/pat-vcs/assessment', {
      csrf_token: await cc.csrf(), 'health-owner': `Organization/${CARE_ORGS.community}`, 'social-care-owner': `Organization/${CARE_ORGS.council}`,
      carers: 'RelatedPerson/rp-vcs', 'carer-owner': `Organization/${CARE_ORGS.vcs}`,
    });
    expect(started.status).toBe(303);
    const id = /\/assessments\/([^?]+)/.exec(started.headers.location as string)![1];

    const vcse = new Browser(t);
    await vcse.signIn('vcse.carers');
    const list = await vcse.get('/assessments');
    expect(list.status).toBe(200);
    const partUrl = /href="(\/assessments\/[^"]+\/parts\/[^"]+)">Answer/.exec(list.body)![1];
    expect(partUrl.startsWith(`/assessments/${id}/parts/`)).toBe(true);
    // The link the list showed opens the part to answer, not a 404.
    const partPage = await vcse.get(partUrl);
    expect(partPage.status).toBe(200);
    expect(partPage.body).toContain('Is the carer willing and able to keep caring?');
    // The assessment itself: their part, and the other parts said to be not shown (never silently missing).
    const overview = await vcse.get(`/assessments/${id}`);
    expect(overview.status).toBe(200);
    expect(overview.body).toMatch(/Carer(&#39;|')s assessment \(Ray Ellis\)/);
    expect(overview.body).toMatch(/3 other parts of this assessment are not shown to you/);
    expect(overview.body).not.toContain('Social care needs</');
    const answered = await vcse.post(partUrl, { csrf_token: await vcse.csrf(), version: version(partPage.body), willing: 'with-support', impact: 'struggling', break: 'yes', 'carer-needs': 'A break every month' });
    expect(answered.status).toBe(303);
    expect(await count('QuestionnaireResponse')).toBeGreaterThan(0);
    // Answered, the part no longer gives Carers' Support a relationship with her: back to their list, which says so.
    expect(answered.headers.location).toBe('/assessments?done=answered-handed-back');
    const after = await vcse.get(answered.headers.location as string);
    expect(after.status).toBe(200);
    expect(after.body).toContain('this assessment is no longer shown to your organisation');
    expect(after.body).not.toContain(partUrl);
    // The coordinator sees the carer's answers, attributed to Jo Carter.
    const whole = await cc.get(`/assessments/${id}`);
    expect(whole.body).toContain('A break every month');
    expect(whole.body).toContain('Jo Carter');

    // User B: a worker of another voluntary organisation, and a GP with no relationship, see nothing of it.
    const other = new Browser(t);
    await other.signIn('vcse.other');
    expect((await other.get(`/assessments/${id}`)).status).toBe(404);
    expect((await other.get(partUrl)).status).toBe(404);
    expect((await other.get('/assessments')).body).not.toContain(id);
    const stranger = new Browser(t);
    await stranger.signIn(PLAN_USERS.stranger.username);
    expect((await stranger.get(partUrl)).status).toBe(404);
  });
});
