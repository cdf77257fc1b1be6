import type { Principal } from '../principal.js';
import { canAdmin, type AdminClientSubject, type AdminPersonSubject, type AdminUserSubject, type AdminVerb } from './admin.policy.js';
import { canUseApp, type AccessLogSubject, type AppVerb } from './app.policy.js';
import { canAggregate, type AggregateVerb } from './aggregate.policy.js';
import { canAssess, type AssessmentSubject, type AssessmentVerb } from './assessment.policy.js';
import { canBreakGlass, type BreakGlassVerb } from './break-glass.policy.js';
import { canCoordinate, type CareCoordinationSubject, type CareCoordinationVerb } from './care-coordination.policy.js';
import { canFeedback, type FeedbackVerb } from './feedback.policy.js';
import { canDischarge, type DischargeSubject, type DischargeVerb } from './discharge.policy.js';
import { canCohort, type CohortVerb } from './cohort.policy.js';
import { canOutcomes, type OutcomesVerb, type SubmitSubject } from './outcomes.policy.js';
import { canPlan, type PlanSubject, type PlanVerb } from './plan.policy.js';
import type { Decision } from './policy.js';
import { canReferral, type ReferralSubject, type ReferralVerb } from './referral.policy.js';
import { canSocialPrescribing, type SocialPrescribingSubject, type SocialPrescribingVerb } from './social-prescribing.policy.js';
import { canTask, type TaskSubject, type TaskVerb } from './task.policy.js';

/**
 * The platform's own actions, beyond FHIR's REST interactions: dotted verbs, one area file each.
 * `can(principal, verb, subject)` (policy.ts) sends them here.
 */
export type DomainVerb = TaskVerb | BreakGlassVerb | AggregateVerb | ReferralVerb | PlanVerb | CareCoordinationVerb | AppVerb | AdminVerb | DischargeVerb | CohortVerb | OutcomesVerb | SocialPrescribingVerb | AssessmentVerb | FeedbackVerb;
// Spelled out here, not spread from the area files, so that they (which call can() back) load in
// any order; `satisfies` keeps the list within the union, and VerbSubjects below names every verb.
export const DOMAIN_VERBS = [
  'task.claim', 'task.transition', 'task.reassign', 'task.create',
  'breakglass.request', 'breakglass.review', 'aggregate.read',
  'referral.send', 'referral.accept', 'referral.reject', 'referral.progress', 'referral.reroute', 'referral.cancel', 'referral.redirect', 'plan.agree',
  'plan.edit', 'plan.contribute', 'plan.review.request', 'mdt.manage', 'named-professional.assign', 'named-professional.accept',
  'workspace.use', 'portal.use', 'accesslog.read',
  'admin.users.manage', 'admin.clients.manage', 'admin.people.link',
  'discharge.board', 'discharge.hub', 'discharge.plan', 'pathways.board',
  'cohort.build', 'outcomes.people', 'outcomes.submit', 'social-prescribing.record', 'assessment.start', 'assessment.answer', 'assessment.complete', 'feedback.answer',
] as const satisfies readonly DomainVerb[];
/** Fails to compile when a verb of the union is missing from DOMAIN_VERBS (the matrix iterates the list). */
const everyVerbListed: Exclude<DomainVerb, (typeof DOMAIN_VERBS)[number]> extends never ? true : never = true;
void everyVerbListed;

/** What each verb is decided about (none for the verbs that depend on the principal alone). */
export interface VerbSubjects {
  'task.claim': TaskSubject;
  'task.transition': TaskSubject;
  'task.reassign': TaskSubject;
  'task.create': TaskSubject;
  'breakglass.request': undefined;
  'breakglass.review': undefined;
  'aggregate.read': undefined;
  'referral.send': undefined;
  'referral.accept': ReferralSubject;
  'referral.reject': ReferralSubject;
  'referral.progress': ReferralSubject;
  'referral.reroute': ReferralSubject;
  'referral.cancel': ReferralSubject;
  'referral.redirect': ReferralSubject;
  'plan.agree': PlanSubject;
  'plan.edit': PlanSubject;
  'plan.contribute': PlanSubject;
  'plan.review.request': PlanSubject;
  'mdt.manage': CareCoordinationSubject | undefined;
  'named-professional.assign': CareCoordinationSubject;
  'named-professional.accept': CareCoordinationSubject;
  'workspace.use': undefined;
  'portal.use': undefined;
  'accesslog.read': AccessLogSubject | undefined;
  'admin.users.manage': AdminUserSubject | undefined;
  'admin.clients.manage': AdminClientSubject | undefined;
  'admin.people.link': AdminPersonSubject | undefined;
  'discharge.board': DischargeSubject | undefined;
  'discharge.hub': DischargeSubject | undefined;
  'discharge.plan': DischargeSubject | undefined;
  'pathways.board': DischargeSubject | undefined;
  'cohort.build': undefined;
  'outcomes.people': undefined;
  'outcomes.submit': SubmitSubject | undefined;
  'social-prescribing.record': SocialPrescribingSubject;
  'assessment.start': AssessmentSubject;
  'assessment.answer': AssessmentSubject;
  'assessment.complete': AssessmentSubject;
  'feedback.answer': undefined;
}

export function isDomainVerb(v: string): v is DomainVerb {
  return (DOMAIN_VERBS as readonly string[]).includes(v);
}

export function decideVerb(p: Principal, verb: DomainVerb, subject: unknown): Decision {
  switch (verb) {
    case 'task.claim': case 'task.transition': case 'task.reassign': case 'task.create':
      return canTask(p, verb, subject as TaskSubject | undefined);
    case 'breakglass.request': case 'breakglass.review':
      return canBreakGlass(p, verb);
    case 'aggregate.read':
      return canAggregate(p, verb);
    case 'referral.send': case 'referral.accept': case 'referral.reject': case 'referral.progress': case 'referral.reroute': case 'referral.cancel': case 'referral.redirect':
      return canReferral(p, verb, subject as ReferralSubject | undefined);
    case 'plan.agree': case 'plan.edit': case 'plan.contribute': case 'plan.review.request':
      return canPlan(p, verb, subject as PlanSubject | undefined);
    case 'mdt.manage': case 'named-professional.assign': case 'named-professional.accept':
      return canCoordinate(p, verb, subject as CareCoordinationSubject | undefined);
    case 'workspace.use': case 'portal.use': case 'accesslog.read':
      return canUseApp(p, verb, subject as AccessLogSubject | undefined);
    case 'admin.users.manage': case 'admin.clients.manage': case 'admin.people.link':
      return canAdmin(p, verb, subject as AdminUserSubject | AdminClientSubject | AdminPersonSubject | undefined);
    case 'discharge.board': case 'discharge.hub': case 'discharge.plan': case 'pathways.board':
      return canDischarge(p, verb, subject as DischargeSubject | undefined);
    case 'cohort.build':
      return canCohort(p, verb);
    case 'outcomes.people': case 'outcomes.submit':
      return canOutcomes(p, verb, subject as SubmitSubject | undefined);
    case 'social-prescribing.record':
      return canSocialPrescribing(p, verb, subject as SocialPrescribingSubject | undefined);
    case 'assessment.start': case 'assessment.answer': case 'assessment.complete':
      return canAssess(p, verb, subject as AssessmentSubject | undefined);
    case 'feedback.answer':
      return canFeedback(p, verb);
  }
}
