import { createHash } from 'node:crypto';

/**
 * Open Referral UK ids are UUIDs; the record's ids are not (`hs-vcs-001`). Each record entry gets a
 * stable name-based UUID (RFC 9562 version 5, SHA-1) from its type and id, so the API's ids never
 * change between calls, restarts or machines. An entry imported from another feed keeps the feed's
 * own UUID (stored as an identifier, OPENREFERRAL_ID_SYSTEM) so links into that feed stay valid.
 */
export const OPENREFERRAL_ID_SYSTEM = 'https://onestory.example/fhir/Id/openreferral';
/** The namespace of OneStory's directory UUIDs (a random UUID fixed here once). */
const NAMESPACE = '3f0c2a8e-6d1b-4c55-9a7e-2b9d41c6e7a0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && UUID.test(s);
}

const NAMESPACE_BYTES = Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex');
/**
 * Names already hashed: every page of search results derives its organisations' ids again (20 a
 * page, 7-17 µs each under load, mostly createHash), and the same few thousand names recur. Bounded:
 * emptied when full, so a crawl of every id costs memory only up to the bound.
 */
const derived = new Map<string, string>();
const MAX_DERIVED = 20_000;

/** The version 5 UUID of a name in OneStory's namespace. */
export function uuidFor(name: string): string {
  const known = derived.get(name);
  if (known !== undefined) return known;
  const h = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  const id = `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  if (derived.size >= MAX_DERIVED) derived.clear();
  derived.set(name, id);
  return id;
}

/** The Open Referral id of a record entry: its feed's UUID when imported with one, else derived from `Type/id`. */
export function orukIdOf(resource: { resourceType: string; id?: string; identifier?: { system?: string; value?: string }[] }): string {
  const given = resource.identifier?.find((i) => i.system === OPENREFERRAL_ID_SYSTEM)?.value;
  return isUuid(given) ? given.toLowerCase() : uuidFor(`${resource.resourceType}/${resource.id}`);
}

/** The id of a service at a location: derived from the two Open Referral ids, so the same on every call. */
export function serviceAtLocationId(serviceOrukId: string, locationOrukId: string): string {
  return uuidFor(`${serviceOrukId}|at|${locationOrukId}`);
}
