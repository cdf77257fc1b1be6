import type { Queryable } from '../db/database.js';
import type { GuardedWrite } from './request-context.js';

/**
 * A rule of the record about what a write may contain, beyond validation: e.g. which status a
 * Task may move to from the one it has (src/workflow supplies that one). The record only knows this
 * interface, so it never imports the layers that define the rules.
 *
 * ResourceService applies the rules of a write's type on every write path (create, update-as-create,
 * update, conditional update, patch, and a transaction's new resources), after the access layer has
 * accepted the write and before anything is stored, so a refusal writes nothing. They apply to
 * writes made for a caller (`RequestContext.access` set): the platform's own writes (NDJSON import,
 * the synthetic population, test fixtures) record history that was decided elsewhere, e.g. a Task
 * completed last year in another system, and are not replayed through the rules.
 */
export interface WriteRule {
  /** The resource types the rule is about. */
  types: readonly string[];
  /** Throws a FhirError (422 for a refused change) when the write breaks the rule. */
  check(write: GuardedWrite, q: Queryable): void | Promise<void>;
}

/** Runs every rule about `write.type`, in order. */
export async function applyWriteRules(rules: readonly WriteRule[], write: GuardedWrite, q: Queryable): Promise<void> {
  for (const rule of rules) {
    if (rule.types.includes(write.type)) await rule.check(write, q);
  }
}
