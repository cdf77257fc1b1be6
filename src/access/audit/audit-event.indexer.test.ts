import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { extractIndex, type IndexRows } from '../../fhir/search-index.js';
import { AUDIT_INTERACTIONS } from './audit-entry.js';
import { buildAuditEvent } from './audit-event.builder.js';
import { auditEventIndex } from './audit-event.indexer.js';
import { carer, client, gp, resident, socialWorker } from './audit.fixtures.js';

const sorted = (rows: IndexRows) => Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, (v as unknown[][]).map((r) => JSON.stringify(r)).sort()]));

describe('auditEventIndex', () => {
  it('gives exactly the rows of the generic FHIRPath extraction, for every interaction, principal and outcome', () => {
    let n = 0;
    for (const interaction of AUDIT_INTERACTIONS) {
      for (const principal of [gp, socialWorker, resident, carer, client, undefined]) {
        for (const status of [200, 403]) {
          const event = buildAuditEvent({
            interaction, principal, clientIp: '10.0.0.1', status, requestId: 'req-1', resourceType: 'Observation',
            resources: [{ type: 'Observation', id: 'obs-1', versionId: 2 }, { type: 'Patient', id: 'pat-1' }, { type: 'Bad', id: 'x y' }],
            patientIds: ['pat-1', 'pat-2'], query: interaction === 'search' ? 'patient=pat-1' : undefined,
            reason: interaction === 'break-glass' ? { code: 'emergency', text: 'Unconscious in A&E' } : undefined,
            claimedUser: principal ? undefined : 'Zoë', failure: status >= 400 ? 'refused' : undefined, description: 'GET /x',
          }, 'ae-1');
          const stored = { ...event, meta: { versionId: '1', lastUpdated: '2025-01-01T00:00:00.000Z' } } as Resource;
          expect(sorted(auditEventIndex(event)), `${interaction} ${principal?.kind} ${status}`).toEqual(sorted(extractIndex(stored)));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(200);
  });
});
