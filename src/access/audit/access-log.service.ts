import type { AuditEvent, AuditEventAgent } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../../fhir/cursor.js';
import { badRequest } from '../../fhir/outcome.js';
import { groupVisits, VISIT_WINDOW_MS, type AccessVisit } from './access-log.grouping.js';
import { ONESTORY_INTERACTION, ONESTORY_ROLE } from './audit-event.builder.js';
import { renderAuditEvent } from './audit-record.js';
import { AuditRepository } from './audit.repository.js';

/** Who made a request, as the person is told: staff by role and organisation (never by name), a carer by name. */
export interface AccessLogActor {
  kind: 'staff' | 'resident' | 'carer' | 'system' | 'anonymous';
  /** Tells one person (or system) from another: their record reference or account id. Not for display. */
  key: string;
  /** A carer's name (their RelatedPerson, else their account's name). */
  name?: string;
}

/** One line of "who has looked at my record". Staff are named by role and organisation, not by name. */
export interface AccessLogEntry {
  /** When (AuditEvent.recorded). */
  when: string;
  who: AccessLogActor;
  organisation?: { id: string; name?: string };
  role: { code: string; display: string };
  /** OneStory interaction code (read, search, everything, break-glass …) and its wording. */
  interaction: { code: string; display: string };
  /** What was looked at: FHIR types (Patient is the record itself), from the event's entities. */
  types: string[];
  /** Why: the break-glass reason, when access was by break-glass. */
  reason?: string;
  outcome: 'success' | 'failure';
  /** The AuditEvent id, for a privacy officer to look up. */
  auditEventId: string;
}

export interface AccessLogPage {
  entries: AccessLogEntry[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
}

export interface AccessVisitPage {
  visits: AccessVisit[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
}

export const ACCESS_LOG_DEFAULT_COUNT = 20;
export const ACCESS_LOG_MAX_COUNT = 100;
/** Events read per statement while gathering a page of visits. */
const SCAN_BATCH = 200;
/**
 * At most this many events are read for one page of visits: a thousand requests in half an hour
 * from one system make a page of one long visit (continued on the next page), never an unbounded read.
 */
const SCAN_LIMIT = 2_000;

/** A person's view of the audit trail: every recorded access to their record, newest first. */
export class AccessLogService {
  private readonly repo = new AuditRepository();

  constructor(private readonly db: Queryable) {}

  /** Every access, one entry each (for reviews and the API). */
  async accessLogFor(patientId: string, opts: { cursor?: string; count?: number } = {}): Promise<AccessLogPage> {
    const count = checkCount(opts.count);
    const before = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, [], 'cursor').r;
    const rows = await this.repo.eventsAboutPatient(this.db, patientId, before, count + 1);
    const entries = rows.slice(0, count).map((r) => toEntry(renderAuditEvent(r)));
    await this.name(entries);
    return rows.length > count ? { entries, next: encodeCursor({ v: [], r: rows[count - 1].seq }) } : { entries };
  }

  /**
   * The accesses grouped into visits (access-log.grouping.ts), newest first, `count` visits a page
   * (a page may end with the newer part of a visit that continues on the next one). Keyset-paged on
   * the events' rid: the cursor is the oldest event shown, and every event is shown exactly once.
   */
  async visitsFor(patientId: string, opts: { cursor?: string; count?: number } = {}): Promise<AccessVisitPage> {
    const count = checkCount(opts.count);
    let before = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, [], 'cursor').r;
    const scanned: (AccessLogEntry & { rid: string })[] = [];
    let exhausted = false;
    // Read until the first `count` visits can gain no older access (the scan is a window older than
    // the last of them), the events run out, or the scan limit is reached.
    for (;;) {
      const rows = await this.repo.eventsAboutPatient(this.db, patientId, before, SCAN_BATCH);
      for (const r of rows) scanned.push({ ...toEntry(renderAuditEvent(r)), rid: r.seq });
      if (rows.length < SCAN_BATCH) {
        exhausted = true;
        break;
      }
      before = rows[rows.length - 1].seq;
      if (scanned.length >= SCAN_LIMIT) break;
      const visits = groupVisits(scanned);
      if (visits.length > count && Date.parse(scanned[scanned.length - 1].when) < Date.parse(visits[count - 1].latest) - VISIT_WINDOW_MS) break;
    }
    let visits = groupVisits(scanned);
    let next: string | undefined;
    if (!exhausted || visits.length > count) {
      // Cut after the oldest event of the first `count` visits: everything newer is shown now (the
      // newer part of a later visit too), everything older on the next page.
      const cut = visits.slice(0, count).flatMap((v) => v.rids).reduce((a, b) => (BigInt(b) < BigInt(a) ? b : a));
      const shown = scanned.filter((e) => BigInt(e.rid) >= BigInt(cut));
      if (shown.length < scanned.length || !exhausted) next = encodeCursor({ v: [], r: cut });
      visits = groupVisits(shown);
    }
    await this.name(visits);
    return { visits: visits.map(({ rids: _r, ...v }) => v), ...(next ? { next } : {}) };
  }

