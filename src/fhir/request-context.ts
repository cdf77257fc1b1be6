import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import type { RowRestriction } from './search.repository.js';

/** What a service needs to know about the request it serves. The access layer extends this. */
export interface RequestContext {
  /** The FHIR base URL as the client sees it, e.g. http://localhost:8080/fhir/R4 */
  baseUrl: string;
  /** Restricts every row read to those this request may see; undefined means unrestricted. */
  restriction?: RowRestriction;
  /**
   * The caller's rights, enforced by the record's services on every path (REST and Bundle entries
   * alike). Undefined only for the platform's own work (import, seeding, audit), never for a request.
   */
  access?: RecordAccess;
  /**
   * Writes the request's audit record inside the write's own transaction, so that a write and its
   * audit record commit together or not at all (src/access/audit). The record calls it once, after
   * the write and before the commit: for one resource, or at the end of a transaction Bundle.
   * Undefined for the platform's own writes; not called when nothing was written.
   */
  auditWrite?: (q: Queryable, done: WriteDone) => Promise<void>;
}

/** A write the record has made in the current transaction, for its audit record. */
export type WriteDone =
  | { kind: 'resource'; resourceType: string; id: string; versionId: number; created: boolean }
  | { kind: 'transaction' };

export type Interaction = 'read' | 'search' | 'history' | 'everything' | 'export' | 'create' | 'update' | 'patch' | 'delete' | 'validate';

/** A write about to happen, with the stored version it replaces (none for a create). */
export interface GuardedWrite {
  action: 'create' | 'update' | 'patch' | 'delete';
  type: string;
  /** The new version's body (validated); undefined for a delete. */
  resource?: Resource;
  current?: Resource;
}

/**
 * The access layer's side of the record (src/access implements it; the record never imports the
 * access layer). Each method refuses by throwing a FhirError.
 */
export interface RecordAccess {
  /** 403 when the caller may not perform `interaction` on `type` at all (role and token scopes). */
  authorize(interaction: Interaction, type: string): void;
  /**
   * Decides a write with the version it replaces in hand (read in the same transaction), and returns
   * the resource to store: stamped with who recorded it and for which organisation. 404 when the
   * target or a person it names is hidden from the caller, 403 when outside the caller's remit.
   * `pendingPatients` are Patients this request creates in the same statement (a transaction).
   */
  checkWrite(q: Queryable, write: GuardedWrite, pendingPatients?: ReadonlySet<string>): Promise<Resource | undefined>;
  /**
   * Whether the caller may learn that a hidden row was deleted (410 rather than 404), judged on its
   * last live version: its links went with the deletion, so the row restriction can no longer tell.
   */
  mayKnowDeleted(lastLive: Resource): boolean;
}
