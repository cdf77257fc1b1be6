import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyPrincipal, ResidentPrincipal, StaffPrincipal } from '../access/principal.js';
import { BreakGlassService } from '../access/policy/index.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { FhirError } from '../fhir/outcome.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { CARE_ORGS, seedCareWorld } from './care.fixtures.js';
import { RecordSummaryService, observationValue, parseTimelineQuery, questionnaireAnswers } from './record-summary.service.js';

const NOW = new Date('2025-03-01T10:00:00Z');
const nurse: StaffPrincipal = {
  kind: 'staff', id: 'u-nurse', displayName: 'Amira Okafor', role: 'community-nurse', organizationId: CARE_ORGS.community,
  organizationIds: [CARE_ORGS.community], practitionerId: 'pr-nurse', via: 'session', credentialId: 's1',
};
const receptionist: StaffPrincipal = {
  kind: 'staff', id: 'u-rec', displayName: 'Sam Dale', role: 'receptionist', organizationId: CARE_ORGS.gp, organizationIds: [CARE_ORGS.gp], via: 'session', credentialId: 's2',
};
const resident: ResidentPrincipal = { kind: 'resident', id: 'u-res', displayName: 'Margaret Hollis', patientId: 'pat-hollis', via: 'session', credentialId: 's3' };
const carer: ProxyPrincipal = { kind: 'proxy', id: 'u-carer', displayName: 'Peter', relatedPersonIds: ['rp-hollis'], patientIds: ['pat-hollis'], via: 'session', credentialId: 's4' };

