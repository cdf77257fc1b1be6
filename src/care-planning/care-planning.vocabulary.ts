import type { CarePlan, CodeableConcept, EpisodeOfCare, Extension, Task } from '@medplum/fhirtypes';
import { TASK_KIND_SYSTEM, TASK_KINDS, type TaskKind } from '../workflow/task.vocabulary.js';

/**
 * The words of joined-up care planning, defined once: the personalised care and support plan
 * (PRSB Personalised Care and Support Plan standard, on FHIR CarePlan), the named professional (an
 * EpisodeOfCare of type care-coordination whose careManager is the person), and multidisciplinary
 * team (MDT) meetings. The synthetic population (src/synth/care-planning.ts), the write rules, the
 * services and the pages all read these.
 *
 * A plan in FHIR:
 * - `CarePlan.category` PLAN_CATEGORY; `status` draft (being written), active (in force: at most one
 *   per person), revoked or completed (ended); `intent` plan; `subject` the Patient.
 * - About me, what matters to me, needs, and the contingency and crisis plan: extensions (PCSP_EXT).
 * - Goals in the person's words: `CarePlan.goal` → Goal (`description.text`, `expressedBy` the
 *   person) with the person's confidence (0 to 10) in the GOAL_CONFIDENCE extension.
 * - Actions (who, what, by when): `CarePlan.activity.reference` → Task (`owner`, `description`,
 *   `restriction.period.end`, `basedOn` the plan), so they appear on the owner's worklist.
 * - Who was involved: `CarePlan.contributor`. Every contribution: a `CarePlan.note` naming its
 *   author and time (the plan's versions keep the rest: `meta.source` says who wrote each).
 * - Agreed: the AGREEMENT extension (who agreed, the person or their representative; when; who
 *   recorded it; the plan version agreed). Next review: the REVIEW extension (date, owner).
 */
const BASE = 'https://onestory.example/fhir';
const CS = `${BASE}/CodeSystem`;
const SD = `${BASE}/StructureDefinition`;

/** Same coding as the synthetic population's plans. */
export const PLAN_CATEGORY_SYSTEM = `${CS}/care-plan-category`;
export const PLAN_CATEGORY_CODE = 'personalised-care-and-support-plan';
export const PLAN_CATEGORY: CodeableConcept = {
  coding: [{ system: PLAN_CATEGORY_SYSTEM, code: PLAN_CATEGORY_CODE, display: 'Personalised care and support plan' }],
  text: 'Personalised care and support plan',
};

export const PCSP_EXT = {
  aboutMe: `${SD}/pcsp-about-me`,
  whatMatters: `${SD}/pcsp-what-matters-to-me`,
  need: `${SD}/pcsp-need`,
  contingency: `${SD}/pcsp-contingency`,
  agreement: `${SD}/pcsp-agreement`,
  review: `${SD}/pcsp-review`,
  reviewRequested: `${SD}/pcsp-review-requested`,
} as const;
/** On a Goal: how confident the person feels about it, 0 (not at all) to 10 (completely). */
export const GOAL_CONFIDENCE = `${SD}/goal-confidence`;

export type PlanStatus = 'draft' | 'active' | 'revoked' | 'completed';
export const PLAN_STATUS_TEXT: Record<PlanStatus, string> = {
  draft: 'Being written', active: 'In use', revoked: 'Stopped', completed: 'Finished',
};

/** Whether a CarePlan is a personalised care and support plan. */
export function isPersonalisedPlan(p: Pick<CarePlan, 'category'>): boolean {
  return (p.category ?? []).some((c) => (c.coding ?? []).some((x) => x.system === PLAN_CATEGORY_SYSTEM && x.code === PLAN_CATEGORY_CODE));
}

/** The extension's sub-extension value of `url` (complex extensions: agreement, review, contingency). */
export function sub(e: Extension | undefined, url: string): Extension | undefined {
  return e?.extension?.find((x) => x.url === url);
}

