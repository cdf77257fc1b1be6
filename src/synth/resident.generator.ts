import type {
  CodeableConcept, Condition, Encounter, EpisodeOfCare, Extension, MedicationRequest, Meta, Observation, Patient,
  QuestionnaireResponse, Reference, RelatedPerson, Resource, ServiceRequest,
} from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { CONDITIONS, type ConditionDef, dosageOf, medicineCode, OLDER_AGE_MEDICINES, type ResolvedDeficit } from './clinical.catalogue.js';
import {
  ACT_CODE, coding, concept, CS, ext, isoDate, isoDateTime, local, LOINC, ref, RESIDENT_ID_SYSTEM, snomed, UCUM,
} from './fhir.helpers.js';
import { addCarePlanning, addCoordinationEpisodes } from './care-planning.js';
import { addCurrentCare } from './current-care.js';
import { birthChance, HistoryModel, TARGETS } from './history.model.js';
import { FAMILY_NAMES, GIVEN_FEMALE, GIVEN_MALE, STREETS } from './names.js';
import { NhsNumberAllocator } from './nhs-numbers.js';
import { fictionalLandline, fictionalMobile, fictionalPostcode, pickFamilyOtherThan, pickStaff, type Directory, type Practice } from './organisation.generator.js';
import { depFactor, type Demography, femaleShare, type PopulationModel } from './population.model.js';
import { hashString, Prng } from './prng.js';
import { QUESTIONNAIRES, type SurveyDefinition } from './survey.definitions.js';
import type { Timeline } from './timeline.js';

/** Everything a resident's generation reads; built once per population. */
export interface ResidentContext {
  seed: number;
  model: PopulationModel;
  history: HistoryModel;
  directory: Directory;
  nhs: NhsNumberAllocator;
  deficits: ResolvedDeficit[];
  deficitCumulative: number[];
  /** The as-of day every date is relative to. */
  timeline: Timeline;
  /** When set, every resident lives in this network's district and is registered with one of its practices. */
  neighbourhood?: Neighbourhood;
}

export interface Neighbourhood {
  pcnId: string;
  district: string;
  practices: Practice[];
}

const ETHNIC_SYSTEM = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland';
const ETHNICITY: [string, string][] = [
  ['A', 'White - British'], ['B', 'White - Irish'], ['C', 'White - Any other White background'], ['D', 'Mixed - White and Black Caribbean'],
  ['F', 'Mixed - White and Asian'], ['G', 'Mixed - Any other mixed background'], ['H', 'Asian or Asian British - Indian'],
  ['J', 'Asian or Asian British - Pakistani'], ['K', 'Asian or Asian British - Bangladeshi'], ['L', 'Asian or Asian British - Any other Asian background'],
  ['M', 'Black or Black British - Caribbean'], ['N', 'Black or Black British - African'], ['R', 'Other Ethnic Groups - Chinese'],
  ['S', 'Other Ethnic Groups - Any other ethnic group'], ['Z', 'Not stated'],
];
/** Kent-wide mix, and the more diverse Thames-side towns (Gravesham's Sikh Punjabi community, Medway, Dartford). */
const ETHNIC_WEIGHTS_KENT = [83.5, 0.8, 5.5, 0.7, 0.6, 0.7, 1.3, 0.3, 0.3, 1.8, 0.3, 1.3, 0.4, 0.6, 1.9];
const ETHNIC_WEIGHTS_THAMES = [72, 1, 6.5, 1.1, 0.8, 1, 6.5, 0.6, 0.5, 2, 0.6, 4.8, 0.5, 0.8, 1.3];
const cum = (w: number[]) => { let s = 0; return w.map((x) => (s += x)); };
const ETHNIC_CUM_KENT = cum(ETHNIC_WEIGHTS_KENT);
const ETHNIC_CUM_THAMES = cum(ETHNIC_WEIGHTS_THAMES);
const THAMES = new Set(['gravesham', 'dartford', 'medway']);
/** The share of a frail (eFI > 0.12) older person's emergency admissions that are for a fall or a fragility fracture (O3.4). */
export const FRAILTY_RELATED_SHARE = 0.1;

const LANGUAGES: Record<string, [string, string][]> = {
  C: [['pl', 'Polish'], ['ro', 'Romanian'], ['lt', 'Lithuanian'], ['bg', 'Bulgarian'], ['hu', 'Hungarian']],
  H: [['pa', 'Punjabi'], ['gu', 'Gujarati'], ['hi', 'Hindi']],
  J: [['ur', 'Urdu']],
  K: [['bn', 'Bengali']],
  L: [['ne', 'Nepali'], ['ta', 'Tamil']],
  N: [['yo', 'Yoruba'], ['tw', 'Twi'], ['so', 'Somali']],
  R: [['zh', 'Chinese']],
  S: [['ar', 'Arabic'], ['ku', 'Kurdish'], ['tr', 'Turkish']],
};

const V3_ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VER = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

const ACTIVE = { coding: [coding(CONDITION_CLINICAL, 'active', 'Active')] };
const CONFIRMED = { coding: [coding(CONDITION_VER, 'confirmed', 'Confirmed')] };
const PROBLEM_LIST = [{ coding: [coding(CONDITION_CATEGORY, 'problem-list-item', 'Problem List Item')] }];
const SOCIAL_HISTORY = [{ coding: [coding(OBS_CATEGORY, 'social-history', 'Social History')] }];
const VITAL_SIGNS = [{ coding: [coding(OBS_CATEGORY, 'vital-signs', 'Vital Signs')] }];
const SURVEY = [{ coding: [coding(OBS_CATEGORY, 'survey', 'Survey')] }];

const SMOKING_CODE = { coding: [coding(LOINC, '72166-2', 'Tobacco smoking status')], text: 'Tobacco smoking status' };
const SMOKER = snomed('77176002', 'Smoker');
const EX_SMOKER = snomed('8517006', 'Ex-smoker');
const NEVER_SMOKED = snomed('266919005', 'Never smoked tobacco');
const NON_SMOKER = snomed('8392000', 'Non-smoker');
const BMI_CODE = { coding: [coding(LOINC, '39156-5', 'Body mass index (BMI) [Ratio]')], text: 'BMI' };
const BP_CODE = { coding: [coding(LOINC, '85354-9', 'Blood pressure panel with all children optional')], text: 'Blood pressure' };
const ACTIVITY_CODE = local('observation', 'activity-minutes-per-week', 'Moderate or vigorous physical activity, minutes in a usual week');
const EMPLOYMENT_CODE = local('observation', 'employment-status', 'Employment status');
const SATOD_CODE = local('observation', 'smoking-at-delivery', 'Smoking status at time of delivery');
const Y6_CODE = local('observation', 'ncmp-year6-weight-category', 'NCMP Year 6 weight category (BMI centile)');
const EFI_CODE = local('observation', 'efi-score', 'Electronic frailty index score');
const ACCOMMODATION_CODE = local('observation', 'accommodation-status', 'Accommodation status (adult social care)');
const AT_HOME_91_CODE = local('observation', 'at-home-91-days-after-discharge', 'Still at home 91 days after discharge into reablement');