  /** Fills in organisation names and carers' names. */
  private async name(items: { organisation?: { id: string; name?: string }; who: AccessLogActor }[]): Promise<void> {
    const orgIds = [...new Set(items.map((x) => x.organisation?.id).filter((x): x is string => x !== undefined))];
    const carerIds = [...new Set(items.filter((x) => x.who.kind === 'carer' && x.who.key.startsWith('RelatedPerson/')).map((x) => x.who.key.slice('RelatedPerson/'.length)))];
    const [orgs, carers] = await Promise.all([this.repo.organisationNames(this.db, orgIds), this.repo.relatedPersonNames(this.db, carerIds)]);
    for (const x of items) {
      if (x.organisation && orgs.has(x.organisation.id)) x.organisation.name = orgs.get(x.organisation.id);
      const carer = x.who.kind === 'carer' ? carers.get(x.who.key.slice('RelatedPerson/'.length)) : undefined;
      if (carer) x.who.name = carer;
    }
  }
}

function checkCount(count = ACCESS_LOG_DEFAULT_COUNT): number {
  if (!Number.isInteger(count) || count < 1 || count > ACCESS_LOG_MAX_COUNT) {
    throw badRequest(`count must be a whole number from 1 to ${ACCESS_LOG_MAX_COUNT}`);
  }
  return count;
}

function organisationId(e: AuditEvent): string | undefined {
  for (const a of e.agent ?? []) {
    const ref = a.who?.reference;
    if (ref?.startsWith('Organization/')) return ref.slice('Organization/'.length);
  }
  return undefined;
}

function actorOf(agent: AuditEventAgent | undefined, roleCode: string): AccessLogActor {
  const key = agent?.who?.reference ?? agent?.altId ?? agent?.who?.identifier?.value ?? agent?.who?.display ?? 'unknown';
  switch (roleCode) {
    case 'resident':
      return { kind: 'resident', key };
    case 'proxy':
      return { kind: 'carer', key, ...(agent?.name ? { name: agent.name } : {}) };
    case 'client':
      return { kind: 'system', key };
    case 'anonymous':
    case 'unknown':
      return { kind: 'anonymous', key };
    default:
      return { kind: 'staff', key };
  }
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/** The kinds of entry an event touched: the Patient itself, the resources read, the type searched. */
function typesOf(e: AuditEvent): string[] {
  const types: string[] = [];
  const add = (t: string | undefined) => {
    if (t && TYPE.test(t) && !types.includes(t)) types.push(t);
  };
  for (const x of e.entity ?? []) {
    if (x.role?.code === '24') add(x.description?.split('?')[0]);
    else if (x.what?.reference) add(x.what.reference.split('/')[0]);
    else if (x.what?.display) add(x.what.display);
  }
  return types;
}

function toEntry(e: AuditEvent): AccessLogEntry {
  const requestor = e.agent?.find((a) => a.requestor) ?? e.agent?.[0];
  const role = requestor?.role?.flatMap((r) => r.coding ?? []).find((c) => c.system === ONESTORY_ROLE);
  const interaction = e.subtype?.find((c) => c.system === ONESTORY_INTERACTION);
  const orgId = organisationId(e);
  const purpose = e.purposeOfEvent?.[0];
  const roleCode = role?.code ?? 'unknown';
  return {
    when: e.recorded,
    who: actorOf(requestor, roleCode),
    ...(orgId ? { organisation: { id: orgId } } : {}),
    role: { code: roleCode, display: role?.display ?? 'Unknown' },
    interaction: { code: interaction?.code ?? 'other', display: interaction?.display ?? 'Other request' },
    types: typesOf(e),
    ...(purpose ? { reason: purpose.text ?? purpose.coding?.[0]?.display } : {}),
    outcome: e.outcome === '0' ? 'success' : 'failure',
    auditEventId: e.id!,
  };
}
