import type { ServiceRequest } from '@medplum/fhirtypes';
import type { Principal } from '../principal.js';
import { recordedByOf } from './policy-codes.js';
import { can, type Decision } from './policy.js';
import { refKey } from './relationship.rules.js';

/**
 * Referrals between partners (src/referrals): a ServiceRequest addressed to a service (`performer`:
 * a HealthcareService, an Organization, a Practitioner or a CareTeam) and the Task its receiver works.
 * Only the receiver moves a referral on (accept, reject, start, hold, complete, fail, re-route to
 * another service); only the requester's side (the organisation that recorded it, or the requester it
 * names) cancels it. The caller resolves the services' organisations and the principal's teams.
 */
export interface ReferralSubject {
  serviceRequest: ServiceRequest;
  /** HealthcareService id → the Organization id that provides it, for the services among the performers. */
  serviceOrganizations: Readonly<Record<string, string>>;
  /** Of the CareTeams among the performers, those the principal is a member of. */
  teamIds: readonly string[];
  /** The service declined it: its latest Task is rejected (the requester may then re-route it). */
  declined?: boolean;
}

/**
 * - `referral.send`: make a referral (staff who write ServiceRequests and Tasks: clinical roles, VCSE workers, reception).
 * - `referral.accept`, `referral.reject`, `referral.progress` (start, hold, resume, complete, fail),
 *   `referral.reroute`: the receiver, on an active referral.
 * - `referral.cancel`: the requester's side, on an active referral.
 * - `referral.redirect`: the requester's side, on a referral the service declined: send it on to another
 *   service (a new Task for that service's organisation).
 */
export type ReferralVerb = 'referral.send' | 'referral.accept' | 'referral.reject' | 'referral.progress' | 'referral.reroute' | 'referral.cancel' | 'referral.redirect';

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** Whether the referral is addressed to the principal: their organisation, one of its services, themselves, or a team of theirs. */
export function isReceiver(p: Principal, s: ReferralSubject): boolean {
  if (p.kind !== 'staff') return false;
  return (s.serviceRequest.performer ?? []).some((r) => {
    const k = refKey(r);
    if (!k) return false;
    if (k.type === 'Organization') return k.id === p.organizationId;
    if (k.type === 'Practitioner') return k.id === p.practitionerId;
    if (k.type === 'HealthcareService') return s.serviceOrganizations[k.id] === p.organizationId;
    if (k.type === 'CareTeam') return s.teamIds.includes(k.id);
    return false;
  });
}

/** Whether the principal is on the referral's requesting side: their organisation recorded it, or it names them (or their organisation) as requester. */
export function isReferrer(p: Principal, sr: ServiceRequest): boolean {
  if (p.kind !== 'staff' && p.kind !== 'client') return false;
  if (recordedByOf(sr).includes(p.organizationId)) return true;
  const k = refKey(sr.requester);
  return (k?.type === 'Organization' && k.id === p.organizationId) || (k?.type === 'Practitioner' && p.kind === 'staff' && k.id === p.practitionerId);
}

export function canReferral(p: Principal, verb: ReferralVerb, s: ReferralSubject | undefined): Decision {
  if (p.kind !== 'staff') return deny('referrals are sent and worked by staff');
  if (verb === 'referral.send') {
    const c = can(p, 'create', 'ServiceRequest');
    if (!c.allowed) return c;
    const t = can(p, 'create', 'Task');
    return t.allowed ? allow(`${p.role} may refer people to services`) : t;
  }
  const u = can(p, 'update', 'ServiceRequest');
  if (!u.allowed) return u;
  if (!s?.serviceRequest) return deny(`${verb} needs the referral`);
  if (verb === 'referral.redirect') {
    const t = can(p, 'create', 'Task');
    if (!t.allowed) return t;
    if (!s.declined) return deny('only a referral the service declined can be re-routed by its requester');
    return isReferrer(p, s.serviceRequest)
      ? allow('the requester may send a declined referral on to another service')
      : deny('only the person or organisation that made the referral may re-route it');
  }
  if (s.serviceRequest.status !== 'active') return deny(`a ${s.serviceRequest.status} referral cannot be changed`);
  if (verb === 'referral.cancel') {
    return isReferrer(p, s.serviceRequest)
      ? allow('the requester may cancel their referral')
      : deny('only the person or organisation that made the referral may cancel it');
  }
  return isReceiver(p, s)
    ? allow('the referral is addressed to the user\'s organisation, service or team')
    : deny('the referral is addressed to another organisation: only its receiver moves it on');
}
