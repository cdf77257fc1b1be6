import type {
  AllergyIntolerance, CarePlan, CareTeam, Encounter, EpisodeOfCare, Flag, Goal, MedicationRequest, Observation, Patient, Practitioner,
  PractitionerRole, QuestionnaireResponse, RelatedPerson, Resource, ServiceRequest, Task,
} from '@medplum/fhirtypes';
import { OPEN_TASK_STATUSES, TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { describe, expect, it } from 'vitest';
import { RECORDED_BY_SYSTEM } from '../access/policy/policy-codes.js';
import { isRecordType } from '../access/policy/resource-classes.js';
import { SENSITIVE_LABELS } from '../access/policy/security-labels.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { validate } from '../fhir/validation.service.js';
import { CONDITIONS, MEDICINE_DOSAGE, OLDER_AGE_MEDICINES } from './clinical.catalogue.js';
import { ODS } from './fhir.helpers.js';
import { QUESTIONNAIRES } from './survey.definitions.js';
import { REFERENCE_AS_OF } from './timeline.js';
import { synthesize, synthesizeResidents } from './index.js';

const RESIDENTS = 400;
// Fixed, so the expectations below hold on any day the tests run.
const AS_OF = REFERENCE_AS_OF;
const all = [...synthesize({ residents: RESIDENTS, seed: 7, asOf: AS_OF })];

function collectReferences(node: unknown, out: string[]): void {
  if (Array.isArray(node)) for (const v of node) collectReferences(v, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else collectReferences(v, out);
    }
  }
}

