import { registerDerivedTable, type DerivedTable, type VersionWrite } from '../../fhir/resource.repository.js';
import { referencedResource } from '../../fhir/reference.js';
import { ACTIVE_EPISODE_STATUSES, isActiveCareTeam, OPEN_ENCOUNTER_STATUSES } from '../../fhir/statuses.js';
import { OPEN_TASK_STATUSES } from '../../workflow/task.vocabulary.js';
import { CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, RESOURCE_TYPES_SYSTEM } from './policy-codes.js';

/**
 * Legitimate relationships, sharing objections and proxy grants, derived from the resources that
 * establish them on every write (see DerivedTable in src/fhir/resource.repository.ts). A
 * relationship links a patient to a *party*: `Organization/<id>`, `Practitioner/<id>` or
 * `HealthcareService/<id>`. The row restriction asks whether any of the principal's parties is
 * related to a patient: one index probe, instead of re-deriving the rules from the record on
 * every row of every query.
 *
 * | source | relationship while | patient | parties |
 * |---|---|---|---|
 * | Patient | always (registration) | the Patient | generalPractitioner, managingOrganization |
 * | CareTeam | status active (or absent) | subject | participant.member: a named person, or an organisation taking part as a team (all its staff) |
 * | ServiceRequest (referral) | status active | subject | performer |
 * | Task | status open: requested, received, accepted, ready, in-progress, on-hold (not draft, not final) | for | owner |
 * | Encounter | status planned, arrived, triaged, in-progress, onleave | subject | serviceProvider, participant.individual |
 * | EpisodeOfCare | status active (or waitlist, onhold) | patient | managingOrganization, careManager |
 */
export const RELATIONSHIP_SOURCE_TYPES = ['Patient', 'CareTeam', 'ServiceRequest', 'Task', 'Encounter', 'EpisodeOfCare'] as const;

const PARTY_TYPES = new Set(['Organization', 'Practitioner', 'HealthcareService']);
/** A task relates its owner to the person while the work is open: what a worklist shows. */
const isOpenTask = (s?: string) => (OPEN_TASK_STATUSES as readonly (string | undefined)[]).includes(s);

interface Ref {
  reference?: string;
}

/** `Type/id` of a relative (or absolute) literal reference, or undefined. */
export const refKey = (ref: Ref | undefined): { type: string; id: string } | undefined => referencedResource(ref?.reference);

const patientOf = (ref: Ref | undefined) => {
  const k = refKey(ref);
  return k?.type === 'Patient' ? k.id : undefined;
};

const parties = (refs: (Ref | undefined)[]) => {
  const out = new Set<string>();
  for (const r of refs) {
    const k = refKey(r);
    if (k && PARTY_TYPES.has(k.type)) out.add(`${k.type}/${k.id}`);
  }
  return [...out];
};

/** Relationship rows [patient_id, party, kind] a resource establishes now. */
export function relationshipsOf(resource: any): [string, string, string][] {
  let patient: string | undefined;
  let who: string[];
  switch (resource.resourceType) {
    case 'Patient':
      patient = resource.id;
      who = parties([...(resource.generalPractitioner ?? []), resource.managingOrganization]);
      break;
    case 'CareTeam':
      if (!isActiveCareTeam(resource)) return [];
      patient = patientOf(resource.subject);
      who = parties((resource.participant ?? []).map((p: any) => p?.member));
      break;
    case 'ServiceRequest':
      if (resource.status !== 'active') return [];
      patient = patientOf(resource.subject);
      who = parties(resource.performer ?? []);
      break;
    case 'Task':
      if (!isOpenTask(resource.status)) return [];
      patient = patientOf(resource.for);
      who = parties([resource.owner]);
      break;
    case 'Encounter':
      if (!OPEN_ENCOUNTER_STATUSES.has(resource.status)) return [];
      patient = patientOf(resource.subject);
      who = parties([resource.serviceProvider, ...(resource.participant ?? []).map((p: any) => p?.individual)]);
      break;
    case 'EpisodeOfCare':
      if (!ACTIVE_EPISODE_STATUSES.has(resource.status)) return [];
      patient = patientOf(resource.patient);
      who = parties([resource.managingOrganization, resource.careManager]);
      break;
    default:
      return [];
  }
  if (!patient) return [];
  const kind = resource.resourceType === 'Patient' ? 'registered' : resource.resourceType;
  return who.map((party) => [patient!, party, kind]);
}

