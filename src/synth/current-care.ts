import type { CarePlan, CareTeam, Encounter, EpisodeOfCare, Meta, Observation, Patient, Reference, ServiceRequest, Task } from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { TASK_KIND_SYSTEM, TASK_KINDS, type TaskKind, type TaskStatus } from '../workflow/task.vocabulary.js';
import type { CareInputs } from './care-planning.js';
import { ACT_CODE, coding, isoDate, isoDateTime, local, ref } from './fhir.helpers.js';
import { hashString, Prng } from './prng.js';

/**
 * What is going on in a resident's care on the as-of day, added after their history and care
 * planning: who is in hospital now or just home, who has a hospital appointment booked, the open
 * caseloads of community nursing, the primary care network (proactive care and social prescribing)
 * and adult social care, and the open work (FHIR Tasks, src/workflow/task.vocabulary.ts) those teams
 * and the practice hold for the person. The open encounters, episodes and tasks are what gives each
 * of these organisations its care relationship with the person (src/access/policy/relationship.rules.ts),
 * so their staff see their caseload without breaking glass.
 *
 * Randomness comes from a stream of its own and every resource is added at the end of the
 * resident's list, so everything generated before (and the calibrated figures, counted over the
 * indicator year, which ends 92 days before the as-of day) is unchanged. Everything here happens in
 * the last few weeks before the as-of day or is due around it.
 *
 * Who gets what (shares of the people the rule applies to):
 * - in hospital now (an in-progress emergency admission to their acute trust, with a discharge
 *   coordinator and a task to plan the discharge): about 0.1% under 65, 0.5% at 65-79, 1.4% from 80,
 *   more with frailty and long-term conditions; about twice as many discharged in the last fortnight
 *   (a follow-up call for the trust's discharge team, a post-discharge review for the practice);
 * - a hospital outpatient appointment booked in the next two months: 2% plus 3% a long-term condition
 *   (at most four), plus 3% from 65;
 * - community nursing: everyone whose care team has the community nursing team on it, and half the
 *   housebound or people with a skin ulcer without one (an open episode and a visit to make);
 * - proactive care by the network's care coordinator: a named network care coordinator, moderate or
 *   severe frailty, or half of those 65 and over with three or more long-term conditions;
 * - social prescribing: a link worker on the care team or a referral to them, half of those with
 *   social vulnerability, 15% of adults with depression, and 0.5% of other adults;
 * - adult social care: the annual review of long-term support, and a Care Act assessment asked for a
 *   quarter of frail or dementia-affected people over 65 without support;
 * - the practice: the scheduled actions of care plans (reviews, checks), triage of open referrals by
 *   the service referred to, a blood pressure review after a high reading in hypertension.
 * Due dates spread from three weeks overdue to two months ahead, as a real list does.
 */

const STREAM = hashString('current-care');
const meta = (orgId: string): Meta => ({ tag: [recordedByTag(orgId)] });

const CLASS_IMP = coding(ACT_CODE, 'IMP', 'inpatient encounter');
const CLASS_AMB = coding(ACT_CODE, 'AMB', 'ambulatory');
const ENC_ADMISSION = [local('encounter-type', 'emergency-admission', 'Emergency admission')];
const ENC_OUTPATIENT = [local('encounter-type', 'outpatient-appointment', 'Hospital outpatient appointment')];
const EMERGENCY_PRIORITY = { coding: [coding('http://terminology.hl7.org/CodeSystem/v3-ActPriority', 'EM', 'emergency')], text: 'emergency' };
const EP_COMMUNITY_NURSING = [local('episode-type', 'community-nursing', 'Community nursing (district nursing)')];
const EP_PROACTIVE = [local('episode-type', 'proactive-care', 'Proactive care coordination (primary care network)')];
const EP_SOCIAL_PRESCRIBING = [local('episode-type', 'social-prescribing', 'Social prescribing')];
const CLINICS = ['Cardiology', 'Respiratory medicine', 'Diabetes and endocrinology', 'Orthopaedics', 'Ophthalmology', 'Care of the elderly', 'Dermatology', 'Urology'];

/** Adds what is current in one resident's care to `b.out`. */
export function addCurrentCare(b: CareInputs): void {
  new CurrentCare(b).run();
}

