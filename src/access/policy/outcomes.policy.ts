import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';

/**
 * The people behind an outcome indicator (issue 14 part 9): the actionable list of a clinician's own
 * patients behind a figure, such as mothers smoking at delivery with no stop-smoking referral. For
 * clinical staff only; who is named is then decided per person by the row restriction (a care
 * relationship), never by this verb. ICB analysts read aggregates (aggregate.read) and never lists
 * of people: that separation is what keeps the published figures from pointing at anyone.
 */
export type OutcomesVerb = 'outcomes.people';

export function canOutcomes(p: Principal, _verb: OutcomesVerb): Decision {
  if (p.kind !== 'staff') return { allowed: false, reason: 'the lists behind the indicators are for staff' };
  if (p.role === 'icb-analyst') {
    return { allowed: false, reason: 'ICB analysts see aggregate figures only; the people behind a figure are listed only to clinicians with a care relationship to them' };
  }
  if (CLINICAL_ROLES.includes(p.role)) return { allowed: true, reason: `${p.role} sees the people in their care behind an indicator` };
  return { allowed: false, reason: `${p.role} does not work from lists of patients behind the indicators` };
}
