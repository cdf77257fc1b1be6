import { describe, expect, it } from 'vitest';
import { validate } from '../../fhir/validation.service.js';
import { AUDIT_INTERACTIONS, type AuditEntry } from './audit-entry.js';
import { buildAuditEvent, DCM, ONESTORY_INTERACTION, ONESTORY_ROLE, RESTFUL_INTERACTION } from './audit-event.builder.js';
import { carer, client, gp, resident, socialWorker } from './audit.fixtures.js';

const principals = [gp, socialWorker, resident, carer, client, undefined];

describe('buildAuditEvent', () => {
  it('builds a valid R4 AuditEvent for every interaction and every kind of principal', () => {
    for (const interaction of AUDIT_INTERACTIONS) {
      for (const principal of principals) {
        for (const status of [200, 403, 500]) {
          const entry: AuditEntry = {
            interaction, principal, clientIp: '10.0.0.1', status, requestId: 'req-1', resourceType: 'Observation',
            resources: [{ type: 'Observation', id: 'obs-1', versionId: 2 }], patientIds: ['pat-1'],
            query: interaction === 'search' ? 'patient=pat-1&code=1234' : undefined,
            reason: interaction === 'break-glass' ? { code: 'emergency', text: 'Unconscious in A&E' } : undefined,
            claimedUser: principal ? undefined : 'someone@example.org', failure: status >= 400 ? 'refused' : undefined,
            description: 'GET /fhir/R4/Observation/obs-1',
          };
          const event = buildAuditEvent(entry, 'ae-1');
          expect(validate(event), `${interaction} ${principal?.kind ?? 'anonymous'} ${status}`).toEqual([]);
        }
      }
    }
  });

  it('records who, role, organisation, what, which person, when, outcome and request id', () => {
    const event = buildAuditEvent({
      interaction: 'read', principal: gp, clientIp: '192.0.2.7', status: 200, requestId: 'r-42',
      resources: [{ type: 'Observation', id: 'obs-1' }], patientIds: ['pat-1'], when: '2025-03-01T10:00:00Z',
    }, 'ae-2');
    expect(event.type).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' });
    expect(event.subtype).toContainEqual({ system: RESTFUL_INTERACTION, code: 'read' });
    expect(event.subtype).toContainEqual(expect.objectContaining({ system: ONESTORY_INTERACTION, code: 'read' }));
    expect(event.action).toBe('R');
    expect(event.outcome).toBe('0');
    expect(event.recorded).toBe('2025-03-01T10:00:00.000Z');
    const [who, org] = event.agent;
    expect(who).toMatchObject({ who: { reference: 'Practitioner/pr-1', display: 'Dr Asha Patel' }, requestor: true, network: { address: '192.0.2.7', type: '2' } });
    expect(who.role?.[0].coding?.[0]).toMatchObject({ system: ONESTORY_ROLE, code: 'gp', display: 'GP' });
    expect(org).toMatchObject({ who: { reference: 'Organization/org-practice-1' }, requestor: false });
    expect(event.source.observer.display).toBe('OneStory');
    expect(event.entity).toContainEqual(expect.objectContaining({ what: { reference: 'Observation/obs-1' } }));
    expect(event.entity).toContainEqual(expect.objectContaining({ what: { reference: 'Patient/pat-1' }, role: expect.objectContaining({ code: '1' }) }));
    expect(event.entity).toContainEqual(expect.objectContaining({ what: { identifier: expect.objectContaining({ value: 'r-42' }) } }));
  });

  it('maps sign-in, failures, break-glass and consent writes', () => {
    const failed = buildAuditEvent({ interaction: 'sign-in-failure', claimedUser: 'asha', clientIp: '198.51.100.1', status: 401 }, 'a');
    expect(failed.type).toMatchObject({ system: DCM, code: '110114' });
    expect(failed.subtype?.[0]).toMatchObject({ system: DCM, code: '110122' });
    expect(failed.outcome).toBe('4');
    expect(failed.outcomeDesc).toBe('HTTP 401');
    expect(failed.agent[0].who?.display).toContain('asha');
    expect(buildAuditEvent({ interaction: 'read', status: 503 }, 'b').outcome).toBe('8');

    const btg = buildAuditEvent({ interaction: 'break-glass', principal: gp, patientIds: ['pat-1'], reason: { code: 'emergency', text: 'Collapsed in clinic' } }, 'c');
    expect(btg.type).toMatchObject({ system: DCM, code: '110113' });
    expect(btg.purposeOfEvent?.[0]).toMatchObject({ coding: [expect.objectContaining({ code: 'BTG' }), expect.anything()], text: 'Collapsed in clinic' });

    const consent = buildAuditEvent({ interaction: 'create', principal: resident, resources: [{ type: 'Consent', id: 'c1' }], patientIds: ['pat-1'], status: 201 }, 'd');
    expect(consent.action).toBe('C');
    expect(consent.subtype).toContainEqual(expect.objectContaining({ system: ONESTORY_INTERACTION, code: 'consent-change' }));
    expect(consent.agent[0].who).toMatchObject({ reference: 'Patient/pat-1' });
    // The patient as the resource read is one entity, in the patient role.
    const readPatient = buildAuditEvent({ interaction: 'read', principal: gp, resources: [{ type: 'Patient', id: 'pat-1' }], patientIds: ['pat-1', 'pat-1'] }, 'e');
    expect(readPatient.entity?.filter((e) => e.what?.reference === 'Patient/pat-1')).toHaveLength(1);
  });

  it('keeps ids a client made up as text, never as references', () => {
    const event = buildAuditEvent({ interaction: 'read', resources: [{ type: 'Observation', id: "x' OR 1=1 --" }], patientIds: ['../etc'], status: 404 }, 'f');
    expect(validate(event)).toEqual([]);
    expect(JSON.stringify(event.entity)).not.toContain('"reference"');
  });
});
