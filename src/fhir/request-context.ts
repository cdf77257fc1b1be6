import type { RowRestriction } from './search.repository.js';

/** What a service needs to know about the request it serves. The access layer extends this. */
export interface RequestContext {
  /** The FHIR base URL as the client sees it, e.g. http://localhost:8080/fhir/R4 */
  baseUrl: string;
  /** Restricts every row read to those this request may see; undefined means unrestricted. */
  restriction?: RowRestriction;
}
