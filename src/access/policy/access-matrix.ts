import { SUPPORTED_TYPES } from '../../fhir/definitions.js';
import type { Principal, StaffRole } from '../principal.js';
import { STAFF_ROLES } from '../principal.js';
import type { CarePlan, ServiceRequest, Task } from '@medplum/fhirtypes';
import { DOMAIN_VERBS, type DomainVerb, type VerbSubjects } from './domain-verbs.js';
import type { Action } from './policy.js';
import { recordedByTag, WITHHELD_FROM_PATIENT } from './policy-codes.js';
import { AUDIT_TYPE, directoryTypes, recordTypes } from './resource-classes.js';
import { SENSITIVE_LABELS } from './security-labels.js';

/**
 * The authorisation matrix: the specification the policy is tested against cell by cell
 * (access-matrix.test.ts) and the source of docs/access-matrix.md, so docs and tests cannot drift.
 * Every staff principal acts for organisation `m-org` and is Practitioner `pr-<role>`; `o-org` is another organisation.
 */
export type MatrixPrincipal = StaffRole | 'resident' | 'proxy' | 'system-client';
export const MATRIX_PRINCIPALS: MatrixPrincipal[] = [...STAFF_ROLES, 'resident', 'proxy', 'system-client'];

export function matrixPrincipal(k: MatrixPrincipal): Principal {
  const common = { displayName: k, via: 'session' as const, credentialId: `cred-${k}` };
  if (k === 'resident') return { ...common, kind: 'resident', id: 'm-resident', patientId: 'p-rel' };
  if (k === 'proxy') return { ...common, kind: 'proxy', id: 'm-proxy', relatedPersonIds: ['rp-proxy'], patientIds: ['p-proxy'] };
  if (k === 'system-client') {
    return {
      ...common, kind: 'client', id: 'm-client', organizationId: 'm-org', via: 'token',
      scopes: [{ context: 'system', resourceType: '*', interactions: new Set(['c', 'r', 'u', 'd', 's']) }],
    };
  }
  return { ...common, kind: 'staff', id: `m-${k}`, role: k, organizationId: 'm-org', organizationIds: ['m-org'], practitionerId: `pr-${k}` };
}

// ---- Interactions: role × resource type × interaction (role- and scope-level, can()) ----

export const MATRIX_ACTIONS: Action[] = ['read', 'search', 'history', 'create', 'update', 'patch', 'delete', 'validate', 'everything', 'export'];

const CLINICAL: StaffRole[] = ['gp', 'practice-nurse', 'community-nurse', 'social-worker', 'mental-health-practitioner', 'discharge-coordinator', 'care-coordinator', 'link-worker'];
const PRESCRIBING: StaffRole[] = ['gp', 'practice-nurse', 'mental-health-practitioner'];
const ADMIN_READ = ['Patient', 'RelatedPerson', 'Appointment', 'Encounter', 'EpisodeOfCare', 'Task', 'ServiceRequest', 'CareTeam', 'Communication', 'Consent', 'Flag'];
const ADMIN_WRITE = ['Patient', 'RelatedPerson', 'Appointment', 'Task', 'Communication', 'Consent'];
const NO_API_WRITE = [AUDIT_TYPE, 'Provenance'];
const VCSE_READ = ['Patient', 'ServiceRequest', 'Task', 'Communication', 'QuestionnaireResponse'];
const VCSE_WRITE = ['ServiceRequest', 'Task', 'Communication', 'QuestionnaireResponse'];

interface TypeRule {
  read: (type: string) => boolean;
  /** create/update/patch/delete (residents and proxies: create only). */
  write: (type: string) => boolean;
  createOnly?: boolean;
  export?: boolean;
}

const isDir = (t: string) => directoryTypes().includes(t);
const isRecord = (t: string) => recordTypes().includes(t) && t !== AUDIT_TYPE;