describe('RecordSummaryService', () => {
  let t: TestPlatform;
  let service: RecordSummaryService;
  beforeAll(async () => {
    t = await createTestPlatform();
    await seedCareWorld(t.platform);
    service = new RecordSummaryService(t.platform.db);
  });
  afterAll(() => t.close());

  const ok = async (...args: Parameters<RecordSummaryService['summary']>) => {
    const r = await service.summary(...args);
    if (r.status !== 'ok') throw new Error(`expected ok, got ${r.status}`);
    return r.summary;
  };

  it('assembles the joined-up record for a nurse in the care team, and says one sensitive entry is withheld', async () => {
    const s = await ok(nurse, 'pat-hollis', NOW);
    expect(s.patient).toMatchObject({ name: 'Margaret Hollis', birthDate: '1941-05-14', age: 83, gp: { name: 'Riverside Surgery' } });
    expect(s.access.basis).toBe('care');
    expect(s.namedProfessional).toMatchObject({ name: 'Amira Okafor', organisation: 'Kent Community Nursing' });
    expect(s.careTeam.map((m) => m.name)).toEqual(expect.arrayContaining(['Tom Reilly', 'Helen Shah', 'Riverside Surgery']));
    // The social worker also manages her support episode: one row, with the team role.
    expect(s.careTeam.filter((m) => m.name === 'Tom Reilly')).toEqual([expect.objectContaining({ role: 'Social worker' })]);
    expect(s.whatMatters).toEqual(expect.arrayContaining(['To stay in my own home with my cat, Biscuit']));
    expect(s.problems.map((p) => p.text)).toEqual(['Venous leg ulcer', 'Heart failure', 'Type 2 diabetes mellitus']);
    expect(s.medications).toHaveLength(3);
    expect(s.allergies).toEqual([{ text: 'Penicillin', criticality: 'High risk', reaction: 'Anaphylaxis' }]);
    expect(s.carers).toEqual([expect.objectContaining({ name: 'Peter Hollis', proxy: true })]);
    expect(s.carePlans[0]).toMatchObject({ title: 'Staying well at home', nextReview: '15 October 2025' });
    expect(s.carePlans[0].goals).toContain('No falls in the next three months');
    expect(s.referrals).toEqual([expect.objectContaining({ status: 'Open', to: 'Adult Social Care, Maidstone' })]);
    expect(s.alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['flag', 'communication']));
    // The PSY-labelled entry from mental health is not shown, and the page can say so.
    expect(s.problems.map((p) => p.text)).not.toContain('Mild cognitive impairment with low mood');
    expect(s.withheld?.count).toBe(1);
    expect(s.consent.sharingWithheld).toBe(false);
    expect(s.organisations.map((o) => o.name)).toEqual(expect.arrayContaining(['Weald General Hospital', "Carers' Support Maidstone"]));
  });

  it('pages the timeline newest first with a cursor, and filters by organisation, kind and date', async () => {
    const s = await ok(nurse, 'pat-hollis', NOW);
    const first = s.timeline.entries;
    expect(first).toHaveLength(20);
    const dates = first.map((e) => e.date ?? '');
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(first.every((e) => e.organisation?.name)).toBe(true);
    const second = await service.timeline(nurse, 'pat-hollis', NOW, { cursor: s.timeline.next });
    const seen = new Set(first.map((e) => `${e.type}/${e.id}`));
    expect(second!.entries.length).toBeGreaterThan(0);
    expect(second!.entries.some((e) => seen.has(`${e.type}/${e.id}`))).toBe(false);
    expect(second!.entries[0].date! <= first[19].date!).toBe(true);

    const hospital = await service.timeline(nurse, 'pat-hollis', NOW, { organisation: CARE_ORGS.acute, count: 100 });
    expect(hospital!.entries.length).toBe(5);
    expect(hospital!.entries.every((e) => e.organisation?.id === CARE_ORGS.acute)).toBe(true);
    const meds = await service.timeline(nurse, 'pat-hollis', NOW, { kind: 'medication' });
    expect(meds!.entries.map((e) => e.type)).toEqual(['MedicationRequest', 'MedicationRequest', 'MedicationRequest']);
    const march = await service.timeline(nurse, 'pat-hollis', NOW, { kind: 'contact', from: '2024-03-01', to: '2024-03-31' });
    expect(march!.entries.length).toBeGreaterThan(0);
    expect(march!.entries.every((e) => e.date!.startsWith('2024-03'))).toBe(true);
  });

  it('says sharing is withheld when the person objects, and shows only what the nurse’s organisation recorded', async () => {
    const s = await ok(nurse, 'pat-penfold', NOW);
    expect(s.consent.sharingWithheld).toBe(true);
    expect(s.withheld?.reason).toMatch(/objected to sharing/);
    expect(s.timeline.entries.map((e) => e.id)).toEqual(['enc-penfold-nurse']);
  });

  it('offers break-glass when there is no relationship, then shows the record under the grant', async () => {
    expect(await service.summary(nurse, 'pat-baxter', NOW)).toEqual({ status: 'no-relationship', canBreakGlass: true });
    expect(await service.summary(receptionist, 'pat-baxter', NOW)).toEqual({ status: 'no-relationship', canBreakGlass: false });
    expect(await service.summary(nurse, 'pat-nobody', NOW)).toEqual({ status: 'not-found' });
    await new BreakGlassService(t.platform.db).breakGlass(nurse, 'pat-baxter', 'unscheduled-care', 'Found at home after a fall, GP closed', NOW);
    const s = await ok(nurse, 'pat-baxter', NOW);
    expect(s.access).toMatchObject({ basis: 'break-glass', breakGlass: { reason: 'unscheduled-care' } });
    expect(s.timeline.entries.map((e) => e.id)).toEqual(['enc-baxter-gp']);
  });

  it('shows the resident their record without entries withheld from them, and the carer only what consent allows', async () => {
    const mine = await ok(resident, 'pat-hollis', NOW);
    expect(mine.access.basis).toBe('self');
    expect(mine.problems.map((p) => p.text)).toContain('Mild cognitive impairment with low mood');
    expect(mine.withheld).toBeUndefined();
    const all = await service.timeline(resident, 'pat-hollis', NOW, { kind: 'observation' });
    expect(all!.entries.map((e) => e.id)).not.toContain('obs-hollis-withheld');
    expect(await service.summary(resident, 'pat-penfold', NOW)).toEqual({ status: 'not-found' });

    const theirs = await ok(carer, 'pat-hollis', NOW);
    expect(theirs.access.basis).toBe('proxy');
    expect(theirs.problems).toEqual([]); // Condition is not in the consent
    expect(theirs.medications).toHaveLength(3);
    expect(theirs.carePlans).toHaveLength(1);
  });

  it('a receptionist sees no clinical sections', async () => {
    const s = await ok(receptionist, 'pat-hollis', NOW);
    expect(s.problems).toEqual([]);
    expect(s.medications).toEqual([]);
  });

  it('words a coded problem in UK terms for staff and plain English for the person, and a referral\'s status the same on the timeline as in the table', async () => {
    await t.platform.resources.update('Condition', 'cond-hollis-sob', {
      resourceType: 'Condition', id: 'cond-hollis-sob', subject: { reference: 'Patient/pat-hollis' }, meta: { tag: [recordedByTag(CARE_ORGS.gp)] },
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '60845006', display: 'Dyspnea on exertion' }], text: 'Dyspnea on exertion' },
      onsetDateTime: '2025-02-01', recordedDate: '2025-02-01',
    });
    try {
      const staff = await ok(nurse, 'pat-hollis', NOW);
      expect(staff.problems.map((p) => p.text)).toContain('Dyspnoea on exertion');
      const mine = await ok(resident, 'pat-hollis', NOW);
      expect(mine.problems.map((p) => p.text)).toContain('Breathlessness on exertion');
      const diagnoses = await service.timeline(resident, 'pat-hollis', NOW, { kind: 'diagnosis', count: 100 });
      expect(diagnoses!.entries.find((e) => e.id === 'cond-hollis-sob')?.title).toBe('Diagnosis: Breathlessness on exertion');

      const referrals = await service.timeline(nurse, 'pat-hollis', NOW, { kind: 'referral', count: 100 });
      const ot = referrals!.entries.find((e) => e.id === 'sr-hollis-ot')!;
      expect(staff.referrals[0].status).toBe('Open');
      expect(ot).toMatchObject({ status: 'active', statusText: 'Open' });
      expect(ot.detail).toContain('Status: Open');
    } finally {
      await t.platform.resources.delete('Condition', 'cond-hollis-sob');
    }
  });

  it('refuses bad timeline parameters with a 400 naming them', () => {
    for (const [q, name] of [[{ kind: 'x' }, 'kind'], [{ from: '2024-02-30' }, 'from'], [{ to: 'soon' }, 'to'], [{ count: '0' }, 'count'],
      [{ cursor: 'bm9wZQ' }, 'cursor'], [{ organisation: "x' OR 1=1" }, 'organisation'], [{ from: '2024-05-01', to: '2024-04-01' }, 'from']] as const) {
      try {
        parseTimelineQuery(q as never);
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(FhirError);
        expect((err as FhirError).status).toBe(400);
        expect(JSON.stringify((err as FhirError).outcome)).toContain(name);
      }
    }
  });
});

