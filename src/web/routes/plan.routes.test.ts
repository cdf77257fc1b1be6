import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_USERS, seedPlanWorld } from '../../care-planning/care-planning.fixtures.js';
import { CARE_ORGS, CARE_USERS } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

// The plan, MDT and portal pages in-process, signed in as real users: the forms, their refusals
// (error summary, answers kept, nothing written), one plan and one named professional on the web,
// and who may see what.
let t: TestPlatform;
const NOW = new Date('2026-03-02T10:00:00Z');
const count = async (type: string) => Number((await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);
const version = (body: string) => /name="version" value="(\d+)"/.exec(body)![1];

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => NOW;
  await seedPlanWorld(t.platform);
}, 60_000);
afterAll(async () => t?.close());

describe('the plan in the workspace and the portal', () => {
  it('the nurse starts and writes the plan; a second plan and a second named professional are refused on the page', async () => {
    const b = new Browser(t);
    await b.signIn(CARE_USERS.nurse.username);
    const csrf = await b.csrf();
    const empty = await b.get('/people/pat-hollis/plan');
    expect(empty.status).toBe(200);
    expect(empty.body).toContain('Start a plan');
    expect((await b.post('/people/pat-hollis/plan', { csrf_token: csrf, title: 'Staying well at home' })).status).toBe(303);
    const again = await b.post('/people/pat-hollis/plan', { csrf_token: csrf, title: 'A second plan' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('nhsuk-error-summary');
    expect(again.body).toContain('already has a plan');
    let page = await b.get('/people/pat-hollis/plan');
    const saved = await b.post('/people/pat-hollis/plan/sections', {
      csrf_token: csrf, version: version(page.body), title: 'Staying well at home', 'about-me': 'Retired teacher', 'what-matters': 'My garden', needs: 'Leg ulcer care',
      'trigger-1': 'Peter is ill', 'action-1': 'Call 01632 960999',
    });
    expect(saved.status).toBe(303);
    page = await b.get('/people/pat-hollis/plan');
    // An action without owner or due date: the error summary, the answer kept, nothing written.
    const tasks = await count('Task');
    const bad = await b.post('/people/pat-hollis/plan/actions', { csrf_token: csrf, version: version(page.body), what: 'Falls group referral' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Choose who will do it');
    expect(bad.body).toContain('value="Falls group referral"');
    expect(await count('Task')).toBe(tasks);
    await b.post('/people/pat-hollis/plan/goals', { csrf_token: csrf, version: version(page.body), goal: 'Walk to the garden gate every day' });
    page = await b.get('/people/pat-hollis/plan');
    expect((await b.post('/people/pat-hollis/plan/status', { csrf_token: csrf, version: version(page.body), to: 'active' })).status).toBe(303);
    // The named professional: named once, then a second naming becomes a handover the successor must accept.
    expect((await b.post('/people/pat-hollis/named-professional', { csrf_token: csrf, successor: 'Practitioner/pr-nurse' })).status).toBe(303);
    const record = await b.get('/people/pat-hollis');
    expect(record.body).toMatch(/Named professional:<\/dt> <dd>Amira Okafor/);
    expect((await b.post('/people/pat-hollis/named-professional', { csrf_token: csrf, successor: 'Practitioner/pr-sw' })).status).toBe(303);
    page = await b.get('/people/pat-hollis/plan');
    expect(page.body).toContain('waiting for them to accept');
    expect(page.body).not.toContain('Accept the handover');
    const sw = new Browser(t);
    await sw.signIn(PLAN_USERS.socialWorker.username);
    const swCsrf = await sw.csrf();
    expect((await sw.get('/people/pat-hollis/plan')).body).toContain('Accept the handover');
    expect((await sw.post('/people/pat-hollis/named-professional/accept', { csrf_token: swCsrf })).status).toBe(303);
    expect((await sw.get('/people/pat-hollis')).body).toMatch(/Named professional:<\/dt> <dd>Tom Reilly/);
  });

  it('a GP with no relationship cannot see the plan, its document or the person on a meeting', async () => {
    const b = new Browser(t);
    await b.signIn(PLAN_USERS.stranger.username);
    expect((await b.get('/people/pat-hollis/plan')).status).toBe(404);
    expect((await b.get('/people/pat-hollis/plan.json')).status).toBe(404);
    expect((await b.get('/mdt/add?patient=pat-hollis')).status).toBe(404);
  });

  it('the resident says what matters, rates confidence and agrees; the carer sees it; the nurse sees their changes and downloads the document', async () => {
    const m = new Browser(t);
    await m.signIn(CARE_USERS.resident.username);
    const csrf = await m.csrf();
    let page = await m.get('/my-plan');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Not agreed yet');
    expect((await m.post('/my-plan/what-matters', { csrf_token: csrf, version: version(page.body), 'what-matters': 'My garden and my cat Biscuit' })).status).toBe(303);
    page = await m.get('/my-plan');
    const goal = /name="goal" value="([^"]+)"/.exec(page.body)![1];
    const badRating = await m.post('/my-plan/confidence', { csrf_token: csrf, version: version(page.body), goal, [`confidence-${goal}`]: '11' });
    expect(badRating.status).toBe(400);
    expect(badRating.body).toContain('from 0 (not at all) to 10');
    expect((await m.post('/my-plan/confidence', { csrf_token: csrf, version: version(page.body), goal, [`confidence-${goal}`]: '7' })).status).toBe(303);
    page = await m.get('/my-plan');
    expect((await m.post('/my-plan/agree', { csrf_token: csrf, version: version(page.body) })).status).toBe(303);
    page = await m.get('/my-plan?done=agreed');
    expect(page.body).toContain('Agreed by you');
    const c = new Browser(t);
    await c.signIn(CARE_USERS.carer.username);
    const carerPage = await c.get('/my-plan');
    expect(carerPage.body).toContain('My garden and my cat Biscuit');
    expect(carerPage.body).toContain('Support for you as a carer');
    const n = new Browser(t);
    await n.signIn(CARE_USERS.nurse.username);
    const staff = await n.get('/people/pat-hollis/plan');
    expect(staff.body).toContain('Changed what matters to me');
    expect(staff.body).toContain('7 out of 10');
    const doc = await n.get('/people/pat-hollis/plan.json');
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body).entry[0].resource.resourceType).toBe('Composition');
  });
});