/** The rules in words, as docs/access-matrix.md states them. */
export const TYPE_RULE_TEXT: Record<string, string> = {
  clinical: 'read: directory + every record type except AuditEvent; write: record types except AuditEvent, Provenance, and MedicationRequest unless a prescribing role (GP, practice nurse, mental health practitioner)',
  receptionist: `read: directory + ${ADMIN_READ.join(', ')}; write: ${ADMIN_WRITE.join(', ')}`,
  'vcse-worker': `read: directory + ${VCSE_READ.join(', ')} (rows: the person while referred to them; of the record, only the referrals and tasks addressed to their organisation, its services or themselves, and what they recorded); write: ${VCSE_WRITE.join(', ')}`,
  'icb-analyst': 'read: directory only (aggregates through aggregateCounts); no writes',
  'privacy-officer': 'read: directory + AuditEvent; no writes',
  'system-admin': 'read and write: directory only',
  'local-admin': 'read: directory only; no writes (manages accounts and API clients in the web app)',
  resident: 'read: directory + own record (incl. AuditEvent about them); create: QuestionnaireResponse, Communication, Consent',
  proxy: 'read: directory + granted record types; create: QuestionnaireResponse, Communication',
  'system-client': 'by system/ scopes (here system/*.cruds): read directory and record types except AuditEvent, write record types except AuditEvent and Provenance, bulk export',
};

function typeRule(k: MatrixPrincipal): TypeRule {
  if (CLINICAL.includes(k as StaffRole)) {
    return { read: (t) => isDir(t) || isRecord(t), write: (t) => isRecord(t) && !NO_API_WRITE.includes(t) && (t !== 'MedicationRequest' || PRESCRIBING.includes(k as StaffRole)) };
  }
  switch (k) {
    case 'receptionist':
      return { read: (t) => isDir(t) || ADMIN_READ.includes(t), write: (t) => ADMIN_WRITE.includes(t) };
    case 'vcse-worker':
      return { read: (t) => isDir(t) || VCSE_READ.includes(t), write: (t) => VCSE_WRITE.includes(t) };
    case 'icb-analyst':
      return { read: isDir, write: () => false };
    case 'privacy-officer':
      return { read: (t) => isDir(t) || t === AUDIT_TYPE, write: () => false };
    case 'system-admin':
      return { read: isDir, write: isDir };
    case 'local-admin':
      return { read: isDir, write: () => false };
    case 'resident':
      return { read: () => true, write: (t) => ['QuestionnaireResponse', 'Communication', 'Consent'].includes(t), createOnly: true };
    case 'proxy':
      return { read: (t) => t !== AUDIT_TYPE, write: (t) => ['QuestionnaireResponse', 'Communication'].includes(t), createOnly: true };
    default: // system-client
      return { read: (t) => t !== AUDIT_TYPE, write: (t) => isRecord(t) && !NO_API_WRITE.includes(t), export: true };
  }
}

/** Expected can() answer for one cell. */
export function expectedInteraction(k: MatrixPrincipal, action: Action, type: string): boolean {
  const r = typeRule(k);
  switch (action) {
    case 'read': case 'search': case 'history':
      return r.read(type);
    case 'everything':
      return type === 'Patient' && r.read(type);
    case 'export':
      return !!r.export && r.read(type);
    case 'create':
      return r.write(type);
    case 'update': case 'patch': case 'delete':
      return !r.createOnly && r.write(type);
    case 'validate':
      return r.write(type);
  }
}

// ---- Rows: role × scenario × resource type (the SQL row restriction) ----

/**
 * Each scenario is one patient with one row of each sample type, recorded by `o-org`:
 * - relationship: registered with m-org (the resident is this patient)
 * - none: registered with o-org, nobody at m-org caring
 * - consent-withheld: registered with m-org, objects to sharing beyond the recording organisation
 * - sensitive: registered with m-org, every entry (not the Patient) labelled PSY (mental health)
 * - break-glass: registered with o-org; the principal asserted break-glass (clinical roles with direct care duties only)
 * - proxy: registered with o-org; the patient's Consent grants the proxy's RelatedPerson every type
 */
