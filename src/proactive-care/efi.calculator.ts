import type { CodeableConcept, Extension, RiskAssessment } from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { parseDateRange } from '../fhir/date-range.js';
import { parseReference } from '../fhir/reference.js';
import { emptyRows, normalizeString, pgInstant, type IndexRows } from '../fhir/search-index.js';
import {
  EFI_CATEGORY_SYSTEM, EFI_CATEGORY_WORDS, EFI_CODE, EFI_DEFICIT_COUNT, EFI_DEFICIT_EXTENSION, EFI_DEFICIT_SYSTEM, EFI_SCORE_EXTENSION,
  efiCategoryOf, efiCodeSets, efiScoreOf, EMERGENCY_ADMISSIONS_EXTENSION, MEDICINES_EXTENSION, POLYPHARMACY_KEY, POLYPHARMACY_MEDICINES,
  type EfiCategory, type EfiCodeSets,
} from './efi.vocabulary.js';

/** What the record holds that the eFI reads, for one person (found by efi.repository.ts). */
export interface EfiEvidence {
  /** Conditions and Observations coded from an eFI code set: `Type/id` and the SNOMED CT code. */
  coded: { ref: string; code: string }[];
  /** MedicationRequests of the last 12 months (authored then, or still active): `Type/id` and what was prescribed (system|code or text). */
  medicines: { ref: string; medicine: string }[];
}

export interface EfiDeficitFound {
  key: string;
  name: string;
  /** `Type/id` of every entry that shows it, in order. */
  evidence: string[];
}

export interface EfiResult {
  deficits: EfiDeficitFound[];
  count: number;
  score: number;
  category: EfiCategory;
  /** Distinct medicines in the last 12 months (the polypharmacy rule's count). */
  medicines: number;
}

/**
 * The eFI of one person: each of the 36 deficits is present when at least one coded entry from its
 * code set is on the record (any date: the eFI counts deficits ever recorded), polypharmacy when five
 * or more distinct medicines were prescribed in the last 12 months. Score = deficits / 36.
 */
export function computeEfi(e: EfiEvidence, sets: EfiCodeSets = efiCodeSets()): EfiResult {
  const found = new Map<string, string[]>();
  for (const { ref, code } of e.coded) {
    for (const key of sets.byCode.get(code) ?? []) {
      const list = found.get(key) ?? [];
      if (!list.includes(ref)) list.push(ref);
      found.set(key, list);
    }
  }
  const distinct = new Set(e.medicines.map((m) => m.medicine));
  if (distinct.size >= POLYPHARMACY_MEDICINES) found.set(POLYPHARMACY_KEY, [...new Set(e.medicines.map((m) => m.ref))]);
  // In the order data/efi lists them, so the stored result reads the same on every computation.
  const deficits = sets.deficits.filter((d) => found.has(d.key)).map((d) => ({ key: d.key, name: d.name, evidence: found.get(d.key)!.sort() }));
  return { deficits, count: deficits.length, score: efiScoreOf(deficits.length), category: efiCategoryOf(deficits.length), medicines: distinct.size };
}

/** A short fingerprint of a result: when it has not changed, the stored RiskAssessment is left as it is. */
export function efiSignature(r: EfiResult, admissions: number): string {
  return `${admissions};${r.medicines};${r.deficits.map((d) => `${d.key}:${d.evidence.join(',')}`).join(';')}`;
}

/** The stored id of a person's eFI RiskAssessment: one per person, replaced by each computation. */
export function efiRiskAssessmentId(patientId: string): string {
  const id = `efi-${patientId}`;
  return id.length <= 64 ? id : `efi-${patientId.slice(0, 44)}-${fnv(patientId)}`;
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The eFI as a FHIR RiskAssessment: code SNOMED CT 713634000, the category as the prediction's
 * qualitative risk, the score, each deficit with the entries that show it, every such entry in
 * `basis`, and the simple markers beside it. Recorded by the person's practice (the GP record it is
 * computed from), so the practice and everyone caring for the person see it, as they see its evidence.
 */
