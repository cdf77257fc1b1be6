import type { AuditEvent } from '@medplum/fhirtypes';
import type { Principal } from '../principal.js';
import type { AuditEntry, AuditInteraction } from './audit-entry.js';
import { buildAuditEvent, ONESTORY_CLIENT, ONESTORY_REQUEST, ONESTORY_USER } from './audit-event.builder.js';

/**
 * One audited request as stored: a row of `audit_event` (migration 010). The columns the real
 * queries filter on are projections of the AuditEvent the entry builds; `detail` holds the rest of
 * the entry, so the AuditEvent can be rendered again on read exactly as it was built.
 */
export interface AuditRecord {
  id: string;
  /** ISO instant, milliseconds. */
  recorded: string;
  interaction: AuditInteraction;
  action: string;
  outcome: string;
  status: number | null;
  agent: string | null;
  userId: string | null;
  role: string;
  organizationId: string | null;
  patientIds: string[];
  resources: string[];
  reason: string | null;
  requestId: string | null;
  /** JSON text of AuditDetail; null for a migrated event. */
  detail: string | null;
  /** A migrated event: the AuditEvent JSON text exactly as stored before migration 010. */
  legacy: string | null;
}

/** A stored record with its place in the table. */
export interface StoredAuditRecord extends AuditRecord {
  seq: string;
}

/** What the builder reads of a principal: a snapshot, never a credential. */
type PrincipalSnapshot = Pick<Principal, 'kind' | 'id' | 'displayName' | 'via' | 'credentialId'> & {
  role?: string;
  organizationId?: string;
  practitionerId?: string;
  patientId?: string;
  relatedPersonIds?: string[];
};

/** The entry without the columns: everything else buildAuditEvent reads. */
interface AuditDetail extends Omit<AuditEntry, 'principal' | 'when' | 'interaction' | 'requestId' | 'status' | 'patientIds'> {
  principal?: PrincipalSnapshot;
  patientIds?: string[];
}

function snapshot(p: Principal): PrincipalSnapshot {
  const s: PrincipalSnapshot = { kind: p.kind, id: p.id, displayName: p.displayName, via: p.via, credentialId: p.credentialId };
  if (p.kind === 'staff') {
    s.role = p.role;
    s.organizationId = p.organizationId;
    if (p.practitionerId) s.practitionerId = p.practitionerId;
  } else if (p.kind === 'client') s.organizationId = p.organizationId;
  else if (p.kind === 'resident') s.patientId = p.patientId;
  else if (p.relatedPersonIds[0]) s.relatedPersonIds = [p.relatedPersonIds[0]];
  return s;
}

/** The entry as recorded (its time fixed), and the AuditEvent it builds. */
export function toAuditRecord(entry: AuditEntry, id: string): { record: AuditRecord; event: AuditEvent } {
  const recorded = new Date(entry.when ?? Date.now()).toISOString();
  const { principal, when: _when, interaction, requestId: _requestId, status, patientIds, ...rest } = entry;
  const detail: AuditDetail = { ...rest };
  if (principal) detail.principal = snapshot(principal);
  if (patientIds && patientIds.length > 0) detail.patientIds = patientIds;
  const event = buildAuditEvent({ ...entry, when: recorded }, id);
  const requestor = event.agent[0];
  const who = requestor.who;
  const ident = who?.identifier;
  const agent = who?.reference
    ?? (ident?.system === ONESTORY_USER ? `user:${ident.value}` : ident?.system === ONESTORY_CLIENT ? `client:${ident.value}` : null);
  const entityRefs = (event.entity ?? []).map((e) => e.what?.reference).filter((r): r is string => typeof r === 'string');
  const record: AuditRecord = {
    id,
    recorded,
    interaction,
    action: event.action!,
    outcome: event.outcome!,
    status: status ?? null,
    agent,
    userId: requestor.altId ?? null,
    role: requestor.role?.[0]?.coding?.[0]?.code ?? 'unknown',
    organizationId: event.agent.find((a) => a.who?.reference?.startsWith('Organization/'))?.who?.reference?.slice('Organization/'.length) ?? null,
    patientIds: [...new Set(entityRefs.filter((r) => r.startsWith('Patient/')).map((r) => r.slice('Patient/'.length)))],
    resources: entityRefs.filter((r) => !r.startsWith('Patient/')),
    reason: event.purposeOfEvent?.[0]?.text ?? null,
    requestId: (event.entity ?? []).find((e) => e.what?.identifier?.system === ONESTORY_REQUEST)?.what?.identifier?.value ?? null,
    detail: JSON.stringify(detail),
    legacy: null,
  };
  return { record, event: withMeta(event, recorded) };
}

/** The server meta every AuditEvent carries: one version, last updated when recorded. */
function withMeta(event: AuditEvent, recorded: string): AuditEvent {
  return { ...event, meta: { versionId: '1', lastUpdated: recorded } };
}

/** The AuditEvent of a stored record, rendered as it was built when recorded (or as migrated). */
export function renderAuditEvent(r: AuditRecord): AuditEvent {
  if (r.legacy !== null) return JSON.parse(r.legacy) as AuditEvent;
  const detail = JSON.parse(r.detail ?? '{}') as AuditDetail;
  const { principal, patientIds, ...rest } = detail;
  const entry: AuditEntry = {
    ...rest,
    interaction: r.interaction,
    when: r.recorded,
    ...(principal ? { principal: principal as Principal } : {}),
    ...(patientIds ? { patientIds } : {}),
    ...(r.requestId !== null ? { requestId: r.requestId } : {}),
    ...(r.status !== null ? { status: r.status } : {}),
  };
  return withMeta(buildAuditEvent(entry, r.id), r.recorded);
}

/**
 * What a chain link's hash covers: for a migrated event, the AuditEvent as it was stored (the hash
 * made before migration still verifies); otherwise every stored field of the row but its position.
 */
export function hashedContent(r: AuditRecord | StoredAuditRecord): unknown {
  if (r.legacy !== null) return JSON.parse(r.legacy);
  const { legacy: _legacy, seq: _seq, ...fields } = r as StoredAuditRecord;
  return fields;
}