/** The recorded agreement of a plan: who agreed (Patient or RelatedPerson), when, recorded by, and the version agreed. */
export interface Agreement {
  agreedBy: string;
  agreedByName?: string;
  date: string;
  recordedBy?: string;
  version?: number;
}

export function agreementOf(p: CarePlan): Agreement | undefined {
  const e = (p.extension ?? []).find((x) => x.url === PCSP_EXT.agreement);
  const by = sub(e, 'agreedBy')?.valueReference;
  const date = sub(e, 'date')?.valueDateTime;
  if (!e || !by?.reference || !date) return undefined;
  return {
    agreedBy: by.reference, ...(by.display ? { agreedByName: by.display } : {}), date,
    ...(sub(e, 'recordedBy')?.valueReference?.reference ? { recordedBy: sub(e, 'recordedBy')!.valueReference!.reference } : {}),
    ...(sub(e, 'version')?.valueInteger !== undefined ? { version: sub(e, 'version')!.valueInteger } : {}),
  };
}

// --- The named professional ---------------------------------------------------------------------

/** The synthetic population's episode types share this system (src/synth: local('episode-type', …)). */
export const EPISODE_TYPE_SYSTEM = `${CS}/episode-type`;
export const CARE_COORDINATION = 'care-coordination';
export const CARE_COORDINATION_TYPE: CodeableConcept = {
  coding: [{ system: EPISODE_TYPE_SYSTEM, code: CARE_COORDINATION, display: 'Care coordination (named professional)' }],
  text: 'Care coordination (named professional)',
};
/** On a planned care-coordination episode: the active one it takes over from (a handover). */
export const HANDOVER_FROM = `${SD}/handover-from`;

export function isCareCoordination(e: Pick<EpisodeOfCare, 'type'>): boolean {
  return (e.type ?? []).some((t) => (t.coding ?? []).some((c) => c.system === EPISODE_TYPE_SYSTEM && c.code === CARE_COORDINATION));
}

// --- MDT meetings -------------------------------------------------------------------------------

/** A meeting is an Appointment of this type; each person discussed is an Encounter of MDT_DISCUSSION pointing at it. */
export const MDT_MEETING_TYPE: CodeableConcept = {
  coding: [{ system: `${CS}/appointment-type`, code: 'mdt-meeting', display: 'Multidisciplinary team meeting' }],
  text: 'Multidisciplinary team meeting',
};
export const MDT_DISCUSSION_TYPE: CodeableConcept = {
  coding: [{ system: `${CS}/encounter-type`, code: 'mdt-discussion', display: 'Multidisciplinary team discussion' }],
  text: 'Multidisciplinary team discussion',
};
/** The discussion record: a Communication about the person, `encounter` the discussion. */
export const MDT_NOTE_CATEGORY: CodeableConcept = {
  coding: [{ system: `${CS}/communication-category`, code: 'mdt-discussion-record', display: 'MDT discussion record' }],
  text: 'MDT discussion record',
};
/** Task.code of an action agreed at a meeting (TASK_KIND_SYSTEM). */
export const MDT_ACTION_KIND = 'mdt-action' satisfies TaskKind;
/** Task.code of an action of a plan. */
export const PLAN_ACTION_KIND = 'care-plan-action' satisfies TaskKind;
/** Task.code of a review of the plan the person or their carer asked for. */
export const PLAN_REVIEW_KIND = 'care-plan-review' satisfies TaskKind;

export function isTaskOfKind(t: Pick<Task, 'code'>, kind: TaskKind): boolean {
  return (t.code?.coding ?? []).some((c) => c.code === kind && c.system === TASK_KIND_SYSTEM);
}

export const taskKindCode = (kind: TaskKind): CodeableConcept => ({ coding: [{ system: TASK_KIND_SYSTEM, code: kind, display: TASK_KINDS[kind] }], text: TASK_KINDS[kind] });