const CLASS_AMB = coding(ACT_CODE, 'AMB', 'ambulatory');
const CLASS_VR = coding(ACT_CODE, 'VR', 'virtual');
const CLASS_EMER = coding(ACT_CODE, 'EMER', 'emergency');
const CLASS_IMP = coding(ACT_CODE, 'IMP', 'inpatient encounter');
const CLASS_HH = coding(ACT_CODE, 'HH', 'home health');

const ENC_GP = [local('encounter-type', 'gp-appointment', 'GP practice appointment')];
const ENC_AE = [local('encounter-type', 'ae-attendance', 'A&E attendance'), snomed('4525004', 'Emergency department patient visit')];
const ENC_ADMISSION = [local('encounter-type', 'emergency-admission', 'Emergency admission')];
const ENC_DELIVERY = [local('encounter-type', 'delivery', 'Birth (delivery episode)')];
const ENC_CRISIS = [local('encounter-type', 'mental-health-crisis', 'Mental health crisis contact')];
const ENC_REABLEMENT = [local('encounter-type', 'reablement-visit', 'Reablement home visit')];
const EMERGENCY_PRIORITY = concept('http://terminology.hl7.org/CodeSystem/v3-ActPriority', 'EM', 'emergency');
const ADMIT_EMERGENCY = concept('http://terminology.hl7.org/CodeSystem/admit-source', 'emd', 'From accident/emergency department');

const ALCOHOL_REASONS = [snomed('25702006', 'Alcohol intoxication'), snomed('66590003', 'Alcohol dependence'), snomed('15167005', 'Alcohol abuse')];
const GENERAL_REASONS = [
  snomed('233604007', 'Pneumonia'), snomed('68566005', 'Urinary tract infection'), snomed('29857009', 'Chest pain'),
  snomed('91302008', 'Sepsis'), snomed('21522001', 'Abdominal pain'), snomed('195951007', 'Acute exacerbation of chronic obstructive airways disease'),
  snomed('128045006', 'Cellulitis'), snomed('422587007', 'Nausea'), snomed('230145002', 'Difficulty breathing'),
];
const PATHWAY = [
  local('discharge-pathway', '0', 'Pathway 0: home, no new support'), local('discharge-pathway', '1', 'Pathway 1: home with new support'),
  local('discharge-pathway', '2', 'Pathway 2: short-term bedded rehabilitation or recovery'), local('discharge-pathway', '3', 'Pathway 3: new residential or nursing home placement'),
];
const EMPLOYMENT = {
  paid: local('employment-status', 'paid-employment', 'In paid employment'),
  unemployed: local('employment-status', 'unemployed', 'Unemployed and seeking work'),
  student: local('employment-status', 'student', 'Student'),
  notSeeking: local('employment-status', 'not-seeking-work', 'Not in paid employment and not seeking work'),
  sick: local('employment-status', 'long-term-sick-or-disabled', 'Long-term sick or disabled'),
  retired: local('employment-status', 'retired', 'Retired'),
};
const ACCOMMODATION = [
  local('accommodation-status', 'own-home', 'Lives in own home'), local('accommodation-status', 'with-family', 'Lives with family'),
  local('accommodation-status', 'residential-care', 'Residential care home'), local('accommodation-status', 'nursing-care', 'Nursing home'),
];
const Y6_CATEGORIES = [
  local('ncmp-weight-category', 'severely-obese', 'Severely obese (BMI centile 99.6 or above)'), local('ncmp-weight-category', 'obese', 'Obese (BMI centile 95 or above)'),
  local('ncmp-weight-category', 'overweight', 'Overweight (BMI centile 85 to 94.9)'), local('ncmp-weight-category', 'underweight', 'Underweight (BMI centile 2 or below)'),
  local('ncmp-weight-category', 'healthy', 'Healthy weight (BMI centile 2.1 to 84.9)'),
];
const EP_TYPES = {
  mentalHealth: [local('episode-type', 'secondary-mental-health', 'Secondary mental health services')],
  longTermSupport: [local('episode-type', 'long-term-support', 'Adult social care long-term support')],
  reablement: [local('episode-type', 'reablement', 'Reablement (short-term support to maximise independence)')],
  maternity: [local('episode-type', 'maternity', 'Maternity care')],
};

const MORE_DEFICITS_STREAM = hashString('efi-more-deficits');
/** Mean extra deficits by age band (65-74, 75-84, 85+); tuned on the 65+ category shares. */
const MORE_DEFICITS = { under75: 0.7, under85: 1.1, older: 0.6 };
const ORGANIZATION_PREFIX = 'Organization/'.length;

/**
 * Who recorded an entry: exactly one recorded-by `meta.tag` naming the Organization, as the FHIR
 * API stamps every write (docs/access-policy.md). A fresh object each time: whoever loads the
 * population may add to a resource's meta.
 *
 * Each entry is tagged with the organisation that would have recorded it:
 * - the registered practice: the Patient, problems (long-term conditions, frailty deficits, a
 *   suspected first psychosis), medicines, the eFI score, lifestyle and blood pressure readings,
 *   GP appointments, the GP's referral to early intervention, and the person's unpaid carer
 *   (RelatedPerson: carers are identified on the cared-for person's GP record);
 * - the acute trust: A&E attendances, emergency admissions, the maternity episode, the delivery
 *   and the smoking-at-delivery reading taken by its midwives;
 * - the mental health trust: the secondary mental health episode, its employment status reading
 *   and crisis contacts;
 * - the council with adult social care and public health duties (Kent County Council, or Medway
 *   Council for Medway): long-term support and reablement episodes, reablement visits, the
 *   accommodation, employment and still-at-home-91-days readings social care reports, and the
 *   Year 6 weight category (the National Child Measurement Programme is the council's);
 * - surveys, the organisation that runs them: the survey of adult carers and the loneliness
 *   measure (a public health outcome) the council; the GP patient survey the ICB, since NHS
 *   England (which runs it) is not in the directory, and a practice never sees its patients'
 *   individual answers. (A survey the person answers in the portal would carry no tag; these
 *   were collected by the survey's organisation and loaded from its files.)
 */
