import type {
  AllergyIntolerance, CarePlan, CarePlanActivity, CareTeam, CareTeamParticipant, CodeableConcept, Coding, EpisodeOfCare, Extension,
  Flag, Goal, MedicationRequest, Meta, Patient, Reference, RelatedPerson, Resource, ServiceRequest,
} from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { SENSITIVE_LABELS } from '../access/policy/security-labels.js';
import type { ConditionDef } from './clinical.catalogue.js';
import { coding, CS, ext, isoDate, local, ref, snomed } from './fhir.helpers.js';
import { pickStaff, type Practice } from './organisation.generator.js';
import type { Demography } from './population.model.js';
import { hashString, Prng } from './prng.js';
import type { ResidentContext } from './resident.generator.js';

/**
 * The parts of a resident's record that make care joined up, added after the rest of their history:
 * a care team with a named professional, a personalised care and support plan made with the person
 * (and their carer), "what matters to me", allergies, communication needs (reasonable adjustments)
 * and, rarely, a safeguarding alert. Shaped as the record summary reads them (src/record-view/record-summary.service.ts).
 *
 * Randomness comes from a stream of its own (seeded by seed, resident and "care-planning"), and every
 * resource is added at the end of the resident's list, so the rest of the history (its draws, ids and
 * the calibrated figures) is exactly what it was without this module.
 *
 * Who gets what:
 * - a care team: people with moderate or severe frailty (eFI), long-term social care support, an
 *   open secondary mental health episode, dementia or a learning disability, or three or more
 *   long-term conditions (most of them), and everyone with an unpaid carer on record who also has
 *   two or more long-term conditions or any frailty (the strategy asks that carers be involved in
 *   care planning, so the carer is always on the team and the plan);
 * - the named professional: the mental health care coordinator for an open mental health episode;
 *   the social worker for long-term social care support (under 65, or not frail); a community nurse
 *   for moderate or severe frailty or someone housebound; otherwise the person's GP or the PCN's care coordinator;
 * - a personalised care and support plan for most people with a care team (always when a carer is on it);
 * - allergies for about one person in six, recorded by the practice;
 * - communication needs from the record (hearing or sight loss, a learning disability, dementia,
 *   aphasia after a stroke, an interpreter, BSL): the need on the Patient (the communication-need
 *   extension the summary reads) and a reasonable-adjustment Flag saying what to do;
 * - safeguarding Flags for a few people, labelled so only the roles the policy names see them.
 */

/** What the care planning reads from the resident's history. */
export interface CareInputs {
  ctx: ResidentContext;
  index: number;
  out: Resource[];
  p: Demography;
  practice: Practice;
  gpRole: string;
  /** 0 fit, 1 mild, 2 moderate, 3 severe (65+ only). */
  frailty: number;
  conditions: { def?: ConditionDef; deficit?: string; id: string }[];
  ltcCount: number;
  nextId: (prefix: string) => string;
}

const CARE_STREAM = hashString('care-planning');
/** The named professional's episodes and review dates: a stream of their own, so every draw above stays as it was. */
const COORDINATION_STREAM = hashString('care-coordination-episodes');
const HANDOVER_FROM = 'https://onestory.example/fhir/StructureDefinition/handover-from';
const SAFEGUARDING = SENSITIVE_LABELS.find((l) => l.code === 'safeguarding')!;
const SDV = SENSITIVE_LABELS.find((l) => l.code === 'SDV')!;
const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';
const ALLERGY_CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
const ALLERGY_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';
const LOINC = 'http://loinc.org';

const meta = (orgId: string, security?: Coding[]): Meta => (security ? { tag: [recordedByTag(orgId)], security } : { tag: [recordedByTag(orgId)] });
const text = (t: string): CodeableConcept => ({ text: t });
const withText = (c: Coding[], t: string): CodeableConcept => ({ coding: c, text: t });

const CARE_COORDINATION_TYPE = withText([coding(`${CS}/episode-type`, 'care-coordination', 'Care coordination (named professional)')], 'Care coordination (named professional)');
const TEAM_CATEGORY = withText([coding(LOINC, 'LA28865-6', 'Longitudinal care-coordination focused care team')], 'Care coordination');
const PLAN_CATEGORY = [
  withText([coding(`${CS}/care-plan-category`, 'personalised-care-and-support-plan', 'Personalised care and support plan')], 'Personalised care and support plan'),
];
const WHAT_MATTERS = withText([coding(`${CS}/goal-category`, 'what-matters-to-me', 'What matters to me')], 'What matters to me');
const GOAL_CATEGORY = (code: string, display: string) => withText([coding(`${CS}/goal-category`, code, display)], display);
const ACHIEVEMENT_IN_PROGRESS = withText([coding('http://terminology.hl7.org/CodeSystem/goal-achievement', 'in-progress', 'In Progress')], 'In progress');
const REASONABLE_ADJUSTMENT = [withText([coding(FLAG_CATEGORY, 'admin', 'Administrative'), coding(`${CS}/flag-category`, 'reasonable-adjustment', 'Reasonable adjustment')], 'Reasonable adjustment (communication)')];
const HOME_VISIT = [withText([coding(FLAG_CATEGORY, 'safety', 'Safety'), coding(`${CS}/flag-category`, 'home-visit', 'Home visit')], 'Home visit')];
const SAFEGUARDING_CATEGORY = [withText([coding(FLAG_CATEGORY, 'safety', 'Safety'), coding(`${CS}/flag-category`, 'safeguarding', 'Safeguarding')], 'Safeguarding')];
const CARE_TEAM_ROLE = `${CS}/care-team-role`;
const role = (code: string, t: string) => [withText([coding(CARE_TEAM_ROLE, code, t)], t)];

