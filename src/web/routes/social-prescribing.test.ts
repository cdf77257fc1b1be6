import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newReferral, REF, REF_PASSWORD } from '../../referrals/referral.fixtures.js';
import { SP, SP_PEOPLE, seedSocialPrescribingWorld } from '../../social-prescribing/social-prescribing.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

const csrfOf = (body: string) => /name="csrf_token" value="([^"]+)"/.exec(body)![1];

describe('the link worker’s caseload pages: /caseload and /caseload/:id', () => {
  let t: TestPlatform;
  let id: string;
  const count = async (type: string) => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM resource WHERE resource_type = $1', [type])).rows[0].n);
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedSocialPrescribingWorld(t.platform);
    id = (await t.platform.referrals.referrals.send(SP_PEOPLE.gp, newReferral({ serviceId: SP.service, reason: 'Lonely since moving here' }))).referral.id;
  });
  afterAll(() => t.close());

  it('opens on the social prescribing caseload with its worklist; everyone in their care is one link away', async () => {
    const link = new Browser(t);
    await link.signIn('ref.link', REF_PASSWORD);
    const res = await link.get('/caseload');
    expect(res.status).toBe(200);
    expect(res.body).toContain('Social prescribing caseload');
    expect(res.body).toContain('Waiting for a first contact (1)');
    expect(res.body).toContain(`href="/caseload/${id}"`);
    expect(res.body).toContain('Nobody has both a start and an end score yet.');
    const all = await link.get('/caseload?all=1');
    expect(all.status).toBe(200);
    expect(all.body).toContain('href="/people/pat-ref-ada"');
  });

  it('records wellbeing and contacts; bad answers come back in the error summary, kept, and nothing is written', async () => {
    const link = new Browser(t);
    await link.signIn('ref.link', REF_PASSWORD);
    const form = await link.get(`/caseload/${id}`);
    expect(form.status).toBe(200);
    expect(form.body).toContain('Overall, how satisfied are you with your life nowadays?');
    const csrf = csrfOf(form.body);
    const before = [await count('QuestionnaireResponse'), await count('Communication')];
    const bad = await link.post(`/caseload/${id}/wellbeing`, { csrf_token: csrf, timepoint: 'start', 'life-satisfaction': '11', worthwhile: '4', happiness: '5', anxiety: '6' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('Life satisfaction: enter a whole number from 0 to 10');
    expect(bad.body).toContain('value="11"');
    expect(bad.body).toContain('value="6"');
    const noMode = await link.post(`/caseload/${id}/contacts`, { csrf_token: csrf, note: 'Rang: no answer <script>x</script>' });
    expect(noMode.status).toBe(400);
    expect(noMode.body).toContain('Choose how you were in contact');
    expect(noMode.body).toContain('Rang: no answer &lt;script&gt;');
    const past = await link.post(`/caseload/${id}/contacts`, { csrf_token: csrf, mode: 'PHONE', note: 'Rang', 'followUp-day': '1', 'followUp-month': '1', 'followUp-year': '2001' });
    expect(past.status).toBe(400);
    expect(past.body).toContain('The follow-up date must be today or later');
    expect([await count('QuestionnaireResponse'), await count('Communication')]).toEqual(before);
    const ok = await link.post(`/caseload/${id}/wellbeing`, { csrf_token: csrf, timepoint: 'start', 'life-satisfaction': '3', worthwhile: '4', happiness: '5', anxiety: '6' });
    expect(ok.status).toBe(303);
    const rang = await link.post(`/caseload/${id}/contacts`, { csrf_token: csrf, mode: 'PHONE', note: 'Rang to say hello' });
    expect(rang.status).toBe(303);
    const after = await link.get(`/caseload/${id}`);
    expect(after.body).toContain('Rang to say hello');
    expect((await link.get('/caseload')).body).toContain('Waiting for a first contact (0)');
  });

  it('a link worker of another organisation gets not found, on the page and its forms', async () => {
    const other = new Browser(t);
    await other.signIn('sp.other', REF_PASSWORD);
    expect((await other.get(`/caseload/${id}`)).status).toBe(404);
    const csrf = csrfOf((await other.get('/caseload')).body);
    const before = await count('Communication');
    expect((await other.post(`/caseload/${id}/contacts`, { csrf_token: csrf, mode: 'PHONE', note: 'x' })).status).toBe(404);
    expect(await count('Communication')).toBe(before);
    expect((await other.get('/caseload')).body).not.toContain(REF.pat);
  });
});
