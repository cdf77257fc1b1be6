import type { ServiceRequest } from '@medplum/fhirtypes';
import type { Principal } from '../principal.js';
import { can, type Decision } from './policy.js';
import { refKey } from './relationship.rules.js';

/**
 * Accepting a referral (an active ServiceRequest): staff of the organisation it is addressed to
 * (`performer`), directly, through one of its HealthcareServices, or as a member of a performer
 * CareTeam. The caller resolves the services' organisations and the principal's teams.
 */
export interface ReferralSubject {
  serviceRequest: ServiceRequest;
  /** HealthcareService id → the Organization id that provides it, for the services among the performers. */
  serviceOrganizations: Readonly<Record<string, string>>;
  /** Of the CareTeams among the performers, those the principal is a member of. */
  teamIds: readonly string[];
}

export type ReferralVerb = 'referral.accept';

export function canReferral(p: Principal, _verb: ReferralVerb, s: ReferralSubject | undefined): Decision {
  if (p.kind !== 'staff') return { allowed: false, reason: 'a referral is accepted by staff of the service it is addressed to' };
  const u = can(p, 'update', 'ServiceRequest');
  if (!u.allowed) return u;
  if (!s?.serviceRequest) return { allowed: false, reason: 'referral.accept needs the referral' };
  if (s.serviceRequest.status !== 'active') return { allowed: false, reason: `a ${s.serviceRequest.status} referral cannot be accepted` };
  const addressed = (s.serviceRequest.performer ?? []).some((r) => {
    const k = refKey(r);
    if (!k) return false;
    if (k.type === 'Organization') return k.id === p.organizationId;
    if (k.type === 'Practitioner') return k.id === p.practitionerId;
    if (k.type === 'HealthcareService') return s.serviceOrganizations[k.id] === p.organizationId;
    if (k.type === 'CareTeam') return s.teamIds.includes(k.id);
    return false;
  });
  return addressed
    ? { allowed: true, reason: 'the referral is addressed to the user\'s organisation, service or team' }
    : { allowed: false, reason: 'the referral is addressed to another organisation' };
}