interface Member {
  roleId: string;
  orgId: string;
  /** Role text on the care team; the named professional's matches what the summary looks for (named, key worker, care coordinator). */
  label: string;
  code: string;
}

interface Need { key: string; need: string; adjustment: string }

const DAY_MS = 86_400_000;
/** A FHIR date's day number (days since 1970, as isoDate counts them). */
const dayOf = (iso: string) => Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS);

/**
 * The named professional as the record keeps it (src/care-planning: the careManager of the one active
 * care-coordination EpisodeOfCare), for everyone with a care team, so the synthetic population has
 * people in every state: no named professional (no care team), one named, one named after an earlier
 * coordinator (their GP: a finished episode), and a handover waiting for its successor to accept (a
 * planned episode naming the active one). About one plan in eight has its review overdue (the others
 * fall due over the coming months), so the "plans due for review" lists have both. Run after everything
 * else in the resident's record, from a stream of its own, so no earlier draw or id moves.
 */
export function addCoordinationEpisodes(b: CareInputs): void {
  const team = b.out.find((r): r is CareTeam => r.resourceType === 'CareTeam' && r.category?.[0]?.coding?.[0]?.code === 'LA28865-6');
  const named = team?.participant?.[0];
  const practitioner = named?.member?.reference?.split('/')[1];
  const org = named?.onBehalfOf?.reference?.split('/')[1];
  if (!team?.period?.start || !practitioner || !org) return;
  const rng = new Prng(b.ctx.seed, b.index, COORDINATION_STREAM);
  const subject = { reference: `Patient/${b.out[0].id}` };
  const extractDay = b.ctx.timeline.extractDay;
  const created = dayOf(team.period.start);
  const gp = b.ctx.directory.practitionerOfRole.get(b.gpRole)!;
  const episode = (status: EpisodeOfCare['status'], manager: string, recorder: string, period?: { start: number; end?: number }, extension?: Extension[]): EpisodeOfCare => {
    const e: EpisodeOfCare = {
      resourceType: 'EpisodeOfCare', id: b.nextId('eoc'), meta: meta(recorder), status, type: [CARE_COORDINATION_TYPE], patient: subject,
      managingOrganization: ref('Organization', recorder), careManager: ref('Practitioner', manager),
      ...(period ? { period: { start: isoDate(period.start), ...(period.end !== undefined ? { end: isoDate(period.end) } : {}) } } : {}),
      ...(extension ? { extension } : {}),
    };
    b.out.push(e);
    return e;
  };
  const differentGp = gp !== practitioner;
  let since = created;
  if (differentGp && rng.chance(0.12) && extractDay - created > 40) {
    since = created + 30 + rng.int(extractDay - created - 30);
    episode('finished', gp, b.practice.orgId, { start: created, end: since });
  }
  const active = episode('active', practitioner, org, { start: since });
  if (differentGp && rng.chance(0.06)) episode('planned', gp, b.practice.orgId, undefined, [{ url: HANDOVER_FROM, valueReference: ref('EpisodeOfCare', active.id!) }]);
  const plan = b.out.find((r): r is CarePlan => r.resourceType === 'CarePlan' && r.status === 'active' && r.category === PLAN_CATEGORY);
  const review = plan?.activity?.find((a) => /^Review this plan/.test(a.detail?.description ?? ''))?.detail;
  if (review?.scheduledPeriod && rng.chance(0.125)) review.scheduledPeriod = { start: isoDate(extractDay - 1 - rng.int(45)) };
}

/** Adds the care-planning parts of one resident's record to `b.out`. */
export function addCarePlanning(b: CareInputs): void {
  new CarePlanning(b).run();
}

class CarePlanning {
  private readonly rng: Prng;
  private readonly patient: Patient;
  private readonly subject: Reference<any>;
  private readonly carer?: RelatedPerson;
  private readonly lts?: EpisodeOfCare;
  private readonly mh?: EpisodeOfCare;
  private readonly has: (key: string) => boolean;
  private readonly deficit: (name: string) => boolean;
  private readonly medicines: string[];
  private readonly extractDay: number;

  constructor(private readonly b: CareInputs) {
    this.extractDay = b.ctx.timeline.extractDay;
    this.rng = new Prng(b.ctx.seed, b.index, CARE_STREAM);
    this.patient = b.out[0] as Patient;
    this.subject = { reference: `Patient/${this.patient.id}` };
    this.carer = b.out.find((r): r is RelatedPerson => r.resourceType === 'RelatedPerson');
    const active = (type: string) => b.out.find((r): r is EpisodeOfCare => r.resourceType === 'EpisodeOfCare' && r.status === 'active' && r.type?.[0]?.coding?.[0]?.code === type);
    this.lts = active('long-term-support');
    this.mh = active('secondary-mental-health');
    this.has = (key) => b.conditions.some((c) => c.def?.key === key);
    this.deficit = (name) => b.conditions.some((c) => !c.def && c.deficit === name);
    this.medicines = b.out.filter((r): r is MedicationRequest => r.resourceType === 'MedicationRequest').map((m) => m.medicationCodeableConcept?.text ?? '');
  }

  run(): void {
    this.allergies();
    this.communicationNeeds();
    this.safeguarding();
    this.careTeamAndPlan();
  }