const isPrivacyConsent = (c: any) =>
  c.resourceType === 'Consent' && c.status === 'active' &&
  (c.scope?.coding ?? []).some((x: any) => x?.system === CONSENT_SCOPE_SYSTEM && x?.code === CONSENT_SCOPE_PRIVACY);

/**
 * A sharing objection: an active Consent, scope patient-privacy, whose provision is `deny` and names
 * no actor (a deny aimed at named actors is about them, not about sharing in general).
 */
export function objectionOf(resource: any): [string][] {
  if (!isPrivacyConsent(resource) || resource.provision?.type !== 'deny') return [];
  if ((resource.provision.actor ?? []).length > 0) return [];
  const patient = patientOf(resource.patient);
  return patient ? [[patient]] : [];
}

/**
 * Proxy grants: an active patient-privacy Consent whose provision is `permit` with actor(s)
 * `RelatedPerson/<id>`; `provision.class` codes from http://hl7.org/fhir/resource-types narrow it to
 * those resource types (none: every type); `provision.period` bounds it in time.
 * Rows: [patient_id, related_person_id, resource_type | null, period_start, period_end].
 */
export function proxyGrantsOf(resource: any): [string, string, string | null, string | null, string | null][] {
  if (!isPrivacyConsent(resource) || resource.provision?.type !== 'permit') return [];
  const patient = patientOf(resource.patient);
  if (!patient) return [];
  const types: (string | null)[] = (resource.provision.class ?? [])
    .filter((c: any) => c?.system === RESOURCE_TYPES_SYSTEM && typeof c.code === 'string')
    .map((c: any) => c.code as string);
  const period = resource.provision.period ?? {};
  const out: [string, string, string | null, string | null, string | null][] = [];
  for (const a of resource.provision.actor ?? []) {
    const k = refKey(a?.reference);
    if (k?.type !== 'RelatedPerson') continue;
    for (const t of types.length ? types : [null]) out.push([patient, k.id, t, period.start ?? null, period.end ?? null]);
  }
  return out;
}

// Only the few source types are parsed; every other write costs one Set lookup per table.
const parsed = (w: VersionWrite, types: Set<string>) => (w.content && types.has(w.resourceType) ? JSON.parse(w.content) : undefined);
const RELATIONSHIP_TYPES = new Set<string>(RELATIONSHIP_SOURCE_TYPES);
const CONSENT_TYPES = new Set(['Consent']);

export const POLICY_TABLES: DerivedTable[] = [
  {
    table: 'care_relationship', columns: ['patient_id', 'party', 'kind'], types: ['text', 'text', 'text'],
    rows: (w) => relationshipsOf(parsed(w, RELATIONSHIP_TYPES) ?? {}),
  },
  {
    table: 'sharing_objection', columns: ['patient_id'], types: ['text'],
    rows: (w) => objectionOf(parsed(w, CONSENT_TYPES) ?? {}),
  },
  {
    table: 'proxy_grant', columns: ['patient_id', 'related_person_id', 'resource_type', 'period_start', 'period_end'],
    types: ['text', 'text', 'text', 'timestamptz', 'timestamptz'],
    rows: (w) => proxyGrantsOf(parsed(w, CONSENT_TYPES) ?? {}),
  },
];

/** Makes every write keep the policy tables in step. Idempotent; src/access/policy/index.ts calls it on import. */
export function registerPolicyTables(): void {
  for (const t of POLICY_TABLES) registerDerivedTable(t);
}
