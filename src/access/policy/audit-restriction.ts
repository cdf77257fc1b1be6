import type { Params } from '../../fhir/search.repository.js';
import type { Principal } from '../principal.js';
import { roleRule } from './policy.js';

/**
 * A condition on a row of `audit_event` (alias `e`…): the AuditEvents a principal may see. The same
 * rule as `restrictionFor` applies to AuditEvent rows of the record: privacy officers see every
 * event; a resident sees the events that link to nobody but themselves (the people whose record was
 * touched, and the resident as the one who acted), and never an event that names nobody; no one else
 * sees any (their role does not read AuditEvent at all: can() refuses them first).
 */
export type AuditRowRestriction = (alias: string, params: Params) => string | undefined;

export function auditRestrictionFor(p: Principal): AuditRowRestriction {
  if (p.kind === 'staff' && roleRule(p.role).readAudit) return () => undefined;
  return (a, params) => {
    if (p.kind !== 'resident') return 'false';
    const self = params.add(p.patientId);
    const agentPatient = `coalesce(${a}.agent LIKE 'Patient/%', false)`;
    return `((cardinality(${a}.patient_ids) > 0 OR ${agentPatient}) AND ${a}.patient_ids <@ ARRAY[${self}::text]
      AND (NOT ${agentPatient} OR ${a}.agent = 'Patient/' || ${self}))`;
  };
}
