import type { RiskAssessment } from '@medplum/fhirtypes';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { Principal } from '../access/principal.js';
import type { Queryable } from '../db/database.js';
import { Params } from '../fhir/search.repository.js';
import { efiRiskAssessmentId } from './efi.calculator.js';
import {
  EFI_DEFICIT_EXTENSION, EFI_SCORE_EXTENSION, EMERGENCY_ADMISSIONS_EXTENSION, isEfiCategory, MEDICINES_EXTENSION, type EfiCategory,
} from './efi.vocabulary.js';

/** What the record page shows of a person's frailty and simple risk markers. */
export interface RiskSummary {
  category: EfiCategory;
  score: number;
  /** Deficit names, with how many entries show each. */
  deficits: { name: string; evidence: number }[];
  emergencyAdmissions: number;
  medicines: number;
  computed: string;
}

/**
 * A person's eFI RiskAssessment as the reader may see it: read under the reader's row restriction
 * (the same rule as the FHIR API), so a reader who may not see it gets nothing, as if none existed.
 */
export class RiskSummaryService {
  constructor(private readonly db: Queryable) {}

  async forPerson(p: Principal, patientId: string, now: Date): Promise<RiskSummary | undefined> {
    const prm = new Params();
    const id = prm.add(efiRiskAssessmentId(patientId));
    const seen = restrictionFor(p, now)('r', 'RiskAssessment', prm) ?? 'true';
    const r = await this.db.query<{ content: string }>(
      `SELECT r.content FROM resource r WHERE r.resource_type = 'RiskAssessment' AND r.id = ${id} AND NOT r.deleted AND ${seen}`,
      prm.values,
    );
    if (r.rows.length === 0) return undefined;
    const ra = JSON.parse(r.rows[0].content) as RiskAssessment;
    const category = ra.prediction?.[0]?.qualitativeRisk?.coding?.[0]?.code ?? '';
    if (!isEfiCategory(category)) return undefined;
    const ext = (url: string) => ra.extension?.find((x) => x.url === url);
    return {
      category,
      score: ext(EFI_SCORE_EXTENSION)?.valueDecimal ?? 0,
      deficits: (ra.extension ?? []).filter((x) => x.url === EFI_DEFICIT_EXTENSION).map((x) => ({
        name: x.extension?.find((e) => e.url === 'deficit')?.valueCoding?.display ?? 'Deficit',
        evidence: x.extension?.filter((e) => e.url === 'evidence').length ?? 0,
      })),
      emergencyAdmissions: ext(EMERGENCY_ADMISSIONS_EXTENSION)?.valueInteger ?? 0,
      medicines: ext(MEDICINES_EXTENSION)?.valueInteger ?? 0,
      computed: ra.occurrenceDateTime ?? '',
    };
  }
}