  private push<T extends Resource>(r: T): T {
    this.b.out.push(r);
    return r;
  }

  private practitioner(roleId: string): string {
    return this.b.ctx.directory.practitionerOfRole.get(roleId)!;
  }

  private get family(): string | undefined {
    return this.patient.name?.[0]?.family;
  }

  private get given(): string {
    return this.patient.name?.[0]?.given?.[0] ?? 'them';
  }

  private get carerGiven(): string | undefined {
    return this.carer?.name?.[0]?.given?.[0];
  }

  // --- Allergies -----------------------------------------------------------------------------

  private allergies(): void {
    const { rng, b } = this;
    const age = b.p.age;
    const onNsaid = this.medicines.some((m) => /naproxen|ibuprofen|aspirin/i.test(m));
    const chosen = ALLERGENS.filter((a) => {
      if (a.key === 'nsaid' && onNsaid) return false;
      return rng.chance(age < 18 ? a.child : age < 65 ? a.adult : a.older);
    });
    for (const a of chosen) {
      const reaction = rng.weighted(a.reactionCumulative);
      const [manifestation, severity] = a.reactions[reaction];
      const high = severity === 'severe';
      const recorded = Math.min(this.extractDay - 1, Math.max(this.birthDay() + 180, this.extractDay - 30 - rng.int(Math.max(1, Math.min(age, 40)) * 365)));
      this.push<AllergyIntolerance>({
        resourceType: 'AllergyIntolerance', id: b.nextId('allergy'), meta: meta(b.practice.orgId),
        clinicalStatus: withText([coding(ALLERGY_CLINICAL, 'active', 'Active')], 'Active'),
        verificationStatus: rng.chance(0.85)
          ? withText([coding(ALLERGY_VERIFICATION, 'confirmed', 'Confirmed')], 'Confirmed')
          : withText([coding(ALLERGY_VERIFICATION, 'unconfirmed', 'Unconfirmed')], 'Unconfirmed'),
        type: a.type, category: [a.category], criticality: high ? 'high' : 'low',
        code: a.code, patient: this.subject, recordedDate: isoDate(recorded), recorder: ref('PractitionerRole', b.gpRole),
        reaction: [{ manifestation: [manifestation], severity }],
      });
    }
  }

  private birthDay(): number {
    return Math.floor(Date.parse(this.patient.birthDate!) / 86_400_000);
  }

  // --- Communication needs (reasonable adjustments) --------------------------------------------

  private communicationNeeds(): void {
    const { rng, b } = this;
    const needs: Need[] = [];
    const exts = this.patient.extension ?? [];
    const language = this.patient.communication?.[0]?.language?.text ?? '';
    if (exts.some((e) => e.url === ext.communicationNeed)) {
      needs.push({ key: 'bsl', need: '', adjustment: 'Book a British Sign Language interpreter for every appointment; contact by text or email, not phone' });
    }
    if (exts.some((e) => e.url === ext.interpreterRequired && e.valueBoolean)) {
      needs.push({ key: 'interpreter', need: '', adjustment: `Book a ${language} interpreter for every appointment (in person or by phone); do not ask family to interpret` });
    }
    if (this.has('learning-disability') && rng.chance(0.85)) needs.push(NEEDS.easyRead);
    if (this.has('dementia') && rng.chance(0.7)) needs.push(NEEDS.dementia);
    if (this.deficit('Hearing impairment') && rng.chance(0.6)) needs.push(NEEDS.hearing);
    if (this.deficit('Visual impairment') && rng.chance(0.45)) needs.push(NEEDS.sight);
    if (this.has('stroke') && rng.chance(0.2)) needs.push(NEEDS.aphasia);
    let onPatient = exts.some((e) => e.url === ext.communicationNeed);
    const day = this.extractDay - 30 - rng.int(1500);
    for (const n of needs) {
      if (n.need && !onPatient) {
        // The summary reads one communication need from the Patient: the first, most important one.
        const e: Extension = { url: ext.communicationNeed, valueCodeableConcept: local('communication-need', n.key, n.need) };
        (this.patient.extension ??= []).push(e);
        onPatient = true;
      }
      this.push<Flag>({
        resourceType: 'Flag', id: b.nextId('flag'), meta: meta(b.practice.orgId), status: 'active', category: REASONABLE_ADJUSTMENT,
        code: local('reasonable-adjustment', n.key, n.adjustment), subject: this.subject,
        period: { start: isoDate(Math.max(this.birthDay(), day)) }, author: ref('PractitionerRole', b.gpRole),
      });
    }
  }

  // --- Safeguarding ----------------------------------------------------------------------------

