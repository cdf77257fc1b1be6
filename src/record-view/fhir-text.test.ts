import { describe, expect, it } from 'vitest';
import { conceptText, quantityText, statusText } from './fhir-text.js';

const SCT = 'http://snomed.info/sct';

describe('conceptText in UK terms', () => {
  it('shows a known code in its UK term, whether the display came alone or copied into text', () => {
    expect(conceptText({ coding: [{ system: SCT, code: '38341003', display: 'Hypertensive disorder, systemic arterial' }] })).toBe('Hypertension');
    // The synthetic data and many systems copy the display into text: still a display, not someone's wording.
    expect(conceptText({ coding: [{ system: SCT, code: '271737000', display: 'Anemia' }], text: 'Anemia' })).toBe('Anaemia');
    expect(conceptText({ coding: [{ system: SCT, code: '60845006', display: 'Dyspnea on exertion' }], text: 'Dyspnea on exertion' }, 'plain')).toBe('Breathlessness on exertion');
  });

  it('keeps text someone wrote as written', () => {
    expect(conceptText({ coding: [{ system: SCT, code: '38341003', display: 'Hypertensive disorder, systemic arterial' }], text: 'Raised BP, on treatment' })).toBe('Raised BP, on treatment');
  });

  it('spells a partner\'s unknown code\'s display the UK way', () => {
    expect(conceptText({ coding: [{ system: SCT, code: '87522002', display: 'Iron deficiency anemia' }] })).toBe('Iron deficiency anaemia');
    expect(conceptText({ coding: [{ system: 'urn:local', code: 'x1' }] })).toBe('x1');
    expect(conceptText(undefined)).toBe('');
  });
});

describe('quantityText', () => {
  it('writes units as people read them', () => {
    expect(quantityText({ value: 27.4, unit: 'kg/m2', system: 'http://unitsofmeasure.org', code: 'kg/m2' })).toBe('27.4 kg/m²');
    expect(quantityText({ value: 150, unit: 'min/wk', code: 'min/wk' })).toBe('150 minutes a week');
    expect(quantityText({ value: 128, unit: 'mmHg', code: 'mm[Hg]' })).toBe('128 mmHg');
    expect(quantityText({ value: 4, unit: 'd', code: 'd' })).toBe('4 days');
    expect(quantityText({ value: 6.2, unit: 'mmol/L' })).toBe('6.2 mmol/L');
  });

  it('drops "score" as a unit and rounds a score to two places', () => {
    expect(quantityText({ value: 0.194, unit: 'score', code: '1' })).toBe('0.19');
    expect(quantityText({ value: 0.25, code: '1' })).toBe('0.25');
  });
});

describe('statusText', () => {
  it('gives one word for a status wherever it is shown: an active referral is Open', () => {
    expect(statusText('active', 'ServiceRequest')).toBe('Open');
    expect(statusText('active', 'MedicationRequest')).toBe('Active');
    expect(statusText('completed')).toBe('Completed');
    expect(statusText('revoked', 'ServiceRequest')).toBe('Cancelled');
    expect(statusText('on-hold', 'ServiceRequest')).toBe('On hold');
    expect(statusText('in-progress')).toBe('In progress');
    expect(statusText('some-new-code')).toBe('some new code');
    expect(statusText(undefined)).toBe('');
  });
});