function recordedBy(orgId: string): Meta {
  return { tag: [recordedByTag(orgId)] };
}

function medConcept(name: string): CodeableConcept {
  return { coding: [coding(`${CS}/medicine`, medicineCode(name), name)], text: name };
}

/** One resident and their whole history, generated together and then dropped by the caller. */
export function generateResident(ctx: ResidentContext, index: number): Resource[] {
  return new ResidentBuilder(ctx, index).build();
}

class ResidentBuilder {
  private readonly rng: Prng;
  private readonly out: Resource[] = [];
  private readonly patientId: string;
  private readonly subject: Reference<any>;
  private counter = 0;
  private p!: Demography;
  private birthDay = 0;
  private practice!: Practice;
  private gpRole!: string;
  private conditions: { def?: ConditionDef; deficit?: string; id: string }[] = [];
  private frailty = 0; // deficits / 36, 65+ only
  private ltcCount = 0;
  private readonly extractDay: number;
  private readonly yearStart: number;
  private readonly yearEnd: number;

  constructor(private readonly ctx: ResidentContext, private readonly index: number) {
    this.extractDay = ctx.timeline.extractDay;
    this.yearStart = ctx.timeline.yearStart;
    this.yearEnd = ctx.timeline.yearEnd;
    this.rng = new Prng(ctx.seed, index, 0x5e1f);
    this.patientId = `pat-${index}`;
    this.subject = { reference: `Patient/${this.patientId}` };
  }

  /** The resident's family name (the Patient is the first resource built). */
  private get familyName(): string | undefined {
    return (this.out[0] as Patient | undefined)?.name?.[0]?.family;
  }

  private nextId(prefix: string): string {
    return `${prefix}-${this.index}-${++this.counter}`;
  }

  /** The resident's upper-tier council: adult social care and public health (Kent County Council or Medway Council). */
  private council(): string {
    return this.ctx.directory.socialCareByDistrict.get(this.p.district)!.orgId;
  }

  private dayInYear(): number {
    return this.yearStart + this.rng.int(this.yearEnd - this.yearStart + 1);
  }

  build(): Resource[] {
    this.demographics();
    this.longTermConditions();
    if (this.p.age >= 65) this.frailtyDeficits();
    if (this.p.age >= 65) this.moreFrailtyDeficits();
    const meds = this.medicines();
    if (this.p.age >= 65) this.efiScore(meds);
    if (this.p.age >= 18) this.lifestyle();
    if (this.p.age >= 11 && this.p.age <= 17) this.year6();
    this.gpAppointments();
    this.urgentCare();
    this.pregnancy();
    this.mentalHealth();
    this.socialCare();
    this.carer();
    if (this.p.age >= 16) this.surveys();
    // Last, from its own random stream: care teams, plans, allergies and alerts leave everything above unchanged.
    const inputs = {
      ctx: this.ctx, index: this.index, out: this.out, p: this.p, practice: this.practice, gpRole: this.gpRole,
      frailty: this.frailtyCategory(), conditions: this.conditions, ltcCount: this.ltcCount, nextId: (prefix: string) => this.nextId(prefix),
    };
    addCarePlanning(inputs);
    // Then, from a stream of its own, what is going on now: hospital stays, open caseloads and work.
    addCurrentCare(inputs);
    // Then the named professional's episodes (and some reviews overdue), from their own stream: ids after every other.
    addCoordinationEpisodes(inputs);
    return this.out;
  }

  private demographics(): void {
    const { rng, ctx } = this;
    const model = ctx.model;
    // The district is drawn even in a neighbourhood, so every later draw stays where it was.
    const drawn = model.districts[rng.weighted(model.districtCumulative)];
    const dm = ctx.neighbourhood ? model.districts.find((d) => d.district.id === ctx.neighbourhood!.district) ?? drawn : drawn;
    const age = rng.weighted(dm.ageCumulative);
    const sex = rng.chance(femaleShare(age)) ? 'female' : 'male';
    const quintile = rng.weighted(dm.quintileCumulative) + 1;
    this.p = { district: dm.district.id, age, sex, quintile };
    this.birthDay = this.extractDay - age * 365 - Math.floor(age / 4) - rng.int(365) - 1;
    const locality = rng.pick(ctx.directory.localitiesByDistrict.get(dm.district.id)!);
    this.practice = rng.pick(ctx.neighbourhood?.practices ?? ctx.directory.practicesByDistrict.get(dm.district.id)!);
    this.gpRole = rng.pick(this.practice.gpRoles);

    const eth = rng.weighted(THAMES.has(dm.district.id) ? ETHNIC_CUM_THAMES : ETHNIC_CUM_KENT);
    const [ethCode, ethDisplay] = ETHNICITY[eth];
    let language: [string, string] = ['en', 'English'];
    const options = LANGUAGES[ethCode];
    if (options && rng.chance(ethCode === 'C' ? 0.55 : 0.3)) language = rng.pick(options);
    const extension: Extension[] = [
      { url: ext.district, valueString: dm.district.id },
      { url: ext.healthAndCarePartnership, valueString: dm.district.hcp },
      { url: ext.deprivationQuintile, valueInteger: quintile },
      { url: ext.ethnicCategory, valueCodeableConcept: concept(ETHNIC_SYSTEM, ethCode, ethDisplay) },
      { url: ext.locality, valueString: locality.name },
    ];
    const interpreter = language[0] !== 'en' && age >= 16 && rng.chance(0.35);
    if (interpreter) extension.push({ url: ext.interpreterRequired, valueBoolean: true });
    if (rng.chance(0.0015)) {
      language = ['sgn-GB', 'British Sign Language'];
      extension.push({ url: ext.communicationNeed, valueCodeableConcept: local('communication-need', 'bsl-interpreter', 'Needs a British Sign Language interpreter') });
    }

    const female = sex === 'female';
    const given = rng.pick(female ? GIVEN_FEMALE : GIVEN_MALE);
    // Not their own GP's family name: a namesake GP reads as a relative.
    const family = pickFamilyOtherThan(rng, FAMILY_NAMES, [ctx.directory.familyOfRole.get(this.gpRole)]);
    const nhsNumber = ctx.nhs.numberFor(this.index);
    const identifier = [{ system: RESIDENT_ID_SYSTEM, value: this.patientId }];
    if (nhsNumber) identifier.unshift({ system: NHS_NUMBER_SYSTEM, value: nhsNumber });
    const telecom: Patient['telecom'] = [];
    if (age >= 14 && rng.chance(0.85)) telecom.push({ system: 'phone', value: fictionalMobile(rng), use: 'mobile' });
    if (rng.chance(age >= 65 ? 0.6 : 0.2)) telecom.push({ system: 'phone', value: fictionalLandline(rng), use: 'home' });
    const patient: Patient = {
      resourceType: 'Patient', id: this.patientId, meta: recordedBy(this.practice.orgId), extension, identifier, active: true,
      name: [{ use: 'official', family, given: [given] }],
      gender: sex, birthDate: isoDate(this.birthDay),
      address: [{
        use: 'home', type: 'physical', line: [`${rng.range(1, 220)} ${rng.pick(STREETS)}`], city: locality.name,
        district: dm.district.name, postalCode: fictionalPostcode(rng, locality.postcodeDistrict), country: 'GB',
      }],
      communication: [{ language: { coding: [coding('urn:ietf:bcp:47', language[0], language[1])], text: language[1] }, preferred: true }],
      generalPractitioner: [ref('Organization', this.practice.orgId, this.practice.name)],
      managingOrganization: ref('Organization', this.practice.orgId),
    };
    if (telecom.length) patient.telecom = telecom;
    this.out.push(patient);
  }