describe('timeline details in words', () => {
  it('shows a measurement with readable units, and a score rounded with what it means', () => {
    expect(observationValue({ valueQuantity: { value: 0.194, unit: 'score', code: '1' }, interpretation: [{ coding: [{ code: 'mild', display: 'Mild frailty' }], text: 'Mild frailty' }] }))
      .toBe('0.19 (mild frailty)');
    expect(observationValue({ valueQuantity: { value: 31.2, unit: 'kg/m2', code: 'kg/m2' } })).toBe('31.2 kg/m²');
    expect(observationValue({ valueQuantity: { value: 20, unit: 'min/wk', code: 'min/wk' } })).toBe('20 minutes a week');
    expect(observationValue({ component: [
      { code: { text: 'Systolic blood pressure' }, valueQuantity: { value: 142, unit: 'mmHg', code: 'mm[Hg]' } },
      { code: { text: 'Diastolic blood pressure' }, valueQuantity: { value: 88, unit: 'mmHg', code: 'mm[Hg]' } },
    ] })).toBe('Systolic blood pressure 142 mmHg, Diastolic blood pressure 88 mmHg');
  });

  it('shows each questionnaire answer with its question', () => {
    expect(questionnaireAnswers({ item: [{ linkId: 'q1', text: 'How often do you feel lonely?', answer: [{ valueCoding: { code: 'never', display: 'Never' } }] }] }))
      .toBe('How often do you feel lonely: Never');
    expect(questionnaireAnswers({ item: [
      { linkId: 'g', text: 'About you', item: [{ linkId: 'a', text: 'Do you live alone', answer: [{ valueBoolean: true }] }] },
      { linkId: 'b', text: 'Anything else', answer: [{ valueString: 'No' }] },
    ] })).toBe('Do you live alone: Yes. Anything else: No');
    // An answer whose question was not sent is still shown.
    expect(questionnaireAnswers({ item: [{ linkId: 'q1', answer: [{ valueCoding: { code: 'x', display: 'Often or always' } }] }] })).toBe('Often or always');
    expect(questionnaireAnswers({ item: [] })).toBeUndefined();
  });
});
