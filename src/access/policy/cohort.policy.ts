import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';

/**
 * Finding people at risk (src/proactive-care): the cohort builder (/cohorts) and case finding
 * (/case-finding). Counts are for clinical staff and ICB analysts; who is named in a list is decided
 * per person by the row restriction (a care relationship), never by this verb, so an analyst, who
 * has no relationships, sees counts only. Saving a cohort as a Group is refused by the service when
 * it would name anyone the user may not see by name.
 */
export type CohortVerb = 'cohort.build';

export function canCohort(p: Principal, _verb: CohortVerb): Decision {
  if (p.kind !== 'staff') return { allowed: false, reason: 'cohorts and case finding are for staff' };
  if (CLINICAL_ROLES.includes(p.role) || p.role === 'icb-analyst') return { allowed: true, reason: `${p.role} finds people at risk (names only of people in their care)` };
  return { allowed: false, reason: `${p.role} does not build cohorts` };
}
