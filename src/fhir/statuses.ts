/**
 * What FHIR statuses mean, for the rules more than one part reads: the access policy's care
 * relationships (src/access/policy/relationship.rules.ts) and the record page's care team and
 * sections (src/record-view). Defined once so that who counts as caring for a person now is the same
 * question in both.
 *
 * Two kinds of list, deliberately not merged: a relationship grants access only while the status says
 * the care is under way (an `unknown` or `planned` status grants nothing), while the summary hides an
 * entry only when its status says it is over (anything else is still worth showing).
 */

/** A care team is current while active; one with no status is taken as current. */
export const isActiveCareTeam = (team: { status?: string }): boolean => !team.status || team.status === 'active';

/** An episode of care under way: started (waiting lists and holds count), not ended. `planned` is not yet. */
export const ACTIVE_EPISODE_STATUSES: ReadonlySet<string> = new Set(['active', 'waitlist', 'onhold']);

/** An encounter under way or booked: not `finished`, `cancelled`, `entered-in-error` or `unknown`. */
export const OPEN_ENCOUNTER_STATUSES: ReadonlySet<string> = new Set(['planned', 'arrived', 'triaged', 'in-progress', 'onleave']);

/**
 * Status codes (status, clinical-status, lifecycle-status, of any type) of entries that are over: not
 * shown in the summary's sections. A `failed` Task is not among them, though it is final: work that
 * failed still needs someone's attention.
 */
export const CLOSED_STATUSES: readonly string[] = [
  'completed', 'stopped', 'cancelled', 'entered-in-error', 'revoked', 'finished', 'inactive', 'rejected', 'resolved', 'remission',
];