export const SCENARIOS = ['relationship', 'none', 'consent-withheld', 'sensitive', 'break-glass', 'proxy'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const SCENARIO_PATIENT: Record<Scenario, string> = {
  relationship: 'p-rel', none: 'p-none', 'consent-withheld': 'p-objects', sensitive: 'p-sensitive', 'break-glass': 'p-glass', proxy: 'p-proxy',
};

/** Sample types, by letter: P Patient, O Observation, E Encounter, C Consent, A AuditEvent, D Organization (directory). */
export const SAMPLE_TYPES: Record<string, string> = { P: 'Patient', O: 'Observation', E: 'Encounter', C: 'Consent', A: 'AuditEvent', D: 'Organization' };

/** What each principal sees in each scenario: the letters of the visible sample rows. */
export const ROW_MATRIX: Record<MatrixPrincipal, Record<Scenario, string>> = {
  gp: { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'POECD', 'break-glass': 'POECD', proxy: 'D' },
  'practice-nurse': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'POECD', proxy: 'D' },
  'community-nurse': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'POECD', proxy: 'D' },
  'social-worker': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'POECD', proxy: 'D' },
  'mental-health-practitioner': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'POECD', 'break-glass': 'POECD', proxy: 'D' },
  'discharge-coordinator': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'POECD', proxy: 'D' },
  'care-coordinator': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'D', proxy: 'D' },
  'link-worker': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'D', proxy: 'D' },
  'vcse-worker': { relationship: 'PD', none: 'D', 'consent-withheld': 'PD', sensitive: 'PD', 'break-glass': 'D', proxy: 'D' },
  receptionist: { relationship: 'PECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'D', proxy: 'D' },
  'icb-analyst': { relationship: 'D', none: 'D', 'consent-withheld': 'D', sensitive: 'D', 'break-glass': 'D', proxy: 'D' },
  'privacy-officer': { relationship: 'AD', none: 'AD', 'consent-withheld': 'AD', sensitive: 'AD', 'break-glass': 'AD', proxy: 'AD' },
  'system-admin': { relationship: 'D', none: 'D', 'consent-withheld': 'D', sensitive: 'D', 'break-glass': 'D', proxy: 'D' },
  'local-admin': { relationship: 'D', none: 'D', 'consent-withheld': 'D', sensitive: 'D', 'break-glass': 'D', proxy: 'D' },
  resident: { relationship: 'POECAD', none: 'D', 'consent-withheld': 'D', sensitive: 'D', 'break-glass': 'D', proxy: 'D' },
  proxy: { relationship: 'D', none: 'D', 'consent-withheld': 'D', sensitive: 'D', 'break-glass': 'D', proxy: 'POECD' },
  'system-client': { relationship: 'POECD', none: 'D', 'consent-withheld': 'PCD', sensitive: 'PD', 'break-glass': 'D', proxy: 'D' },
};

// ---- Domain verbs: the platform's own actions, per principal, on one standard subject each ----

export const MATRIX_VERBS: readonly DomainVerb[] = DOMAIN_VERBS;

const poolTask: Task = {
  resourceType: 'Task', id: 't-pool', status: 'requested', intent: 'order', for: { reference: 'Patient/p-rel' },
  owner: { reference: 'Organization/m-org' }, requester: { reference: 'Organization/o-org' }, meta: { tag: [recordedByTag('o-org')] },
};

/** An active referral from o-org to m-org's service. */
const toMe = {
  serviceRequest: {
    resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p-rel' },
    performer: [{ reference: 'HealthcareService/m-service' }], requester: { reference: 'Organization/o-org' }, meta: { tag: [recordedByTag('o-org')] },
  } as ServiceRequest,
  serviceOrganizations: { 'm-service': 'm-org' }, teamIds: [] as string[],
};