  /** A problem on the GP record (every Condition the generator makes is the practice's). */
  private addCondition(code: CodeableConcept, onsetDay: number, extra?: { deficit?: string; def?: ConditionDef; id?: string }): string {
    const id = extra?.id ?? this.nextId('cond');
    const c: Condition = {
      resourceType: 'Condition', id, meta: recordedBy(this.practice.orgId), clinicalStatus: ACTIVE, verificationStatus: CONFIRMED, category: PROBLEM_LIST,
      code, subject: this.subject, onsetDateTime: isoDate(onsetDay), recordedDate: isoDate(onsetDay),
    };
    if (extra?.deficit) c.extension = [{ url: ext.efiDeficit, valueString: extra.deficit }];
    this.out.push(c);
    this.conditions.push({ id, def: extra?.def, deficit: extra?.deficit });
    return id;
  }

  private onsetDay(minAge: number): number {
    const lo = this.birthDay + Math.max(minAge, 0) * 365;
    const hi = this.extractDay - 30;
    return lo >= hi ? hi : lo + this.rng.int(hi - lo);
  }

  private longTermConditions(): void {
    const { p, rng } = this;
    const band = p.age < 18 ? 0 : p.age < 40 ? 1 : p.age < 65 ? 2 : p.age < 80 ? 3 : 4;
    for (const def of CONDITIONS) {
      let prob = def.bands[band] * (p.sex === 'male' ? def.male ?? 1 : def.female ?? 1) * depFactor(p.quintile, def.dep);
      if (def.key === 'dementia' && p.age >= 90) prob *= 2;
      if (prob > 0 && rng.chance(prob)) {
        const minAge = def.key === 'learning-disability' ? 0 : band === 0 ? 1 : [0, 18, 30, 50, 65][band];
        this.addCondition(snomed(def.code, def.display), this.onsetDay(minAge), { def, deficit: def.efi });
        this.ltcCount++;
      }
    }
  }

  private frailtyDeficits(): void {
    const { p, rng, ctx } = this;
    const lambda = (p.age < 75 ? 1.0 : p.age < 85 ? 2.2 : 4.0) * depFactor(p.quintile, 0.3) * (1 + 0.15 * this.ltcCount);
    const n = Math.min(rng.poisson(lambda), ctx.deficits.length);
    const chosen = new Set<number>();
    for (let tries = 0; chosen.size < n && tries < 60; tries++) chosen.add(rng.weighted(ctx.deficitCumulative));
    for (const i of [...chosen].sort((a, b) => a - b)) {
      const d = ctx.deficits[i];
      this.addCondition(snomed(d.code, d.display), this.onsetDay(60), { deficit: d.name });
    }
  }

  /**
   * More recorded deficits for people 65+, from a stream of their own with ids of their own (so every
   * draw and id above and below stays where it was): the registers and deficits above alone leave the
   * eFI categories of people 65+ fitter than the published shares (about 50 / 35 / 12 / 3 per cent,
   * Clegg 2016), which the eFI computed from the record (src/proactive-care/efi.calculator.test.ts) is checked against.
   */
  private moreFrailtyDeficits(): void {
    const { p, ctx } = this;
    const rng = new Prng(ctx.seed, this.index, MORE_DEFICITS_STREAM);
    const lambda = (p.age < 75 ? MORE_DEFICITS.under75 : p.age < 85 ? MORE_DEFICITS.under85 : MORE_DEFICITS.older) * depFactor(p.quintile, 0.3);
    const have = new Set(this.conditions.map((c) => c.deficit));
    const n = rng.poisson(lambda);
    let added = 0;
    for (let tries = 0; added < n && tries < 60; tries++) {
      const d = ctx.deficits[rng.weighted(ctx.deficitCumulative)];
      if (have.has(d.name)) continue;
      have.add(d.name);
      const lo = this.birthDay + 60 * 365;
      const hi = this.extractDay - 30;
      const onset = lo >= hi ? hi : lo + rng.int(hi - lo);
      this.addCondition(snomed(d.code, d.display), onset, { deficit: d.name, id: `cond-${this.index}-efi-${++added}` });
    }
  }

  private medicines(): number {
    const { rng, p } = this;
    const names = new Map<string, string | undefined>();
    for (const c of this.conditions) {
      if (!c.def) continue;
      for (const [name, prob] of c.def.medicines) if (!names.has(name) && rng.chance(prob)) names.set(name, c.id);
    }
    if (p.age >= 65) for (const [name, prob] of OLDER_AGE_MEDICINES) if (!names.has(name) && rng.chance(prob * (p.age >= 80 ? 1.5 : 1))) names.set(name, undefined);
    if (p.age >= 18 && rng.chance(0.04)) names.set('Ibuprofen 400mg tablets', undefined);
    for (const [name, conditionId] of names) {
      const authored = this.dayInYear();
      const mr: MedicationRequest = {
        resourceType: 'MedicationRequest', id: this.nextId('medreq'), meta: recordedBy(this.practice.orgId), status: 'active', intent: 'order',
        medicationCodeableConcept: medConcept(name), subject: this.subject, authoredOn: isoDate(authored),
        requester: ref('PractitionerRole', this.gpRole),
        dosageInstruction: [{ text: dosageOf(name) }],
        courseOfTherapyType: { coding: [coding('http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy', 'continuous', 'Continuous long term therapy')] },
      };
      if (conditionId) mr.reasonReference = [ref('Condition', conditionId)];
      this.out.push(mr);
    }
    return names.size;
  }