  private safeguarding(): void {
    const { rng, b } = this;
    const { p } = b;
    const council = b.ctx.directory.socialCareByDistrict.get(p.district)!;
    const start = isoDate(Math.max(this.birthDay(), this.extractDay - 20 - rng.int(400)));
    const flag = (orgId: string, author: Reference<any>, code: CodeableConcept, labels: Coding[]) => this.push<Flag>({
      resourceType: 'Flag', id: b.nextId('flag'), meta: meta(orgId, labels), status: 'active', category: SAFEGUARDING_CATEGORY,
      code, subject: this.subject, period: { start }, author,
    });
    const label = (l: { system: string; code: string }): Coding => ({ system: l.system, code: l.code });
    if (p.age < 18) {
      // About 4 in 1,000 children are on a child protection plan at any time (more in deprived areas).
      if (rng.chance(0.004 * (p.quintile <= 2 ? 1.6 : 0.7))) {
        flag(council.orgId, ref('PractitionerRole', rng.pick(council.socialWorkerRoles)),
          local('safeguarding-alert', 'child-protection-plan', 'Child subject to a child protection plan: share concerns with the allocated social worker'), [label(SAFEGUARDING)]);
      }
      return;
    }
    const atRisk = !!this.lts || this.has('learning-disability') || this.has('dementia');
    if (atRisk && rng.chance(0.03)) {
      const author = this.lts?.careManager ?? ref('PractitionerRole', rng.pick(council.socialWorkerRoles));
      flag(council.orgId, author,
        local('safeguarding-alert', 'adult-at-risk', 'Adult at risk: safeguarding enquiry open (Care Act 2014, section 42); contact the social worker before any home visit'), [label(SAFEGUARDING)]);
    } else if (rng.chance(p.sex === 'female' ? 0.002 : 0.0006)) {
      flag(b.practice.orgId, ref('PractitionerRole', b.gpRole),
        local('safeguarding-alert', 'domestic-abuse', 'Domestic abuse disclosed: see alone, do not discuss in front of partner; safeguarding lead informed'), [label(SAFEGUARDING), label(SDV)]);
    }
  }

  // --- Care team and personalised care and support plan ----------------------------------------

  private careTeamAndPlan(): void {
    const { rng, b } = this;
    const { p, frailty, ltcCount } = b;
    const dementia = this.has('dementia'), ld = this.has('learning-disability');
    const involvesCarer = !!this.carer && (ltcCount >= 2 || frailty >= 1 || dementia || ld || !!this.lts || !!this.mh);
    let chance = 0;
    if (frailty >= 2) chance = 0.9;
    else if (this.lts) chance = 0.85;
    else if (this.mh) chance = 0.8;
    else if (dementia || ld) chance = 0.75;
    else if (ltcCount >= 4) chance = 0.7;
    else if (ltcCount >= 3) chance = 0.45;
    if (involvesCarer) chance = 1;
    if (!rng.chance(chance)) return;

    const dir = b.ctx.directory;
    const council = dir.socialCareByDistrict.get(p.district)!;
    const pcn = dir.pcnStaff.get(b.practice.pcnId)!;
    const housebound = this.deficit('Housebound');
    const nurseNeeded = frailty >= 1 || housebound || this.deficit('Skin ulcer');
    const gp: Member = { roleId: b.gpRole, orgId: b.practice.orgId, label: 'GP', code: 'gp' };
    const nurse = (): Member => ({ roleId: pickStaff(rng, dir.communityNurseRolesByDistrict.get(p.district)!, dir, this.family), orgId: dir.orgIds.communityTrust, label: 'Community nurse', code: 'community-nurse' });
    const ltsManager = this.lts?.careManager?.reference?.split('/')[1];
    const mhManager = this.mh?.careManager?.reference?.split('/')[1];
    const socialWorker: Member | undefined = ltsManager ? { roleId: ltsManager, orgId: council.orgId, label: 'Social worker', code: 'social-worker' } : undefined;
    const mhWorker: Member | undefined = mhManager ? { roleId: mhManager, orgId: dir.orgIds.mentalHealthTrust, label: 'Mental health practitioner', code: 'mental-health-practitioner' } : undefined;

    // The named professional first, then the rest of the team.
    let named: Member;
    let teamName: string;
    const others: Member[] = [];
    if (mhWorker && frailty < 2) {
      named = { ...mhWorker, label: 'Care coordinator (mental health)', code: 'care-coordinator' };
      teamName = 'Community mental health team';
      others.push(gp);
      if (socialWorker) others.push(socialWorker);
    } else if (socialWorker && (p.age < 65 || frailty < 2)) {
      named = { ...socialWorker, label: 'Social worker (key worker)', code: 'key-worker' };
      teamName = ld ? 'Learning disability team' : 'Adult social care team';
      others.push(gp);
      if (nurseNeeded) others.push(nurse());
      if (mhWorker) others.push(mhWorker);
    } else if (frailty >= 2 || housebound) {
      named = { ...nurse(), label: 'Community nurse (key worker)', code: 'key-worker' };
      teamName = 'Integrated neighbourhood team';
      others.push(gp);
      if (socialWorker) others.push(socialWorker);
      if (mhWorker) others.push(mhWorker);
    } else {
      named = rng.chance(0.5)
        ? { roleId: b.gpRole, orgId: b.practice.orgId, label: 'Named GP', code: 'named-gp' }
        : { roleId: pickStaff(rng, pcn.careCoordinatorRoles, dir, this.family), orgId: b.practice.pcnId, label: 'Care coordinator (primary care network)', code: 'care-coordinator' };
      teamName = 'Integrated neighbourhood team';
      if (named.code !== 'named-gp') others.push(gp);
      if (nurseNeeded) others.push(nurse());
      if (socialWorker) others.push(socialWorker);
      if (mhWorker) others.push(mhWorker);
    }
    const lonely = this.deficit('Social vulnerability') || (p.age >= 65 && rng.chance(0.15));
    const linkWorker: Member | undefined = lonely ? { roleId: pickStaff(rng, pcn.linkWorkerRoles, dir, this.family), orgId: b.practice.pcnId, label: 'Social prescribing link worker', code: 'link-worker' } : undefined;
    if (linkWorker) others.push(linkWorker);

    const created = this.extractDay - 30 - rng.int(540);
    const practitionerRef = (m: Member) => ref('Practitioner', this.practitioner(m.roleId));
    const participant: CareTeamParticipant[] = [named, ...others].map((m) => ({
      role: role(m.code, m.label), member: practitionerRef(m), onBehalfOf: ref('Organization', m.orgId),
    }));
    // Services that hold a shared caseload take part as a team as well as through the named person, so
    // whoever of that team is on duty has the person on their list (an Organization participant is a
    // care relationship of that organisation: src/access/policy/relationship.rules.ts).
    const teams = new Map<string, string>();
    for (const m of [named, ...others]) {
      if (m.orgId === dir.orgIds.communityTrust) teams.set(m.orgId, 'Community nursing team');
      else if (m.orgId === b.practice.pcnId) teams.set(m.orgId, 'Primary care network team');
      else if (m.orgId === council.orgId) teams.set(m.orgId, 'Adult social care team');
    }
    for (const [orgId, label] of teams) participant.push({ role: role('team', label), member: ref('Organization', orgId) });
    if (this.carer) {
      participant.push({ role: [withText([coding(CARE_TEAM_ROLE, 'unpaid-carer', 'Unpaid carer')], `Unpaid carer (${this.carerWord()})`)], member: ref('RelatedPerson', this.carer.id!) });
    }
    participant.push({ role: [withText([coding(CARE_TEAM_ROLE, 'person', 'The person')], 'The person themselves')], member: this.subject });
    const teamId = b.nextId('ct');
    const namedPractitioner = this.practitioner(named.roleId);
    this.push<CareTeam>({
      resourceType: 'CareTeam', id: teamId, meta: meta(named.orgId), status: 'active', category: [TEAM_CATEGORY], name: teamName,
      subject: this.subject, period: { start: isoDate(created) }, participant, managingOrganization: [ref('Organization', named.orgId)],
    });
    this.keySafe(housebound, named, others);

    if (!involvesCarer && !rng.chance(0.75)) return;
    this.plan(created, teamId, named, namedPractitioner, frailty);
  }

