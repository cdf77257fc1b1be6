import type { Principal } from '../principal.js';

/** What happened, in OneStory's own words; the builder maps each to FHIR AuditEvent codes. */
export const AUDIT_INTERACTIONS = [
  'read', 'vread', 'search', 'create', 'update', 'patch', 'delete', 'history', 'everything', 'export',
  'batch', 'transaction', 'capabilities', 'operation',
  'sign-in-success', 'sign-in-failure', 'sign-out', 'token-issue', 'break-glass', 'consent-change',
  'other',
] as const;
export type AuditInteraction = (typeof AUDIT_INTERACTIONS)[number];

/** A resource touched by a request. */
export interface AuditResourceRef {
  type: string;
  id?: string;
  versionId?: string | number;
}

/** One thing to record. Everything but `interaction` is optional: record what is known. */
export interface AuditEntry {
  interaction: AuditInteraction;
  /** Who: undefined for an anonymous (unauthenticated) caller. */
  principal?: Principal;
  /** For an anonymous caller: the user name or client id they claimed (a failed sign-in). Never a secret. */
  claimedUser?: string;
  clientIp?: string;
  /** The resource type acted on (search, history, create …), when not already in `resources`. */
  resourceType?: string;
  /** Which resource(s). */
  resources?: AuditResourceRef[];
  /** Which person(s): Patient ids whose record was touched. */
  patientIds?: string[];
  /** When it happened; now if not given. */
  when?: Date | string;
  /** HTTP status of the answer; 2xx/3xx is success. Absent means success. */
  status?: number;
  /** Failure detail, for the outcome description (never a secret). */
  failure?: string;
  /** Why: the break-glass reason (a code from the fixed list and free text), or another stated purpose. */
  reason?: { code?: string; text?: string };
  requestId?: string;
  /** The query string of a search (without the leading '?'). */
  query?: string;
  /** Action override (C/R/U/D/E), e.g. for a consent change that creates a Consent. */
  action?: 'C' | 'R' | 'U' | 'D' | 'E';
  /** Free text for the event, e.g. "POST /auth/sign-in". */
  description?: string;
}

/**
 * What a request's handlers tell the audit hook about it (`request.auditContext`). The hook
 * initialises it to `{}` on every request; routes fill in what they know. Anything left out is
 * derived from the route (method, path, params, status, Location header).
 */
export interface AuditContext {
  /** Overrides the interaction derived from the method and route (e.g. 'sign-in-failure'). */
  interaction?: AuditInteraction;
  /** Overrides `request.principal`, e.g. the user a successful sign-in has just authenticated. */
  principal?: Principal;
  claimedUser?: string;
  resourceType?: string;
  /** Resources read or written; for searches, those returned (or leave empty and give patientIds). */
  resources?: AuditResourceRef[];
  /** Every Patient whose record the request touched (including those of the resources returned). */
  patientIds?: string[];
  /** Break-glass reason in force for this request. */
  reason?: { code?: string; text?: string };
  failure?: string;
  action?: AuditEntry['action'];
  /** Set to true by a route that records its own AuditEvent for this request, so the hook does not add one. */
  recorded?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * What the route knows for the audit record of this request. auditHook sets it to `{}` at the
     * start of every request; use `auditContextOf(request)` to fill it safely without the hook.
     */
    auditContext?: AuditContext;
  }
}

/** The request's audit context, created if absent, for routes to fill in. */
export function auditContextOf(request: { auditContext?: AuditContext }): AuditContext {
  request.auditContext ??= {};
  return request.auditContext;
}