class CurrentCare {
  private readonly rng: Prng;
  private readonly t: number;
  private readonly subject: Reference<any>;
  private readonly patient: Patient;
  private readonly team?: CareTeam;
  private readonly plan?: CarePlan;
  private readonly acute: { orgId: string; sites: { locationId: string }[]; dischargeRoles: string[] };
  private readonly council: { orgId: string; socialWorkerRoles: string[] };
  private readonly pcn: { careCoordinatorRoles: string[]; linkWorkerRoles: string[] };

  constructor(private readonly b: CareInputs) {
    this.rng = new Prng(b.ctx.seed, b.index, STREAM);
    this.t = b.ctx.timeline.extractDay;
    this.patient = b.out[0] as Patient;
    this.subject = { reference: `Patient/${this.patient.id}` };
    this.team = b.out.find((r): r is CareTeam => r.resourceType === 'CareTeam');
    this.plan = b.out.find((r): r is CarePlan => r.resourceType === 'CarePlan');
    const dir = b.ctx.directory;
    this.acute = dir.acuteByDistrict.get(b.p.district)!;
    this.council = dir.socialCareByDistrict.get(b.p.district)!;
    this.pcn = dir.pcnStaff.get(b.practice.pcnId)!;
  }

  run(): void {
    this.hospital();
    this.communityNursing();
    this.proactiveCare();
    this.socialPrescribing();
    this.socialCare();
    this.planActions();
    this.referralTriage();
    this.reviewsDue();
  }

  private practitioner(roleId: string): Reference<any> {
    return ref('Practitioner', this.b.ctx.directory.practitionerOfRole.get(roleId)!);
  }

  /** The care team's Practitioner member acting for an organisation, if any. */
  private teamMember(orgId: string): Reference<any> | undefined {
    return this.team?.participant?.find((p) => p.onBehalfOf?.reference === `Organization/${orgId}` && p.member?.reference?.startsWith('Practitioner/'))?.member;
  }

  private onTeam(orgId: string): boolean {
    return !!this.team?.participant?.some((p) => p.member?.reference === `Organization/${orgId}` || p.onBehalfOf?.reference === `Organization/${orgId}`);
  }

  /** A due day as lists have them: some overdue, some this week, most in the weeks ahead. */
  private due(): number {
    return this.t - 21 + this.rng.int(80);
  }

  private task(o: {
    recorder: string; kind: TaskKind; description: string; owner: Reference<any>; requester: Reference<any>;
    authored: number; due: number; business?: string; focus?: Reference<any>;
  }): void {
    const pool = !o.owner.reference!.startsWith('Practitioner/');
    // A pool's work waits to be picked up; a named person's is accepted or under way, now and then waiting on something.
    const r = this.rng.next();
    const status: TaskStatus = pool ? (r < 0.8 ? 'requested' : 'ready') : r < 0.45 ? 'accepted' : r < 0.9 ? 'in-progress' : 'on-hold';
    const task: Task = {
      resourceType: 'Task', id: this.b.nextId('task'), meta: meta(o.recorder), status, intent: 'order',
      code: { coding: [coding(TASK_KIND_SYSTEM, o.kind, TASK_KINDS[o.kind])], text: TASK_KINDS[o.kind] },
      description: o.description, for: this.subject, authoredOn: isoDate(Math.min(o.authored, this.t)), requester: o.requester, owner: o.owner,
      restriction: { period: { end: isoDate(o.due) } },
    };
    if (status === 'on-hold') task.statusReason = { text: 'Waiting to hear back from the person or their family' };
    if (o.business) task.businessStatus = { text: o.business };
    if (o.focus) task.focus = o.focus;
    this.b.out.push(task);
  }

  private encounter(e: Omit<Encounter, 'resourceType' | 'id' | 'meta' | 'subject'>, recorder: string): Encounter {
    const enc = { resourceType: 'Encounter', id: this.b.nextId('enc'), meta: meta(recorder), subject: this.subject, ...e } as Encounter;
    this.b.out.push(enc);
    return enc;
  }

  private episode(type: EpisodeOfCare['type'], orgId: string, careManager: Reference<any>, start: number): void {
    this.b.out.push({
      resourceType: 'EpisodeOfCare', id: this.b.nextId('eoc'), meta: meta(orgId), status: 'active', type, patient: this.subject,
      managingOrganization: ref('Organization', orgId), period: { start: isoDate(Math.min(start, this.t - 1)) }, careManager,
    } as EpisodeOfCare);
  }

