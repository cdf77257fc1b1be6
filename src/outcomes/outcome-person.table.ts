import type { Patient } from '@medplum/fhirtypes';
import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';
import { ext } from '../synth/fhir.helpers.js';

/** A FHIR date's or dateTime's calendar day as written (YYYY-MM-DD), or null when it has no full, real day. */
function dayOf(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (!m) return null;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === m[0] ? m[0] : null;
}

const extension = (p: Patient, url: string) => p.extension?.find((x) => x.url === url);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

/**
 * One outcome_person row of a Patient (see migration 027), by the rules the indicators' residents
 * were read with from the JSON: sex 'unknown' when not recorded; the first district, deprivation
 * quintile and ethnic category extension; the practice is the first generalPractitioner reference
 * without its 13-character 'Organization/' prefix; active unless recorded false; the day of
 * deceasedDateTime. Pure: it runs on every Patient write.
 */
export function outcomePersonRow(p: Patient, id: string): unknown[] {
  const gp = p.generalPractitioner?.[0]?.reference;
  return [
    id,
    text(p.gender) ?? 'unknown',
    dayOf(p.birthDate),
    text(extension(p, ext.district)?.valueString),
    text(extension(p, ext.deprivationQuintile)?.valueInteger),
    text(extension(p, ext.ethnicCategory)?.valueCodeableConcept?.coding?.[0]?.code),
    typeof gp === 'string' ? gp.slice(13) : null,
    // As the JSON read it: only a recorded false (or the text 'false') is inactive.
    String(p.active) !== 'false',
    dayOf(p.deceasedDateTime),
  ];
}

/** outcome_person, kept in step with every Patient write (registered in src/platform.ts). */
export const OUTCOME_PERSON_TABLE: DerivedTable = {
  table: 'outcome_person',
  columns: ['patient_id', 'sex', 'birth', 'district', 'quintile', 'ethnic', 'practice', 'active', 'deceased'],
  types: ['text', 'text', 'date', 'text', 'text', 'text', 'text', 'bool', 'date'],
  rows: (w: VersionWrite) => (w.resourceType === 'Patient' && w.content ? [outcomePersonRow(JSON.parse(w.content) as Patient, w.id)] : []),
};
