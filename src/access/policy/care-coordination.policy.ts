import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';

/**
 * Bringing a team around a person: multidisciplinary team (MDT) meetings and the named professional.
 *
 * - mdt.manage: arrange a meeting (no subject), or, with a subject, add a person to it, record the
 *   discussion and give actions: clinical staff; about a person, only with a care relationship with them.
 * - named-professional.assign: name the person's named professional, or propose a handover to a
 *   successor: clinical staff with a care relationship with the person.
 * - named-professional.accept: accept a handover: only the successor it names (their Practitioner).
 */
export interface CareCoordinationSubject {
  /** One of the staff member's parties has a care relationship with the person. */
  careRelationship?: boolean;
  /** `Practitioner/id` a handover names as the successor. */
  successor?: string;
}

export type CareCoordinationVerb = 'mdt.manage' | 'named-professional.assign' | 'named-professional.accept';

export function canCoordinate(p: Principal, verb: CareCoordinationVerb, s: CareCoordinationSubject | undefined): Decision {
  if (p.kind !== 'staff') return { allowed: false, reason: 'care coordination is for staff' };
  if (!CLINICAL_ROLES.includes(p.role)) return { allowed: false, reason: `${p.role} does not coordinate care` };
  switch (verb) {
    case 'mdt.manage':
      if (!s) return { allowed: true, reason: 'clinical staff arrange and attend MDT meetings' };
      return s.careRelationship ? { allowed: true, reason: 'clinical staff caring for the person' } : { allowed: false, reason: 'no care relationship with the person' };
    case 'named-professional.assign':
      return s?.careRelationship ? { allowed: true, reason: 'clinical staff caring for the person' } : { allowed: false, reason: 'no care relationship with the person' };
    case 'named-professional.accept':
      return s?.successor && p.practitionerId && s.successor === `Practitioner/${p.practitionerId}`
        ? { allowed: true, reason: 'the successor the handover names accepts it' }
        : { allowed: false, reason: 'only the professional the handover names may accept it' };
  }
}
