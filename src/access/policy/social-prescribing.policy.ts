import type { Principal } from '../principal.js';
import { can, type Decision } from './policy.js';

/**
 * Social prescribing (src/social-prescribing): the link worker's caseload.
 *
 * - `social-prescribing.record`: record the "what matters to me" conversation, contacts and wellbeing
 *   scores for a person referred to the link worker: a social prescribing link worker whose
 *   organisation (or one of its services, or they themselves) the referral is addressed to. The caller
 *   resolves `receiver` (referral.policy.ts isReceiver) from the referral it read under the row restriction.
 */
export interface SocialPrescribingSubject {
  /** The referral is addressed to the principal's organisation, one of its services, or them. */
  receiver: boolean;
}

export type SocialPrescribingVerb = 'social-prescribing.record';

export function canSocialPrescribing(p: Principal, _verb: SocialPrescribingVerb, s: SocialPrescribingSubject | undefined): Decision {
  if (p.kind !== 'staff' || p.role !== 'link-worker') return { allowed: false, reason: 'the social prescribing caseload is kept by link workers' };
  for (const type of ['Communication', 'QuestionnaireResponse'] as const) {
    const c = can(p, 'create', type);
    if (!c.allowed) return c;
  }
  return s?.receiver
    ? { allowed: true, reason: 'the person was referred to the link worker’s organisation' }
    : { allowed: false, reason: 'the person was not referred to the link worker’s organisation' };
}
