import type { AuditEvent } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import { badRequest } from '../../fhir/outcome.js';
import { ONESTORY_INTERACTION, ONESTORY_ROLE } from './audit-event.builder.js';
import { AuditRepository } from './audit.repository.js';

/** One line of "who has looked at my record". Staff are named by role and organisation, not by name. */
export interface AccessLogEntry {
  /** When (AuditEvent.recorded). */
  when: string;
  organisation?: { id: string; name?: string };
  role: { code: string; display: string };
  /** OneStory interaction code (read, search, everything, break-glass …) and its wording. */
  interaction: { code: string; display: string };
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

export const ACCESS_LOG_DEFAULT_COUNT = 20;
export const ACCESS_LOG_MAX_COUNT = 100;

/** A person's view of the audit trail: every recorded access to their record, newest first. */
export class AccessLogService {
  private readonly repo = new AuditRepository();

  constructor(private readonly db: Queryable) {}

  async accessLogFor(patientId: string, opts: { cursor?: string; count?: number } = {}): Promise<AccessLogPage> {
    const count = opts.count ?? ACCESS_LOG_DEFAULT_COUNT;
    if (!Number.isInteger(count) || count < 1 || count > ACCESS_LOG_MAX_COUNT) {
      throw badRequest(`count must be a whole number from 1 to ${ACCESS_LOG_MAX_COUNT}`);
    }
    // The cursor is the rid of the last entry shown; anything else a client sends is a 400.
    if (opts.cursor !== undefined && !/^[1-9][0-9]{0,17}$/.test(opts.cursor)) throw badRequest('The cursor is not valid');
    const rows = await this.repo.eventsAboutPatient(this.db, patientId, opts.cursor, count + 1);
    const page = rows.slice(0, count);
    const events = page.map((r) => JSON.parse(r.content) as AuditEvent);
    const orgIds = [...new Set(events.map(organisationId).filter((x): x is string => x !== undefined))];
    const names = await this.repo.organisationNames(this.db, orgIds);
    const entries = events.map((e) => toEntry(e, names));
    return rows.length > count ? { entries, next: page[page.length - 1].rid } : { entries };
  }
}

function organisationId(e: AuditEvent): string | undefined {
  for (const a of e.agent ?? []) {
    const ref = a.who?.reference;
    if (ref?.startsWith('Organization/')) return ref.slice('Organization/'.length);
  }
  return undefined;
}

function toEntry(e: AuditEvent, names: Map<string, string>): AccessLogEntry {
  const requestor = e.agent?.find((a) => a.requestor) ?? e.agent?.[0];
  const role = requestor?.role?.flatMap((r) => r.coding ?? []).find((c) => c.system === ONESTORY_ROLE);
  const interaction = e.subtype?.find((c) => c.system === ONESTORY_INTERACTION);
  const orgId = organisationId(e);
  const purpose = e.purposeOfEvent?.[0];
  return {
    when: e.recorded,
    ...(orgId ? { organisation: names.has(orgId) ? { id: orgId, name: names.get(orgId) } : { id: orgId } } : {}),
    role: { code: role?.code ?? 'unknown', display: role?.display ?? 'Unknown' },
    interaction: { code: interaction?.code ?? 'other', display: interaction?.display ?? 'Other request' },
    ...(purpose ? { reason: purpose.text ?? purpose.coding?.[0]?.display } : {}),
    outcome: e.outcome === '0' ? 'success' : 'failure',
    auditEventId: e.id!,
  };
}