export function efiRiskAssessment(patientId: string, r: EfiResult, markers: { emergencyAdmissions: number }, when: Date, practiceId?: string): RiskAssessment {
  const deficitExtensions: Extension[] = r.deficits.map((d) => ({
    url: EFI_DEFICIT_EXTENSION,
    extension: [
      { url: 'deficit', valueCoding: { system: EFI_DEFICIT_SYSTEM, code: d.key, display: d.name } },
      ...d.evidence.map((ref) => ({ url: 'evidence', valueReference: { reference: ref } })),
    ],
  }));
  const basis = [...new Set(r.deficits.flatMap((d) => d.evidence))].sort().map((reference) => ({ reference }));
  const ra: RiskAssessment = {
    resourceType: 'RiskAssessment',
    id: efiRiskAssessmentId(patientId),
    ...(practiceId ? { meta: { tag: [recordedByTag(practiceId)] } } : {}),
    extension: [
      { url: EFI_SCORE_EXTENSION, valueDecimal: r.score },
      { url: EMERGENCY_ADMISSIONS_EXTENSION, valueInteger: markers.emergencyAdmissions },
      { url: MEDICINES_EXTENSION, valueInteger: r.medicines },
      ...deficitExtensions,
    ],
    status: 'final',
    method: { text: `Electronic frailty index (Clegg 2016): deficits present of ${EFI_DEFICIT_COUNT}, from coded problems, observations and medicines` },
    code: { coding: [{ ...EFI_CODE }], text: 'Electronic frailty index' },
    subject: { reference: `Patient/${patientId}` },
    occurrenceDateTime: when.toISOString(),
    prediction: [{
      outcome: { text: 'Frailty' },
      qualitativeRisk: { coding: [{ system: EFI_CATEGORY_SYSTEM, code: r.category, display: EFI_CATEGORY_WORDS[r.category] }], text: EFI_CATEGORY_WORDS[r.category] },
    }],
    note: [{ text: `eFI ${r.score.toFixed(2)} (${r.count} of ${EFI_DEFICIT_COUNT} deficits): ${r.deficits.map((d) => d.name).join(', ') || 'none recorded'}` }],
  };
  if (basis.length > 0) ra.basis = basis;
  return ra;
}

/**
 * The search-index rows of a RiskAssessment made by efiRiskAssessment, without evaluating FHIRPath:
 * the same rows, in the same order, as `extractIndex` gives (efi.calculator.test.ts compares them for
 * every category, with and without a practice). The template fills only _tag, method, risk, code,
 * date, subject and patient of RiskAssessment's search parameters; evaluating all of them with FHIRPath
 * for each of the pass's RiskAssessments was about a fifth of its JavaScript time.
 */
export function efiRiskAssessmentIndex(ra: RiskAssessment): IndexRows {
  const rows = emptyRows();
  const low = (s: string | undefined) => (s ? normalizeString(s) : null);
  // A CodeableConcept's token rows: each coding with its display (or the concept's text), then the text on its own row.
  const concept = (code: string, cc: CodeableConcept | undefined) => {
    if (!cc) return;
    const text = low(cc.text) ?? low(cc.coding?.[0]?.display);
    const codings = cc.coding ?? [];
    if (codings.length === 0) {
      if (text) rows.token.push([code, null, null, text]);
      return;
    }
    const displays = codings.map((c) => low(c.display) ?? text);
    codings.forEach((c, i) => rows.token.push([code, c.system ?? null, c.code ?? null, displays[i]]));
    const ccText = low(cc.text);
    if (ccText && !displays.includes(ccText)) rows.token.push([code, null, null, ccText]);
  };
  for (const t of ra.meta?.tag ?? []) rows.token.push(['_tag', t.system ?? null, t.code ?? null, low(t.display)]);
  concept('method', ra.method);
  for (const p of ra.prediction ?? []) concept('risk', p.qualitativeRisk);
  concept('code', ra.code);
  const when = ra.occurrenceDateTime ? parseDateRange(ra.occurrenceDateTime) : undefined;
  if (when) rows.date.push(['date', pgInstant(when.low), pgInstant(when.high)]);
  const subject = parseReference(ra.subject?.reference);
  if (subject?.type === 'Patient') {
    rows.reference.push(['patient', subject.type, subject.id, null]);
    rows.reference.push(['subject', subject.type, subject.id, null]);
  }
  return rows;
}
