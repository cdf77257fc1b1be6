import type { MedicationRequest, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { ageOn } from '../record-view/fhir-text.js';
import { SNOMED_SYSTEM } from '../record-view/uk-terms.js';
import { synthesizeResidents } from '../synth/index.js';
import { computeEfi, type EfiEvidence } from './efi.calculator.js';
import { EFI_CATEGORIES, EFI_MIN_AGE, type EfiCategory } from './efi.vocabulary.js';

/**
 * The eFI computed from the synthetic record (the calculator the platform runs, over the same
 * entries efi.repository.ts finds: SNOMED-coded problems and observations, active or recent
 * prescriptions) lands near the published shares for people 65 and over (Clegg 2016: about 50 % fit,
 * 35 % mild, 12 % moderate, 3 % severe). 15,000 residents (a few seconds) give about 2,700 people 65+,
 * where one standard error of a share is under one point: the tolerances are about three of them for
 * fit and mild (±3 points), and ±2.5 and ±1.5 points for the smaller moderate and severe shares. At
 * seed 2024 the shares are about 48 / 37 / 11 / 4.
 */
const AS_OF = '2025-07-01';
const TARGET: Record<EfiCategory, [number, number]> = { fit: [50, 3], mild: [35, 3], moderate: [12, 2.5], severe: [3, 1.5] };

describe('eFI calibration on the synthetic population (65+)', () => {
  it('category shares land near 50 / 35 / 12 / 3 per cent', () => {
    const now = new Date(`${AS_OF}T12:00:00Z`);
    const since = now.getTime() - 365 * 86_400_000;
    const counts: Record<EfiCategory, number> = { fit: 0, mild: 0, moderate: 0, severe: 0 };
    const gen = synthesizeResidents({ residents: 15_000, seed: 2024, asOf: AS_OF });
    gen.next(); // the organisations
    for (const batch of gen) {
      const patient = batch[0] as { birthDate?: string };
      if ((ageOn(patient.birthDate, now) ?? 0) < EFI_MIN_AGE) continue;
      counts[computeEfi(evidenceOf(batch, since)).category]++;
    }
    const older = EFI_CATEGORIES.reduce((a, k) => a + counts[k], 0);
    expect(older).toBeGreaterThan(2500);
    const shares = Object.fromEntries(EFI_CATEGORIES.map((k) => [k, (100 * counts[k]) / older]));
    for (const k of EFI_CATEGORIES) {
      const [target, tolerance] = TARGET[k];
      expect(Math.abs(shares[k] - target), `${k}: ${shares[k].toFixed(1)}% (target ${target}% ± ${tolerance})`).toBeLessThanOrEqual(tolerance);
    }
  });
});

/** What efi.repository.ts reads from the database, read from one generated resident's resources. */
function evidenceOf(batch: Resource[], since: number): EfiEvidence {
  const e: EfiEvidence = { coded: [], medicines: [] };
  for (const r of batch) {
    if (r.resourceType === 'Condition' || r.resourceType === 'Observation') {
      for (const c of r.code?.coding ?? []) if (c.system === SNOMED_SYSTEM && c.code) e.coded.push({ ref: `${r.resourceType}/${r.id}`, code: c.code });
    } else if (r.resourceType === 'MedicationRequest') {
      const m = r as MedicationRequest;
      if (m.status !== 'active' && Date.parse(m.authoredOn ?? '') < since) continue;
      const c = m.medicationCodeableConcept?.coding?.[0];
      e.medicines.push({ ref: `MedicationRequest/${m.id}`, medicine: c ? `${c.system}|${c.code}` : m.medicationCodeableConcept?.text ?? '' });
    }
  }
  return e;
}
