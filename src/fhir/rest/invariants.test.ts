import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, type TestPlatform } from '../../testing/test-platform.js';

let t: TestPlatform;
let patientId: string;
beforeAll(async () => {
  t = await createTestPlatform();
  patientId = (await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Invariant' }] })).body.id;
});
afterAll(async () => t?.close());

const risk = (prediction: object[]) => ({
  resourceType: 'RiskAssessment', status: 'final', subject: { reference: `Patient/${patientId}` }, prediction,
});

// An invariant whose expression evaluates to an empty collection is met (FHIRPath: empty is not false).
describe('invariants', () => {
  it('accepts a RiskAssessment prediction without a probability (ras-2 over an empty collection)', async () => {
    // As in the official riskassessment-example-breastcancer: an outcome, no probability.
    const res = await fhir(t.app, 'POST', 'RiskAssessment', risk([{ outcome: { text: 'Unknown risk' } }]));
    expect(res.status).toBe(201);
  });

  it('accepts a probabilityDecimal within 100', async () => {
    expect((await fhir(t.app, 'POST', 'RiskAssessment', risk([{ outcome: { text: 'Stroke' }, probabilityDecimal: 12.5 }]))).status).toBe(201);
  });

  it('refuses a probabilityDecimal over 100, naming ras-2', async () => {
    const res = await fhir(t.app, 'POST', 'RiskAssessment', risk([{ outcome: { text: 'Stroke' }, probabilityDecimal: 150 }]));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toContain('ras-2');
  });

  it('still refuses a probabilityRange that is not in percent (ras-1)', async () => {
    const res = await fhir(t.app, 'POST', 'RiskAssessment', risk([{ outcome: { text: 'Stroke' }, probabilityRange: { low: { value: 1, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } } }]));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toContain('ras-1');
  });

  it('still refuses a Patient contact with neither details nor an organisation (pat-1)', async () => {
    const res = await fhir(t.app, 'POST', 'Patient', { resourceType: 'Patient', contact: [{ gender: 'male' }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toContain('pat-1');
  });

  it('still refuses an Observation component reference range without low, high or text (obs-3)', async () => {
    const res = await fhir(t.app, 'POST', 'Observation', {
      resourceType: 'Observation', status: 'final', code: { text: 'Pulse' }, referenceRange: [{ appliesTo: [{ text: 'adults' }] }],
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.issue)).toContain('obs-3');
  });
});
