import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../access/identity/identity.test-helpers.js';
import { LAST_CHECKED_EXTENSION } from '../directory/service-freshness.js';
import { refusal } from '../testing/refusal.js';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { PEOPLE, REF, REF_PASSWORD, newReferral, seedReferralWorld } from './referral.fixtures.js';
import type { ReferralService } from './referral.service.js';
import { CONSENT_EXTENSION, HEALTH_INFO_EXTENSION, REFERRAL_CATEGORY } from './referral.vocabulary.js';


describe('referrals between partners: the lifecycle, duplicates, consent and the receiving organisation', () => {
  let t: TestPlatform;
  let referrals: ReferralService;
  let now = new Date('2026-03-02T09:00:00Z'); // a Monday
  const count = async (type: string) => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM resource WHERE resource_type = $1 AND NOT deleted', [type])).rows[0].n);
  const related = async (patient: string, party: string) =>
    (await t.platform.db.query('SELECT 1 FROM care_relationship WHERE patient_id = $1 AND party = $2', [patient, party])).rows.length > 0;

  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => now;
    await seedReferralWorld(t.platform);
    referrals = t.platform.referrals.referrals;
  });
  afterAll(() => t.close());

  it('sends a referral as a ServiceRequest to the service and a Task owned by its organisation; the same submission twice makes one', async () => {
    const before = [await count('ServiceRequest'), await count('Task')];
    const n = newReferral();
    const first = await referrals.send(PEOPLE.linkWorker, n);
    expect(first.created).toBe(true);
    const again = await referrals.send(PEOPLE.linkWorker, n);
    expect(again.created).toBe(false);
    expect(again.referral.id).toBe(first.referral.id);
    // Two at once with one key: still one.
    const racing = newReferral();
    const both = await Promise.all([referrals.send(PEOPLE.linkWorker, racing), referrals.send(PEOPLE.linkWorker, racing)]);
    expect(both[0].referral.id).toBe(both[1].referral.id);
    expect([await count('ServiceRequest'), await count('Task')]).toEqual([before[0] + 2, before[1] + 2]);
    const r = first.referral;
    expect(r.status).toBe('requested');
    expect(r.task?.owner?.reference).toBe(`Organization/${REF.vcsA}`);
    expect(r.task?.focus?.reference).toBe(`ServiceRequest/${r.id}`);
    expect(r.sr.performer?.[0].reference).toBe(`HealthcareService/${REF.serviceA}`);
    expect(r.sr.category?.[0].coding?.[0].code).toBe(REFERRAL_CATEGORY.code);
    expect(r.whatMatters).toBe('Getting back to the allotment');
    expect(r.share).toEqual(['contact', 'what-matters']);
    // Sent: due to be acknowledged within 2 working days.
    expect(r.task?.restriction?.period?.end).toBe('2026-03-04T09:00:00.000Z');
    expect((await referrals.sent(PEOPLE.linkWorker)).map((x) => x.id)).toContain(r.id);
    expect((await referrals.received(PEOPLE.vcsA)).map((x) => x.id)).toContain(r.id);
    expect((await referrals.received(PEOPLE.vcsB)).map((x) => x.id)).not.toContain(r.id);
  });

  it('walks the lifecycle: only the receiver moves it on, only the requester cancels; illegal moves are refused and change nothing', async () => {
    let r = (await referrals.send(PEOPLE.linkWorker, newReferral())).referral;
    // The requester cannot accept; another organisation's worker cannot even see it.
    expect((await refusal(referrals.act(PEOPLE.linkWorker, r.id, 'accept', r.taskVersion!))).status).toBe(403);
    expect((await refusal(referrals.act(PEOPLE.vcsB, r.id, 'accept', r.taskVersion!))).status).toBe(404);
    // The receiver cannot cancel; cannot complete what is not started.
    expect((await refusal(referrals.act(PEOPLE.vcsA, r.id, 'cancel', r.taskVersion!, { reason: 'no' }))).status).toBe(403);
    expect((await refusal(referrals.act(PEOPLE.vcsA, r.id, 'complete', r.taskVersion!, { outcome: 'support-given', note: 'x' }))).status).toBe(422);
    expect((await referrals.get(PEOPLE.vcsA, r.id)).status).toBe('requested');
    expect(await referrals.actionsFor(PEOPLE.vcsA, r)).toEqual(['acknowledge', 'accept', 'reject', 'reroute']);
    expect(await referrals.actionsFor(PEOPLE.linkWorker, r)).toEqual(['cancel']);
    r = (await referrals.act(PEOPLE.vcsA, r.id, 'acknowledge', r.taskVersion!))!;
    expect(r.status).toBe('received');
    // A stale version is a conflict.
    expect((await refusal(referrals.act(PEOPLE.vcsA, r.id, 'accept', r.taskVersion! - 1))).status).toBe(409);
    r = (await referrals.act(PEOPLE.vcsA, r.id, 'accept', r.taskVersion!))!;
    expect(r.status).toBe('accepted');
    // Accepted: the receiving organisation's service has the legitimate relationship the policy derives from the open referral.
    expect(await related(REF.pat, `HealthcareService/${REF.serviceA}`)).toBe(true);
    // Closing without support is offered only once support has started (accepted → failed is not a Task transition).
    expect(await referrals.actionsFor(PEOPLE.vcsA, r)).not.toContain('fail');
    expect((await refusal(referrals.act(PEOPLE.vcsA, r.id, 'fail', r.taskVersion!, { reason: 'unable-to-contact' }))).status).toBe(422);
    expect((await referrals.get(PEOPLE.vcsA, r.id)).status).toBe('accepted');
    r = (await referrals.act(PEOPLE.vcsA, r.id, 'start', r.taskVersion!))!;
    expect((await refusal(referrals.act(PEOPLE.vcsA, r.id, 'complete', r.taskVersion!, { note: 'done' }))).status).toBe(400);
    await referrals.act(PEOPLE.vcsA, r.id, 'complete', r.taskVersion!, { outcome: 'goals-met', note: 'Weekly visits; now goes to the lunch club' });
    r = await referrals.get(PEOPLE.linkWorker, r.id);
    expect(r.status).toBe('completed');
    expect(r.sr.status).toBe('completed');
    expect(r.outcome).toEqual({ code: 'goals-met', text: 'The person’s goals were met', note: 'Weekly visits; now goes to the lunch club' });
    // Finished: nothing more to do (the relationship ending with it: see the rejection below).
    expect(await referrals.actionsFor(PEOPLE.linkWorker, r)).toEqual([]);
  });

  it('rejects with a coded reason (the referrer sees it and the relationship ends); the requester cancels; re-routing makes a new Task', async () => {
    let r = (await referrals.send(PEOPLE.linkWorker, newReferral({ patientId: REF.other }))).referral;
    expect((await refusal(referrals.act(PEOPLE.vcsA, r.id, 'reject', r.taskVersion!, { reason: 'made-up' }))).status).toBe(400);
    expect(await referrals.act(PEOPLE.vcsA, r.id, 'reject', r.taskVersion!, { reason: 'out-of-area', note: 'Lives in Folkestone' })).toBeUndefined();
    // Rejected: out of the VCSE organisation's sight; the referrer sees why.
    r = await referrals.get(PEOPLE.linkWorker, r.id);
    expect(r.status).toBe('rejected');
    expect(r.sr.status).toBe('revoked');
    expect((await referrals.get(PEOPLE.linkWorker, r.id)).statusReason).toBe('The person lives outside the area the service covers: Lives in Folkestone');
    expect(await related(REF.other, `HealthcareService/${REF.serviceA}`)).toBe(false);
    expect(await related(REF.other, `Organization/${REF.vcsA}`)).toBe(false);

    let c = (await referrals.send(PEOPLE.linkWorker, newReferral({ patientId: REF.other }))).referral;
    c = (await referrals.act(PEOPLE.linkWorker, c.id, 'cancel', c.taskVersion!, { reason: 'Found a closer group' }))!;
    expect([c.status, c.sr.status]).toEqual(['cancelled', 'revoked']);

    const tasksBefore = await count('Task');
    let x = (await referrals.send(PEOPLE.linkWorker, newReferral({ patientId: REF.other }))).referral;
    expect((await refusal(referrals.act(PEOPLE.vcsA, x.id, 'reroute', x.taskVersion!, { service: REF.serviceB }))).status).toBe(422); // no consent confirmed
    expect(await referrals.act(PEOPLE.vcsA, x.id, 'reroute', x.taskVersion!, { service: REF.serviceB, consent: 'yes', note: 'Her need is as a carer' })).toBeUndefined();
    x = await referrals.get(PEOPLE.linkWorker, x.id);
    expect(await count('Task')).toBe(tasksBefore + 2);
    expect(x.sr.performer?.[0].reference).toBe(`HealthcareService/${REF.serviceB}`);
    expect(x.task?.owner?.reference).toBe(`Organization/${REF.vcsB}`);
    expect(x.status).toBe('requested');
    // Now B's to answer, and no longer A's.
    expect((await referrals.received(PEOPLE.vcsB)).map((y) => y.id)).toContain(x.id);
    expect((await refusal(referrals.get(PEOPLE.vcsA, x.id))).status).toBe(404);
  });

  it('refuses a service that no longer takes referrals, a referral without consent, and shared text the consent does not cover; nothing is written', async () => {
    const before = [await count('ServiceRequest'), await count('Task')];
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ serviceId: REF.closed })))).outcome.issue?.[0].diagnostics).toMatch(/no longer active/);
    // Unchecked for over 12 months (the directory's freshness rule): no longer takes referrals.
    await t.platform.resources.update('HealthcareService', 'hs-ref-stale', {
      resourceType: 'HealthcareService', id: 'hs-ref-stale', active: true, name: 'Walking group', providedBy: { reference: `Organization/${REF.vcsA}` },
      extension: [{ url: LAST_CHECKED_EXTENSION, valueDate: '2024-12-01' }],
    });
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ serviceId: 'hs-ref-stale' })))).outcome.issue?.[0].diagnostics).toMatch(/not been checked for over 12 months/);
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ consentGiven: false })))).status).toBe(422);
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ share: [], whatMatters: 'Gardening' })))).outcome.issue?.[0].expression).toEqual(['whatMatters']);
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ serviceId: 'no-such-service' })))).status).toBe(422);
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ idempotencyKey: 'x' })))).status).toBe(400);
    expect((await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ patientId: 'nobody-here' })))).status).toBe(404);
    expect([await count('ServiceRequest'), await count('Task')]).toEqual(before);
  });

  it('on the FHIR API too: a referral sharing health information without consent, or to a closed service, is a 422', async () => {
    const base = {
      resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: `Patient/${REF.pat}` },
      category: [{ coding: [{ ...REFERRAL_CATEGORY }] }], performer: [{ reference: `HealthcareService/${REF.serviceA}` }],
    };
    const consent = (share: string[]) => ({ url: CONSENT_EXTENSION, extension: [{ url: 'given', valueBoolean: true }, ...share.map((code) => ({ url: 'share', valueCoding: { system: 'https://onestory.example/fhir/CodeSystem/referral-share', code } }))] });
    const link = await signIn(t.app, 'ref.link', REF_PASSWORD);
    const as = { cookie: link.cookie, 'x-csrf-token': link.csrf, authorization: '' };
    expect((await fhir(t.app, 'POST', 'ServiceRequest', base, as)).status).toBe(422);
    const noHealth = await fhir(t.app, 'POST', 'ServiceRequest', { ...base, extension: [consent(['contact']), { url: HEALTH_INFO_EXTENSION, valueString: 'Depression' }] }, as);
    expect(noHealth.status).toBe(422);
    expect(noHealth.body.issue[0].diagnostics).toMatch(/health information that their consent does not share/);
    expect((await fhir(t.app, 'POST', 'ServiceRequest', { ...base, performer: [{ reference: `HealthcareService/${REF.closed}` }], extension: [consent(['contact'])] }, as)).status).toBe(422);
    expect((await fhir(t.app, 'POST', 'ServiceRequest', { ...base, extension: [consent(['contact', 'health']), { url: HEALTH_INFO_EXTENSION, valueString: 'Low mood' }] }, as)).status).toBe(201);
  });

  it('VCSE worker B cannot see a person not referred to them; A sees the referral and the person, but only what the consent shares', async () => {
    const a = await signIn(t.app, 'ref.vcs.a', REF_PASSWORD);
    const b = await signIn(t.app, 'ref.vcs.b', REF_PASSWORD);
    const asA = { cookie: a.cookie, authorization: '' };
    const asB = { cookie: b.cookie, authorization: '' };
    const r = (await referrals.send(PEOPLE.linkWorker, newReferral({ share: ['what-matters'], healthInfo: undefined }))).referral;
    // Ada is referred to A only: B sees neither her nor her referral.
    expect((await fhir(t.app, 'GET', `Patient/${REF.pat}`, undefined, asB)).status).toBe(404);
    expect((await fhir(t.app, 'GET', `ServiceRequest/${r.id}`, undefined, asB)).status).toBe(404);
    expect((await fhir(t.app, 'GET', `ServiceRequest?subject=Patient/${REF.pat}`, undefined, asB)).body.total ?? 0).toBe(0);
    // And one to another service for the same person, which A must not see.
    const toB = (await referrals.send(PEOPLE.linkWorker, newReferral({ serviceId: REF.serviceB, share: ['health'], whatMatters: undefined, healthInfo: 'Depression, on sertraline' }))).referral;
    const seen = await fhir(t.app, 'GET', `ServiceRequest/${r.id}`, undefined, asA);
    expect(seen.status).toBe(200);
    expect(JSON.stringify(seen.body)).not.toContain(HEALTH_INFO_EXTENSION);
    expect((await fhir(t.app, 'GET', `Patient/${REF.pat}`, undefined, asA)).status).toBe(200);
    // Never clinical content, and never the person's other referrals.
    expect((await fhir(t.app, 'GET', `Condition/cond-${REF.pat}`, undefined, asA)).status).toBe(403);
    expect((await fhir(t.app, 'GET', `ServiceRequest/${toB.id}`, undefined, asA)).status).toBe(404);
    const all = await fhir(t.app, 'GET', `ServiceRequest?subject=Patient/${REF.pat}`, undefined, asA);
    expect(all.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).not.toContain(toB.id);
    // B cannot act on A's referral: the task is hidden from B on the API as on the pages.
    expect((await fhir(t.app, 'GET', `Task/${r.task!.id}`, undefined, asB)).status).toBe(404);
    expect((await fhir(t.app, 'PATCH', `Task/${r.task!.id}`, [{ op: 'replace', path: '/status', value: 'accepted' }], { ...asB, 'content-type': 'application/json-patch+json', 'x-csrf-token': b.csrf })).status).toBe(404);
  });

  it('refuses a referral for a person who objects to sharing (the service could not see it), saying so', async () => {
    await t.platform.resources.update('Consent', 'objection-bill', {
      resourceType: 'Consent', id: 'objection-bill', status: 'active', patient: { reference: `Patient/${REF.other}` },
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], provision: { type: 'deny' },
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTOUT' }] },
    });
    const e = await refusal(referrals.send(PEOPLE.linkWorker, newReferral({ patientId: REF.other })));
    expect(e.status).toBe(422);
    expect(e.outcome.issue?.[0].diagnostics).toMatch(/not shared between organisations/);
    await t.platform.resources.delete('Consent', 'objection-bill');
  });

  it('SLA clocks on a frozen clock: acknowledge in 2 working days, decide in 10, paused on hold; a breach is escalated once', async () => {
    now = new Date('2026-03-06T15:00:00Z'); // Friday afternoon
    let r = (await referrals.send(PEOPLE.linkWorker, newReferral())).referral;
    const [ack, decide] = r.clocks;
    expect(ack.due.toISOString()).toBe('2026-03-10T15:00:00.000Z'); // over the weekend: Tuesday
    expect(decide.due.toISOString()).toBe('2026-03-20T15:00:00.000Z');
    now = new Date('2026-03-10T16:00:00Z');
    r = await referrals.get(PEOPLE.linkWorker, r.id);
    expect(r.clocks[0].breached).toBe(true);
    expect(r.breached).toBe(true);
    const raised = await referrals.escalateBreaches();
    expect(raised).toBeGreaterThanOrEqual(1);
    expect(await referrals.escalateBreaches()).toBe(0);
    const esc = await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'Task' AND content LIKE $1`, [`%${r.task!.id}|acknowledge%`]);
    expect(esc.rows).toHaveLength(1);
    expect(JSON.parse(esc.rows[0].content).owner.reference).toBe(`Organization/${REF.vcsA}`);
    // Its words are for people (staff, and the person on their record): the service's name and the day and time.
    expect(JSON.parse(esc.rows[0].content).description).toBe('Referral to Befriending, Ashford not acknowledged in time: it was due by 10 March 2026, 15:00');
    // Acknowledged late (the breach stays shown), then on hold for 4 days waiting for information: the decision is due 4 days later.
    r = (await referrals.act(PEOPLE.vcsA, r.id, 'acknowledge', r.taskVersion!))!;
    expect(r.clocks[0].stoppedAt?.toISOString()).toBe('2026-03-10T16:00:00.000Z');
    expect(r.clocks[0].breached).toBe(true);
    r = (await referrals.act(PEOPLE.vcsA, r.id, 'hold', r.taskVersion!, { reason: 'Asked the GP for more about her mobility' }))!;
    expect(r.status).toBe('on-hold');
    now = new Date('2026-03-14T16:00:00Z');
    r = await referrals.get(PEOPLE.vcsA, r.id);
    expect(r.clocks[1].paused).toBe(true);
    r = (await referrals.act(PEOPLE.vcsA, r.id, 'resume', r.taskVersion!))!;
    expect(r.status).toBe('received');
    expect(r.clocks[1].due.toISOString()).toBe('2026-03-24T15:00:00.000Z');
    expect(r.clocks[1].breached).toBe(false);
    // A list reads every referral's Task history in one statement: each row keeps its own clocks, as read one by one.
    await referrals.send(PEOPLE.linkWorker, newReferral());
    const list = await referrals.received(PEOPLE.vcsA);
    expect(list.length).toBeGreaterThan(1);
    expect(list.find((x) => x.id === r.id)!.clocks).toEqual(r.clocks);
    for (const x of list) expect(x.clocks).toEqual((await referrals.get(PEOPLE.vcsA, x.id)).clocks);
    expect(new Set(list.map((x) => JSON.stringify(x.clocks))).size).toBeGreaterThan(1);
    now = new Date('2026-03-02T09:00:00Z');
  });

  it("lists the latest change first by when it happened (the Task's lastModified), not by when it was stored", async () => {
    // Recorded in this order, but the second happened before the first (a referral entered after the event).
    now = new Date('2026-05-11T10:00:00Z');
    const later = (await referrals.send(PEOPLE.linkWorker, newReferral())).referral;
    now = new Date('2026-05-04T10:00:00Z');
    const earlier = (await referrals.send(PEOPLE.linkWorker, newReferral())).referral;
    for (const list of [await referrals.received(PEOPLE.vcsA), await referrals.sent(PEOPLE.linkWorker), await referrals.forPerson(PEOPLE.linkWorker, REF.pat)]) {
      const ids = list.map((x) => x.id);
      expect(ids.indexOf(later.id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(later.id)).toBeLessThan(ids.indexOf(earlier.id));
      // What each row shows as its last change never increases down the list.
      const shown = list.map((x) => Date.parse(x.lastChanged!));
      expect(shown).toEqual([...shown].sort((a, b) => b - a));
    }
    now = new Date('2026-03-02T09:00:00Z');
  });
});