/** The subject each verb is decided on in the matrix, for principal `k`. */
export function verbSubject<V extends DomainVerb>(k: MatrixPrincipal, verb: V): VerbSubjects[V] {
  const subjects: { [W in DomainVerb]: VerbSubjects[W] } = {
    'task.claim': { task: poolTask, teamIds: [] },
    'task.transition': { task: poolTask, teamIds: [], to: 'accepted' },
    'task.reassign': { task: poolTask, teamIds: [] },
    'task.create': { task: { ...poolTask, id: undefined, owner: { reference: 'Organization/o-org' }, requester: { reference: 'Organization/m-org' }, meta: undefined }, teamIds: [] },
    'breakglass.request': undefined,
    'breakglass.review': undefined,
    'aggregate.read': undefined,
    'feedback.answer': undefined,
    'referral.send': undefined,
    'referral.accept': toMe,
    'referral.reject': toMe,
    'referral.progress': toMe,
    'referral.reroute': toMe,
    'referral.cancel': {
      serviceRequest: { ...toMe.serviceRequest, performer: [{ reference: 'HealthcareService/o-service' }], requester: { reference: 'Organization/m-org' }, meta: { tag: [recordedByTag('m-org')] } },
      serviceOrganizations: { 'o-service': 'o-org' }, teamIds: [],
    },
    'referral.redirect': {
      serviceRequest: { ...toMe.serviceRequest, status: 'revoked', performer: [{ reference: 'HealthcareService/o-service' }], requester: { reference: 'Organization/m-org' }, meta: { tag: [recordedByTag('m-org')] } },
      serviceOrganizations: { 'o-service': 'o-org' }, teamIds: [], declined: true,
    },
    'plan.agree': {
      plan: { resourceType: 'CarePlan', status: 'draft', intent: 'plan', subject: { reference: `Patient/${k === 'proxy' ? 'p-proxy' : 'p-rel'}` } } as CarePlan,
      careRelationship: true, proxyGrantCoversPlan: true,
    },
    'plan.edit': { plan: { resourceType: 'CarePlan', status: 'draft', intent: 'plan', subject: { reference: `Patient/${k === 'proxy' ? 'p-proxy' : 'p-rel'}` } } as CarePlan, careRelationship: true, proxyGrantCoversPlan: true },
    'plan.contribute': { plan: { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: `Patient/${k === 'proxy' ? 'p-proxy' : 'p-rel'}` } } as CarePlan, careRelationship: true, proxyGrantCoversPlan: true },
    'plan.review.request': { plan: { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: `Patient/${k === 'proxy' ? 'p-proxy' : 'p-rel'}` } } as CarePlan, careRelationship: true, proxyGrantCoversPlan: true },
    'mdt.manage': { careRelationship: true },
    'named-professional.assign': { careRelationship: true },
    'named-professional.accept': { successor: `Practitioner/pr-${k}` },
    'workspace.use': undefined,
    'portal.use': undefined,
    'accesslog.read': { patientId: 'p-rel' },
    'admin.users.manage': { organizationId: 'm-org', role: 'gp', user: { memberships: [{ organizationId: 'm-org', role: 'receptionist' }] } },
    'admin.clients.manage': { organizationId: 'm-org' },
    'admin.people.link': { registeredWith: ['m-org'] },
    'discharge.board': undefined,
    'discharge.hub': undefined,
    'discharge.plan': { providerOrg: 'm-org' },
    'pathways.board': undefined,
    'cohort.build': undefined,
    'outcomes.people': undefined,
    'outcomes.submit': { owners: ['m-org'], area: 'kent' },
    'social-prescribing.record': { receiver: true },
    'assessment.start': { careRelationship: true, patientId: 'p-rel' },
    'assessment.answer': { owner: k === 'resident' ? 'Patient/p-rel' : 'Organization/m-org', patientId: 'p-rel', careRelationship: true },
    'assessment.complete': { careRelationship: true, patientId: 'p-rel' },
  };
  return subjects[verb] as VerbSubjects[V];
}

