import type { CarePlan } from '@medplum/fhirtypes';
import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';
import { refKey } from './relationship.rules.js';

/**
 * A personalised care and support plan is made with the person, by the professionals caring for
 * them, whichever organisation recorded it: so who may do what to a plan is decided here, with the
 * care relationship and the proxy grant resolved by the caller (the care_relationship and
 * proxy_grant tables, through the caller's row restriction), not by the record's "only the
 * recording organisation changes it" remit.
 *
 * - plan.edit: write the plan (sections, goals, actions, review, start or end it): clinical staff
 *   with a care relationship with the person.
 * - plan.agree: agree the plan: the person themself; their carer when the person's consent grant
 *   covers CarePlan; clinical staff recording the agreement of the person or their representative.
 * - plan.contribute: the person's own parts (what matters to me, confidence in each goal): the
 *   person, or their carer under a grant covering CarePlan (and Goal for confidence, decided alike).
 * - plan.review.request: ask for a review: the person, their carer under a grant covering CarePlan,
 *   or clinical staff caring for them.
 */
export interface PlanSubject {
  plan: CarePlan;
  /** The proxy's current grant for the plan's person covers CarePlan. */
  proxyGrantCoversPlan?: boolean;
  /** One of the staff member's parties has a care relationship with the plan's person. */
  careRelationship?: boolean;
}

export type PlanVerb = 'plan.agree' | 'plan.edit' | 'plan.contribute' | 'plan.review.request';

export function canPlan(p: Principal, verb: PlanVerb, s: PlanSubject | undefined): Decision {
  if (!s?.plan) return { allowed: false, reason: `${verb} needs the plan` };
  const k = refKey(s.plan.subject);
  const patient = k?.type === 'Patient' ? k.id : undefined;
  if (!patient) return { allowed: false, reason: 'the plan names no person' };
  switch (p.kind) {
    case 'resident':
      if (verb === 'plan.edit') return { allowed: false, reason: 'the person adds their own views; their professionals write the plan' };
      return patient === p.patientId ? { allowed: true, reason: 'a person takes part in their own plan' } : { allowed: false, reason: 'a person takes part only in their own plan' };
    case 'proxy':
      if (verb === 'plan.edit') return { allowed: false, reason: 'a carer adds their views; the professionals write the plan' };
      return p.patientIds.includes(patient) && s.proxyGrantCoversPlan
        ? { allowed: true, reason: 'the person\'s consent lets their carer take part in their care plan' }
        : { allowed: false, reason: 'the person has not granted their carer access to their care plan' };
    case 'staff':
      if (!CLINICAL_ROLES.includes(p.role)) return { allowed: false, reason: `${p.role} does not write or agree care plans` };
      if (verb === 'plan.contribute') return { allowed: false, reason: 'what matters to the person, and their confidence, are theirs to say' };
      return s.careRelationship ? { allowed: true, reason: 'clinical staff caring for the person' } : { allowed: false, reason: 'no care relationship with the person' };
    default:
      return { allowed: false, reason: 'a plan is made by people, not system clients' };
  }
}
