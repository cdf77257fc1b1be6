import type { StaffRole } from '../principal.js';
import type { Principal } from '../principal.js';
import type { Decision } from './policy.js';

/**
 * Emergency access (docs/access-policy.md, "Break-glass"): who may be offered and ask for it, and
 * who reviews it. Break-glass is for clinical roles with direct care duties; care coordinators and
 * social prescribing link workers organise care and support but are not clinicians, so they work
 * from a referral or care team membership, never by breaking glass.
 */
export const BREAK_GLASS_ROLES: readonly StaffRole[] = [
  'gp', 'practice-nurse', 'community-nurse', 'social-worker', 'mental-health-practitioner', 'discharge-coordinator',
];

export type BreakGlassVerb = 'breakglass.request' | 'breakglass.review';

export function canBreakGlass(p: Principal, verb: BreakGlassVerb): Decision {
  if (verb === 'breakglass.request') {
    return p.kind === 'staff' && BREAK_GLASS_ROLES.includes(p.role)
      ? { allowed: true, reason: `${p.role} may assert emergency access` }
      : { allowed: false, reason: 'Only clinical staff may use break-glass access' };
  }
  return p.kind === 'staff' && p.role === 'privacy-officer'
    ? { allowed: true, reason: 'privacy officers review emergency access' }
    : { allowed: false, reason: 'Break-glass review is for privacy officers' };
}
