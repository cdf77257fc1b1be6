import { objectionOf, proxyGrantsOf } from './relationship.rules.js';

/** What a person's Consents say, read the way the access policy reads them (one reading for the policy and the pages). */
export interface ConsentReading {
  /** A sharing objection is in force: an active patient-privacy deny that names no actor. */
  sharingWithheld: boolean;
  /** Proxy grants in force at `now`: each RelatedPerson and the resource types it may see (null: every type). */
  proxyGrants: { relatedPersonId: string; types: string[] | null }[];
}

const inForce = (start: string | null, end: string | null, now: Date) =>
  (!start || Date.parse(start) <= now.getTime()) && (!end || Date.parse(end) > now.getTime());

/**
 * The policy's own rules (relationship.rules.ts: `objectionOf`, `proxyGrantsOf`, the same functions
 * that fill the sharing_objection and proxy_grant tables the row restriction reads), with a grant's
 * `provision.period` judged at `now` as the row restriction judges it. A page that says what is
 * shared, or withheld, uses this, so it can never disagree with what the policy does.
 */
export function readConsents(consents: unknown[], now: Date): ConsentReading {
  let sharingWithheld = false;
  const grants = new Map<string, Set<string> | null>();
  for (const c of consents) {
    if (objectionOf(c).length > 0) sharingWithheld = true;
    for (const [, relatedPersonId, type, start, end] of proxyGrantsOf(c)) {
      if (!inForce(start, end, now)) continue;
      const had = grants.get(relatedPersonId);
      if (type === null || had === null) grants.set(relatedPersonId, null);
      else grants.set(relatedPersonId, new Set([...(had ?? []), type]));
    }
  }
  return { sharingWithheld, proxyGrants: [...grants].map(([relatedPersonId, types]) => ({ relatedPersonId, types: types ? [...types] : null })) };
}
