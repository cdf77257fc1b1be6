import { SNOMED_SYSTEM } from '../record-view/uk-terms.js';
import { loadReferenceData } from '../synth/reference-data.js';

/**
 * The words of the electronic Frailty Index (Clegg A, et al. Age and Ageing 2016;45(3):353-360): its
 * 36 deficits and their SNOMED CT code sets (the repository's data/efi, the same files the synthetic
 * population codes its deficits from), the polypharmacy rule, the categories, and how the platform
 * stores a result (a RiskAssessment coded SNOMED CT 713634000).
 */

const BASE = 'https://onestory.example/fhir';

export const EFI_CODE = { system: SNOMED_SYSTEM, code: '713634000', display: 'Electronic frailty index score' } as const;
/** `RiskAssessment?code=` for the eFI. */
export const EFI_CODE_TOKEN = `${EFI_CODE.system}|${EFI_CODE.code}`;
export const EFI_CATEGORY_SYSTEM = `${BASE}/CodeSystem/efi-category`;
export const EFI_DEFICIT_SYSTEM = `${BASE}/CodeSystem/efi-deficit`;
/** The score (deficits / 36, three decimals) on the RiskAssessment. */
export const EFI_SCORE_EXTENSION = `${BASE}/StructureDefinition/efi-score`;
/** One per deficit present: `deficit` (a Coding) and each `evidence` (a Reference) behind it. */
export const EFI_DEFICIT_EXTENSION = `${BASE}/StructureDefinition/efi-deficit-evidence`;
/** Simple markers computed alongside: emergency admissions and distinct medicines in the last 12 months. */
export const EMERGENCY_ADMISSIONS_EXTENSION = `${BASE}/StructureDefinition/emergency-admissions-12-months`;
export const MEDICINES_EXTENSION = `${BASE}/StructureDefinition/medicines-12-months`;

export const EFI_DEFICIT_COUNT = 36;
/** The eFI applies from this age. */
export const EFI_MIN_AGE = 65;
/** Polypharmacy: this many distinct medicines prescribed in the last 12 months. */
export const POLYPHARMACY_MEDICINES = 5;
export const POLYPHARMACY_KEY = 'polypharmacy';

export const EFI_CATEGORIES = ['fit', 'mild', 'moderate', 'severe'] as const;
export type EfiCategory = (typeof EFI_CATEGORIES)[number];
export const EFI_CATEGORY_WORDS: Record<EfiCategory, string> = {
  fit: 'Fit', mild: 'Mild frailty', moderate: 'Moderate frailty', severe: 'Severe frailty',
};
export const isEfiCategory = (s: string): s is EfiCategory => (EFI_CATEGORIES as readonly string[]).includes(s);

/**
 * The category of a count of deficits: fit 0–4 (score ≤ 0.12), mild 5–8 (0.13–0.24), moderate
 * 9–12 (0.25–0.36), severe 13+ (> 0.36). Decided on the count, so no rounding of the score can move a
 * person across a boundary.
 */
export function efiCategoryOf(deficits: number): EfiCategory {
  return deficits <= 4 ? 'fit' : deficits <= 8 ? 'mild' : deficits <= 12 ? 'moderate' : 'severe';
}

export const efiScoreOf = (deficits: number): number => Math.round((deficits / EFI_DEFICIT_COUNT) * 1000) / 1000;

export interface EfiDeficitDef {
  /** Stable key: the code set's file name without `efi-` and `.snomed.tsv` (`falls`), or `polypharmacy`. */
  key: string;
  name: string;
  /** SNOMED CT codes; empty for polypharmacy, which is a rule on medicines. */
  codes: string[];
}

export interface EfiCodeSets {
  deficits: EfiDeficitDef[];
  /** SNOMED CT code → the keys of the deficits whose code set holds it. */
  byCode: Map<string, string[]>;
  byKey: Map<string, EfiDeficitDef>;
}

let cached: EfiCodeSets | undefined;

/** The 36 deficits and their code sets, read once from data/efi. */
export function efiCodeSets(): EfiCodeSets {
  if (cached) return cached;
  const deficits = loadReferenceData().efi.map((d): EfiDeficitDef => ({
    key: d.file ? d.file.replace(/^efi-/, '').replace(/\.snomed\.tsv$/, '') : POLYPHARMACY_KEY,
    name: d.name,
    codes: d.codes.map((c) => c.code),
  }));
  if (deficits.length !== EFI_DEFICIT_COUNT) throw new Error(`data/efi lists ${deficits.length} deficits, not ${EFI_DEFICIT_COUNT}`);
  const byCode = new Map<string, string[]>();
  for (const d of deficits) for (const c of d.codes) byCode.set(c, [...(byCode.get(c) ?? []), d.key]);
  cached = { deficits, byCode, byKey: new Map(deficits.map((d) => [d.key, d])) };
  return cached;
}
