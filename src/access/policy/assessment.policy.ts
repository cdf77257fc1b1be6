import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';

/**
 * A joint assessment (issue 12 part 4): health and social care, the person and their carer answer
 * one assessment together, each their own part.
 *
 * - assessment.start: start a joint assessment for a person and give out its parts: clinical staff
 *   with a care relationship with the person.
 * - assessment.answer: answer a part: staff (clinical, or a voluntary organisation's worker) of the
 *   organisation the part is assigned to; the person themself for their own part ("about me"). Nobody
 *   else, whatever else they may see (hazard JA-1).
 * - assessment.complete: complete the assessment once every part is answered: clinical staff with a
 *   care relationship with the person (the record's rule refuses it with parts missing).
 */
export interface AssessmentSubject {
  /** Who the part is assigned to: `Organization/id` or `Patient/id`. */
  owner?: string;
  /** The person the assessment is about. */
  patientId?: string;
  /** One of the staff member's parties has a care relationship with the person. */
  careRelationship?: boolean;
}

export type AssessmentVerb = 'assessment.start' | 'assessment.answer' | 'assessment.complete';

export function canAssess(p: Principal, verb: AssessmentVerb, s: AssessmentSubject | undefined): Decision {
  switch (verb) {
    case 'assessment.start': case 'assessment.complete':
      if (p.kind !== 'staff' || !CLINICAL_ROLES.includes(p.role)) return { allowed: false, reason: 'joint assessments are started and completed by clinical staff' };
      return s?.careRelationship ? { allowed: true, reason: 'clinical staff caring for the person' } : { allowed: false, reason: 'no care relationship with the person' };
    case 'assessment.answer':
      if (p.kind === 'resident') {
        return s?.owner === `Patient/${p.patientId}` ? { allowed: true, reason: 'the person answers their own part' } : { allowed: false, reason: 'a person answers only their own part' };
      }
      if (p.kind !== 'staff' || !(CLINICAL_ROLES.includes(p.role) || p.role === 'vcse-worker')) return { allowed: false, reason: 'parts are answered by the staff they are assigned to, or by the person' };
      return s?.owner === `Organization/${p.organizationId}` ? { allowed: true, reason: 'staff of the organisation the part is assigned to' } : { allowed: false, reason: 'this part is assigned to another organisation' };
  }
}
