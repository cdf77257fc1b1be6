import { describe, expect, it } from 'vitest';
import { AUDIT_INTERACTIONS, type AuditEntry } from './audit-entry.js';
import { buildAuditEvent } from './audit-event.builder.js';
import { hashedContent, renderAuditEvent, toAuditRecord, type AuditRecord } from './audit-record.js';
import { carer, client, gp, resident, socialWorker } from './audit.fixtures.js';

const principals = [gp, socialWorker, resident, carer, client, undefined];

/** The record as it comes back from storage: JSON text in, JSON text out. */
const stored = (r: AuditRecord): AuditRecord => JSON.parse(JSON.stringify(r));

describe('the compact audit record', () => {
  it('renders back to exactly the AuditEvent its entry builds, for every interaction, principal and outcome', () => {
    let n = 0;
    for (const interaction of AUDIT_INTERACTIONS) {
      for (const principal of principals) {
        for (const status of [undefined, 200, 201, 403, 503]) {
          const entry: AuditEntry = {
            interaction, principal, clientIp: '10.0.0.1', status, requestId: `req-${n}`, resourceType: n % 2 ? 'Consent' : 'Observation',
            resources: [{ type: 'Observation', id: 'obs-1', versionId: 2 }, { type: 'Patient', id: 'pat-1' }, { type: 'Bad Type', id: '../x' }],
            patientIds: ['pat-1', 'pat-2', 'pat-1', 'not valid!'],
            query: interaction === 'search' ? 'patient=pat-1&code=1234' : undefined,
            reason: interaction === 'break-glass' ? { code: 'emergency', text: 'Unconscious in A&E' } : undefined,
            claimedUser: principal ? undefined : 'someone@example.org', failure: status && status >= 400 ? 'refused' : undefined,
            description: 'GET /fhir/R4/Observation/obs-1', action: interaction === 'consent-change' ? 'C' : undefined,
            when: new Date(Date.UTC(2025, 0, 1, 9, 0, 0, n)),
          };
          const id = `ae-${n++}`;
          const { record, event } = toAuditRecord(entry, id);
          const built = { ...buildAuditEvent(entry, id), meta: { versionId: '1', lastUpdated: record.recorded } };
          expect(event).toEqual(built);
          expect(renderAuditEvent(stored(record)), `${interaction} ${principal?.kind ?? 'anonymous'} ${status}`).toEqual(built);
        }
      }
    }
  });

  it('projects what the queries filter on into columns', () => {
    const { record } = toAuditRecord({
      interaction: 'read', principal: gp, status: 200, requestId: 'r-1', resources: [{ type: 'Observation', id: 'o-1', versionId: 3 }],
      patientIds: ['pat-1'], reason: { code: 'emergency', text: 'Collapsed' }, when: '2025-02-03T04:05:06.789Z',
    }, 'ae-x');
    expect(record).toMatchObject({
      id: 'ae-x', recorded: '2025-02-03T04:05:06.789Z', interaction: 'read', action: 'R', outcome: '0', status: 200,
      agent: 'Practitioner/pr-1', userId: 'u-gp-1', role: 'gp', organizationId: 'org-practice-1', patientIds: ['pat-1'],
      resources: ['Observation/o-1/_history/3'], reason: 'Collapsed', requestId: 'r-1', legacy: null,
    });
    expect(toAuditRecord({ interaction: 'search', principal: resident }, 'r').record).toMatchObject({ agent: 'Patient/pat-1', role: 'resident', organizationId: null });
    expect(toAuditRecord({ interaction: 'token-issue', principal: client }, 'c').record).toMatchObject({ agent: 'client:client-abc', role: 'client', organizationId: 'org-trust-1' });
    expect(toAuditRecord({ interaction: 'sign-in-failure', claimedUser: 'x' }, 'a').record).toMatchObject({ agent: null, userId: null, role: 'anonymous' });
  });

  it('hashes every stored field but its position; a migrated event by its AuditEvent as stored before', () => {
    const { record } = toAuditRecord({ interaction: 'read', principal: gp, patientIds: ['pat-1'] }, 'ae-h');
    expect(hashedContent({ ...record, seq: '12' } as AuditRecord)).toEqual(hashedContent(record));
    expect(hashedContent(record)).toMatchObject({ patientIds: ['pat-1'], detail: record.detail });
    const legacy = { resourceType: 'AuditEvent', id: 'old', meta: { versionId: '1' } };
    const migrated: AuditRecord = { ...record, legacy: JSON.stringify(legacy) };
    expect(hashedContent(migrated)).toEqual(legacy);
    expect(renderAuditEvent(migrated)).toEqual(legacy);
  });
});