  private carerWord(): string {
    const c = this.carer!;
    const code = c.relationship?.[0]?.coding?.[0]?.code;
    const f = c.gender === 'female';
    switch (code) {
      case 'SPS': return f ? 'wife' : 'husband';
      case 'PRN': return f ? 'mother' : 'father';
      case 'CHILD': return f ? 'daughter' : 'son';
      case 'SIB': return f ? 'sister' : 'brother';
      case 'FRND': return 'friend';
      case 'NBOR': return 'neighbour';
      default: return 'carer';
    }
  }

  /** A practical alert for home visits to someone housebound. */
  private keySafe(housebound: boolean, named: Member, others: Member[]): void {
    const { rng, b } = this;
    if (!housebound || b.p.age < 65 || !rng.chance(0.5)) return;
    const nurse = [named, ...others].find((m) => m.code === 'community-nurse' || (m.code === 'key-worker' && m.orgId === b.ctx.directory.orgIds.communityTrust));
    const orgId = nurse?.orgId ?? b.practice.orgId;
    this.push<Flag>({
      resourceType: 'Flag', id: b.nextId('flag'), meta: meta(orgId), status: 'active', category: HOME_VISIT,
      code: local('home-visit-alert', 'key-safe', this.carer ? `Key safe by the front door: ${this.carerGiven} has the code` : 'Key safe by the front door: code held by the community nursing team'),
      subject: this.subject, period: { start: isoDate(this.extractDay - 10 - rng.int(300)) },
      author: nurse ? ref('PractitionerRole', nurse.roleId) : ref('PractitionerRole', b.gpRole),
    });
  }