  // --- Hospital --------------------------------------------------------------------------------

  private hospital(): void {
    const { rng, b, t, acute } = this;
    const age = b.p.age;
    const chance = (age < 65 ? 0.001 : age < 80 ? 0.005 : 0.014) * [1, 1.3, 1.8, 2.5][b.frailty] * (1 + 0.1 * b.ltcCount);
    const r = rng.next();
    const site = rng.pick(acute.sites);
    const coordinatorRole = rng.pick(acute.dischargeRoles);
    const coordinator = this.practitioner(coordinatorRole);
    const acuteRef = ref('Organization', acute.orgId);
    const practiceRef = ref('Organization', b.practice.orgId);
    if (r < chance) {
      const admitted = t - 1 - rng.int(12);
      const enc = this.encounter({
        status: 'in-progress', class: CLASS_IMP, type: ENC_ADMISSION, priority: EMERGENCY_PRIORITY,
        period: { start: isoDateTime(admitted, rng.int(24 * 60)) }, participant: [{ individual: coordinator }],
        serviceProvider: acuteRef, location: [{ location: ref('Location', site.locationId) }],
      }, acute.orgId);
      this.task({
        recorder: acute.orgId, kind: 'discharge', description: 'Plan discharge: agree the pathway and the support needed at home',
        owner: rng.chance(0.5) ? coordinator : acuteRef, requester: acuteRef, authored: admitted + 1, due: t - 2 + rng.int(6),
        business: rng.chance(0.5) ? 'Medically fit for discharge' : 'Awaiting therapy assessment', focus: ref('Encounter', enc.id!),
      });
    } else if (r < 3 * chance) {
      const discharged = t - 1 - rng.int(14);
      const admitted = discharged - 1 - rng.int(8);
      const enc = this.encounter({
        status: 'finished', class: CLASS_IMP, type: ENC_ADMISSION, priority: EMERGENCY_PRIORITY,
        period: { start: isoDateTime(admitted, rng.int(24 * 60)), end: isoDateTime(discharged, 10 * 60 + rng.int(480)) },
        participant: [{ individual: coordinator }], serviceProvider: acuteRef, location: [{ location: ref('Location', site.locationId) }],
      }, acute.orgId);
      if (age >= 65 || b.frailty >= 1) {
        this.task({
          recorder: acute.orgId, kind: 'follow-up', description: 'Follow-up call two days after discharge: is the support at home in place?',
          owner: rng.chance(0.3) ? coordinator : acuteRef, requester: acuteRef, authored: discharged, due: discharged + 2, focus: ref('Encounter', enc.id!),
        });
      }
      this.task({
        recorder: acute.orgId, kind: 'medication-review', description: 'Review medicines changed in hospital (discharge summary sent)',
        owner: rng.chance(0.4) ? this.practitioner(b.gpRole) : practiceRef, requester: acuteRef, authored: discharged, due: discharged + 7,
        focus: ref('Encounter', enc.id!),
      });
    }
    const outpatient = 0.02 + 0.03 * Math.min(b.ltcCount, 4) + (age >= 65 ? 0.03 : 0);
    if (rng.chance(outpatient)) {
      const day = t + 3 + rng.int(60);
      const start = 9 * 60 + 15 * rng.int(28);
      this.encounter({
        status: 'planned', class: CLASS_AMB, type: ENC_OUTPATIENT, serviceType: { text: rng.pick(CLINICS) },
        period: { start: isoDateTime(day, start), end: isoDateTime(day, start + 20) },
        serviceProvider: acuteRef, location: [{ location: ref('Location', site.locationId) }],
      }, acute.orgId);
    }
  }

  // --- Community nursing -----------------------------------------------------------------------

