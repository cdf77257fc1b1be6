import type { Principal } from '../principal.js';
import type { Decision } from './policy.js';

/**
 * Answering the clinical vision's 'I' statements (src/outcomes/i-statements.ts): a resident for
 * themselves in the portal, a member of staff for themselves in the workspace. A carer acting for
 * someone does not answer for them (the statements are the person's own view), nor does a system.
 */
export type FeedbackVerb = 'feedback.answer';

export function canFeedback(p: Principal, _verb: FeedbackVerb): Decision {
  if (p.kind === 'resident') return { allowed: true, reason: 'Residents answer the \'I\' statements for themselves' };
  if (p.kind === 'staff') return { allowed: true, reason: 'Staff answer the staff \'I\' statements for themselves' };
  return { allowed: false, reason: p.kind === 'proxy' ? 'The \'I\' statements are the person\'s own view: a carer does not answer them for someone' : 'Only people answer the \'I\' statements' };
}
