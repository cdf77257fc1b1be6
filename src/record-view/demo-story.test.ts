import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyPrincipal } from '../access/principal.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { testNhsNumber } from './care.fixtures.js';
import { prepareDemoStory } from './demo-story.js';
import { RecordSummaryService } from './record-summary.service.js';

const NOW = new Date('2025-03-01T10:00:00Z');
const nhs = testNhsNumber(4242);

describe('prepareDemoStory', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
    await t.platform.resources.update('Patient', 'pat-demo', {
      resourceType: 'Patient', id: 'pat-demo', name: [{ given: ['Joan'], family: 'Demo' }], identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }],
    });
    await t.platform.resources.update('RelatedPerson', 'rp-demo', { resourceType: 'RelatedPerson', id: 'rp-demo', patient: { reference: 'Patient/pat-demo' }, name: [{ given: ['Sam'] }] });
    await t.platform.resources.update('MedicationRequest', 'med-demo', {
      resourceType: 'MedicationRequest', id: 'med-demo', status: 'active', intent: 'order', subject: { reference: 'Patient/pat-demo' }, medicationCodeableConcept: { text: 'Paracetamol' },
    });
  });
  afterAll(() => t.close());

  it('gives the demo carer proxy access once, and names the person to look up', async () => {
    const accounts = [
      { username: 'resident.demo', password: 'x', kind: 'resident' as const, displayName: 'Joan Demo', patientId: 'pat-demo' },
      { username: 'carer.demo', password: 'x', kind: 'proxy' as const, displayName: 'Sam', patientId: 'pat-demo', relatedPersonId: 'rp-demo' },
    ];
    const hint = await prepareDemoStory(t.platform, accounts);
    expect(hint).toContain('Joan Demo');
    expect(hint).toContain(`${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
    await prepareDemoStory(t.platform, accounts); // again: no second Consent
    const consents = await t.platform.db.query("SELECT id FROM resource WHERE resource_type = 'Consent'");
    expect(consents.rows).toHaveLength(1);
    const carer: ProxyPrincipal = { kind: 'proxy', id: 'u', displayName: 'Sam', relatedPersonIds: ['rp-demo'], patientIds: ['pat-demo'], via: 'session', credentialId: 's' };
    const r = await new RecordSummaryService(t.platform.db).summary(carer, 'pat-demo', NOW);
    expect(r.status).toBe('ok');
    if (r.status === 'ok') expect(r.summary.medications.map((m) => m.text)).toEqual(['Paracetamol']);
  });
});
