import type { Principal } from '../principal.js';
import { CLINICAL_ROLES, type Decision } from './policy.js';

/**
 * The people behind an outcome indicator (issue 14 part 9): the actionable list of a clinician's own
 * patients behind a figure, such as mothers smoking at delivery with no stop-smoking referral. For
 * clinical staff only; who is named is then decided per person by the row restriction (a care
 * relationship), never by this verb. ICB analysts read aggregates (aggregate.read) and never lists
 * of people: that separation is what keeps the published figures from pointing at anyone.
 */
export type OutcomesVerb = 'outcomes.people' | 'outcomes.submit';

/**
 * A figure a partner submits for an indicator the record cannot hold (issue 14 part 3): the
 * organisations that own the indicator's figures, and the council area the figure's place lies in
 * (`kent`, `medway`, or null for the whole system and partnerships that span both).
 */
export interface SubmitSubject { owners: readonly string[]; area: 'kent' | 'medway' | null }

/** The councils' organisations and the area each submits for: a council reports its own area, never the other's. */
export const COUNCIL_AREAS: Readonly<Record<string, 'kent' | 'medway'>> = { 'org-kcc': 'kent', 'org-medway-council': 'medway' };

/**
 * outcomes.submit: the owner partner's own people (staff acting for an owning organisation, or its
 * system integration), and a council only for places in its own area; ICB analysts for every
 * submitted indicator and place, because the ICB collates the returns partners send it by other
 * routes. Nobody else: a figure from the wrong organisation would be shown as the owner's.
 */
function canSubmit(p: Principal, s: SubmitSubject | undefined): Decision {
  if (p.kind !== 'staff' && p.kind !== 'client') return { allowed: false, reason: 'figures are submitted by the partners that own them' };
  if (p.kind === 'staff' && p.role === 'icb-analyst') return { allowed: true, reason: 'ICB analysts collate and submit partners\' figures for every place' };
  if (!s) return { allowed: false, reason: 'only the staff of the organisation that owns an indicator\'s figures submit them' };
  if (!s.owners.includes(p.organizationId)) return { allowed: false, reason: `${p.organizationId} does not own this indicator's figures: its owners are ${s.owners.join(', ')}` };
  const area = COUNCIL_AREAS[p.organizationId];
  if (area && s.area !== area) return { allowed: false, reason: `${p.organizationId} submits figures for places in its own area (${area}) only` };
  return { allowed: true, reason: `${p.organizationId} owns this indicator's figures` };
}

export function canOutcomes(p: Principal, verb: OutcomesVerb, subject?: SubmitSubject): Decision {
  if (verb === 'outcomes.submit') return canSubmit(p, subject);
  if (p.kind !== 'staff') return { allowed: false, reason: 'the lists behind the indicators are for staff' };
  if (p.role === 'icb-analyst') {
    return { allowed: false, reason: 'ICB analysts see aggregate figures only; the people behind a figure are listed only to clinicians with a care relationship to them' };
  }
  if (CLINICAL_ROLES.includes(p.role)) return { allowed: true, reason: `${p.role} sees the people in their care behind an indicator` };
  return { allowed: false, reason: `${p.role} does not work from lists of patients behind the indicators` };
}
