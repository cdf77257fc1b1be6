import type { CarePlan } from '@medplum/fhirtypes';
import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';
import { refKey } from './relationship.rules.js';

/**
 * Agreeing a care plan: the person themself, their proxy when the person's consent grant covers
 * CarePlan, or clinical staff with a care relationship with the person. The caller resolves the
 * grant and the relationship (the proxy_grant and care_relationship tables).
 */
export interface PlanSubject {
  plan: CarePlan;
  /** The proxy's current grant for the plan's person covers CarePlan. */
  proxyGrantCoversPlan?: boolean;
  /** One of the staff member's parties has a care relationship with the plan's person. */
  careRelationship?: boolean;
}

export type PlanVerb = 'plan.agree';

export function canPlan(p: Principal, _verb: PlanVerb, s: PlanSubject | undefined): Decision {
  if (!s?.plan) return { allowed: false, reason: 'plan.agree needs the plan' };
  const k = refKey(s.plan.subject);
  const patient = k?.type === 'Patient' ? k.id : undefined;
  if (!patient) return { allowed: false, reason: 'the plan names no person' };
  switch (p.kind) {
    case 'resident':
      return patient === p.patientId ? { allowed: true, reason: 'a person agrees their own plan' } : { allowed: false, reason: 'a person agrees only their own plan' };
    case 'proxy':
      return p.patientIds.includes(patient) && s.proxyGrantCoversPlan
        ? { allowed: true, reason: 'the person\'s consent lets their carer agree care plans' }
        : { allowed: false, reason: 'the person has not granted their carer access to care plans' };
    case 'staff':
      if (!CLINICAL_ROLES.includes(p.role)) return { allowed: false, reason: `${p.role} does not agree care plans` };
      return s.careRelationship ? { allowed: true, reason: 'clinical staff caring for the person' } : { allowed: false, reason: 'no care relationship with the person' };
    default:
      return { allowed: false, reason: 'a plan is agreed by people, not system clients' };
  }
}
