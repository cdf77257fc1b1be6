import type { Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../../fhir/search-index.js';
import type { Principal, Scope, StaffRole } from '../principal.js';
import { BREAK_GLASS_ROLES } from './break-glass.policy.js';
import { decideVerb, isDomainVerb, type DomainVerb, type VerbSubjects } from './domain-verbs.js';
import { recordedByTags } from './policy-codes.js';
import { AUDIT_TYPE, compartmentLinks, directoryTypes, isRecordType, recordTypes } from './resource-classes.js';

export const ACTIONS = ['read', 'search', 'history', 'everything', 'export', 'create', 'update', 'patch', 'delete', 'validate'] as const;
export type Action = (typeof ACTIONS)[number];
const WRITES = new Set<Action>(['create', 'update', 'patch', 'delete']);
export const isWrite = (a: Action) => WRITES.has(a);

export interface Decision {
  allowed: boolean;
  /** Why, in words an audit record or a 403 can carry. */
  reason: string;
}
const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** Written only by the platform itself (audit, provenance), never through the API. */
export const PLATFORM_WRITTEN = new Set([AUDIT_TYPE, 'Provenance']);

/** What reception/admin staff work with: who the person is, appointments, referrals and tasks, not clinical content. */
export const ADMIN_RECORD_TYPES = ['Patient', 'RelatedPerson', 'Appointment', 'Encounter', 'EpisodeOfCare', 'Task', 'ServiceRequest', 'CareTeam', 'Communication', 'Consent', 'Flag'];
const ADMIN_WRITE_TYPES = ['Patient', 'RelatedPerson', 'Appointment', 'Task', 'Communication', 'Consent'];
/**
 * What a VCSE worker works with: the person's identity and contact details (a referral is made so the
 * service can get in touch), the referrals and tasks addressed to their organisation, and what they
 * record themselves (contacts, questionnaires). Never clinical content: what a referral shares beyond
 * that travels in the referral itself, as the person consented (src/referrals/referral.vocabulary.ts).
 * Rows: the row restriction shows them only referrals and tasks addressed to them (row-restriction.ts).
 */
export const VCSE_RECORD_TYPES = ['Patient', 'ServiceRequest', 'Task', 'Communication', 'QuestionnaireResponse'];
const VCSE_WRITE_TYPES = ['ServiceRequest', 'Task', 'Communication', 'QuestionnaireResponse'];
const PRESCRIBERS: StaffRole[] = ['gp', 'practice-nurse', 'mental-health-practitioner'];
export const CLINICAL_ROLES: StaffRole[] = [
  'gp', 'practice-nurse', 'community-nurse', 'social-worker', 'mental-health-practitioner',
  'discharge-coordinator', 'care-coordinator', 'link-worker',
];

/** Which record types a role works with, before relationships, consent and labels narrow it to rows. */
export interface RoleRule {
  readRecord: readonly string[];
  writeRecord: readonly string[];
  readAudit: boolean;
  writeDirectory: boolean;
  breakGlass: boolean;
  aggregates: boolean;
}

const recordNoAudit = () => recordTypes().filter((t) => t !== AUDIT_TYPE);
const writable = (types: string[]) => types.filter((t) => !PLATFORM_WRITTEN.has(t));

const roleRules = new Map<StaffRole, RoleRule>();

/** A role's rule: fixed per role, asked for on every request of its users, so built once (and frozen) per role. */
export function roleRule(role: StaffRole): RoleRule {
  let rule = roleRules.get(role);
  if (!rule) {
    rule = Object.freeze(buildRoleRule(role));
    Object.freeze(rule.readRecord);
    Object.freeze(rule.writeRecord);
    roleRules.set(role, rule);
  }
  return rule;
}

function buildRoleRule(role: StaffRole): RoleRule {
  const none: RoleRule = { readRecord: [], writeRecord: [], readAudit: false, writeDirectory: false, breakGlass: false, aggregates: false };
  if (CLINICAL_ROLES.includes(role)) {
    const write = writable(recordNoAudit()).filter((t) => t !== 'MedicationRequest' || PRESCRIBERS.includes(role));
    return { ...none, readRecord: recordNoAudit(), writeRecord: write, breakGlass: BREAK_GLASS_ROLES.includes(role) };
  }
  switch (role) {
    case 'receptionist':
      return { ...none, readRecord: ADMIN_RECORD_TYPES, writeRecord: ADMIN_WRITE_TYPES };
    case 'vcse-worker':
      return { ...none, readRecord: VCSE_RECORD_TYPES, writeRecord: VCSE_WRITE_TYPES };
    case 'icb-analyst':
      return { ...none, aggregates: true };
    case 'privacy-officer':
      return { ...none, readAudit: true };
    case 'system-admin':
      return { ...none, writeDirectory: true };
    default:
      return none;
  }
}

const RESIDENT_WRITES = ['QuestionnaireResponse', 'Communication', 'Consent'];
const PROXY_WRITES = ['QuestionnaireResponse', 'Communication'];

const readableWithoutScopes = new Map<string, readonly string[]>();

/**
 * The types a principal may read at all (role and scopes), before row rules. Without scopes (a web
 * session) the answer depends on the kind of principal and the role only, and every request asks: kept
 * per kind and role. A token's scopes are its own: worked out each time.
 */
export function readableTypes(p: Principal): readonly string[] {
  if (p.scopes) return computeReadableTypes(p);
  const key = p.kind === 'staff' ? `staff:${p.role}` : p.kind;
  let types = readableWithoutScopes.get(key);
  if (!types) {
    types = Object.freeze(computeReadableTypes(p));
    readableWithoutScopes.set(key, types);
  }
  return types;
}

function computeReadableTypes(p: Principal): string[] {
  const dir = directoryTypes();
  let types: string[];
  switch (p.kind) {
    case 'staff': {
      const r = roleRule(p.role);
      types = [...dir, ...r.readRecord, ...(r.readAudit ? [AUDIT_TYPE] : [])];
      break;
    }
    case 'resident':
      types = [...dir, ...recordTypes()];
      break;
    case 'proxy':
    case 'client':
      types = [...dir, ...recordNoAudit()];
      break;
  }
  return types.filter((t) => scopeAllows(p, t, 'r') || scopeAllows(p, t, 's'));
}

const LETTERS: Record<Action, ('c' | 'r' | 'u' | 'd' | 's')[][]> = {
  read: [['r']], history: [['r']], everything: [['r']], export: [['r']], search: [['s']],
  create: [['c']], update: [['u']], patch: [['u']], delete: [['d']], validate: [['c'], ['u']],
};

function contextsFor(p: Principal): Scope['context'][] {
  if (p.kind === 'client') return ['system'];
  if (p.kind === 'staff') return p.patientId ? ['user', 'patient'] : ['user'];
  return ['patient', 'user'];
}

/** Whether the token's scopes (if any) allow `letter` on `type`. Sessions carry no scopes: full user rights. */
export function scopeAllows(p: Principal, type: string, letter: 'c' | 'r' | 'u' | 'd' | 's'): boolean {
  if (!p.scopes) return p.kind !== 'client'; // a system client has only what its scopes grant
  const ctx = contextsFor(p);
  return p.scopes.some((s) => ctx.includes(s.context) && (s.resourceType === '*' || s.resourceType === type) && s.interactions.has(letter));
}

/** Whether a scope names `type` itself (not `*`) with `letter`. */
function namedInScope(p: Principal, type: string, letter: 'c' | 'r' | 'u' | 'd' | 's'): boolean {
  return (p.scopes ?? []).some((s) => s.resourceType === type && s.interactions.has(letter));
}

/** True when the principal's token limits it to its launch patient (patient/ scopes on a staff token). */
export function launchPatient(p: Principal): string | undefined {
  if (p.kind !== 'staff' || !p.patientId || !p.scopes) return undefined;
  return p.scopes.some((s) => s.context === 'patient') && !p.scopes.some((s) => s.context === 'user') ? p.patientId : undefined;
}

/**
 * Role- and scope-level decision: may this principal perform `action` on `resourceType` at all?
 * Row-level visibility (relationships, consent, labels, break-glass) is the row restriction's job,
 * and write remit with the record in hand is checkWrite's (write-remit.service.ts). With
 * `resource` given for a write, also checks what can be told from the body alone: its recording
 * organisation and, for people writing for themselves, whose record it is.
 */
export function can(p: Principal, action: Action, resourceType: string, resource?: Resource): Decision;
// Last, so that `Parameters<typeof can>[1]` names the domain verbs.
export function can<V extends DomainVerb>(p: Principal, verb: V, subject?: VerbSubjects[V]): Decision;
/**
 * `can(p, verb, subject)` with a dotted domain verb (`task.claim`, `breakglass.request`…) decides the
 * platform's own actions, in the area files listed in domain-verbs.ts; the REST actions are decided here.
 */
export function can(p: Principal, action: Action | DomainVerb, second?: unknown, resource?: Resource): Decision {
  if (isDomainVerb(action)) return decideVerb(p, action, second);
  return canRest(p, action, second as string, resource);
}

const typeDecisions = new Map<string, Decision>();

/**
 * canRest for a principal without scopes (a web session) and no body: the answer depends only on the
 * kind of principal, its role, the action and the type, and every signed-in request asks it, so it is
 * kept per combination (a few thousand at most). Decisions are frozen: callers share them.
 */
function canRest(p: Principal, action: Action, resourceType: string, resource?: Resource): Decision {
  if (resource || p.scopes) return decideRest(p, action, resourceType, resource);
  const key = `${p.kind === 'staff' ? `staff:${p.role}` : p.kind}|${action}|${resourceType}`;
  let d = typeDecisions.get(key);
  if (!d) {
    d = Object.freeze(decideRest(p, action, resourceType));
    if (typeDecisions.size < 10_000) typeDecisions.set(key, d);
  }
  return d;
}

function decideRest(p: Principal, action: Action, resourceType: string, resource?: Resource): Decision {
  const scopeOk = LETTERS[action].some((ls) => ls.every((l) => scopeAllows(p, resourceType, l)));
  if (!scopeOk) return deny(`the token's scopes do not allow ${action} on ${resourceType}`);
  if (action === 'validate') {
    const c = canRest(p, 'create', resourceType);
    return c.allowed ? allow('validating a resource one may create') : can(p, 'update', resourceType);
  }
  if (PLATFORM_WRITTEN.has(resourceType) && isWrite(action)) return deny(`${resourceType} is written only by the platform (append-only)`);
  if (action === 'export' && p.kind !== 'client') return deny('bulk export is for system clients');
  if (action === 'everything' && resourceType !== 'Patient') return deny('$everything is a Patient operation');
  const record = isRecordType(resourceType);
  const readLike = !isWrite(action);

  let typeOk: boolean;
  let why: string;
  switch (p.kind) {
    case 'staff': {
      const r = roleRule(p.role);
      if (resourceType === AUDIT_TYPE) {
        typeOk = readLike && r.readAudit;
        why = 'audit is read by privacy officers';
      } else if (!record) {
        typeOk = readLike || r.writeDirectory;
        why = readLike ? 'the directory is visible to all staff' : 'the directory is maintained by system administrators';
      } else {
        typeOk = (readLike ? r.readRecord : r.writeRecord).includes(resourceType);
        why = typeOk ? `${p.role} works with ${resourceType}` : p.role === 'icb-analyst' ? 'ICB analysts see aggregates only, no identifiable record' : `${p.role} does not ${readLike ? 'read' : 'write'} ${resourceType}`;
      }
      break;
    }
    case 'resident':
      typeOk = readLike || (RESIDENT_WRITES.includes(resourceType) && action === 'create');
      why = readLike ? 'a person reads their own record and the directory' : 'a person may add questionnaire responses, messages and consents';
      break;
    case 'proxy':
      typeOk = (readLike && resourceType !== AUDIT_TYPE) || (PROXY_WRITES.includes(resourceType) && action === 'create');
      why = readLike ? 'a proxy reads what the person\'s consent grants' : 'a proxy may add questionnaire responses and messages';
      break;
    case 'client':
      // A directory feed (services, organisations) is registered with scopes naming each type it
      // maintains; a wildcard scope never lets an integration rewrite the shared directory.
      typeOk = resourceType !== AUDIT_TYPE && (readLike || record || namedInScope(p, resourceType, LETTERS[action][0][0]));
      why = readLike || record ? 'system client within its scopes and organisation' : 'a system client writes the directory only with a scope naming the type (e.g. system/HealthcareService.cu)';
      break;
  }
  if (!typeOk) return deny(why);
  if (resource && isWrite(action)) {
    const tagged = recordedByTags(resource).map((t) => t.code);
    const org = p.kind === 'staff' || p.kind === 'client' ? p.organizationId : undefined;
    // On create the body names its recorder; an update keeps the original recorder's tag (checkWrite compares with the current version).
    if (action === 'create' && tagged.some((c) => c !== org)) return deny('a resource may only be recorded for the writer\'s own organisation');
    if (p.kind === 'resident' || p.kind === 'proxy') {
      const own = p.kind === 'resident' ? [p.patientId] : p.patientIds;
      const pats = linkedPatients(resource);
      if (pats.length === 0 || pats.some((id) => !own.includes(id))) return deny('a person may only write to their own (or, as a proxy, the granted) record');
    }
  }
  return allow(why);
}

/**
 * The Patient ids a resource's compartment links point at. For a Patient: its own id and the other
 * Patients its `link` names (replaced-by, seealso…): a link names a person as surely as an
 * Observation's subject does, so a writer must see them too.
 */
const PATIENT_LINK = ['link'];

export function linkedPatients(resource: Resource): string[] {
  if (resource.resourceType === 'Patient') {
    const ids = new Set(resource.id ? [resource.id] : []);
    // Only the reference parameters are evaluated: every signed-in write asks this, and the full index
    // (every search parameter's FHIRPath) is extracted once more when the version is written.
    for (const [code, type, id, url] of extractIndex(resource, { table: 'reference', codes: PATIENT_LINK }).reference) {
      if (code === 'link' && type === 'Patient' && id && url === null) ids.add(id);
    }
    return [...ids];
  }
  const codes = compartmentLinks().get(resource.resourceType);
  if (!codes) return [];
  const ids = new Set<string>();
  for (const [code, type, id, url] of extractIndex(resource, { table: 'reference', codes }).reference) {
    // As in the row restriction: an absolute reference names a patient elsewhere, not one of this record.
    if (type === 'Patient' && id && url === null && codes.includes(code)) ids.add(id);
  }
  return [...ids];
}
