/**
 * FHIR ids and references, read one way everywhere (validation, indexing, search, the access
 * policy, the audit trail, the workflow and the pages), so what one part accepts another cannot
 * read differently.
 */

/** A FHIR logical id: 1 to 64 of A-Z a-z 0-9 - . (R4 `id` datatype). */
export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const ID_SOURCE = '[A-Za-z0-9\\-.]{1,64}';
const TYPE_SOURCE = '[A-Z][A-Za-z]+';

export const isValidId = (id: unknown): id is string => typeof id === 'string' && ID_PATTERN.test(id);

/** `Type/id` or `Type/id/_history/vid` exactly: the relative reference form the record stores. */
export const RELATIVE_REFERENCE = new RegExp(`^(${TYPE_SOURCE})/(${ID_SOURCE})(/_history/${ID_SOURCE})?$`);
/** A reference that ends in `Type/id` (optionally a version), after any base URL. */
const TRAILING_REFERENCE = new RegExp(`(?:^|/)(${TYPE_SOURCE})/(${ID_SOURCE})(?:/_history/(${ID_SOURCE}))?$`);
/** The same, with any version segment that has no slash in it. */
const TRAILING_REFERENCE_ANY_VERSION = new RegExp(`(?:^|/)(${TYPE_SOURCE})/(${ID_SOURCE})(?:/_history/[^/]+)?$`);

export interface ParsedReference {
  type: string;
  id: string;
  version?: string;
}

/**
 * The type and id a reference names: relative (`Patient/1`), versioned (`Patient/1/_history/2`) or
 * absolute (`https://server/fhir/Patient/1`). Undefined for anything else (`#contained`, `urn:uuid:`,
 * identifiers-only references). Whether an absolute reference points at this server is the caller's
 * question: see `localReference`.
 */
export function parseReference(reference: string | undefined | null): ParsedReference | undefined {
  // No length limit: the search index reads references of any length (a body is bounded already),
  // and the expression runs in linear time (a slash-separated tail of bounded shape).
  if (typeof reference !== 'string') return undefined;
  const m = TRAILING_REFERENCE.exec(reference);
  if (!m) return undefined;
  return m[3] ? { type: m[1], id: m[2], version: m[3] } : { type: m[1], id: m[2] };
}

/**
 * The type and id a reference names, like `parseReference`, but whatever its version segment looks
 * like (`Patient/1/_history/v 2` still names Patient/1). The access policy reads who a resource is
 * about this way, so an odd version suffix on a stored absolute reference cannot hide the person.
 */
export function referencedResource(reference: string | undefined | null): { type: string; id: string } | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = TRAILING_REFERENCE_ANY_VERSION.exec(reference);
  return m ? { type: m[1], id: m[2] } : undefined;
}

/** The type and id of a relative reference only: absolute ones name resources on other servers. */
export function localReference(reference: string | undefined | null): ParsedReference | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = RELATIVE_REFERENCE.exec(reference);
  return m ? { type: m[1], id: m[2], ...(m[3] ? { version: m[3].slice('/_history/'.length) } : {}) } : undefined;
}

/** `Type/id`, for a reference to a resource of this record. */
export const referenceTo = (type: string, id: string): string => `${type}/${id}`;
