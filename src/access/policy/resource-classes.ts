import { SUPPORTED_TYPES } from '../../fhir/definitions.js';
import { patientCompartment } from '../../fhir/everything.service.js';

/**
 * How the policy classes resource types. Patient-compartment types (base R4 compartment
 * definition) are a person's record; everything else the platform holds is a shared directory
 * (organisations, services, staff, questionnaires, measures, medications) visible to every user.
 * AuditEvent is in the compartment but has its own rules (privacy officers; the person themselves).
 */
export const AUDIT_TYPE = 'AuditEvent';

let links: Map<string, string[]> | undefined;

/** Compartment type → the search parameters whose Patient references put a row in a patient's record. */
export function compartmentLinks(): Map<string, string[]> {
  if (!links) {
    links = new Map(patientCompartment().filter((c) => c.type !== 'Patient').map((c) => [c.type, c.params]));
  }
  return links;
}

/** Types that are part of a person's record (Patient itself included). */
export function isRecordType(type: string): boolean {
  return type === 'Patient' || compartmentLinks().has(type);
}

// Fixed for the life of the process (the supported types and the compartment are constants), and asked
// for on every signed-in request (the row restriction, can()): computed once. Frozen, so a caller that
// tried to change the shared list would fail loudly instead of changing every later answer.
let directory: readonly string[] | undefined;
let record: readonly string[] | undefined;

export function directoryTypes(): readonly string[] {
  return (directory ??= Object.freeze(SUPPORTED_TYPES.filter((t) => !isRecordType(t))));
}

export function recordTypes(): readonly string[] {
  return (record ??= Object.freeze(SUPPORTED_TYPES.filter((t) => isRecordType(t))));
}
