/**
 * The access policy: the one place access is decided. Its derived tables (care relationships,
 * sharing objections, proxy grants) are registered with the record's write path explicitly, by
 * src/platform.ts (registerPolicyTables), before the first write: importing this module has no effect.
 */
export { can, readableTypes, linkedPatients, roleRule, ACTIONS, type Action, type Decision } from './policy.js';
export { restrictionFor, OBJECTION_EXEMPT_TYPES } from './row-restriction.js';
export { WriteRemitService, type WriteDecision } from './write-remit.service.js';
export { BreakGlassService, BREAK_GLASS_REASONS, BREAK_GLASS_HOURS, type BreakGlassReason } from './break-glass.service.js';
export type { BreakGlassGrant } from './break-glass.repository.js';
export { AggregateService, SMALL_NUMBER_THRESHOLD, type AggregateResult } from './aggregate.service.js';
export { VisibilityRepository } from './visibility.repository.js';
export { accessContext } from './record-access.js';
export { DOMAIN_VERBS, type DomainVerb, type VerbSubjects } from './domain-verbs.js';
export type { TaskSubject } from './task.policy.js';
export { TeamMembershipRepository } from './team-membership.repository.js';
export { SENSITIVE_LABELS } from './security-labels.js';
export * from './policy-codes.js';
export { registerPolicyTables } from './relationship.rules.js';
