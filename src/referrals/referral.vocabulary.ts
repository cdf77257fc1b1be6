/**
 * The words of a referral between partners, defined once: every part that writes or reads one (the
 * referral commands, the write rule, the pages, the BaRS message endpoint, the demo) uses these.
 *
 * A referral is two resources:
 * - a ServiceRequest (intent `order`, category REFERRAL_CATEGORY): `subject` the person, `performer`
 *   the service it is addressed to (a HealthcareService), `requester` who referred, `reasonCode` why
 *   (text), `priority`, `authoredOn`, and the person's consent to share (CONSENT_EXTENSION) with, as
 *   extensions, only what that consent lets it carry (what matters to the person, relevant health
 *   information); `identifier` IDEMPOTENCY_SYSTEM|key makes a repeated submission the same referral;
 * - a Task (kind `referral`, task.vocabulary.ts) `focus` the ServiceRequest, `for` the person, owned
 *   by the organisation providing the service: the work of answering it, with its lifecycle
 *   requested → received → accepted | rejected → in-progress → completed | failed (and on-hold, and
 *   cancelled by the requester). Re-routing to another service keeps the ServiceRequest, addressed anew, and makes a new Task.
 */
const BASE = 'https://onestory.example/fhir';

/** `ServiceRequest.category` of a referral to a service (SNOMED CT 3457005 "Patient referral"). */
export const REFERRAL_CATEGORY = { system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' } as const;

/** `ServiceRequest.identifier` of the key a form or a client sends once per referral, so a repeat makes nothing new. */
export const IDEMPOTENCY_SYSTEM = `${BASE}/Id/referral-idempotency-key`;

/**
 * The person's consent to share, on the ServiceRequest: sub-extensions `given` (boolean), `date`
 * (dateTime), `share` (code, repeated: SHARE_SYSTEM). Without it, or with `given` false, no referral
 * is made: a referral discloses the person to the receiving organisation.
 */
export const CONSENT_EXTENSION = `${BASE}/StructureDefinition/referral-consent-to-share`;
export const SHARE_SYSTEM = `${BASE}/CodeSystem/referral-share`;
/** What a referral may share. `contact` (name, address, phone) is the referral itself: the service must be able to reach the person. */
export const SHARE_ITEMS = {
  contact: 'Name and contact details, so the service can get in touch',
  'what-matters': 'What matters to them, in their own words',
  health: 'Relevant health information written by the referrer',
} as const;
export type ShareItem = keyof typeof SHARE_ITEMS;
export const SHARE_OPTIONAL: ShareItem[] = ['what-matters', 'health'];

/** Extensions on the ServiceRequest carrying what the consent allows (valueString each). */
export const WHAT_MATTERS_EXTENSION = `${BASE}/StructureDefinition/referral-what-matters`;
export const HEALTH_INFO_EXTENSION = `${BASE}/StructureDefinition/referral-health-information`;
/** Which share item each carrying extension needs. */
export const SHARED_BY_EXTENSION: Record<string, ShareItem> = { [WHAT_MATTERS_EXTENSION]: 'what-matters', [HEALTH_INFO_EXTENSION]: 'health' };

/** `Task.statusReason` codes when the receiver rejects a referral. */
export const REJECT_REASON_SYSTEM = `${BASE}/CodeSystem/referral-rejection-reason`;
export const REJECT_REASONS = {
  'not-eligible': 'The person does not meet the service’s eligibility criteria',
  'out-of-area': 'The person lives outside the area the service covers',
  'no-capacity': 'The service has no capacity to take new referrals',
  'better-elsewhere': 'Another service would meet the need better',
  'declined-by-person': 'The person does not want the service',
  'insufficient-information': 'Not enough information to decide',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

/** `Task.statusReason` codes when a referral ends without the service being given. */
export const FAIL_REASONS = {
  'unable-to-contact': 'Could not contact the person',
  'person-withdrew': 'The person withdrew',
  'needs-changed': 'The person’s needs changed',
} as const;
export type FailReason = keyof typeof FAIL_REASONS;

/** `Task.output` type of a completed referral's coded outcome (the outcome note is OUTCOME_NOTE). */
export const OUTCOME_SYSTEM = `${BASE}/CodeSystem/referral-outcome`;
export const OUTCOME_OUTPUT = { system: `${BASE}/CodeSystem/task-output`, code: 'referral-outcome', display: 'Referral outcome' } as const;
export const OUTCOMES = {
  'support-given': 'Support given as planned',
  'goals-met': 'The person’s goals were met',
  'signposted': 'Signposted to other help',
  'partly-met': 'Partly met: some needs remain',
} as const;
export type Outcome = keyof typeof OUTCOMES;

export const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const PRIORITY_TEXT: Record<Priority, string> = { routine: 'Routine', urgent: 'Urgent', asap: 'As soon as possible', stat: 'Immediately' };

/** A referral's status as the person reads it in the portal (plain English), by the Task's status. */
export const PERSON_STATUS_TEXT: Record<string, string> = {
  requested: 'Sent: waiting for the service to reply',
  received: 'The service has received it and is looking at it',
  'on-hold': 'The service is waiting for more information',
  accepted: 'Accepted: the service will contact you',
  rejected: 'Not accepted by the service',
  'in-progress': 'You are getting support from this service',
  completed: 'Finished',
  failed: 'Ended without support',
  cancelled: 'Cancelled',
  'entered-in-error': 'Sent by mistake',
};
