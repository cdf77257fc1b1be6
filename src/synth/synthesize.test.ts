import type { Encounter, EpisodeOfCare, Observation, Patient, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { RECORDED_BY_SYSTEM } from '../access/policy/policy-codes.js';
import { isRecordType } from '../access/policy/resource-classes.js';
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { validate } from '../fhir/validation.service.js';
import { ODS } from './fhir.helpers.js';
import { synthesize } from './index.js';

const RESIDENTS = 400;
const all = [...synthesize({ residents: RESIDENTS, seed: 7 })];

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
    const again = [...synthesize({ residents: RESIDENTS, seed: 7 })];
    expect(again.length).toBe(all.length);
    expect(JSON.stringify(again)).toBe(JSON.stringify(all));
  });

  it('gives different output for a different seed', () => {
    const other = [...synthesize({ residents: RESIDENTS, seed: 8 })];
    const patients = (rs: Resource[]) => JSON.stringify(rs.filter((r) => r.resourceType === 'Patient'));
    expect(patients(other)).not.toBe(patients(all));
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
    for (const r of synthesize({ residents: 20_000, seed: 99 })) {
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
      for (const t of ['Patient', 'Condition', 'MedicationRequest', 'Observation', 'Encounter', 'EpisodeOfCare', 'RelatedPerson', 'QuestionnaireResponse']) {
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
