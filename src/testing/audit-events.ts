import type { AuditEvent } from '@medplum/fhirtypes';
import { renderAuditEvent, toAuditRecord } from '../access/audit/audit-record.js';
import { AuditRepository, fromRow, RECORD_COLUMNS } from '../access/audit/audit.repository.js';
import type { Queryable } from '../db/database.js';
import type { Platform } from '../platform.js';

/**
 * Every AuditEvent recorded so far, rendered from the audit table as the FHIR API serves them, with
 * their JSON text; `containing`: only those whose text contains each of these strings (for tests
 * that look for the event naming a request, an account or a person).
 */
export async function auditEventsOf(db: Queryable, ...containing: string[]): Promise<{ event: AuditEvent; text: string }[]> {
  const rows = await db.query(`SELECT ${RECORD_COLUMNS} FROM audit_event e ORDER BY e.seq`);
  return rows.rows
    .map((r) => {
      const event = renderAuditEvent(fromRow(r));
      return { event, text: JSON.stringify(event) };
    })
    .filter((x) => containing.every((s) => x.text.includes(s)));
}

/**
 * Records a fixture AuditEvent the way the audit service records one (a compact row, linked into the
 * chain), with the fixture's id, time and the people its entities name: for tests of who may see it.
 */
export async function recordAuditEventFixture(platform: Platform, fixture: AuditEvent & { id: string }): Promise<void> {
  const patientIds = (fixture.entity ?? []).map((e) => e.what?.reference).filter((r): r is string => !!r?.startsWith('Patient/')).map((r) => r.slice('Patient/'.length));
  const { record } = toAuditRecord({ interaction: 'read', when: fixture.recorded, patientIds, status: 200 }, fixture.id);
  await new AuditRepository().insertPending(platform.db, record);
  await platform.access.audit.sealPending();
}