  private communityNursing(): void {
    const { rng, b, t } = this;
    const dir = b.ctx.directory;
    const trust = dir.orgIds.communityTrust;
    const needs = b.conditions.some((c) => !c.def && (c.deficit === 'Housebound' || c.deficit === 'Skin ulcer'));
    let nurse = this.teamMember(trust);
    if (!nurse && !this.onTeam(trust)) {
      if (!needs || !rng.chance(0.5)) return;
      nurse = this.practitioner(rng.pick(dir.communityNurseRolesByDistrict.get(b.p.district)!));
    }
    nurse ??= this.practitioner(rng.pick(dir.communityNurseRolesByDistrict.get(b.p.district)!));
    const start = this.team?.period?.start ? Math.floor(Date.parse(this.team.period.start) / 86_400_000) : t - 30 - rng.int(300);
    this.episode(EP_COMMUNITY_NURSING, trust, nurse, start);
    const ulcer = b.conditions.some((c) => c.deficit === 'Skin ulcer');
    const trustRef = ref('Organization', trust);
    this.task({
      recorder: trust, kind: 'visit',
      description: ulcer ? 'Home visit: dress the leg ulcer and check healing' : rng.pick(['Home visit: check pressure areas and skin', 'Home visit: blood test (housebound)', 'Home visit: review continence and equipment']),
      owner: rng.chance(0.6) ? nurse : trustRef, requester: trustRef, authored: t - rng.int(14), due: this.due(),
    });
  }

  // --- Primary care network ---------------------------------------------------------------------

  private proactiveCare(): void {
    const { rng, b, t } = this;
    const pcnId = b.practice.pcnId;
    const named = this.team?.participant?.[0];
    const coordinatorNamed = named?.onBehalfOf?.reference === `Organization/${pcnId}` ? named.member : undefined;
    if (!coordinatorNamed && b.frailty < 2 && !(b.p.age >= 65 && b.ltcCount >= 3 && rng.chance(0.5))) return;
    const coordinator = coordinatorNamed ?? this.practitioner(rng.pick(this.pcn.careCoordinatorRoles));
    this.episode(EP_PROACTIVE, pcnId, coordinator, t - 20 - rng.int(400));
    const pcnRef = ref('Organization', pcnId);
    this.task({
      recorder: pcnId, kind: rng.chance(0.5) ? 'care-plan-review' : 'assessment',
      description: rng.pick(['Proactive care: holistic needs review at home', 'Proactive care: agree a personalised care plan', 'Check in by phone: how are things since the last review?']),
      owner: rng.chance(0.6) ? coordinator : pcnRef, requester: pcnRef, authored: t - rng.int(21), due: this.due(),
    });
  }

  private socialPrescribing(): void {
    const { rng, b, t } = this;
    if (b.p.age < 18) return;
    const pcnId = b.practice.pcnId;
    const onTeam = this.team?.participant?.find((p) => p.onBehalfOf?.reference === `Organization/${pcnId}` && p.role?.[0]?.coding?.[0]?.code === 'link-worker')?.member;
    const referred = b.out.some((r) => r.resourceType === 'ServiceRequest' && (r as ServiceRequest).status === 'active' && (r as ServiceRequest).code?.coding?.[0]?.code === 'social-prescribing');
    const lonely = b.conditions.some((c) => c.deficit === 'Social vulnerability');
    const depressed = b.conditions.some((c) => c.def?.key === 'depression');
    if (!onTeam && !referred && !(lonely && rng.chance(0.5)) && !(depressed && rng.chance(0.15)) && !rng.chance(0.005)) return;
    const worker = onTeam ?? this.practitioner(rng.pick(this.pcn.linkWorkerRoles));
    this.episode(EP_SOCIAL_PRESCRIBING, pcnId, worker, t - 7 - rng.int(120));
    const pcnRef = ref('Organization', pcnId);
    this.task({
      recorder: pcnId, kind: 'follow-up',
      description: rng.pick(['First conversation about what matters and what is on locally', 'Go with them to the lunch club for the first time', 'Follow up: did the befriending service get in touch?']),
      owner: rng.chance(0.6) ? worker : pcnRef, requester: pcnRef, authored: t - rng.int(21), due: this.due(),
    });
  }

  // --- Adult social care -----------------------------------------------------------------------