/** The subjects in words, as docs/access-matrix.md states them. */
export const VERB_SUBJECT_TEXT: Record<DomainVerb, string> = {
  'task.claim': 'a requested pool task owned by m-org (the principal\'s organisation), requested by o-org',
  'task.transition': 'the same task, to accepted',
  'task.reassign': 'the same task',
  'task.create': 'a new task requested by m-org for o-org',
  'breakglass.request': 'be offered and assert emergency access',
  'breakglass.review': 'review emergency access',
  'aggregate.read': 'counts over the record, small numbers suppressed',
  'feedback.answer': 'answer the \'I\' statements survey for oneself',
  'referral.send': 'refer a person to a service',
  'referral.accept': 'an active referral from o-org to m-org\'s service (m-service)',
  'referral.reject': 'the same referral',
  'referral.progress': 'the same referral (start, hold, resume, complete, fail)',
  'referral.reroute': 'the same referral, to another service',
  'referral.cancel': 'an active referral from m-org to o-org\'s service',
  'referral.redirect': 'a referral from m-org that o-org\'s service declined, to another service',
  'plan.agree': 'a care plan for p-rel (staff: with a care relationship; the proxy: for p-proxy, whose consent covers CarePlan)',
  'plan.edit': 'write a personalised care and support plan for p-rel (staff with a care relationship)',
  'plan.contribute': 'say what matters and rate confidence in p-rel\'s plan (the person; the proxy: for p-proxy, whose consent covers CarePlan)',
  'plan.review.request': 'ask for a review of p-rel\'s plan (the person, the proxy under a grant, staff with a care relationship)',
  'mdt.manage': 'add p-rel to an MDT meeting and give actions (staff with a care relationship)',
  'named-professional.assign': 'name p-rel\'s named professional, or propose a handover (staff with a care relationship)',
  'named-professional.accept': 'accept a handover that names the principal\'s Practitioner as successor',
  'workspace.use': 'the staff workspace',
  'portal.use': 'the resident and carer portal',
  'accesslog.read': 'p-rel\'s access log (the resident is p-rel)',
  'admin.users.manage': 'give the GP role at m-org to an account that is a receptionist at m-org (a local administrator: only their own organisation\'s accounts, never a system administrator\'s or the system-admin role)',
  'admin.clients.manage': 'an API client of m-org (a local administrator: only their own organisation\'s)',
  'admin.people.link': 'an account for a resident registered with m-org, or their carer (a local administrator: only people registered with their own organisation)',
  'discharge.board': 'the discharge board (rows: the row restriction)',
  'discharge.hub': 'the transfer of care hub (rows: the row restriction)',
  'discharge.plan': 'plan the discharge of a stay at m-org (criteria to reside, dates, pathway, the plan for the person, the discharge)',
  'pathways.board': 'the mental health pathway board',
  'cohort.build': 'cohorts and case finding: counts, and by name only the people the row restriction shows',
  'outcomes.people': 'the people behind an outcome indicator (own practice or network), by name only those the row restriction shows; never analysts',
  'outcomes.submit': 'submit a figure for an indicator whose figures m-org owns, for a place in Kent (the owner\'s staff or system client; a council only for its own area; ICB analysts for any)',
  'social-prescribing.record': 'record contacts, what matters and wellbeing scores for a person referred to m-org\'s service',
  'assessment.start': 'start a joint assessment for p-rel and give out its parts (clinical staff with a care relationship)',
  'assessment.answer': 'answer a part of a joint assessment assigned to m-org (the resident: their own part, assigned to them)',
  'assessment.complete': 'complete p-rel\'s joint assessment (clinical staff with a care relationship; the record refuses it with parts missing)',
};

