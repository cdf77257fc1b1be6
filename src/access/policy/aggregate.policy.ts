import type { Principal } from '../principal.js';
import type { Decision } from './policy.js';

/** Counts over the whole record, with small numbers suppressed (aggregate.service.ts), for ICB analysts only. */
export type AggregateVerb = 'aggregate.read';

export function canAggregate(p: Principal, _verb: AggregateVerb): Decision {
  return p.kind === 'staff' && p.role === 'icb-analyst'
    ? { allowed: true, reason: 'ICB analysts read aggregates (small numbers suppressed)' }
    : { allowed: false, reason: 'Aggregates are for ICB analysts' };
}
