import type { AccessLogEntry } from './access-log.service.js';

/** Repeated accesses by the same person, for the same purpose, within this time are shown as one visit. */
export const VISIT_WINDOW_MS = 30 * 60_000;

/** What an access did, as the person is told it. */
export type AccessKind = 'view' | 'change' | 'export' | 'emergency-access' | 'other';

/**
 * One row of "who has looked at my record": one or more accesses by the same person (or system),
 * acting for the same organisation in the same role, of the same kind and outcome, within
 * VISIT_WINDOW_MS of the newest. Seven refused reads from one GP filtering a timeline are one visit.
 */
export interface AccessVisit {
  /** The newest and the oldest access of the visit (AuditEvent.recorded). */
  latest: string;
  earliest: string;
  /** How many accesses the visit groups. */
  times: number;
  who: AccessLogEntry['who'];
  organisation?: AccessLogEntry['organisation'];
  role: AccessLogEntry['role'];
  kind: AccessKind;
  outcome: 'success' | 'failure';
  /** The kinds of record entry looked at (FHIR types; Patient is the record itself), in first-seen order. */
  types: string[];
  /**
   * The break-glass reason given, only when emergency access was granted: a refused request's
   * statement is not the person's to read (and was refused for a reason, such as being unusable).
   */
  reason?: string;
  /** The AuditEvent ids, newest first, for a privacy officer to look up. */
  auditEventIds: string[];
}

const KIND: Record<string, AccessKind> = {
  read: 'view', vread: 'view', search: 'view', history: 'view', everything: 'view',
  create: 'change', update: 'change', patch: 'change', delete: 'change', 'consent-change': 'change', batch: 'change', transaction: 'change',
  export: 'export', 'break-glass': 'emergency-access',
};

export function kindOf(interaction: string): AccessKind {
  return KIND[interaction] ?? 'other';
}

/** Accesses that may join one visit share this key. */
function keyOf(e: AccessLogEntry): string {
  const reason = e.outcome === 'success' ? (e.reason ?? '') : '';
  return JSON.stringify([e.who.key, e.organisation?.id ?? '', e.role.code, kindOf(e.interaction.code), e.outcome, reason]);
}

/**
 * Groups entries given newest first into visits, in order of each visit's newest access. An entry
 * joins the open visit with its key when it is within the window of that visit's newest access;
 * other people's accesses in between do not split a visit.
 */
export function groupVisits(entries: (AccessLogEntry & { rid: string })[], windowMs = VISIT_WINDOW_MS): (AccessVisit & { rids: string[] })[] {
  const visits: (AccessVisit & { rids: string[] })[] = [];
  const open = new Map<string, AccessVisit & { rids: string[] }>();
  for (const e of entries) {
    const key = keyOf(e);
    const at = Date.parse(e.when);
    let v = open.get(key);
    if (v && Date.parse(v.latest) - at > windowMs) v = undefined;
    if (!v) {
      v = {
        latest: e.when, earliest: e.when, times: 0, who: e.who, role: e.role, kind: kindOf(e.interaction.code), outcome: e.outcome, types: [],
        ...(e.organisation ? { organisation: e.organisation } : {}),
        ...(e.outcome === 'success' && e.reason ? { reason: e.reason } : {}),
        auditEventIds: [], rids: [],
      };
      open.set(key, v);
      visits.push(v);
    }
    v.times++;
    v.earliest = e.when;
    for (const t of e.types) if (!v.types.includes(t)) v.types.push(t);
    v.auditEventIds.push(e.auditEventId);
    v.rids.push(e.rid);
  }
  return visits;
}
