import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import { isValidId } from '../../fhir/reference.js';
import { ROLE_NAMES, type Principal } from '../principal.js';
import type { AuditEntry, AuditInteraction } from './audit-entry.js';

export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
/** OneStory's own interaction names, carried as a second subtype so readers need not map back. */
export const ONESTORY_INTERACTION = 'https://onestory.example/fhir/CodeSystem/audit-interaction';
/** OneStory's roles: staff roles (principal.ts) plus resident, proxy, client, anonymous. */
export const ONESTORY_ROLE = 'https://onestory.example/fhir/CodeSystem/user-role';
export const ONESTORY_USER = 'https://onestory.example/fhir/Id/user';
export const ONESTORY_CLIENT = 'https://onestory.example/fhir/Id/client';
export const ONESTORY_REQUEST = 'https://onestory.example/fhir/Id/request';
export const ONESTORY_CREDENTIAL = 'https://onestory.example/fhir/Id/credential';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

const REST: Coding = { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' };
const AUTHENTICATION: Coding = { system: DCM, code: '110114', display: 'User Authentication' };
const SECURITY_ALERT: Coding = { system: DCM, code: '110113', display: 'Security Alert' };
const EXPORT: Coding = { system: DCM, code: '110106', display: 'Export' };
const PATIENT_RECORD: Coding = { system: DCM, code: '110110', display: 'Patient Record' };

interface Mapping {
  type: Coding;
  /** restful-interaction or DCM subtype; undefined when no standard code fits. */
  subtype?: (entry: AuditEntry) => Coding | undefined;
  action: NonNullable<AuditEntry['action']>;
}

const rest = (code: string) => () => ({ system: RESTFUL_INTERACTION, code });
const scoped = (prefix: string) => (e: AuditEntry) => {
  const r = e.resources?.[0];
  const level = r?.id ? 'instance' : (r?.type ?? e.resourceType) ? 'type' : 'system';
  // search-instance does not exist: a search is type- or system-level.
  return { system: RESTFUL_INTERACTION, code: `${prefix}-${prefix === 'search' && level === 'instance' ? 'type' : level}` };
};

const MAPPINGS: Record<AuditInteraction, Mapping> = {
  read: { type: REST, subtype: rest('read'), action: 'R' },
  vread: { type: REST, subtype: rest('vread'), action: 'R' },
  search: { type: REST, subtype: scoped('search'), action: 'R' },
  create: { type: REST, subtype: rest('create'), action: 'C' },
  update: { type: REST, subtype: rest('update'), action: 'U' },
  patch: { type: REST, subtype: rest('patch'), action: 'U' },
  delete: { type: REST, subtype: rest('delete'), action: 'D' },
  history: { type: REST, subtype: scoped('history'), action: 'R' },
  everything: { type: REST, subtype: rest('operation'), action: 'R' },
  export: { type: EXPORT, subtype: rest('operation'), action: 'R' },
  batch: { type: REST, subtype: rest('batch'), action: 'E' },
  transaction: { type: REST, subtype: rest('transaction'), action: 'E' },
  capabilities: { type: REST, subtype: rest('capabilities'), action: 'R' },
  operation: { type: REST, subtype: rest('operation'), action: 'E' },
  'sign-in-success': { type: AUTHENTICATION, subtype: () => ({ system: DCM, code: '110122', display: 'Login' }), action: 'E' },
  'sign-in-failure': { type: AUTHENTICATION, subtype: () => ({ system: DCM, code: '110122', display: 'Login' }), action: 'E' },
  'sign-out': { type: AUTHENTICATION, subtype: () => ({ system: DCM, code: '110123', display: 'Logout' }), action: 'E' },
  'token-issue': { type: AUTHENTICATION, action: 'E' },
  'break-glass': { type: SECURITY_ALERT, action: 'E' },
  'consent-change': { type: PATIENT_RECORD, action: 'U' },
  other: { type: REST, action: 'E' },
};

const INTERACTION_DISPLAY: Record<AuditInteraction, string> = {
  read: 'Read', vread: 'Read a version', search: 'Search', create: 'Create', update: 'Update', patch: 'Patch',
  delete: 'Delete', history: 'History', everything: 'Whole record ($everything)', export: 'Bulk export',
  batch: 'Batch', transaction: 'Transaction', capabilities: 'Capabilities', operation: 'Operation',
  'sign-in-success': 'Sign-in', 'sign-in-failure': 'Failed sign-in', 'sign-out': 'Sign-out', 'token-issue': 'Token issued',
  'break-glass': 'Break-glass access', 'consent-change': 'Consent change', other: 'Other request',
};

/** FHIR AuditEvent.outcome: 0 success, 4 minor failure (refused, bad request), 8 serious failure (server error). */
export function outcomeCode(status: number | undefined): '0' | '4' | '8' {
  if (status === undefined || status < 400) return '0';
  return status < 500 ? '4' : '8';
}

/** The role and organisation a principal acts with, as the audit trail records them. */
export function roleOf(p: Principal | undefined): { code: string; display: string } {
  if (!p) return { code: 'anonymous', display: 'Not signed in' };
  switch (p.kind) {
    case 'staff':
      return { code: p.role, display: ROLE_NAMES[p.role] ?? p.role };
    case 'resident':
      return { code: 'resident', display: 'The person themselves' };
    case 'proxy':
      return { code: 'proxy', display: 'Carer or other proxy' };
    case 'client':
      return { code: 'client', display: 'System integration' };
  }
}

function organisationOf(p: Principal | undefined): string | undefined {
  return p?.kind === 'staff' || p?.kind === 'client' ? p.organizationId : undefined;
}

function requestor(entry: AuditEntry): AuditEventAgent {
  const p = entry.principal;
  const role = roleOf(p);
  const agent: AuditEventAgent = {
    type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
    role: [{ coding: [{ system: ONESTORY_ROLE, code: role.code, display: role.display }], text: role.display }],
    requestor: true,
  };
  if (!p) {
    agent.who = { display: entry.claimedUser ? `anonymous (claimed "${entry.claimedUser}")` : 'anonymous' };
  } else if (p.kind === 'staff') {
    agent.who = p.practitionerId
      ? { reference: `Practitioner/${p.practitionerId}`, display: p.displayName }
      : { identifier: { system: ONESTORY_USER, value: p.id }, display: p.displayName };
    agent.altId = p.id;
  } else if (p.kind === 'resident') {
    agent.who = { reference: `Patient/${p.patientId}`, display: p.displayName };
    agent.altId = p.id;
  } else if (p.kind === 'proxy') {
    agent.who = p.relatedPersonIds[0]
      ? { reference: `RelatedPerson/${p.relatedPersonIds[0]}`, display: p.displayName }
      : { identifier: { system: ONESTORY_USER, value: p.id }, display: p.displayName };
    agent.altId = p.id;
  } else {
    agent.who = { identifier: { system: ONESTORY_CLIENT, value: p.id }, display: p.displayName };
    agent.altId = p.id;
  }
  if (p) agent.name = p.displayName;
  // 2 = IP address (network-type).
  if (entry.clientIp) agent.network = { address: entry.clientIp, type: '2' };
  if (entry.reason) {
    agent.purposeOfUse = [purposeOf(entry.reason)];
  }
  return agent;
}

function purposeOf(reason: NonNullable<AuditEntry['reason']>) {
  const coding: Coding[] = [{ system: ACT_REASON, code: 'BTG', display: 'break the glass' }];
  if (reason.code) coding.push({ system: `${ONESTORY_INTERACTION}/break-glass-reason`, code: reason.code });
  return { coding, text: reason.text ?? reason.code };
}

function reference(type: string, id: string, versionId?: string | number): string {
  return versionId === undefined ? `${type}/${id}` : `${type}/${id}/_history/${versionId}`;
}


/**
 * Builds the AuditEvent for one entry. Pure and cheap: it runs for every request. Ids that are not
 * valid FHIR ids (a client may put anything in a URL) are kept as display text, not references,
 * so the event always validates and never points at something that cannot exist.
 */
export function buildAuditEvent(entry: AuditEntry, id: string): AuditEvent {
  const mapping = MAPPINGS[entry.interaction] ?? MAPPINGS.other;
  const recorded = entry.when === undefined ? new Date().toISOString() : new Date(entry.when).toISOString();
  const subtype: Coding[] = [];
  const standard = mapping.subtype?.(entry);
  if (standard) subtype.push(standard);
  subtype.push({ system: ONESTORY_INTERACTION, code: entry.interaction, display: INTERACTION_DISPLAY[entry.interaction] });
  const consentWrite = entry.interaction !== 'consent-change' && [entry.resourceType, ...(entry.resources ?? []).map((r) => r.type)].includes('Consent')
    && ['create', 'update', 'patch', 'delete'].includes(entry.interaction) && outcomeCode(entry.status) === '0';
  // A successful Consent write is also a consent change: say so, so privacy reviews can find it.
  if (consentWrite) subtype.push({ system: ONESTORY_INTERACTION, code: 'consent-change', display: INTERACTION_DISPLAY['consent-change'] });

  const outcome = outcomeCode(entry.status);
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id,
    type: mapping.type,
    subtype,
    action: entry.action ?? mapping.action,
    recorded: recorded,
    outcome,
    agent: [requestor(entry)],
    source: {
      site: 'OneStory',
      observer: { display: 'OneStory' },
      type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }],
    },
  };
  if (outcome !== '0') {
    event.outcomeDesc = entry.status !== undefined ? `HTTP ${entry.status}${entry.failure ? `: ${entry.failure}` : ''}` : entry.failure;
  }

  const org = organisationOf(entry.principal);
  if (org && isValidId(org)) {
    // The organisation the user acted for: R4 has no agent.organization, so it is a second agent.
    event.agent.push({
      type: { coding: [{ system: PARTICIPATION, code: 'RESP', display: 'responsible party' }] },
      who: { reference: `Organization/${org}` },
      requestor: false,
    });
  }
  if (entry.reason) event.purposeOfEvent = [purposeOf(entry.reason)];

  const entities: AuditEventEntity[] = [];
  const patients = [...new Set(entry.patientIds ?? [])];
  for (const r of entry.resources ?? []) {
    // The patient themselves is recorded once, in the patient role.
    if (r.type === 'Patient' && r.id && patients.includes(r.id)) continue;
    if (r.id !== undefined && (!isValidId(r.id) || !/^[A-Z][A-Za-z]{1,63}$/.test(r.type))) {
      entities.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, name: `${r.type}/${r.id}`.slice(0, 200) });
      continue;
    }
    const version = r.versionId !== undefined && isValidId(String(r.versionId)) ? r.versionId : undefined;
    entities.push({
      what: r.id !== undefined ? { reference: reference(r.type, r.id, version) } : { display: r.type },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
    });
  }
  if (entry.resourceType && !(entry.resources ?? []).some((r) => r.type === entry.resourceType) && entry.interaction !== 'search') {
    entities.push({ what: { display: entry.resourceType }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' } });
  }
  for (const pid of patients) {
    if (!isValidId(pid)) continue;
    entities.push({
      what: { reference: `Patient/${pid}` },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  if (entry.interaction === 'search' || entry.query) {
    const q = entry.query ?? '';
    entities.push({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
      description: `${entry.resourceType ?? entry.resources?.[0]?.type ?? ''}?${q}`.slice(0, 4000),
      query: Buffer.from(q, 'utf8').toString('base64'),
    });
  }
  if (entry.requestId) {
    entities.push({
      what: { identifier: { system: ONESTORY_REQUEST, value: entry.requestId } },
      type: { system: ENTITY_TYPE, code: '4', display: 'Other' },
      name: 'X-Request-Id',
      ...(entry.description ? { description: entry.description.slice(0, 1000) } : {}),
    });
  }
  if (entry.principal?.credentialId && (entry.interaction === 'token-issue' || entry.interaction === 'sign-in-success' || entry.interaction === 'sign-out')) {
    // The session or token id (never the secret): lets a privacy review follow one credential's use.
    entities.push({
      what: { identifier: { system: ONESTORY_CREDENTIAL, value: entry.principal.credentialId } },
      type: { system: ENTITY_TYPE, code: '4', display: 'Other' },
      name: entry.principal.via === 'token' ? 'access token' : 'session',
    });
  }
  if (entities.length > 0) event.entity = entities;
  return event;
}

/**
 * The type and the subtypes an interaction's AuditEvents can carry (every level of a search or
 * history; consent-change on a successful Consent write), for searching the compact records by
 * `type` and `subtype` without rendering them.
 */
export function auditCodesOf(interaction: AuditInteraction): { type: Coding; subtypes: Coding[] } {
  const mapping = MAPPINGS[interaction] ?? MAPPINGS.other;
  const subtypes: Coding[] = [{ system: ONESTORY_INTERACTION, code: interaction }];
  if (interaction === 'search') subtypes.push(...['search-type', 'search-system'].map((code) => ({ system: RESTFUL_INTERACTION, code })));
  else if (interaction === 'history') subtypes.push(...['history-instance', 'history-type', 'history-system'].map((code) => ({ system: RESTFUL_INTERACTION, code })));
  else {
    const standard = mapping.subtype?.({ interaction });
    if (standard) subtypes.push(standard);
  }
  if (['create', 'update', 'patch', 'delete'].includes(interaction)) subtypes.push({ system: ONESTORY_INTERACTION, code: 'consent-change' });
  return { type: mapping.type, subtypes };
}