  private efiScore(medicineCount: number): void {
    const deficits = new Set<string>();
    for (const c of this.conditions) if (c.deficit) deficits.add(c.deficit);
    if (medicineCount >= 5) deficits.add('Polypharmacy');
    const score = Math.round((deficits.size / 36) * 1000) / 1000;
    this.frailty = score;
    const category = score <= 0.12 ? 'fit' : score <= 0.24 ? 'mild' : score <= 0.36 ? 'moderate' : 'severe';
    this.out.push({
      resourceType: 'Observation', id: this.nextId('obs'), meta: recordedBy(this.practice.orgId), status: 'final', category: SURVEY, code: EFI_CODE, subject: this.subject,
      effectiveDateTime: isoDate(this.yearEnd), valueQuantity: { value: score, unit: 'score', system: UCUM, code: '1' },
      interpretation: [local('efi-category', category, category === 'fit' ? 'Fit' : `${category[0].toUpperCase()}${category.slice(1)} frailty`)],
    } as Observation);
  }

  private frailtyCategory(): number {
    if (this.p.age < 65) return 0;
    return this.frailty <= 0.12 ? 0 : this.frailty <= 0.24 ? 1 : this.frailty <= 0.36 ? 2 : 3;
  }

  private observation(recorder: string, code: CodeableConcept, category: CodeableConcept[], day: number, value: Partial<Observation>): Observation {
    const o: Observation = {
      resourceType: 'Observation', id: this.nextId('obs'), meta: recordedBy(recorder), status: 'final', category, code, subject: this.subject,
      effectiveDateTime: isoDate(day), ...value,
    };
    this.out.push(o);
    return o;
  }

