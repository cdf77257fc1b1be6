import type { CodeableConcept, Coding } from '@medplum/fhirtypes';

/**
 * The words of discharge from hospital, defined once: the board, the hub, the portal's discharge
 * plan, the 91-day follow-up, the synthetic population and the demo all use these.
 *
 * Where things live on the record:
 * - A stay in hospital: an Encounter, class IMP (inpatient), `serviceProvider` the trust,
 *   `location` the site and the ward (the ward's entry has `physicalType` `wa`), `period.start` the
 *   admission. Its discharge planning is carried on the Encounter as extensions (below): the
 *   Discharge Ready Date, the expected date of discharge, the pathway, the delay reason, when the
 *   plan was shared with the person and when the criteria to reside were last reviewed.
 * - Each day's decision on the criteria to reside: an Observation (CRITERIA_TO_RESIDE, valueBoolean:
 *   true = still meets them), `performer` who decided, `encounter` the stay.
 * - The work other organisations do for a discharge: Tasks of kind `discharge` with a second coding
 *   from DISCHARGE_TASK_SYSTEM saying what (care package, community nursing…), `focus` the stay
 *   (or the referral's ServiceRequest), `owner` the organisation that does it.
 * - The discharge plan for the person and their carer: a CarePlan, category DISCHARGE_PLAN_CATEGORY,
 *   one activity per part (where, when, support, who to call, medicines), in plain English.
 * - Where the person is 91 days after discharge into reablement: an Observation (AT_HOME_91,
 *   valueBoolean: at home or not) with a component saying the place (PLACES_ON_DAY_91).
 */
const BASE = 'https://onestory.example/fhir';
const SD = `${BASE}/StructureDefinition`;
const CS = `${BASE}/CodeSystem`;

/** Encounter extensions of discharge planning. */
export const EXT = {
  /** valueCodeableConcept from PATHWAY_SYSTEM. */
  pathway: `${SD}/discharge-pathway`,
  /** valueDateTime: the Discharge Ready Date, the first day the person no longer met the criteria to reside. */
  readyDate: `${SD}/no-longer-meets-criteria-to-reside`,
  /** valueDate: the expected date of discharge. */
  expectedDate: `${SD}/expected-discharge-date`,
  /** valueCodeableConcept from DELAY_REASON_SYSTEM. */
  delayReason: `${SD}/discharge-delay-reason`,
  /** valueDateTime: when the discharge plan was shared with the person (and their carer) in the portal. */
  planShared: `${SD}/discharge-plan-shared`,
  /** valueDateTime: when the criteria to reside were last reviewed (the latest Observation's time). */
  criteriaReviewed: `${SD}/criteria-to-reside-reviewed`,
} as const;

export const PATHWAY_SYSTEM = `${CS}/discharge-pathway`;
export const PATHWAYS = {
  '0': 'Pathway 0: home, no new support',
  '1': 'Pathway 1: home with new support',
  '2': 'Pathway 2: short-term bedded rehabilitation or recovery',
  '3': 'Pathway 3: new residential or nursing home placement',
} as const;
export type Pathway = keyof typeof PATHWAYS;
export const isPathway = (v: unknown): v is Pathway => typeof v === 'string' && Object.hasOwn(PATHWAYS, v);

/**
 * Why someone who no longer meets the criteria to reside is still in hospital: the categories of
 * NHS England's discharge delay collection, in the words staff use.
 */
export const DELAY_REASON_SYSTEM = `${CS}/discharge-delay-reason`;
export const DELAY_REASONS = {
  'awaiting-reablement': 'Awaiting reablement or care at home (pathway 1)',
  'awaiting-care-package': 'Awaiting a new home care package',
  'awaiting-bed-rehab': 'Awaiting a rehabilitation or step-down bed (pathway 2)',
  'awaiting-care-home': 'Awaiting a care home placement (pathway 3)',
  'awaiting-assessment': 'Awaiting an assessment (therapy, social care or continuing healthcare)',
  'awaiting-equipment': 'Awaiting equipment or adaptations at home',
  'awaiting-transport': 'Awaiting transport',
  'awaiting-medicines': 'Awaiting medicines to take home',
  'choice': 'Person or family choice',
  'housing': 'Housing or homelessness',
  'legal': 'Safeguarding, Mental Capacity Act or court process',
} as const;
export type DelayReason = keyof typeof DELAY_REASONS;
export const isDelayReason = (v: unknown): v is DelayReason => typeof v === 'string' && Object.hasOwn(DELAY_REASONS, v);

/** The daily decision on the criteria to reside (Observation.code). */
export const OBSERVATION_SYSTEM = `${CS}/observation`;
export const CRITERIA_TO_RESIDE: Coding = { system: OBSERVATION_SYSTEM, code: 'meets-criteria-to-reside', display: 'Meets the criteria to reside in hospital' };

/** What the discharge asks of another organisation (Task.code's second coding). */
export const DISCHARGE_TASK_SYSTEM = `${CS}/discharge-task`;
export const DISCHARGE_TASKS = {
  'care-package': 'Home care package from the council',
  'community-nursing': 'Community nursing visits at home',
  'equipment': 'Equipment at home',
  'transport': 'Transport home',
  'home-from-hospital': "Voluntary 'home from hospital' support",
  'reablement': 'Reablement referral (pathway 1)',
  'bed-based': 'Rehabilitation or step-down bed (pathway 2)',
  'care-home': 'Care home placement (pathway 3)',
  'reablement-91': 'Where are they 91 days after leaving hospital?',
} as const;
export type DischargeTaskType = keyof typeof DISCHARGE_TASKS;
export const isDischargeTaskType = (v: unknown): v is DischargeTaskType => typeof v === 'string' && Object.hasOwn(DISCHARGE_TASKS, v);
/** The tasks a coordinator may ask for on the board (the pathway's request and the day-91 follow-up are raised by the platform). */
export const REQUESTABLE_TASKS: DischargeTaskType[] = ['care-package', 'community-nursing', 'equipment', 'transport', 'home-from-hospital'];

