import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kentPostcodeDistricts } from '../directory/postcode-geography.js';
import { newReferral, PEOPLE, REF } from '../referrals/referral.fixtures.js';
import { refusal } from '../testing/refusal.js';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { SP, SP_PEOPLE, seedSocialPrescribingWorld } from './social-prescribing.fixtures.js';
import { wellbeingChange, type SocialPrescribingService } from './social-prescribing.service.js';
import { ONS4_URL, TIMEPOINT_EXTENSION } from './social-prescribing.vocabulary.js';

const scores = (l: number, w: number, h: number, a: number) => ({ 'life-satisfaction': String(l), worthwhile: String(w), happiness: String(h), anxiety: String(a) });

describe('social prescribing: the link worker’s caseload, contacts, ONS4 at start and end, onward referrals', () => {
  let t: TestPlatform;
  let sp: SocialPrescribingService;
  const now = new Date('2026-03-02T09:00:00Z');
  const count = async (type: string) => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM resource WHERE resource_type = $1 AND NOT deleted', [type])).rows[0].n);
  let ada: string;
  let bill: string;

  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => now;
    await seedSocialPrescribingWorld(t.platform);
    sp = t.platform.socialPrescribing.caseload;
    const { referrals } = t.platform.referrals;
    // The GP refers Ada and Bill to the practice's social prescribing service; the link worker accepts Ada's.
    ada = (await referrals.send(SP_PEOPLE.gp, newReferral({ serviceId: SP.service, reason: 'Lonely; low mood' }))).referral.id;
    bill = (await referrals.send(SP_PEOPLE.gp, newReferral({ patientId: REF.other, serviceId: SP.service, reason: 'Debt worries' }))).referral.id;
    const r = await referrals.get(SP_PEOPLE.linkWorker, ada);
    await referrals.act(SP_PEOPLE.linkWorker, ada, 'accept', r.taskVersion!);
  });
  afterAll(() => t.close());

  it('lists the people referred to the link worker; both wait for a first contact until one is recorded, then a follow-up falls due', async () => {
    let c = await sp.caseload(SP_PEOPLE.linkWorker);
    expect(c.people.map((e) => e.referral.id).sort()).toEqual([ada, bill].sort());
    expect(c.waiting.map((e) => e.referral.id).sort()).toEqual([ada, bill].sort());
    await sp.recordContact(SP_PEOPLE.linkWorker, ada, { mode: 'PHONE', note: 'First call: agreed to meet on Thursday', followUp: '2026-03-02' });
    c = await sp.caseload(SP_PEOPLE.linkWorker);
    expect(c.waiting.map((e) => e.referral.id)).toEqual([bill]);
    expect(c.dueFollowUp.map((e) => e.referral.id)).toEqual([ada]);
    expect(c.people.find((e) => e.referral.id === ada)?.contacts[0]).toMatchObject({ kind: 'contact', mode: 'Telephone', note: 'First call: agreed to meet on Thursday', by: 'Lena Link' });
  });

  it('records what matters to me as a conversation and in the person’s plan (care planning’s, started when they have none)', async () => {
    await sp.recordWhatMatters(SP_PEOPLE.linkWorker, ada, { text: 'Getting back to the allotment with my grandson', followUp: '2026-03-16' });
    const person = await sp.person(SP_PEOPLE.linkWorker, ada);
    expect(person.whatMatters).toBe('Getting back to the allotment with my grandson');
    expect(person.plan?.whatMatters).toBe('Getting back to the allotment with my grandson');
    expect(person.followUpDue).toBe('2026-03-16');
    const { current } = await t.platform.carePlanning.plans.forPerson(SP_PEOPLE.linkWorker, REF.pat);
    expect(current?.view.whatMatters).toBe('Getting back to the allotment with my grandson');
  });

  it('refuses scores outside 0–10, a missing one, and a second start score; nothing written; the FHIR API refuses them too', async () => {
    const before = await count('QuestionnaireResponse');
    for (const bad of [scores(11, 5, 5, 5), scores(-1, 5, 5, 5), { ...scores(5, 5, 5, 5), anxiety: '' }, { ...scores(5, 5, 5, 5), happiness: '7.5' }]) {
      const e = await refusal(sp.recordWellbeing(SP_PEOPLE.linkWorker, ada, 'start', bad));
      expect(e.status).toBe(400);
    }
    expect((await refusal(sp.recordWellbeing(SP_PEOPLE.linkWorker, ada, 'middle', scores(5, 5, 5, 5)))).status).toBe(400);
    expect(await count('QuestionnaireResponse')).toBe(before);
    await sp.recordWellbeing(SP_PEOPLE.linkWorker, ada, 'start', scores(3, 4, 2, 8));
    const again = await refusal(sp.recordWellbeing(SP_PEOPLE.linkWorker, ada, 'start', scores(6, 6, 6, 6)));
    expect(again.status).toBe(409);
    expect(await count('QuestionnaireResponse')).toBe(before + 1);
    // On the FHIR API (the test integration, about a person it recorded): 12 is refused, in range is stored.
    const pt = await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Api', given: ['Ann'] }] });
    const qr = {
      resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: ONS4_URL, subject: { reference: `Patient/${(pt.body as { id: string }).id}` },
      extension: [{ url: TIMEPOINT_EXTENSION, valueCode: 'end' }],
      item: ['life-satisfaction', 'worthwhile', 'happiness', 'anxiety'].map((linkId, i) => ({ linkId, answer: [{ valueInteger: i === 3 ? 12 : 5 }] })),
    };
    const res = await fhir(t.app, 'POST', 'QuestionnaireResponse', qr);
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('Anxiety');
    expect(await count('QuestionnaireResponse')).toBe(before + 1);
    qr.item[3].answer = [{ valueInteger: 10 }];
    expect((await fhir(t.app, 'POST', 'QuestionnaireResponse', qr)).status).toBe(201);
  });

  it('counts the wellbeing change only over people with both a start and an end score', async () => {
    await sp.recordWellbeing(SP_PEOPLE.linkWorker, bill, 'start', scores(1, 1, 1, 1));
    let c = await sp.caseload(SP_PEOPLE.linkWorker);
    expect(c.wellbeing).toEqual({ withBoth: 0, startOnly: 2 });
    await sp.recordWellbeing(SP_PEOPLE.linkWorker, ada, 'end', scores(7, 7, 6, 4));
    c = await sp.caseload(SP_PEOPLE.linkWorker);
    // Ada only (Bill has a start score and no end): +4, +3, +4, −4.
    expect(c.wellbeing).toEqual({ withBoth: 1, startOnly: 1, meanChange: { 'life-satisfaction': 4, worthwhile: 3, happiness: 4, anxiety: -4 } });
    // An end score alone counts for nothing either.
    expect(wellbeingChange([{ wellbeing: { end: { id: 'x', scores: { 'life-satisfaction': 9, worthwhile: 9, happiness: 9, anxiety: 0 } } } }])).toEqual({ withBoth: 0, startOnly: 0 });
  });

  it('shows an onward referral the service declined until the link worker re-routes it', async () => {
    const { referrals } = t.platform.referrals;
    const onward = (await referrals.send(SP_PEOPLE.linkWorker, newReferral({ reason: 'Befriending for Saturdays' }))).referral;
    await referrals.act(PEOPLE.vcsA, onward.id, 'reject', onward.taskVersion!, { reason: 'no-capacity' });
    let c = await sp.caseload(SP_PEOPLE.linkWorker);
    expect(c.declined.map((r) => r.id)).toContain(onward.id);
    expect((await sp.person(SP_PEOPLE.linkWorker, ada)).onward.map((r) => r.id)).toContain(onward.id);
    const declined = await referrals.get(SP_PEOPLE.linkWorker, onward.id);
    await referrals.redirect(SP_PEOPLE.linkWorker, onward.id, declined.taskVersion!, { service: REF.serviceB, consent: 'yes' });
    c = await sp.caseload(SP_PEOPLE.linkWorker);
    expect(c.declined.map((r) => r.id)).not.toContain(onward.id);
  });

  it('offers onward services nearest the person’s home first, with how far; by name to a reader who may not see where they live', async () => {
    const districts = kentPostcodeDistricts();
    const home = districts.get('TN23')!, canterbury = districts.get('CT1')!;
    const at = (id: string, lat: number, lon: number, org: string, name: string) => [
      { resourceType: 'Location', id: `loc-${id}`, name, position: { latitude: lat, longitude: lon } },
      { resourceType: 'HealthcareService', id, active: true, name, providedBy: { reference: `Organization/${org}` }, location: [{ reference: `Location/loc-${id}` }],
        type: [{ text: 'Befriending' }] },
    ] as Resource[];
    for (const r of [
      ...at('hs-geo-far', home.lat + 0.08, home.lon, REF.vcsB, 'A walking group, 9 km'),
      ...at('hs-geo-near', home.lat + 0.01, home.lon, REF.vcsA, 'Z tea club, 1 km'),
      ...at('hs-geo-canterbury', canterbury.lat, canterbury.lon, REF.vcsA, 'Canterbury lunch club'),
      ...at('hs-geo-own', home.lat, home.lon, REF.practice, 'Orchard practice walk'),
    ]) await t.platform.resources.update(r.resourceType, r.id!, r);
    const choices = await sp.onwardChoices(SP_PEOPLE.linkWorker, REF.pat);
    expect(choices.from).toBe('TN23');
    const ids = choices.services.map((c) => c.id);
    expect(ids.slice(0, 2)).toEqual(['hs-geo-near', 'hs-geo-far']);
    expect(ids).not.toContain('hs-geo-canterbury');
    expect(ids).not.toContain('hs-geo-own');
    expect(choices.services[0].distance).toBeLessThan(choices.services[1].distance!);
    // Another organisation's link worker may not see Ada's address: the list is by kind and name, unmeasured.
    const blind = await sp.onwardChoices(SP_PEOPLE.otherLinkWorker, REF.pat);
    expect(blind.from).toBeUndefined();
    expect(blind.services.every((c) => c.distance === undefined)).toBe(true);
    expect(blind.services.map((c) => c.id)).toContain('hs-geo-canterbury');
  });

  it('a link worker of another organisation cannot see the caseload or act on it, on a real database', async () => {
    const other = await sp.caseload(SP_PEOPLE.otherLinkWorker);
    expect(other.people).toEqual([]);
    expect(other.declined).toEqual([]);
    expect((await refusal(sp.person(SP_PEOPLE.otherLinkWorker, ada))).status).toBe(404);
    const before = [await count('Communication'), await count('QuestionnaireResponse')];
    expect((await refusal(sp.recordContact(SP_PEOPLE.otherLinkWorker, ada, { mode: 'PHONE', note: 'x' }))).status).toBe(404);
    expect((await refusal(sp.recordWellbeing(SP_PEOPLE.otherLinkWorker, bill, 'end', scores(5, 5, 5, 5)))).status).toBe(404);
    expect((await refusal(sp.recordWhatMatters(SP_PEOPLE.otherLinkWorker, ada, { text: 'x' }))).status).toBe(404);
    expect([await count('Communication'), await count('QuestionnaireResponse')]).toEqual(before);
    // The GP of the referring practice sees the referral but does not keep the caseload: refused.
    expect((await refusal(sp.recordContact(SP_PEOPLE.gp, ada, { mode: 'PHONE', note: 'x' }))).status).toBe(403);
  });
  it('counts a follow-up as due by Kent’s calendar day, not UTC’s (summer time)', async () => {
    try {
      // 23:00 BST on 1 July: still 1 July in Kent; a follow-up for 2 July is not due yet.
      t.platform.clock.now = () => new Date('2026-07-01T22:00:00Z');
      await sp.recordContact(SP_PEOPLE.linkWorker, ada, { mode: 'PHONE', note: 'Late call', followUp: '2026-07-02' });
      expect((await sp.caseload(SP_PEOPLE.linkWorker)).dueFollowUp.map((e) => e.referral.id)).not.toContain(ada);
      // 00:30 BST on 2 July (23:30 UTC on 1 July): due today in Kent, and 1 July is in the past.
      t.platform.clock.now = () => new Date('2026-07-01T23:30:00Z');
      expect((await sp.caseload(SP_PEOPLE.linkWorker)).dueFollowUp.map((e) => e.referral.id)).toContain(ada);
      expect((await refusal(sp.recordContact(SP_PEOPLE.linkWorker, ada, { mode: 'PHONE', note: 'x', followUp: '2026-07-01' }))).status).toBe(400);
    } finally {
      t.platform.clock.now = () => now;
    }
  });
});