  private lifestyle(): void {
    const { p, rng, ctx } = this;
    const h = ctx.history;
    const recent = () => this.extractDay - 1 - rng.int(700);
    const gp = this.practice.orgId;
    const smokes = rng.chance(h.smoking(p));
    const status = smokes ? SMOKER : rng.chance(p.age < 30 ? 0.1 : p.age < 50 ? 0.25 : 0.45) ? EX_SMOKER : NEVER_SMOKED;
    this.observation(gp, SMOKING_CODE, SOCIAL_HISTORY, recent(), { valueCodeableConcept: status });

    let bmi: number;
    if (rng.chance(h.overweightOrObese(p))) {
      const obese = rng.chance(0.4 * depFactor(p.quintile, 0.3));
      bmi = obese ? 30 + Math.min(25, -Math.log(1 - rng.next()) * 4.5) : 25 + rng.next() * 4.99;
    } else {
      bmi = rng.chance(0.04) ? 16.5 + rng.next() * 1.99 : 18.5 + rng.next() * 6.49;
    }
    this.observation(gp, BMI_CODE, VITAL_SIGNS, recent(), { valueQuantity: { value: Math.round(bmi * 10) / 10, unit: 'kg/m2', system: UCUM, code: 'kg/m2' } });

    const inactive = rng.chance(h.inactive(p));
    const minutes = inactive ? rng.int(30) : rng.chance(0.15) ? 30 + rng.int(120) : 150 + rng.int(450);
    this.observation(gp, ACTIVITY_CODE, SOCIAL_HISTORY, recent(), { valueQuantity: { value: minutes, unit: 'min/wk', system: UCUM, code: 'min/wk' } });

    const hypertensive = this.conditions.some((c) => c.def?.key === 'hypertension');
    if (hypertensive || (p.age >= 40 && rng.chance(0.5))) {
      const sys = Math.round(118 + (p.age - 40) * 0.4 + (hypertensive ? 14 : 0) + rng.normal() * 12);
      const dia = Math.round(76 + (hypertensive ? 6 : 0) + rng.normal() * 8);
      this.observation(gp, BP_CODE, VITAL_SIGNS, recent(), {
        component: [
          { code: { coding: [coding(LOINC, '8480-6', 'Systolic blood pressure')] }, valueQuantity: { value: sys, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
          { code: { coding: [coding(LOINC, '8462-4', 'Diastolic blood pressure')] }, valueQuantity: { value: dia, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
        ],
      });
    }
  }

  private year6(): void {
    const [severe, obese, over, under] = this.ctx.history.year6(this.p);
    const r = this.rng.next();
    const cat = r < severe ? 0 : r < severe + obese ? 1 : r < severe + obese + over ? 2 : r < severe + obese + over + under ? 3 : 4;
    // Measured in the summer term of Year 6, at about 10 years 9 months.
    const day = Math.min(this.extractDay - 1, this.birthDay + 3920 + this.rng.int(120));
    this.observation(this.council(), Y6_CODE, VITAL_SIGNS, day, { valueCodeableConcept: Y6_CATEGORIES[cat] });
  }

  /** An encounter, recorded by the organisation that provided it: its serviceProvider, which every one names. */
  private encounter(e: Omit<Encounter, 'resourceType' | 'id' | 'meta' | 'subject'> & { serviceProvider: Reference<any> }): Encounter {
    const recorder = e.serviceProvider.reference!.slice(ORGANIZATION_PREFIX);
    const enc = { resourceType: 'Encounter', id: this.nextId('enc'), meta: recordedBy(recorder), subject: this.subject, ...e } as Encounter;
    this.out.push(enc);
    return enc;
  }

  private gpAppointments(): void {
    const { p, rng } = this;
    const a = p.age;
    const base = a < 5 ? 2.5 : a < 18 ? 1.0 : a < 45 ? (p.sex === 'female' ? 2.2 : 1.2) : a < 65 ? 2.0 : a < 80 ? 3.2 : 4.5;
    const n = rng.poisson(base + 0.5 * this.ltcCount);
    const practiceRef = ref('Organization', this.practice.orgId);
    for (let i = 0; i < n; i++) {
      const day = this.dayInYear();
      const start = 8 * 60 + 10 * rng.int(60);
      const nurse = rng.chance(0.3);
      const role = nurse ? rng.pick(this.practice.nurseRoles) : rng.chance(0.8) ? this.gpRole : rng.pick(this.practice.gpRoles);
      this.encounter({
        status: 'finished', class: rng.chance(0.3) ? CLASS_VR : CLASS_AMB, type: ENC_GP,
        participant: [{ individual: ref('PractitionerRole', role) }],
        period: { start: isoDateTime(day, start), end: isoDateTime(day, start + 10) },
        serviceProvider: practiceRef,
        location: [{ location: ref('Location', this.practice.locationId) }],
      });
    }
  }

  private urgentCare(): void {
    const { p, rng, ctx } = this;
    const acute = ctx.directory.acuteByDistrict.get(p.district)!;
    const a = p.age;
    const frailCat = this.frailtyCategory();
    const aeRate = 0.3 * (a < 5 ? 1.6 : a < 18 ? 0.8 : a < 65 ? 0.9 : a < 80 ? 1.2 : 2.0) * depFactor(p.quintile, 0.3);
    const aeCount = rng.poisson(aeRate);
    for (let i = 0; i < aeCount; i++) {
      const day = this.dayInYear();
      const start = rng.int(24 * 60);
      const site = rng.pick(acute.sites);
      this.encounter({
        status: 'finished', class: CLASS_EMER, type: ENC_AE, priority: EMERGENCY_PRIORITY,
        period: { start: isoDateTime(day, start), end: isoDateTime(day, start + 60 + rng.int(420)) },
        serviceProvider: ref('Organization', acute.orgId), location: [{ location: ref('Location', site.locationId) }],
      });
    }
    const admissionRate = (a < 18 ? 0.04 : a < 45 ? 0.05 : a < 65 ? 0.07 : a < 75 ? 0.12 : a < 85 ? 0.2 : 0.32)
      * (1 + 0.1 * this.ltcCount) * depFactor(p.quintile, 0.25) * [1, 1.3, 1.8, 2.5][frailCat];
    const n = rng.poisson(admissionRate);
    for (let i = 0; i < n; i++) this.admission(false);
    const alcohol = rng.poisson(ctx.history.alcoholAdmissions(p));
    for (let i = 0; i < alcohol; i++) this.admission(true);
  }

  private admission(alcohol: boolean): void {
    const { p, rng, ctx } = this;
    const acute = ctx.directory.acuteByDistrict.get(p.district)!;
    const frailCat = this.frailtyCategory();
    const old = p.age >= 65;
    // About one in ten emergency admissions of a frail older person is for a fall or a fragility fracture,
    // which puts the over-65s' rate near OHID's ~2,000 falls admissions per 100,000 a year (at 0.5 it was
    // ~10,000: five times too many). One draw either way, so the stream after it does not shift.
    const frailtyRelated = !alcohol && frailCat >= 1 && rng.chance(FRAILTY_RELATED_SHARE);
    const day = this.dayInYear();
    const median = (p.age < 65 ? 1.5 : p.age < 80 ? 3.5 : 6) * (1 + 0.3 * frailCat);
    const los = Math.min(120, Math.floor(median * Math.exp(rng.normal() * 0.9)));
    const pathway = this.dischargePathway(old, frailCat);
    const start = rng.int(24 * 60);
    const end = day + los;
    let reason: CodeableConcept;
    if (alcohol) reason = rng.pick(ALCOHOL_REASONS);
    else if (frailtyRelated) {
      const name = rng.chance(0.6) ? 'Falls' : 'Fragility fracture';
      const d = ctx.deficits.find((x) => x.name === name)!;
      reason = snomed(d.code, d.display);
    } else reason = rng.pick(GENERAL_REASONS);
    const extension: Extension[] = [{ url: ext.dischargePathway, valueCodeableConcept: PATHWAY[pathway] }];
    // Delays to discharge happen to people waiting for support, and grow with length of stay.
    if (pathway > 0 && los >= 2 && rng.chance(Math.min(0.9, 0.2 + los / 40))) {
      const delay = 1 + Math.min(los - 1, Math.floor(-Math.log(1 - rng.next()) * (1 + los / 4)));
      extension.push({ url: ext.criteriaToResideNotMet, valueDateTime: isoDateTime(end - delay, 9 * 60) });
    }
    if (alcohol) extension.push({ url: ext.alcoholRelated, valueBoolean: true });
    if (frailtyRelated) extension.push({ url: ext.frailtyRelated, valueBoolean: true });
    const site = rng.pick(acute.sites);
    const enc = this.encounter({
      extension, status: 'finished', class: CLASS_IMP, type: ENC_ADMISSION, priority: EMERGENCY_PRIORITY,
      period: { start: isoDateTime(day, start), end: isoDateTime(end, 10 * 60 + rng.int(600)) },
      length: { value: los, unit: 'days', system: UCUM, code: 'd' },
      reasonCode: [reason],
      hospitalization: {
        admitSource: ADMIT_EMERGENCY,
        dischargeDisposition: pathway === 3 ? concept('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'snf', 'Skilled nursing facility')
          : pathway === 2 ? concept('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'rehab', 'Rehabilitation')
          : concept('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'home', 'Home'),
      },
      participant: [{ individual: ref('PractitionerRole', rng.pick(acute.dischargeRoles)) }],
      serviceProvider: ref('Organization', acute.orgId), location: [{ location: ref('Location', site.locationId) }],
    });
    if (old && pathway === 1 && rng.chance(0.45)) this.reablement(enc, end);
  }

  /**
   * Pathway mix by age and frailty. The shares are tuned so that, over this model's admissions,
   * the totals land on TARGETS.dischargePathways (checked by the calibration test).
   */
  private dischargePathway(old: boolean, frailCat: number): number {
    const r = this.rng.next() * 100;
    const table = !old ? [78, 22, 0, 0] : frailCat >= 2 ? [18, 68, 11.5, 2.5] : frailCat === 1 ? [27, 67, 4.8, 1.2] : [30, 66, 3.2, 0.8];
    let acc = 0;
    for (let i = 0; i < 4; i++) if (r < (acc += table[i])) return i;
    return 0;
  }

  private reablement(admission: Encounter, dischargeDay: number): void {
    const { p, rng, ctx } = this;
    const care = ctx.directory.socialCareByDistrict.get(p.district)!;
    const eocId = this.nextId('eoc');
    const days = 14 + rng.int(29);
    const eoc: EpisodeOfCare = {
      resourceType: 'EpisodeOfCare', id: eocId, meta: recordedBy(care.orgId), status: 'finished', type: EP_TYPES.reablement, patient: this.subject,
      managingOrganization: ref('Organization', care.orgId), period: { start: isoDate(dischargeDay), end: isoDate(dischargeDay + days) },
      careManager: ref('PractitionerRole', rng.pick(care.socialWorkerRoles)),
    };
    this.out.push(eoc);
    const visits = 1 + rng.int(3);
    for (let i = 0; i < visits; i++) {
      const d = dischargeDay + 1 + rng.int(days);
      this.encounter({
        status: 'finished', class: CLASS_HH, type: ENC_REABLEMENT, episodeOfCare: [ref('EpisodeOfCare', eocId)],
        period: { start: isoDateTime(d, 8 * 60 + rng.int(600)), end: isoDateTime(d, 9 * 60 + 600) },
        serviceProvider: ref('Organization', care.orgId),
      });
    }
    const frail = this.frailtyCategory();
    const atHome = rng.chance((TARGETS.atHome91Days / 100) * [1.05, 1.0, 0.96, 0.9][frail]);
    this.observation(care.orgId, AT_HOME_91_CODE, SOCIAL_HISTORY, dischargeDay + 91, {
      valueBoolean: atHome, encounter: ref('Encounter', admission.id!), focus: [ref('EpisodeOfCare', eocId)],
    });
  }

  private pregnancy(): void {
    const { p, rng, ctx } = this;
    if (!rng.chance(birthChance(p))) return;
    const acute = ctx.directory.acuteByDistrict.get(p.district)!;
    const window = 3 * 365;
    const delivery = this.extractDay - 30 - rng.int(window);
    const eocId = this.nextId('eoc');
    this.out.push({
      resourceType: 'EpisodeOfCare', id: eocId, meta: recordedBy(acute.orgId), status: 'finished', type: EP_TYPES.maternity, patient: this.subject,
      managingOrganization: ref('Organization', acute.orgId), period: { start: isoDate(delivery - 270 + rng.int(30)), end: isoDate(Math.min(this.extractDay - 1, delivery + 42)) },
    } as EpisodeOfCare);
    const stay = rng.int(3);
    const site = rng.pick(acute.sites);
    const enc = this.encounter({
      status: 'finished', class: CLASS_IMP, type: ENC_DELIVERY, episodeOfCare: [ref('EpisodeOfCare', eocId)],
      period: { start: isoDateTime(delivery, rng.int(1440)), end: isoDateTime(delivery + stay, 12 * 60 + rng.int(600)) },
      serviceProvider: ref('Organization', acute.orgId), location: [{ location: ref('Location', site.locationId) }],
      serviceType: local('service-type', 'maternity', 'Maternity'),
    });
    const smoking = rng.chance(ctx.history.smokingAtDelivery(p));
    this.observation(acute.orgId, SATOD_CODE, SOCIAL_HISTORY, delivery, { valueCodeableConcept: smoking ? SMOKER : NON_SMOKER, encounter: ref('Encounter', enc.id!) });
  }

  private mentalHealth(): void {
    const { p, rng, ctx } = this;
    const hasSmi = this.conditions.some((c) => c.def?.key === 'schizophrenia' || c.def?.key === 'bipolar');
    const depressed = this.conditions.some((c) => c.def?.key === 'depression');
    const ld = this.conditions.some((c) => c.def?.key === 'learning-disability');
    const dementia = this.conditions.some((c) => c.def?.key === 'dementia');
    // First-episode psychosis: about 30 per 100,000 aged 16-64 a year, mostly under 35.
    if (p.age >= 16 && p.age <= 64 && rng.chance(p.age <= 35 ? 0.0006 : 0.00015)) {
      const day = this.dayInYear();
      const condId = this.addCondition(snomed('69322001', 'Psychotic disorder'), day);
      this.out.push({
        resourceType: 'ServiceRequest', id: this.nextId('sr'), meta: recordedBy(this.practice.orgId), status: 'completed', intent: 'order',
        category: [local('referral-type', 'mental-health', 'Mental health referral')],
        code: local('referral', 'early-intervention-psychosis', 'Referral to early intervention in psychosis service'),
        subject: this.subject, authoredOn: isoDate(day), requester: ref('PractitionerRole', this.gpRole),
        performer: [ref('HealthcareService', ctx.directory.services.earlyIntervention)], reasonReference: [ref('Condition', condId)],
      } as ServiceRequest);
    }
    if (p.age < 18) return;
    let prob = (p.age < 70 ? 0.025 : 0.02) * depFactor(p.quintile, 0.5);
    if (hasSmi) prob = 0.8;
    else if (dementia) prob = 0.3;
    else if (depressed) prob *= 2;
    if (!rng.chance(prob)) return;
    const start = this.yearStart - rng.int(900);
    const ended = rng.chance(0.35);
    const end = ended ? Math.max(this.yearStart + 1, start + 60 + rng.int(400)) : undefined;
    const mhRoles = ctx.directory.mentalHealthRolesByDistrict.get(p.district)!;
    const eocId = this.nextId('eoc');
    const eoc: EpisodeOfCare = {
      resourceType: 'EpisodeOfCare', id: eocId, meta: recordedBy(ctx.directory.orgIds.mentalHealthTrust),
      status: end && end <= this.yearEnd ? 'finished' : 'active', type: EP_TYPES.mentalHealth,
      patient: this.subject, managingOrganization: ref('Organization', ctx.directory.orgIds.mentalHealthTrust),
      period: end && end <= this.yearEnd ? { start: isoDate(start), end: isoDate(end) } : { start: isoDate(start) },
      careManager: ref('PractitionerRole', pickStaff(rng, mhRoles, ctx.directory, this.familyName)),
    };
    this.out.push(eoc);
    if (p.age <= 69) {
      // O2.2: about 8% of people in contact with secondary mental health services (18-69) are in paid work.
      const paid = rng.chance(TARGETS.mentalHealthEmployed / 100);
      const other = p.age < 25 && rng.chance(0.2) ? EMPLOYMENT.student : rng.chance(0.45) ? EMPLOYMENT.sick : rng.chance(0.5) ? EMPLOYMENT.unemployed : EMPLOYMENT.notSeeking;
      this.observation(ctx.directory.orgIds.mentalHealthTrust, EMPLOYMENT_CODE, SOCIAL_HISTORY, this.yearStart + rng.int(300), { valueCodeableConcept: paid ? EMPLOYMENT.paid : other });
    }
    if (ld && rng.chance(0.1)) return;
    if (rng.chance(hasSmi ? 0.3 : 0.1)) {
      const day = this.dayInYear();
      const startMin = 17 * 60 + rng.int(420);
      this.encounter({
        status: 'finished', class: CLASS_EMER, type: ENC_CRISIS, priority: EMERGENCY_PRIORITY, episodeOfCare: [ref('EpisodeOfCare', eocId)],
        period: { start: isoDateTime(day, startMin), end: isoDateTime(day, startMin + 90) },
        participant: [{ individual: ref('PractitionerRole', rng.pick(mhRoles)) }],
        serviceProvider: ref('Organization', ctx.directory.orgIds.mentalHealthTrust),
      });
    }
  }

  private socialCare(): void {
    const { p, rng, ctx } = this;
    if (p.age < 18) return;
    const ld = this.conditions.some((c) => c.def?.key === 'learning-disability');
    const frail = this.frailtyCategory();
    let prob = p.age < 65 ? 0.004 : p.age < 75 ? 0.012 : p.age < 85 ? 0.03 : 0.09;
    prob *= depFactor(p.quintile, 0.3) * [0.5, 1, 2, 3.5][frail];
    if (ld) prob = 0.45;
    if (!rng.chance(prob)) return;
    const care = ctx.directory.socialCareByDistrict.get(p.district)!;
    const start = Math.max(this.birthDay + 18 * 365, this.extractDay - 30 - rng.int(ld ? 5000 : 1500));
    this.out.push({
      resourceType: 'EpisodeOfCare', id: this.nextId('eoc'), meta: recordedBy(care.orgId), status: 'active', type: EP_TYPES.longTermSupport, patient: this.subject,
      managingOrganization: ref('Organization', care.orgId), period: { start: isoDate(start) },
      careManager: ref('PractitionerRole', pickStaff(rng, care.socialWorkerRoles, ctx.directory, this.familyName)),
    } as EpisodeOfCare);
    // O3.6 has no baseline: national shares are about 80% at home or with family for learning disability, lower in later life.
    const mix = ld ? [45, 33, 20, 2] : p.age < 65 ? [65, 15, 15, 5] : [55, 6, 24, 15];
    const r = rng.next() * 100;
    const accommodation = r < mix[0] ? 0 : r < mix[0] + mix[1] ? 1 : r < mix[0] + mix[1] + mix[2] ? 2 : 3;
    const obs = this.observation(care.orgId, ACCOMMODATION_CODE, SOCIAL_HISTORY, Math.max(start, this.yearStart + rng.int(300)), { valueCodeableConcept: ACCOMMODATION[accommodation] });
    if (accommodation >= 2) {
      const homes = ctx.directory.careHomesByDistrict.get(p.district)!;
      const home = rng.pick(homes);
      obs.note = [{ text: `Lives at ${home.name}` }];
      obs.performer = [ref('Organization', home.orgId)];
    }
    if (ld && p.age <= 64) {
      this.observation(care.orgId, EMPLOYMENT_CODE, SOCIAL_HISTORY, this.yearStart + rng.int(300), { valueCodeableConcept: rng.chance(0.05) ? EMPLOYMENT.paid : EMPLOYMENT.notSeeking });
    }
  }

  private carer(): void {
    const { p, rng, ctx } = this;
    if (!rng.chance(ctx.history.hasCarer(p))) return;
    const patient = this.out[0] as Patient;
    let rel: [string, string];
    if (p.age < 18) rel = ['PRN', 'parent'];
    else if (p.age < 65) rel = rng.pick<[string, string]>([['SPS', 'spouse'], ['PRN', 'parent'], ['CHILD', 'child'], ['SIB', 'sibling']]);
    else rel = rng.chance(0.45) ? ['SPS', 'spouse'] : rng.chance(0.8) ? ['CHILD', 'child'] : rng.pick<[string, string]>([['FRND', 'unrelated friend'], ['NBOR', 'neighbor']]);
    const female = rng.chance(0.58);
    const sameHome = rel[0] === 'SPS' || rel[0] === 'PRN' || rng.chance(0.3);
    const rpId = this.nextId('rp');
    const rp: RelatedPerson = {
      resourceType: 'RelatedPerson', id: rpId, meta: recordedBy(this.practice.orgId), active: true, patient: this.subject,
      relationship: [
        { coding: [coding(V3_ROLE, rel[0], rel[1])] },
        local('carer-role', 'unpaid-carer', 'Unpaid carer'),
      ],
      name: [{ use: 'official', family: rel[0] === 'FRND' || rel[0] === 'NBOR' ? pickFamilyOtherThan(rng, FAMILY_NAMES, [patient.name![0].family]) : patient.name![0].family, given: [rng.pick(female ? GIVEN_FEMALE : GIVEN_MALE)] }],
      gender: female ? 'female' : 'male',
      telecom: [{ system: 'phone', value: fictionalMobile(rng), use: 'mobile' }],
      period: { start: isoDate(this.extractDay - 30 - rng.int(3000)) },
    };
    if (sameHome) rp.address = patient.address;
    this.out.push(rp);
    // O4.4: the survey of adult carers samples carers known to social services.
    if (rng.chance(0.45)) {
      const very = rng.chance(TARGETS.carersVerySatisfied / 100);
      const answer = very ? 0 : 1 + rng.weighted([40, 67, 80, 100]);
      this.surveyResponse(this.council(), QUESTIONNAIRES.carers, answer, ref('RelatedPerson', rpId));
    }
  }

  private surveys(): void {
    const { p, rng, ctx } = this;
    if (rng.chance(0.2)) {
      const lonely = rng.chance(ctx.history.lonely(p));
      this.surveyResponse(this.council(), QUESTIONNAIRES.loneliness, lonely ? 0 : 1 + rng.weighted([30, 55, 80, 100]), this.subject);
    }
    if (rng.chance(0.15)) {
      const good = rng.chance(ctx.history.gpGood(p));
      this.surveyResponse(ctx.directory.orgIds.icb, QUESTIONNAIRES.gpAppointment, good ? (rng.chance(0.35) ? 0 : 1) : 2 + rng.weighted([35, 67, 100]), this.subject);
    }
  }

  /** A survey answer, recorded by the organisation that ran the survey. */
  private surveyResponse(recorder: string, survey: SurveyDefinition, answerIndex: number, source: Reference<any>): void {
    const a = survey.answers[answerIndex];
    const qr: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse', id: this.nextId('qr'), meta: recordedBy(recorder), questionnaire: survey.url, status: 'completed',
      subject: this.subject, authored: isoDate(this.dayInYear()), source, author: source,
      item: [{ linkId: survey.linkId, text: survey.question, answer: [{ valueCoding: coding(survey.answerSystem, a.code, a.display) }] }],
    };
    this.out.push(qr);
  }
}