const recorders = (r: Resource) => (r.meta?.tag ?? []).filter((t) => t.system === RECORDED_BY_SYSTEM).map((t) => t.code);
const recorder = (r: Resource) => recorders(r)[0];
const code = (c?: { coding?: { code?: string }[] }) => c?.coding?.[0]?.code;
const orgOf = (ref?: { reference?: string }) => ref?.reference?.replace(/^Organization\//, '');

describe('synthesize', () => {
  it('is deterministic: the same seed gives identical output', () => {
    const again = [...synthesize({ residents: RESIDENTS, seed: 7, asOf: AS_OF })];
    expect(again.length).toBe(all.length);
    expect(JSON.stringify(again)).toBe(JSON.stringify(all));
  });

  it('gives different output for a different seed', () => {
    const other = [...synthesize({ residents: RESIDENTS, seed: 8, asOf: AS_OF })];
    const patients = (rs: Resource[]) => JSON.stringify(rs.filter((r) => r.resourceType === 'Patient'));
    expect(patients(other)).not.toBe(patients(all));
  });

  it('gives every medicine its own instructions from the catalogue, never "as directed"', () => {
    const prescribed = new Set([...CONDITIONS.flatMap((c) => c.medicines.map(([name]) => name)), ...OLDER_AGE_MEDICINES.map(([name]) => name), 'Ibuprofen 400mg tablets']);
    for (const name of prescribed) expect(MEDICINE_DOSAGE[name], name).toMatch(/^(Take|Inhale|Spray|Chew) /);
    const requests = all.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest');
    expect(requests.length).toBeGreaterThan(100);
    for (const m of requests) {
      expect(m.dosageInstruction?.[0]?.text, m.id).toBe(MEDICINE_DOSAGE[m.medicationCodeableConcept!.text!]);
    }
    expect(new Set(requests.map((m) => m.dosageInstruction![0].text)).size).toBeGreaterThan(10);
  });

  it('writes each survey answer with the question it answers', () => {
    const questions = new Set(Object.values(QUESTIONNAIRES).map((q) => q.resource.item![0].text));
    const responses = all.filter((r): r is QuestionnaireResponse => r.resourceType === 'QuestionnaireResponse');
    expect(responses.length).toBeGreaterThan(10);
    for (const r of responses) expect(questions.has(r.item![0].text), r.id).toBe(true);
  });

  it('puts organisations and staff before residents', () => {
    const firstPatient = all.findIndex((r) => r.resourceType === 'Patient');
    const lastOrgLike = all.map((r) => r.resourceType).lastIndexOf('PractitionerRole');
    expect(firstPatient).toBeGreaterThan(lastOrgLike);
    expect(all.slice(firstPatient).some((r) => r.resourceType === 'Organization')).toBe(false);
  });

  it('produces only valid FHIR R4 that the record accepts', () => {
    const failures: string[] = [];
    for (const r of all) {
      const issues = validate(r);
      if (issues.length) failures.push(`${r.resourceType}/${r.id}: ${issues.map((i) => `${i.expression?.[0]} ${i.details?.text}`).join('; ')}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('validates one example of every shape found in 20,000 residents, so rare paths are checked too', () => {
    // A shape is the type plus its kind code and extensions: pathway-3 discharges, psychosis referrals,
    // BSL needs and care-home placements are too rare to be sure of in a few hundred residents.
    const seen = new Map<string, Resource>();
    // Every record resource, rare ones included, names one recording organisation of the output;
    // the GP's referrals are the practice's.
    const orgIds = new Set<string>();
    let patient: Patient | undefined;
    const untagged: string[] = [];
    for (const r of synthesize({ residents: 20_000, seed: 99, asOf: AS_OF })) {
      if (r.resourceType === 'Organization') orgIds.add(r.id!);
      if (r.resourceType === 'Patient') patient = r;
      if (isRecordType(r.resourceType)) {
        const by = recorders(r);
        if (by.length !== 1 || !orgIds.has(by[0]!)) untagged.push(`${r.resourceType}/${r.id}`);
        if (r.resourceType === 'ServiceRequest') expect(by[0]).toBe(orgOf(patient!.generalPractitioner![0]));
      } else if (r.meta?.tag?.length) untagged.push(`${r.resourceType}/${r.id} (directory)`);
      const x = r as { type?: { coding?: { code?: string }[] }[] | { coding?: { code?: string }[] }; code?: { coding?: { code?: string }[] }; extension?: { url: string }[] };
      const kind = Array.isArray(x.type) ? x.type[0]?.coding?.[0]?.code : x.code?.coding?.[0]?.code;
      const key = `${r.resourceType}|${kind}|${(x.extension ?? []).map((e) => e.url).sort().join(',')}|${Object.keys(r).sort().join(',')}`;
      if (!seen.has(key)) seen.set(key, r);
    }
    expect(seen.size).toBeGreaterThan(100);
    const failures: string[] = [];
    for (const r of seen.values()) {
      const issues = validate(r);
      if (issues.length) failures.push(`${r.resourceType}/${r.id}: ${issues.map((i) => `${i.expression?.[0]} ${i.details?.text}`).join('; ')}`);
    }
    expect(failures).toEqual([]);
    expect(untagged.slice(0, 5)).toEqual([]);
    expect([...seen.values()].some((r) => r.resourceType === 'ServiceRequest')).toBe(true);
  });

  it('gives every resource a unique, well-formed id', () => {
    const keys = all.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of all) expect(r.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
  });

  it('gives every patient a valid NHS number from the 999 test range, unique across patients', () => {
    const patients = all.filter((r) => r.resourceType === 'Patient');
    expect(patients).toHaveLength(RESIDENTS);
    const numbers = patients.map((p) => p.identifier!.find((i) => i.system === NHS_NUMBER_SYSTEM)!.value!);
    for (const n of numbers) {
      expect(isValidNhsNumber(n)).toBe(true);
      expect(n).toMatch(/^999\d{7}$/);
    }
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('resolves every relative reference to a generated resource', () => {
    const ids = new Set(all.map((r) => `${r.resourceType}/${r.id}`));
    const refs: string[] = [];
    for (const r of all) collectReferences(r, refs);
    expect(refs.length).toBeGreaterThan(all.length);
    const dangling = [...new Set(refs.filter((ref) => !ids.has(ref)))];
    expect(dangling).toEqual([]);
  });

  it('generates the system named in the strategy: councils, trusts, practices, PCNs, care homes, pharmacies and VCS services', () => {
    const orgs = all.filter((r) => r.resourceType === 'Organization');
    const byPrefix = (p: string) => orgs.filter((o) => o.id!.startsWith(p)).length;
    expect(byPrefix('org-gp-')).toBe(182);
    expect(byPrefix('org-pcn-')).toBe(42);
    expect(byPrefix('org-ch-')).toBe(642);
    expect(byPrefix('org-ph-')).toBe(325);
    expect(byPrefix('org-council-')).toBe(12);
    expect(orgs.some((o) => o.name === 'Kent County Council')).toBe(true);
    expect(orgs.some((o) => o.name === 'Medway Council')).toBe(true);
    for (const [ods, name] of [['RN7', 'Dartford and Gravesham NHS Trust'], ['RXY', 'Kent and Medway NHS and Social Care Partnership Trust']]) {
      expect(orgs.find((o) => o.identifier?.some((i) => i.system === ODS && i.value === ods))?.name).toBe(name);
    }
    for (const o of orgs) for (const id of o.identifier ?? []) if (id.system === ODS) expect(id.value).toMatch(/^[A-Z0-9]{3,6}$/);
    const services = all.filter((r) => r.resourceType === 'HealthcareService');
    const vcs = services.filter((s) => s.id!.startsWith('hs-vcs-') || s.id!.startsWith('hs-sp-'));
    expect(vcs.length).toBeGreaterThanOrEqual(200);
    const kinds = new Set(services.map((s) => s.type![0].coding![0].code));
    for (const k of ['social-prescribing', 'carers-support', 'befriending', 'weight-management', 'stop-smoking', 'debt-housing-advice',
      'family-hub', 'domestic-abuse', 'veterans', 'dementia-support', 'crisis-cafe', 'street-triage', 'peer-supported-open-dialogue']) {
      expect(kinds.has(k), k).toBe(true);
    }
    // Seven-day services, contact by phone, a cost and a referral route on every service.
    expect(services.some((s) => s.availableTime!.some((t) => t.daysOfWeek!.includes('sun')))).toBe(true);
    expect(services.some((s) => s.availableTime!.some((t) => (t.availableEndTime ?? '') >= '20:00:00'))).toBe(true);
    for (const s of services) {
      expect(s.telecom?.[0].system).toBe('phone');
      expect(s.extension!.some((e) => e.url.endsWith('/cost') && e.valueString)).toBe(true);
      expect(s.extension!.some((e) => e.url.endsWith('/referral-route'))).toBe(true);
      expect(s.eligibility?.length).toBeGreaterThan(0);
    }
  });

  it('staffs the system with every role the strategy needs', () => {
    const roles = new Set(all.filter((r) => r.resourceType === 'PractitionerRole').map((r) => r.code![0].coding![0].code));
    expect([...roles].sort()).toEqual([
      'care-coordinator', 'community-nurse', 'discharge-coordinator', 'gp', 'mental-health-practitioner',
      'practice-nurse', 'social-prescribing-link-worker', 'social-worker',
    ]);
  });

  it('records where each resident lives and their deprivation quintile', () => {
    for (const p of all.filter((r) => r.resourceType === 'Patient')) {
      expect(p.address![0].district).toBeTruthy();
      expect(p.address![0].postalCode).toMatch(/^[A-Z]{2}\d{1,2} \d[A-Z]{2}$/);
      const q = p.extension!.find((e) => e.url.endsWith('/deprivation-quintile'))!.valueInteger!;
      expect(q).toBeGreaterThanOrEqual(1);
      expect(q).toBeLessThanOrEqual(5);
      expect(p.generalPractitioner![0].reference).toMatch(/^Organization\/org-gp-g82\d{3}$/);
    }
  });

  describe('recording organisation (meta.tag, docs/access-policy.md)', () => {
    const orgIds = new Set(all.filter((r) => r.resourceType === 'Organization').map((r) => r.id));
    const records = all.filter((r) => isRecordType(r.resourceType));
    const patients = new Map(all.filter((r): r is Patient => r.resourceType === 'Patient').map((p) => [`Patient/${p.id}`, p]));
    const gpOf = (subject?: { reference?: string }) => orgOf(patients.get(subject!.reference!)!.generalPractitioner![0]);
    const icb = all.find((r) => r.resourceType === 'Organization' && r.identifier?.some((i) => i.system === ODS && i.value === 'QKS'))!.id;
    const councils = new Set(['org-kcc', 'org-medway-council']);

    it('tags every record resource with exactly one recording organisation that is in the output, and no directory resource', () => {
      for (const t of ['Patient', 'Condition', 'MedicationRequest', 'Observation', 'Encounter', 'EpisodeOfCare', 'RelatedPerson', 'QuestionnaireResponse',
        'CareTeam', 'CarePlan', 'Goal', 'AllergyIntolerance', 'Flag']) {
        expect(records.some((r) => r.resourceType === t), t).toBe(true);
      }
      const wrong = records.filter((r) => recorders(r).length !== 1 || !orgIds.has(recorder(r)!)).map((r) => `${r.resourceType}/${r.id} ${JSON.stringify(r.meta)}`);
      expect(wrong.slice(0, 5)).toEqual([]);
      const tagged = all.filter((r) => !isRecordType(r.resourceType) && r.meta?.tag?.length).map((r) => `${r.resourceType}/${r.id}`);
      expect(tagged.slice(0, 5)).toEqual([]);
    });

    it('names the registered practice for the Patient and for GP-recorded problems, medicines, lifestyle readings and appointments', () => {
      for (const p of patients.values()) expect(recorder(p)).toBe(orgOf(p.generalPractitioner![0]));
      const gp = records.filter((r) => r.resourceType === 'Condition' || r.resourceType === 'MedicationRequest'
        || (r.resourceType === 'Observation' && ['72166-2', '39156-5', '85354-9'].includes(code((r as Observation).code)!)));
      expect(gp.length).toBeGreaterThan(RESIDENTS);
      for (const r of gp) expect(recorder(r), `${r.resourceType}/${r.id}`).toBe(gpOf((r as { subject?: { reference?: string } }).subject));
      const appointments = records.filter((r): r is Encounter => r.resourceType === 'Encounter' && code(r.type?.[0]) === 'gp-appointment');
      expect(appointments.length).toBeGreaterThan(0);
      for (const e of appointments) expect(recorder(e)).toBe(gpOf(e.subject));
    });

    it('names the provider for every encounter (A&E and admissions: the acute trust) and the managing organisation for every episode of care', () => {
      const encounters = records.filter((r): r is Encounter => r.resourceType === 'Encounter');
      for (const e of encounters) expect(recorder(e), `Encounter/${e.id}`).toBe(orgOf(e.serviceProvider));
      const acute = encounters.filter((e) => ['ae-attendance', 'emergency-admission'].includes(code(e.type?.[0])!));
      expect(acute.length).toBeGreaterThan(0);
      for (const e of acute) expect(recorder(e)).toMatch(/^org-r[a-z0-9]{2}$/);
      for (const e of records.filter((r): r is EpisodeOfCare => r.resourceType === 'EpisodeOfCare')) {
        expect(recorder(e), `EpisodeOfCare/${e.id}`).toBe(orgOf(e.managingOrganization));
      }
    });

    it('names the council for Year 6 measurements and social care readings, and the maternity unit for smoking at delivery', () => {
      const obs = records.filter((r): r is Observation => r.resourceType === 'Observation');
      const byCode = (c: string) => obs.filter((o) => code(o.code) === c);
      expect(byCode('ncmp-year6-weight-category').length).toBeGreaterThan(0);
      for (const o of [...byCode('ncmp-year6-weight-category'), ...byCode('accommodation-status'), ...byCode('at-home-91-days-after-discharge')]) {
        expect(councils.has(recorder(o)!), `Observation/${o.id}`).toBe(true);
      }
      const encounters = new Map(records.filter((r) => r.resourceType === 'Encounter').map((e) => [`Encounter/${e.id}`, e]));
      const satod = byCode('smoking-at-delivery');
      expect(satod.length).toBeGreaterThan(0);
      for (const o of satod) expect(recorder(o)).toBe(recorder(encounters.get(o.encounter!.reference!)!));
    });

    it('names the organisation that ran each survey: the council for carers and loneliness, the ICB for the GP patient survey', () => {
      const qrs = records.filter((r): r is QuestionnaireResponse => r.resourceType === 'QuestionnaireResponse');
      expect(qrs.length).toBeGreaterThan(0);
      for (const q of qrs) {
        if (q.questionnaire!.endsWith('/gp-appointment-experience')) expect(recorder(q)).toBe(icb);
        else expect(councils.has(recorder(q)!), `${q.questionnaire} ${recorder(q)}`).toBe(true);
      }
    });
  });
});

/** What the record summary (src/record-view/record-summary.service.ts) takes for the named professional. */
const NAMED = /named|lead|key worker|care coordinator/i;
const EXTRACT = REFERENCE_AS_OF;
const textOf = (c?: { text?: string; coding?: { display?: string }[] }) => c?.text ?? c?.coding?.[0]?.display ?? '';

describe('care planning: care teams, personalised care and support plans, allergies and alerts (5,000 residents)', () => {
  const batches = [...synthesizeResidents({ residents: 5000, seed: 11, asOf: AS_OF })];
  const directory = batches[0];
  const people = batches.slice(1);
  const byRef = new Map(directory.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const roles = directory.filter((r): r is PractitionerRole => r.resourceType === 'PractitionerRole');
  const of = <T extends Resource>(batch: Resource[], type: T['resourceType']) => batch.filter((r): r is T => r.resourceType === type);
  const share = (pred: (b: Resource[]) => boolean, among = people) => among.filter(pred).length / among.length;
  const efiCategory = (b: Resource[]) => of<Observation>(b, 'Observation').find((o) => code(o.code) === 'efi-score')?.interpretation?.[0]?.coding?.[0]?.code;
  const activeEpisode = (b: Resource[], type: string) => of<EpisodeOfCare>(b, 'EpisodeOfCare').some((e) => e.status === 'active' && code(e.type?.[0]) === type);

  it('gives every care team a named professional: a generated Practitioner, with role, organisation and a contact; the carer is on the team', () => {
    let teams = 0;
    for (const b of people) {
      const patient = b[0] as Patient;
      const carer = of<RelatedPerson>(b, 'RelatedPerson')[0];
      for (const team of of<CareTeam>(b, 'CareTeam')) {
        teams++;
        expect(team.status).toBe('active');
        expect(team.subject?.reference).toBe(`Patient/${patient.id}`);
        const named = team.participant!.filter((p) => NAMED.test((p.role ?? []).map(textOf).join(', ')));
        expect(named, `CareTeam/${team.id}`).toHaveLength(1);
        expect(team.participant![0]).toBe(named[0]); // the first the summary finds
        for (const p of team.participant!) {
          if (!p.member!.reference!.startsWith('Practitioner/')) continue;
          const practitioner = byRef.get(p.member!.reference!) as Practitioner | undefined;
          expect(practitioner?.resourceType, p.member!.reference).toBe('Practitioner');
          expect(practitioner!.telecom?.[0]?.value).toMatch(/^01632 960\d{3}$/);
          // Works for the organisation it acts for: a PractitionerRole says so.
          expect(roles.some((r) => r.practitioner?.reference === p.member!.reference && r.organization?.reference === p.onBehalfOf?.reference), p.member!.reference).toBe(true);
          expect(textOf(p.role?.[0])).toBeTruthy();
        }
        expect(named[0].member!.reference).toMatch(/^Practitioner\//);
        expect(recorder(team)).toBe(orgOf(named[0].onBehalfOf));
        if (carer) expect(team.participant!.some((p) => p.member?.reference === `RelatedPerson/${carer.id}`)).toBe(true);
      }
    }
    expect(teams).toBeGreaterThan(300);
  });

  it('gives nobody a namesake on their care team: staff, and a friend or neighbour caring, have another family name', () => {
    let members = 0;
    for (const b of people) {
      const family = (b[0] as Patient).name![0].family;
      const carers = new Map(of<RelatedPerson>(b, 'RelatedPerson').map((r) => [`RelatedPerson/${r.id}`, r]));
      for (const team of of<CareTeam>(b, 'CareTeam')) {
        for (const p of team.participant!) {
          const ref = p.member!.reference!;
          const carer = carers.get(ref);
          if (carer) {
            const notRelated = ['FRND', 'NBOR'].includes(carer.relationship?.[0]?.coding?.[0]?.code ?? '');
            if (notRelated) expect(carer.name![0].family, ref).not.toBe(family);
            continue;
          }
          if (!ref.startsWith('Practitioner/')) continue;
          members++;
          expect((byRef.get(ref) as Practitioner).name![0].family, `${ref} on CareTeam/${team.id}`).not.toBe(family);
        }
      }
    }
    expect(members).toBeGreaterThan(500);
  });

  it('gives a care team to most people with moderate or severe frailty, long-term social care or an open mental health episode, and to about one resident in ten', () => {
    const hasTeam = (b: Resource[]) => b.some((r) => r.resourceType === 'CareTeam');
    const frail = people.filter((b) => ['moderate', 'severe'].includes(efiCategory(b) ?? ''));
    const lts = people.filter((b) => activeEpisode(b, 'long-term-support'));
    const mh = people.filter((b) => activeEpisode(b, 'secondary-mental-health'));
    expect(frail.length).toBeGreaterThan(40);
    expect(share(hasTeam, frail)).toBeGreaterThan(0.8);
    expect(share(hasTeam, lts)).toBeGreaterThan(0.7);
    expect(share(hasTeam, mh)).toBeGreaterThan(0.7);
    const teams = share(hasTeam);
    expect(teams).toBeGreaterThan(0.06);
    expect(teams).toBeLessThan(0.15);
    // Nobody fit and well without a carer, several conditions or services gets one.
    const young = people.filter((b) => ((b[0] as Patient).birthDate ?? '') > '2000-01-01' && !b.some((r) => r.resourceType === 'Condition' || r.resourceType === 'EpisodeOfCare'));
    expect(young.length).toBeGreaterThan(100);
    expect(share(hasTeam, young)).toBe(0);
  });

  it('makes a personalised care and support plan with most of them: goals, actions and a next review, made with the person and their carer', () => {
    let plans = 0, teams = 0;
    for (const b of people) {
      const team = of<CareTeam>(b, 'CareTeam')[0];
      if (team) teams++;
      const goals = new Map(of<Goal>(b, 'Goal').map((g) => [`Goal/${g.id}`, g]));
      const carer = of<RelatedPerson>(b, 'RelatedPerson')[0];
      for (const plan of of<CarePlan>(b, 'CarePlan')) {
        plans++;
        expect(team, `CarePlan/${plan.id} without a care team`).toBeDefined();
        expect([plan.status, plan.intent]).toEqual(['active', 'plan']);
        expect(plan.title).toBeTruthy();
        expect(textOf(plan.category?.[0])).toBe('Personalised care and support plan');
        expect(plan.careTeam?.[0]?.reference).toBe(`CareTeam/${team.id}`);
        // Goals: each resolves to an active Goal of the person; at least one is theirs in their words ("what matters to me").
        expect(plan.goal!.length).toBeGreaterThanOrEqual(2);
        const planGoals = plan.goal!.map((g) => goals.get(g.reference!)!);
        for (const g of planGoals) {
          expect(g?.lifecycleStatus).toBe('active');
          expect(g.subject?.reference).toBe(plan.subject?.reference);
          expect(g.description?.text).toBeTruthy();
        }
        expect(planGoals.some((g) => g.category?.some((c) => code(c) === 'what-matters-to-me'))).toBe(true);
        expect(planGoals.some((g) => !g.category?.some((c) => code(c) === 'what-matters-to-me'))).toBe(true);
        // Actions, and the next review: an open action the summary reads as a review, after the extract date.
        expect(plan.activity!.length).toBeGreaterThanOrEqual(2);
        const reviews = plan.activity!.filter((a) => /review/i.test(a.detail?.description ?? '') && a.detail?.status !== 'completed' && a.detail?.scheduledPeriod?.start);
        expect(reviews, `CarePlan/${plan.id}`).toHaveLength(1);
        // After the extract date, or (about one plan in eight, from the named professional's stream) up to 46 days overdue.
        expect(reviews[0].detail!.scheduledPeriod!.start! >= new Date(Date.parse(EXTRACT) - 46 * 86_400_000).toISOString().slice(0, 10)).toBe(true);
        expect(plan.period!.end! > reviews[0].detail!.scheduledPeriod!.start!).toBe(true);
        // Made with the person: the named professional is the author; the person and the carer contribute.
        expect(plan.author?.reference).toBe(team.participant![0].member!.reference);
        const contributors = plan.contributor!.map((c) => c.reference);
        expect(contributors).toContain(`Patient/${(b[0] as Patient).id}`);
        if (carer) expect(contributors).toContain(`RelatedPerson/${carer.id}`);
        expect(recorder(plan)).toBe(recorder(team));
        for (const g of planGoals) expect(recorder(g)).toBe(recorder(plan));
      }
    }
    expect(plans / teams).toBeGreaterThan(0.6);
    expect(plans / teams).toBeLessThan(0.95);
  });

  it('records allergies for about one person in six, by the practice, penicillin the commonest, and no NSAID allergy for someone prescribed one', () => {
    const withAllergy = share((b) => b.some((r) => r.resourceType === 'AllergyIntolerance'));
    expect(withAllergy).toBeGreaterThan(0.12);
    expect(withAllergy).toBeLessThan(0.2);
    const counts = new Map<string, number>();
    for (const b of people) {
      const patient = b[0] as Patient;
      const onNsaid = of<MedicationRequest>(b, 'MedicationRequest').some((m) => /naproxen|ibuprofen|aspirin/i.test(m.medicationCodeableConcept?.text ?? ''));
      for (const a of of<AllergyIntolerance>(b, 'AllergyIntolerance')) {
        counts.set(textOf(a.code), (counts.get(textOf(a.code)) ?? 0) + 1);
        expect(recorder(a)).toBe(orgOf(patient.generalPractitioner![0]));
        expect(a.patient.reference).toBe(`Patient/${patient.id}`);
        expect(code(a.clinicalStatus)).toBe('active');
        expect(a.reaction![0].manifestation.length).toBeGreaterThan(0);
        expect(a.recorder?.reference).toMatch(/^PractitionerRole\//);
        if (onNsaid) expect(code(a.code)).not.toBe('nsaid');
      }
    }
    const ranked = [...counts].sort((x, y) => y[1] - x[1]);
    expect(ranked[0][0]).toBe('Allergy to penicillin');
  });

  it('records communication needs on the Patient (as the summary reads them) with a reasonable-adjustment Flag, and rare safeguarding Flags carrying the policy label', () => {
    const safeguardingLabel = SENSITIVE_LABELS.find((l) => l.code === 'safeguarding')!;
    let safeguarding = 0, adjustments = 0;
    for (const b of people) {
      const patient = b[0] as Patient;
      const flags = of<Flag>(b, 'Flag');
      for (const f of flags) {
        expect(f.status).toBe('active');
        expect(f.subject.reference).toBe(`Patient/${patient.id}`);
        const category = textOf(f.category?.[0]);
        const labels = (f.meta?.security ?? []).map((l) => `${l.system}|${l.code}`);
        if (category === 'Safeguarding') {
          safeguarding++;
          expect(labels).toContain(`${safeguardingLabel.system}|${safeguardingLabel.code}`);
          expect(/safeguard/i.test(`${category} ${textOf(f.code)}`)).toBe(true); // how the summary tells a safeguarding alert
        } else {
          expect(labels).toEqual([]);
        }
        if (category.startsWith('Reasonable adjustment')) adjustments++;
      }
      // Every one with a reasonable adjustment for a need (not an interpreter) has the need itself on the Patient.
      const needs = flags.filter((f) => ['easy-read', 'dementia', 'hearing-loss', 'sight-loss', 'aphasia', 'bsl'].includes(code(f.code)!));
      if (needs.length) expect(patient.extension!.filter((e) => e.url.endsWith('/communication-need'))).toHaveLength(1);
    }
    expect(safeguarding / people.length).toBeGreaterThan(0.0005);
    expect(safeguarding / people.length).toBeLessThan(0.01);
    expect(adjustments / people.length).toBeGreaterThan(0.02);
    expect(adjustments / people.length).toBeLessThan(0.12);
  });

  it('opens a few referrals from the practice to community services named in the directory', () => {
    const open = people.flatMap((b) => of<ServiceRequest>(b, 'ServiceRequest').filter((s) => s.status === 'active'));
    expect(open.length).toBeGreaterThan(50);
    for (const s of open) {
      expect(s.performer![0].reference).toMatch(/^HealthcareService\//);
      expect(byRef.has(s.performer![0].reference!)).toBe(true);
      expect(s.authoredOn! < EXTRACT).toBe(true);
    }
  });

  it('keeps the named professional as the record does (one active care-coordination episode, its care manager the team\'s named professional), with people in every state: none, named, named after an earlier one, a handover waiting; some reviews overdue', () => {
    const counts = { none: 0, named: 0, after: 0, handover: 0, plans: 0, overdue: 0 };
    for (const b of people) {
      const eps = of<EpisodeOfCare>(b, 'EpisodeOfCare').filter((e) => code(e.type?.[0]) === 'care-coordination');
      const team = of<CareTeam>(b, 'CareTeam')[0];
      const active = eps.filter((e) => e.status === 'active');
      expect(active.length, `Patient/${b[0].id}`).toBe(team ? 1 : 0);
      if (!team) counts.none++;
      else {
        counts.named++;
        expect(active[0].careManager?.reference).toBe(team.participant![0].member!.reference);
      }
      if (eps.some((e) => e.status === 'finished')) counts.after++;
      const planned = eps.find((e) => e.status === 'planned');
      if (planned) {
        counts.handover++;
        expect(planned.extension?.[0].valueReference?.reference).toBe(`EpisodeOfCare/${active[0].id}`);
      }
      for (const plan of of<CarePlan>(b, 'CarePlan')) {
        const review = plan.activity?.find((a) => /^Review this plan/.test(a.detail?.description ?? ''))?.detail?.scheduledPeriod?.start;
        counts.plans++;
        if (review && review < AS_OF) counts.overdue++;
      }
    }
    expect(counts.none).toBeGreaterThan(0);
    expect(counts.named).toBeGreaterThan(100);
    expect(counts.after).toBeGreaterThan(5);
    expect(counts.handover).toBeGreaterThan(3);
    expect(counts.overdue / counts.plans).toBeGreaterThan(0.05);
    expect(counts.overdue / counts.plans).toBeLessThan(0.25);
  });

  it('resolves every reference the new resources make', () => {
    const dangling: string[] = [];
    for (const b of people) {
      const own = new Set(b.map((r) => `${r.resourceType}/${r.id}`));
      for (const r of b) {
        if (!['CareTeam', 'CarePlan', 'Goal', 'AllergyIntolerance', 'Flag', 'ServiceRequest'].includes(r.resourceType)) continue;
        const refs: string[] = [];
        collectReferences(r, refs);
        for (const ref of refs) if (!own.has(ref) && !byRef.has(ref)) dangling.push(`${r.resourceType}/${r.id} -> ${ref}`);
      }
    }
    expect(dangling.slice(0, 5)).toEqual([]);
  });
});

describe('the demo resident (pat-1 on the first start: seed 1)', () => {
  it('has a carer, a care team with the carer and a named professional, and a care plan made with them', () => {
    const [, , pat1] = [...synthesizeResidents({ residents: 2, seed: 1, asOf: AS_OF })];
    expect(pat1[0].id).toBe('pat-1');
    const carer = pat1.find((r): r is RelatedPerson => r.resourceType === 'RelatedPerson')!;
    const team = pat1.find((r): r is CareTeam => r.resourceType === 'CareTeam')!;
    const plan = pat1.find((r): r is CarePlan => r.resourceType === 'CarePlan')!;
    expect(carer).toBeDefined();
    expect(team.participant!.some((p) => p.member?.reference === `RelatedPerson/${carer.id}`)).toBe(true);
    expect(NAMED.test(textOf(team.participant![0].role![0]))).toBe(true);
    expect(plan.contributor!.map((c) => c.reference)).toContain(`RelatedPerson/${carer.id}`);
    expect(pat1.some((r) => r.resourceType === 'Goal' && (r as Goal).category?.some((c) => code(c) === 'what-matters-to-me'))).toBe(true);
  });
});

describe('the as-of day', () => {
  const patients = (rs: Resource[]) => rs.filter((r): r is Patient => r.resourceType === 'Patient');
  const day = (iso: string) => Math.floor(Date.parse(iso) / 86_400_000);

  it('moves every date with it, and nothing else: the same people, a year later', () => {
    const later = [...synthesize({ residents: RESIDENTS, seed: 7, asOf: '2026-07-01' })];
    expect(later.length).toBe(all.length);
    const [a, b] = [patients(all), patients(later)];
    expect(b.map((p) => p.name)).toEqual(a.map((p) => p.name));
    for (let i = 0; i < a.length; i++) expect(day(b[i].birthDate!) - day(a[i].birthDate!)).toBe(365);
  });

  it('refuses a day that is not a calendar date', () => {
    expect(() => [...synthesize({ residents: 1, seed: 7, asOf: '2025-02-30' })]).toThrow(/calendar date/);
  });
});

describe('open work and current care (400 residents)', () => {
  const tasks = all.filter((r): r is Task => r.resourceType === 'Task');

  it('gives a realistic share of people open Tasks that follow the workflow vocabulary', () => {
    const people = new Set(tasks.map((t) => t.for?.reference));
    expect(people.size / RESIDENTS).toBeGreaterThan(0.05);
    expect(people.size / RESIDENTS).toBeLessThan(0.5);
    for (const t of tasks) {
      expect(OPEN_TASK_STATUSES, t.id).toContain(t.status);
      expect(recorders(t), t.id).toHaveLength(1);
      expect(t.owner?.reference, t.id).toMatch(/^(Practitioner|Organization|CareTeam)\//);
      expect(t.code?.coding?.[0]?.system).toBe(TASK_KIND_SYSTEM);
      expect(Object.keys(TASK_KINDS)).toContain(t.code?.coding?.[0]?.code);
      expect(t.description, t.id).toMatch(/^[A-Z]/);
      expect(t.restriction?.period?.end, t.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (t.status === 'on-hold') expect(t.statusReason?.text).toBeTruthy();
    }
  });

  it('has work overdue and due in the coming week on the as-of day, owned by named people and by pools', () => {
    const due = tasks.map((t) => t.restriction!.period!.end!);
    expect(due.filter((d) => d < EXTRACT).length).toBeGreaterThan(0);
    const weekAhead = new Date(Date.parse(EXTRACT) + 7 * 86_400_000).toISOString().slice(0, 10);
    expect(due.filter((d) => d >= EXTRACT && d <= weekAhead).length).toBeGreaterThan(0);
    expect(tasks.some((t) => t.owner!.reference!.startsWith('Practitioner/'))).toBe(true);
    expect(tasks.some((t) => t.owner!.reference!.startsWith('Organization/'))).toBe(true);
  });

  it('puts a community nursing team on the care team when a community nurse is on it, with an open episode', () => {
    const byPerson = new Map<string, Resource[]>();
    for (const r of all) {
      const subject = (r as CareTeam).subject?.reference ?? (r as EpisodeOfCare).patient?.reference;
      if (subject) byPerson.set(subject, [...(byPerson.get(subject) ?? []), r]);
    }
    let checked = 0;
    for (const team of all.filter((r): r is CareTeam => r.resourceType === 'CareTeam')) {
      const nurse = team.participant!.find((p) => code(p.role?.[0]) === 'community-nurse' || textOf(p.role?.[0]).startsWith('Community nurse'));
      if (!nurse) continue;
      checked++;
      const trust = nurse.onBehalfOf!.reference!;
      expect(team.participant!.some((p) => p.member?.reference === trust), team.id).toBe(true);
      expect(byPerson.get(team.subject!.reference!)!.some((r) => r.resourceType === 'EpisodeOfCare' && (r as EpisodeOfCare).status === 'active'
        && (r as EpisodeOfCare).managingOrganization?.reference === trust), team.id).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
  });
});
