import type { RiskAssessment } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { extractIndex } from '../fhir/search-index.js';
import { computeEfi, efiRiskAssessment, efiRiskAssessmentIndex } from './efi.calculator.js';
import { efiCodeSets } from './efi.vocabulary.js';

/**
 * The pass indexes its RiskAssessments with efiRiskAssessmentIndex instead of evaluating every search
 * parameter's FHIRPath: it must give exactly the rows extractIndex gives, or searches by subject, code,
 * risk or date would miss or mis-find eFI results.
 */
describe('the eFI RiskAssessment\'s search-index rows', () => {
  const sets = efiCodeSets();
  const withDeficits = (n: number, medicines = 0) => computeEfi({
    coded: sets.deficits.filter((d) => d.codes.length > 0).slice(0, n).map((d, i) => ({ ref: `Condition/c${i}`, code: d.codes[0] })),
    medicines: Array.from({ length: medicines }, (_, i) => ({ ref: `MedicationRequest/m${i}`, medicine: `m|${i}` })),
  }, sets);
  // As writeBatch stores them: with the server's meta beside the practice's tag.
  const stored = (ra: RiskAssessment): RiskAssessment => ({ ...ra, meta: { ...ra.meta, versionId: '1', lastUpdated: '2025-07-01T12:00:01.000Z' } });
  const when = new Date('2025-07-01T12:00:00Z');

  for (const [deficits, category] of [[0, 'fit'], [6, 'mild'], [10, 'moderate'], [14, 'severe']] as const) {
    it(`are extractIndex's rows, in its order, for a ${category} result with and without a practice`, () => {
      const result = withDeficits(deficits, 6);
      expect(result.category).toBe(category);
      for (const ra of [efiRiskAssessment('pat-1', result, { emergencyAdmissions: 2 }, when, 'org-gp-1'), efiRiskAssessment('p.2-x', result, { emergencyAdmissions: 0 }, when)]) {
        expect(efiRiskAssessmentIndex(stored(ra))).toEqual(extractIndex(stored(ra)));
      }
    });
  }
});