const TASK_WORKERS: MatrixPrincipal[] = [...CLINICAL, 'receptionist', 'vcse-worker'];
/** Who updates ServiceRequests: clinical roles and VCSE workers (reception only reads them). */
const REFERRAL_WORKERS: MatrixPrincipal[] = [...CLINICAL, 'vcse-worker'];
const BREAK_GLASS: MatrixPrincipal[] = ['gp', 'practice-nurse', 'community-nurse', 'social-worker', 'mental-health-practitioner', 'discharge-coordinator'];
const STAFF_KINDS = STAFF_ROLES as readonly MatrixPrincipal[];

/** Expected can(principal, verb, verbSubject(principal, verb)) answer. */
export function expectedVerb(k: MatrixPrincipal, verb: DomainVerb): boolean {
  switch (verb) {
    case 'task.claim': return TASK_WORKERS.includes(k);
    case 'task.transition': case 'task.reassign': case 'task.create': return TASK_WORKERS.includes(k) || k === 'system-client';
    case 'breakglass.request': return BREAK_GLASS.includes(k);
    case 'breakglass.review': return k === 'privacy-officer';
    case 'aggregate.read': return k === 'icb-analyst';
    case 'feedback.answer': return STAFF_KINDS.includes(k) || k === 'resident';
    case 'referral.send': return REFERRAL_WORKERS.includes(k);
    case 'referral.accept': case 'referral.reject': case 'referral.progress': case 'referral.reroute': case 'referral.cancel': case 'referral.redirect':
      return REFERRAL_WORKERS.includes(k);
    case 'plan.agree': case 'plan.review.request': return CLINICAL.includes(k as StaffRole) || k === 'resident' || k === 'proxy';
    case 'plan.edit': case 'mdt.manage': case 'named-professional.assign': case 'named-professional.accept': return CLINICAL.includes(k as StaffRole);
    case 'plan.contribute': return k === 'resident' || k === 'proxy';
    case 'workspace.use': return STAFF_KINDS.includes(k);
    case 'portal.use': return k === 'resident' || k === 'proxy';
    case 'accesslog.read': return k === 'resident';
    case 'admin.users.manage': case 'admin.clients.manage': case 'admin.people.link': return k === 'system-admin' || k === 'local-admin';
    case 'discharge.board': case 'discharge.hub': return CLINICAL.includes(k as StaffRole);
    case 'discharge.plan': return k === 'discharge-coordinator';
    case 'pathways.board': return k === 'mental-health-practitioner';
    case 'cohort.build': return CLINICAL.includes(k as StaffRole) || k === 'icb-analyst';
    case 'outcomes.people': return CLINICAL.includes(k as StaffRole);
    case 'outcomes.submit': return STAFF_KINDS.includes(k) || k === 'system-client';
    case 'social-prescribing.record': return k === 'link-worker';
    case 'assessment.start': case 'assessment.complete': return CLINICAL.includes(k as StaffRole);
    case 'assessment.answer': return CLINICAL.includes(k as StaffRole) || k === 'vcse-worker' || k === 'resident';
  }
}

const yn = (b: boolean) => (b ? '✓' : '·');