  private socialCare(): void {
    const { rng, b, t, council } = this;
    const councilRef = ref('Organization', council.orgId);
    const lts = b.out.find((r): r is EpisodeOfCare => r.resourceType === 'EpisodeOfCare' && r.status === 'active' && r.type?.[0]?.coding?.[0]?.code === 'long-term-support');
    if (lts) {
      const roleId = lts.careManager?.reference?.split('/')[1];
      this.task({
        recorder: council.orgId, kind: 'review', description: 'Annual review of care and support (Care Act 2014)',
        owner: roleId && rng.chance(0.6) ? this.practitioner(roleId) : councilRef, requester: councilRef, authored: t - rng.int(30), due: this.due(),
        focus: ref('EpisodeOfCare', lts.id!),
      });
      return;
    }
    const dementia = b.conditions.some((c) => c.def?.key === 'dementia');
    if (b.p.age >= 65 && (b.frailty >= 2 || dementia) && rng.chance(0.25)) {
      this.task({
        recorder: council.orgId, kind: 'assessment', description: 'Care Act assessment of needs: referred by the practice',
        owner: councilRef, requester: ref('Organization', b.practice.orgId), authored: t - rng.int(28), due: this.due(), business: 'Awaiting allocation',
      });
    }
  }

  // --- The practice and the services referred to ------------------------------------------------

  /** Open work for the scheduled actions of the care plan: who does each, by what it says. */
  private planActions(): void {
    const { rng, b, t, plan } = this;
    if (!plan) return;
    const recorder = plan.meta!.tag![0].code!;
    const practiceRef = ref('Organization', b.practice.orgId);
    const requester = plan.author!;
    let made = 0;
    for (const a of plan.activity ?? []) {
      const d = a.detail;
      if (!d || (d.status !== 'scheduled' && d.status !== 'not-started') || made >= 2) continue;
      const text = d.description ?? '';
      if (/^Review this plan/.test(text)) {
        const review = d.scheduledPeriod?.start ? Math.floor(Date.parse(d.scheduledPeriod.start) / 86_400_000) : this.due();
        this.task({ recorder, kind: 'care-plan-review', description: text, owner: requester, requester, authored: t - rng.int(30), due: review, focus: ref('CarePlan', plan.id!) });
        made++;
        continue;
      }
      let owner: Reference<any> | undefined;
      let kind: TaskKind = 'review';
      if (/Diabetes review|health check/.test(text)) owner = rng.chance(0.6) ? this.practitioner(rng.pick(b.practice.nurseRoles)) : practiceRef;
      else if (/long-term condition review/.test(text)) owner = practiceRef;
      else if (/medication review/.test(text)) { owner = practiceRef; kind = 'medication-review'; }
      else if (/Occupational therapy/.test(text)) { owner = ref('Organization', this.council.orgId); kind = 'assessment'; }
      else if (/Link worker/.test(text)) { owner = ref('Organization', b.practice.pcnId); kind = 'follow-up'; }
      if (!owner) continue;
      this.task({ recorder, kind, description: text, owner, requester, authored: t - rng.int(45), due: this.due(), focus: ref('CarePlan', plan.id!) });
      made++;
    }
  }

  /** An open referral waits for the service referred to: triage by its organisation. */
  private referralTriage(): void {
    const { rng, b, t } = this;
    for (const sr of b.out) {
      if (sr.resourceType !== 'ServiceRequest' || sr.status !== 'active') continue;
      const code = sr.code?.coding?.[0]?.code;
      const owner = code === 'social-prescribing' ? b.practice.pcnId : code === 'ot-home-assessment' ? this.council.orgId : undefined;
      if (!owner) continue;
      const authored = Math.floor(Date.parse(sr.authoredOn!) / 86_400_000);
      this.task({
        recorder: b.practice.orgId, kind: 'referral', description: `${sr.code?.text ?? 'A referral'}, to triage`,
        owner: ref('Organization', owner), requester: sr.requester!, authored, due: Math.min(authored + 14 + rng.int(14), t + 14), focus: ref('ServiceRequest', sr.id!),
      });
    }
  }

  private reviewsDue(): void {
    const { rng, b, t } = this;
    if (!b.conditions.some((c) => c.def?.key === 'hypertension')) return;
    const bp = b.out.find((r): r is Observation => r.resourceType === 'Observation' && r.code?.text === 'Blood pressure');
    const systolic = bp?.component?.[0]?.valueQuantity?.value ?? 0;
    if (systolic < 150 || !rng.chance(0.5)) return;
    const practiceRef = ref('Organization', b.practice.orgId);
    this.task({
      recorder: b.practice.orgId, kind: 'review', description: 'Review blood pressure after medication change',
      owner: rng.chance(0.6) ? this.practitioner(rng.pick(b.practice.nurseRoles)) : practiceRef, requester: this.practitioner(b.gpRole),
      authored: t - rng.int(30), due: this.due(),
    });
  }
}
