import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityFor } from '../../access/identity/identity.js';
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