/** docs/access-matrix.md, generated. */
export function renderAccessMatrix(): string {
  const out: string[] = [];
  out.push('# Access matrix', '', '<!-- Generated from src/access/policy/access-matrix.ts; access-matrix.test.ts checks every cell against the running policy and that this file is current (UPDATE_ACCESS_MATRIX=1 rewrites it). -->', '');
  out.push('Staff act for organisation *m-org*; entries in the scenarios are recorded by another organisation, *o-org* (an organisation always sees what it recorded itself).', '');
  out.push('## Which rows each principal sees', '');
  out.push(`Letters: ${Object.entries(SAMPLE_TYPES).map(([l, t]) => `**${l}** ${t}`).join(', ')}. Each scenario is one patient with one row of each type.`, '');
  out.push('- **relationship**: registered with m-org (the resident is this patient)', '- **none**: no relationship with m-org', '- **consent-withheld**: registered with m-org but objects to sharing beyond the recording organisation', '- **sensitive**: registered with m-org; every entry labelled mental health (v3-ActCode PSY)', '- **break-glass**: no relationship; the user asserted break-glass (GP, practice nurse, community nurse, social worker, mental health practitioner, discharge coordinator; not care coordinators or link workers)', '- **proxy**: no relationship; the patient\'s Consent grants the proxy every type', '');
  out.push(`| principal | ${SCENARIOS.join(' | ')} |`, `|---|${SCENARIOS.map(() => '---').join('|')}|`);
  for (const k of MATRIX_PRINCIPALS) out.push(`| ${k} | ${SCENARIOS.map((s) => ROW_MATRIX[k][s].split('').join(' ')).join(' | ')} |`);
  out.push('', '## Security labels (meta.security)', '');
  out.push('An entry carrying a label is visible only to the roles listed (at an organisation with a relationship or break-glass) and to every user of the organisation that recorded it; with several labels, every one must allow. Break-glass does not lift a label. Residents see their own labelled entries; proxies and system clients see none (outside their own organisation\'s entries).', '');
  out.push('| system | code | meaning | staff roles allowed |', '|---|---|---|---|');
  for (const l of SENSITIVE_LABELS) out.push(`| ${l.system} | ${l.code} | ${l.meaning} | ${l.roles.join(', ') || '(recording organisation only)'} |`);
  out.push(`| ${WITHHELD_FROM_PATIENT.system} | ${WITHHELD_FROM_PATIENT.code} | withheld from the person and their proxies (e.g. third-party information) | all staff (no effect on staff) |`);
  out.push('', '## The platform\'s own actions (domain verbs)', '');
  out.push('`can(principal, verb, subject)`, decided in `src/access/policy/<area>.policy.ts`. Each verb is shown on one standard subject; staff are Practitioner *pr-<role>* at m-org. ✓ allowed, · denied.', '');
  out.push('| verb | subject |', '|---|---|');
  for (const v of MATRIX_VERBS) out.push(`| ${v} | ${VERB_SUBJECT_TEXT[v]} |`);
  out.push('', `| principal | ${MATRIX_VERBS.join(' | ')} |`, `|---|${MATRIX_VERBS.map(() => ':-:').join('|')}|`);
  for (const k of MATRIX_PRINCIPALS) out.push(`| ${k} | ${MATRIX_VERBS.map((v) => yn(expectedVerb(k, v))).join(' | ')} |`);
  out.push('', '## Which interactions each principal may use, per resource type', '');
  out.push('Role and scope level (`can()`); the row rules above then decide which rows. ✓ allowed, · denied. Columns: ' + MATRIX_ACTIONS.map((a) => `**${abbrev(a)}** ${a}`).join(', ') + '.', '');
  for (const k of MATRIX_PRINCIPALS) {
    const rule = CLINICAL.includes(k as StaffRole) ? TYPE_RULE_TEXT.clinical : TYPE_RULE_TEXT[k];
    out.push(`### ${k}`, '', rule, '', `| type | ${MATRIX_ACTIONS.map(abbrev).join(' | ')} |`, `|---|${MATRIX_ACTIONS.map(() => ':-:').join('|')}|`);
    for (const t of SUPPORTED_TYPES) out.push(`| ${t} | ${MATRIX_ACTIONS.map((a) => yn(expectedInteraction(k, a, t))).join(' | ')} |`);
    out.push('');
  }
  return out.join('\n');
}

function abbrev(a: Action): string {
  return ({ read: 'R', search: 'S', history: 'H', create: 'C', update: 'U', patch: 'P', delete: 'D', validate: 'V', everything: 'E', export: 'X' } as Record<Action, string>)[a];
}