  private plan(created: number, teamId: string, named: Member, namedPractitioner: string, frailty: number): void {
    const { rng, b } = this;
    const { p } = b;
    const themes = this.themes(frailty);
    const recorder = named.orgId;
    const goalIds: string[] = [];

    // What matters to me: the person's own words, then the plan's goals built around them.
    const matters = this.whatMatters();
    for (const m of matters) {
      const id = b.nextId('goal');
      this.push<Goal>({
        resourceType: 'Goal', id, meta: meta(recorder), lifecycleStatus: 'active', category: [WHAT_MATTERS],
        description: text(m), subject: this.subject, startDate: isoDate(created), expressedBy: this.subject,
      });
      goalIds.push(id);
    }
    const goals: [string, string, string][] = [];
    for (const t of themes) {
      const options = GOALS[t];
      if (!options || goals.length >= 3) continue;
      const g = rng.pick(options);
      goals.push([t, g.replace('{carer}', this.carerGiven ?? 'my carer'), THEME_CATEGORY[t]]);
    }
    const review = this.extractDay + 14 + rng.int(150);
    for (const [t, description, cat] of goals) {
      const id = b.nextId('goal');
      this.push<Goal>({
        resourceType: 'Goal', id, meta: meta(recorder), lifecycleStatus: 'active', achievementStatus: ACHIEVEMENT_IN_PROGRESS,
        category: [GOAL_CATEGORY(t, cat)], description: text(description), subject: this.subject, startDate: isoDate(created),
        target: [{ dueDate: isoDate(review + rng.int(120)) }], expressedBy: this.subject,
      });
      goalIds.push(id);
    }

    const activity: CarePlanActivity[] = [];
    const act = (description: string, status: NonNullable<CarePlanActivity['detail']>['status'], extra: Partial<NonNullable<CarePlanActivity['detail']>> = {}) =>
      activity.push({ detail: { status, description, ...extra } });
    for (const t of themes) {
      for (const a of ACTIONS[t] ?? []) {
        if (activity.length >= 5) break;
        if (rng.chance(a.p)) act(a.text.replace('{carer}', this.carerGiven ?? 'their carer'), a.status);
      }
    }
    if (this.medicines.length >= 5 && activity.length < 5) act('Structured medication review with the practice pharmacist', 'scheduled');
    if (activity.length === 0) act('Annual long-term condition review at the practice', 'scheduled');
    const withWhom = this.carerGiven ? `${this.given} and ${this.carerGiven}` : this.given;
    // The summary takes the next review from an open action whose words say review (a code would replace the words).
    act(`Review this plan with ${withWhom}`, 'scheduled', { scheduledPeriod: { start: isoDate(review) }, performer: [ref('Practitioner', namedPractitioner)] });

    const addresses = b.conditions.filter((c) => c.def || ['Falls', 'Housebound', 'Skin ulcer', 'Mobility and transfer problems'].includes(c.deficit ?? ''))
      .slice(0, 6).map((c) => ref('Condition', c.id));
    const contributor: Reference<any>[] = [this.subject, ref('Practitioner', namedPractitioner)];
    if (this.carer) contributor.push(ref('RelatedPerson', this.carer.id!));
    const end = Math.max(created + 365, review + 30);
    const plan: CarePlan = {
      resourceType: 'CarePlan', id: b.nextId('cp'), meta: meta(recorder), status: 'active', intent: 'plan', category: PLAN_CATEGORY,
      title: PLAN_TITLES[themes[0]] ?? 'My care and support plan',
      description: `Personalised care and support plan agreed with ${withWhom}.`,
      subject: this.subject, period: { start: isoDate(created), end: isoDate(end) }, created: isoDate(created),
      author: ref('Practitioner', namedPractitioner), contributor, careTeam: [ref('CareTeam', teamId)],
      goal: goalIds.map((id) => ref('Goal', id)), activity,
    };
    if (addresses.length) plan.addresses = addresses;
    this.push(plan);
    this.referrals(themes, p, activity.some((a) => /^Carer's assessment/.test(a.detail?.description ?? '')));
  }

  /** The plan's themes, most important first. */
  private themes(frailty: number): string[] {
    const { b } = this;
    const t: string[] = [];
    if (this.mh) t.push('mh');
    if (this.has('learning-disability')) t.push('ld');
    if (this.has('dementia')) t.push('dementia');
    if (frailty >= 1 || this.deficit('Falls') || this.deficit('Mobility and transfer problems') || this.deficit('Fragility fracture')) t.push('falls');
    if (b.p.age >= 65) t.push('home');
    if (this.deficit('Skin ulcer')) t.push('ulcer');
    if (this.has('copd') || this.has('heart-failure')) t.push('breath');
    if (this.has('diabetes')) t.push('diabetes');
    if (this.carer) t.push('carer');
    if (this.deficit('Social vulnerability')) t.push('lonely');
    t.push('general');
    return t;
  }

  private whatMatters(): string[] {
    const { rng, b } = this;
    const out: string[] = [];
    const spouse = this.carer?.relationship?.[0]?.coding?.[0]?.code === 'SPS';
    if (spouse && rng.chance(0.6)) out.push(`Staying at home together with my ${this.carerWord()}`);
    const pool = this.mh ? MATTERS.mh : this.has('learning-disability') ? MATTERS.ld : b.p.age >= 65 ? MATTERS.older : MATTERS.adult;
    const count = rng.chance(0.6) ? 2 : 1;
    for (let tries = 0; out.length < count && tries < 6; tries++) {
      const m = rng.pick(pool);
      if (!out.includes(m)) out.push(m);
    }
    return out;
  }

  /** Open referrals the plan has started, from the practice. */
  private referrals(themes: string[], p: Demography, carerAssessment: boolean): void {
    const { rng, b } = this;
    const dir = b.ctx.directory;
    const make = (code: string, display: string, performer: Reference<any>) => this.push<ServiceRequest>({
      resourceType: 'ServiceRequest', id: b.nextId('sr'), meta: meta(b.practice.orgId), status: 'active', intent: 'order', priority: 'routine',
      category: [local('referral-type', 'community', 'Community and social care referral')], code: local('referral', code, display),
      subject: this.subject, authoredOn: isoDate(this.extractDay - 1 - rng.int(60)), requester: ref('PractitionerRole', b.gpRole), performer: [performer],
    });
    let made = 0;
    if (carerAssessment) {
      const carers = dir.carersSupportByDistrict.get(p.district);
      if (carers) { make('carers-assessment', `Carer's assessment and support for ${this.carerGiven ?? 'their carer'}`, ref('HealthcareService', carers)); made++; }
    }
    if (made === 0 && themes.includes('falls') && rng.chance(0.3)) {
      make('ot-home-assessment', 'Occupational therapy home assessment (grab rails, stair rail)', ref('HealthcareService', dir.socialCareByDistrict.get(p.district)!.longTermSupportServiceId));
      made++;
    }
    if (made === 0 && (themes.includes('lonely') || themes.includes('general')) && rng.chance(0.15)) {
      make('social-prescribing', 'Referral to a social prescribing link worker', ref('HealthcareService', dir.pcnStaff.get(b.practice.pcnId)!.socialPrescribingServiceId));
    }
  }
}

const NEEDS: Record<string, Need> = {
  easyRead: { key: 'easy-read', need: 'Easy read information, with pictures; explain one thing at a time', adjustment: 'Learning disability: double appointment, easy read letters; a carer or advocate may come too' },
  dementia: { key: 'dementia', need: 'Dementia: short sentences, one question at a time; include their carer', adjustment: 'Dementia: morning appointments; remind the carer the day before' },
  hearing: { key: 'hearing-loss', need: 'Hard of hearing: speak clearly and face them; wears hearing aids', adjustment: 'Hearing loss: use the hearing loop; contact by text or letter, not phone' },
  sight: { key: 'sight-loss', need: 'Partially sighted: large print (18 point) letters', adjustment: 'Sight loss: meet and guide on arrival; read letters aloud if asked' },
  aphasia: { key: 'aphasia', need: 'Aphasia after a stroke: allow extra time; ask yes or no questions; offer a pen and paper', adjustment: 'Aphasia: longer appointment needed' },
};

const THEME_CATEGORY: Record<string, string> = {
  mh: 'Mental health and wellbeing', ld: 'Independence and choice', dementia: 'Living well with dementia', falls: 'Staying steady on my feet',
  home: 'Living independently', ulcer: 'Skin and wound care', breath: 'Managing breathlessness', diabetes: 'Managing diabetes',
  carer: 'Support for my carer', lonely: 'Staying connected', general: 'Managing my health conditions',
};

const PLAN_TITLES: Record<string, string> = {
  mh: 'My care plan: staying well', ld: 'My support plan', dementia: 'Living well with dementia', falls: 'Staying well and steady at home',
  home: 'Staying well at home', ulcer: 'Staying well at home', breath: 'Living well with my conditions', diabetes: 'Living well with my conditions',
  carer: 'My care and support plan', lonely: 'My care and support plan', general: 'Living well with my conditions',
};

const GOALS: Record<string, string[]> = {
  mh: ['Know who to call when I start to feel unwell', 'Get back to work or volunteering', 'Sleep better and feel less anxious', 'Stay well and out of hospital'],
  ld: ['Travel on the bus on my own', 'Choose what I do each day', 'Have my health check every year'],
  dementia: ['Keep doing the things I enjoy for as long as I can', 'Plan ahead while I can: lasting power of attorney in place'],
  falls: ['Walk to the shops without a fall', 'No falls in the next six months', 'Get up and down the stairs safely'],
  home: ['Stay living at home', 'Stay living in my own home with the right support'],
  ulcer: ['Heal my ulcer and keep my skin healthy'],
  breath: ['Walk to the bus stop without stopping for breath', 'Stay out of hospital this winter'],
  diabetes: ['Keep my blood sugar steady so I can keep driving', 'Look after my feet and eyes: no missed checks'],
  carer: ['Give {carer} a break every week'],
  lonely: ['See friends at least once a week'],
  general: ['Understand my medicines and take them as prescribed', 'Keep my blood pressure under 140/90'],
};

type Status = NonNullable<CarePlanActivity['detail']>['status'];
const ACTIONS: Record<string, { text: string; status: Status; p: number }[]> = {
  mh: [
    { text: 'Fortnightly contact with the care coordinator', status: 'in-progress', p: 0.9 },
    { text: 'Crisis plan agreed: call 111 and choose the mental health option', status: 'completed', p: 0.7 },
    { text: 'Annual physical health check at the practice', status: 'scheduled', p: 0.5 },
  ],
  ld: [
    { text: 'Annual learning disability health check', status: 'scheduled', p: 0.9 },
    { text: 'Hospital passport written with them', status: 'completed', p: 0.5 },
  ],
  dementia: [
    { text: 'Memory café with the local dementia support service', status: 'in-progress', p: 0.6 },
    { text: 'Information on lasting power of attorney given', status: 'completed', p: 0.5 },
  ],
  falls: [
    { text: 'Strength and balance (falls prevention) exercise class, weekly', status: 'in-progress', p: 0.7 },
    { text: 'Occupational therapy home assessment (grab rails, stair rail)', status: 'scheduled', p: 0.5 },
    { text: 'Pendant alarm fitted (telecare)', status: 'completed', p: 0.3 },
  ],
  home: [{ text: 'Home care visits to help with washing and dressing, twice a day', status: 'in-progress', p: 0.25 }],
  ulcer: [{ text: 'Community nursing visits twice a week for wound dressings', status: 'in-progress', p: 0.9 }],
  breath: [{ text: 'Pulmonary rehabilitation or heart failure nurse follow-up', status: 'scheduled', p: 0.6 }],
  diabetes: [{ text: 'Diabetes review with the practice nurse (blood test, feet, eyes)', status: 'scheduled', p: 0.7 }],
  carer: [{ text: "Carer's assessment for {carer}: referred to the local carers' support service", status: 'in-progress', p: 0.6 }],
  lonely: [{ text: 'Link worker to introduce a befriending group or lunch club', status: 'not-started', p: 0.7 }],
  general: [{ text: 'Annual long-term condition review at the practice', status: 'scheduled', p: 0.5 }],
};

const MATTERS = {
  older: [
    'Staying in my own home', 'Seeing my grandchildren every week', 'Getting out into the garden', 'Going to church on Sundays',
    'Walking my dog every day', 'Doing my own shopping', 'Keeping my allotment going', 'Going to the lunch club with my friends',
    'Being independent and not a burden on my family', 'Watching the cricket at Canterbury in the summer',
  ],
  adult: ['Being able to work', 'Being there for my children', 'Playing football on Saturdays', 'Looking after my own home', 'Seeing my friends'],
  mh: ['Being able to work', 'Seeing my children', 'Feeling safe at home', 'Getting back to the gym', 'Having someone to talk to when things get hard'],
  ld: ['Going to my day centre', 'Seeing my friends at the disco on Fridays', 'Choosing my own clothes and food', 'Living with my friends in my own flat'],
};

interface Allergen {
  key: string;
  code: CodeableConcept;
  type: 'allergy' | 'intolerance';
  category: 'medication' | 'food' | 'environment';
  /** Chance of the allergy on the record: under 18, 18-64, 65+. */
  child: number;
  adult: number;
  older: number;
  reactions: [CodeableConcept, 'mild' | 'moderate' | 'severe'][];
  reactionCumulative: number[];
}

const RASH = snomed('271807003', 'Eruption of skin');
const URTICARIA = snomed('126485001', 'Urticaria');
const ANAPHYLAXIS = snomed('39579001', 'Anaphylaxis');
const ANGIOEDEMA = snomed('41291007', 'Angioedema');
const NAUSEA = snomed('422587007', 'Nausea');
const VOMITING = snomed('422400008', 'Vomiting');
const DIARRHOEA = snomed('62315008', 'Diarrhoea');
const ITCH = snomed('418290006', 'Itching');
const BRONCHOSPASM = snomed('4386001', 'Bronchospasm');
const DERMATITIS = snomed('40275004', 'Contact dermatitis');

/** Substances coded in SNOMED where the allergy finding is well known; otherwise OneStory's own code, with the words. */
const allergen = (key: string, code: CodeableConcept, type: Allergen['type'], category: Allergen['category'], rates: [number, number, number],
  reactions: [CodeableConcept, 'mild' | 'moderate' | 'severe', number][]): Allergen => {
  let s = 0;
  return {
    key, code, type, category, child: rates[0], adult: rates[1], older: rates[2],
    reactions: reactions.map(([c, sev]) => [c, sev]), reactionCumulative: reactions.map(([, , w]) => (s += w)),
  };
};

// About one person in six has an allergy on their GP record; penicillin is by far the commonest label.
const ALLERGENS: Allergen[] = [
  allergen('penicillin', snomed('91936005', 'Allergy to penicillin'), 'allergy', 'medication', [0.045, 0.1, 0.13],
    [[RASH, 'mild', 55], [URTICARIA, 'moderate', 30], [ANGIOEDEMA, 'severe', 8], [ANAPHYLAXIS, 'severe', 7]]),
  allergen('nsaid', local('allergy', 'nsaid', 'Non-steroidal anti-inflammatory drugs (NSAIDs)'), 'allergy', 'medication', [0.003, 0.015, 0.02],
    [[BRONCHOSPASM, 'moderate', 35], [URTICARIA, 'moderate', 40], [ANGIOEDEMA, 'severe', 25]]),
  allergen('codeine', local('allergy', 'codeine', 'Codeine'), 'intolerance', 'medication', [0.002, 0.012, 0.015], [[NAUSEA, 'mild', 60], [VOMITING, 'moderate', 40]]),
  allergen('trimethoprim', local('allergy', 'trimethoprim', 'Trimethoprim'), 'allergy', 'medication', [0.001, 0.008, 0.012], [[RASH, 'mild', 80], [ITCH, 'mild', 20]]),
  allergen('clarithromycin', local('allergy', 'clarithromycin', 'Clarithromycin'), 'intolerance', 'medication', [0.002, 0.005, 0.006], [[DIARRHOEA, 'mild', 60], [NAUSEA, 'mild', 40]]),
  allergen('latex', snomed('300916003', 'Latex allergy'), 'allergy', 'environment', [0.002, 0.009, 0.006], [[DERMATITIS, 'mild', 70], [URTICARIA, 'moderate', 25], [ANAPHYLAXIS, 'severe', 5]]),
  allergen('sticking-plaster', local('allergy', 'adhesive-dressing', 'Adhesive dressings (sticking plaster)'), 'allergy', 'environment', [0.003, 0.006, 0.01], [[DERMATITIS, 'mild', 100]]),
  allergen('peanut', snomed('91935009', 'Allergy to peanut'), 'allergy', 'food', [0.025, 0.01, 0.004], [[URTICARIA, 'moderate', 50], [ANGIOEDEMA, 'severe', 20], [ANAPHYLAXIS, 'severe', 30]]),
  allergen('tree-nut', local('allergy', 'tree-nut', 'Tree nuts'), 'allergy', 'food', [0.012, 0.006, 0.002], [[URTICARIA, 'moderate', 60], [ANAPHYLAXIS, 'severe', 40]]),
  allergen('egg', local('allergy', 'egg', 'Egg'), 'allergy', 'food', [0.012, 0.002, 0.001], [[URTICARIA, 'moderate', 70], [VOMITING, 'moderate', 30]]),
  allergen('shellfish', local('allergy', 'shellfish', 'Shellfish'), 'allergy', 'food', [0.002, 0.006, 0.004], [[URTICARIA, 'moderate', 60], [VOMITING, 'moderate', 25], [ANAPHYLAXIS, 'severe', 15]]),
  allergen('wasp-venom', local('allergy', 'wasp-venom', 'Wasp and bee stings'), 'allergy', 'environment', [0.002, 0.005, 0.005], [[URTICARIA, 'moderate', 50], [ANAPHYLAXIS, 'severe', 50]]),
];