/** Which kinds of service (the directory's service-type codes) may take each kind of discharge task. */
export const TASK_SERVICE_KINDS: Record<DischargeTaskType, string[]> = {
  'care-package': ['adult-social-care'],
  'community-nursing': ['urgent-community-response'],
  'equipment': ['adult-social-care', 'urgent-community-response'],
  'transport': ['ambulance'],
  'home-from-hospital': ['befriending'],
  'reablement': ['reablement'],
  'bed-based': ['urgent-community-response'],
  'care-home': ['adult-social-care'],
  'reablement-91': ['reablement'],
};

/** The request each pathway raises (none for pathway 0), and the days its clock gives before escalation. */
export const PATHWAY_REQUEST: Record<Pathway, { task: DischargeTaskType; dueDays: number; code: CodeableConcept } | undefined> = {
  '0': undefined,
  '1': { task: 'reablement', dueDays: 2, code: { coding: [{ system: `${CS}/referral`, code: 'reablement', display: 'Referral for reablement' }], text: 'Referral for reablement' } },
  '2': { task: 'bed-based', dueDays: 2, code: { coding: [{ system: `${CS}/referral`, code: 'step-down-bed', display: 'Request for a rehabilitation or step-down bed' }], text: 'Request for a rehabilitation or step-down bed' } },
  '3': { task: 'care-home', dueDays: 5, code: { coding: [{ system: `${CS}/referral`, code: 'care-home-placement', display: 'Request for a care home placement' }], text: 'Request for a care home placement' } },
};

/** Where the person went (Encounter.hospitalization.dischargeDisposition). */
export const DISPOSITION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/discharge-disposition';
export const DESTINATIONS = {
  home: 'Home',
  rehab: 'Rehabilitation or step-down bed',
  snf: 'Care home',
  'other-hcf': 'Another hospital',
  exp: 'Died in hospital',
} as const;
export type Destination = keyof typeof DESTINATIONS;
export const isDestination = (v: unknown): v is Destination => typeof v === 'string' && Object.hasOwn(DESTINATIONS, v);

/** The discharge plan shared with the person: CarePlan.category, and what each activity is. */
export const CARE_PLAN_CATEGORY_SYSTEM = `${CS}/care-plan-category`;
export const DISCHARGE_PLAN_CATEGORY: Coding = { system: CARE_PLAN_CATEGORY_SYSTEM, code: 'discharge-plan', display: 'Plan for leaving hospital' };
export const PLAN_PART_SYSTEM = `${CS}/discharge-plan-part`;
export const PLAN_PARTS = {
  where: 'Where you are going',
  when: 'When you are going home',
  support: 'The support you will have',
  contact: 'Who to call',
  medicines: 'Medicines to take home',
} as const;
export type PlanPart = keyof typeof PLAN_PARTS;
/** The plan is shared at least this long before the discharge (the board says whether it was). */
export const PLAN_NOTICE_HOURS = 24;

/** Reablement: the episode (EpisodeOfCare.type) and the 91-day outcome. */
export const EPISODE_TYPE_SYSTEM = `${CS}/episode-type`;
export const REABLEMENT_EPISODE: Coding = { system: EPISODE_TYPE_SYSTEM, code: 'reablement', display: 'Reablement (short-term support to maximise independence)' };
export const AT_HOME_91: Coding = { system: OBSERVATION_SYSTEM, code: 'at-home-91-days-after-discharge', display: 'Still at home 91 days after discharge into reablement' };
export const PLACE_ON_DAY_91: Coding = { system: OBSERVATION_SYSTEM, code: 'place-on-day-91', display: 'Where the person is on day 91' };
export const PLACE_SYSTEM = `${CS}/place-on-day-91`;
export const PLACES_ON_DAY_91 = {
  home: { text: 'At home', atHome: true },
  'extra-care': { text: 'At home in extra care housing', atHome: true },
  hospital: { text: 'In hospital', atHome: false },
  'care-home': { text: 'In a care home', atHome: false },
  died: { text: 'Died', atHome: false },
} as const;
export type PlaceOnDay91 = keyof typeof PLACES_ON_DAY_91;
export const isPlaceOnDay91 = (v: unknown): v is PlaceOnDay91 => typeof v === 'string' && Object.hasOwn(PLACES_ON_DAY_91, v);
/** Day 91 is counted from the day of discharge (day 0); the follow-up is due a week after it. */
export const FOLLOW_UP_DAY = 91;
/** ASCOF 2B counts people aged 65 and over. */
export const REABLEMENT_MIN_AGE = 65;

/** The length-of-stay bands the board counts (days). */
export const LOS_BANDS = [21, 14, 7] as const;

/** `Task.identifier` of the day-91 follow-up: its value is the reablement episode's id, so each is raised once. */
export const FOLLOW_UP_IDENTIFIER_SYSTEM = `${BASE}/Id/reablement-91-follow-up-of`;
/** `meta.source` of what the platform raises itself (the day-91 follow-up). */
export const FOLLOW_UP_SOURCE = 'urn:onestory:platform:reablement-91';

export const codingOf = <K extends string>(system: string, code: K, words: Record<K, string>): Coding => ({ system, code, display: words[code] });
export const conceptOf = <K extends string>(system: string, code: K, words: Record<K, string>): CodeableConcept => ({ coding: [codingOf(system, code, words)], text: words[code] });