describe('MDT meetings on the web', () => {
  it('the GP arranges a meeting, adds a person, and an action without owner or due date comes back with the error summary', async () => {
    const b = new Browser(t);
    await b.signIn(PLAN_USERS.gp.username);
    const csrf = await b.csrf();
    const arranged = await b.post('/mdt', { csrf_token: csrf, title: 'Riverside MDT', 'date-day': '9', 'date-month': '3', 'date-year': '2026', time: '13:00', organisations: CARE_ORGS.vcs });
    expect(arranged.status).toBe(303);
    const id = /\/mdt\/([^?]+)/.exec(String(arranged.headers.location))![1];
    expect((await b.get('/mdt/add?patient=pat-hollis')).body).toContain('Riverside MDT');
    expect((await b.post('/mdt/add?patient=pat-hollis', { csrf_token: csrf, meeting: id })).status).toBe(303);
    const meeting = await b.get(`/mdt/${id}`);
    const item = /\/people\/([^/]+)\/actions/.exec(meeting.body)![1];
    const tasks = await count('Task');
    const bad = await b.post(`/mdt/${id}/people/${item}/actions`, { csrf_token: csrf, [`what-${item}`]: 'Carer\'s assessment' });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('Choose who owns the action');
    expect(bad.body).toContain('Enter the date the action is due by');
    expect(await count('Task')).toBe(tasks);
    const ok = await b.post(`/mdt/${id}/people/${item}/actions`, { csrf_token: csrf, [`what-${item}`]: 'Carer\'s assessment', [`owner-${item}`]: `Organization/${CARE_ORGS.vcs}`, [`due-${item}-day`]: '20', [`due-${item}-month`]: '3', [`due-${item}-year`]: '2026' });
    expect(ok.status).toBe(303);
    expect((await b.get(`/mdt/${id}`)).body).toContain('Carers&#39; Support Maidstone');
    const lists = await b.get('/care-plans');
    expect(lists.status).toBe(200);
    expect(lists.body).toContain('MDT actions due');
  });
});

describe('MDT meetings: the organisations that may take part', () => {
  const DISTRICT = 'https://onestory.example/fhir/StructureDefinition/district';
  const org = (id: string, name: string, district?: string) => t.platform.resources.update('Organization', id, {
    resourceType: 'Organization', id, active: true, name, ...(district ? { extension: [{ url: DISTRICT, valueString: district }] } : {}),
  });
  const offered = (body: string) => [...body.matchAll(/name="organisations" type="checkbox" value="([^"]+)"/g)].map((m) => m[1]);

  it('offers every one (it was the first 200 by name), then those serving everywhere and in the GP\'s own district', async () => {
    // 210 chemists in Swale sort before everything else; a council serving everywhere sorts last.
    for (let i = 0; i < 210; i += 30) await Promise.all(Array.from({ length: 30 }, (_, k) => org(`org-mdt-ch-${i + k}`, `Aaa Chemist ${String(i + k).padStart(3, '0')}`, 'swale')));
    await org('org-mdt-zz-council', 'Zzz Borough Council');
    await org('org-mdt-charity', 'Maidstone Carers Together', 'maidstone');
    const b = new Browser(t);
    await b.signIn(PLAN_USERS.gp.username);
    const all = offered((await b.get('/mdt')).body);
    expect(all).toContain('org-mdt-zz-council');
    expect(all).toContain('org-mdt-ch-209');
    expect(all).toContain('org-mdt-charity');
    expect(all.length).toBe(await count('Organization') - 1);

    // Once the GP's practice is placed in Maidstone: everyone serving all of Kent and Medway and
    // everyone in Maidstone, and no Swale chemist; the hint says which.
    const practice = JSON.parse((await t.platform.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Organization' AND id = $1", [PLAN_USERS.gp.organizationId])).rows[0].content);
    await t.platform.resources.update('Organization', practice.id, { ...practice, meta: undefined, extension: [...(practice.extension ?? []), { url: DISTRICT, valueString: 'maidstone' }] });
    const page = (await b.get('/mdt')).body;
    const near = offered(page);
    expect(near).toContain('org-mdt-zz-council');
    expect(near).toContain('org-mdt-charity');
    expect(near.some((id) => id.startsWith('org-mdt-ch-'))).toBe(false);
    expect(page).toContain('Every organisation serving all of Kent and Medway, and every one in Maidstone');
    expect(page).toContain('data-filter="Find an organisation in this list"');
  });
});
