import type { CodeableConcept, Coding, Extension, Reference } from '@medplum/fhirtypes';

/** Where OneStory's own code systems, extensions and identifiers live (not a resolvable host). */
export const BASE = 'https://onestory.example/fhir';
export const SD = `${BASE}/StructureDefinition`;
export const CS = `${BASE}/CodeSystem`;
export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const RESIDENT_ID_SYSTEM = `${BASE}/Id/synthetic-resident`;

export const ext = {
  district: `${SD}/district`,
  deprivationQuintile: `${SD}/deprivation-quintile`,
  locality: `${SD}/locality`,
  ethnicCategory: `${SD}/ethnic-category`,
  communicationNeed: `${SD}/communication-need`,
  interpreterRequired: `${SD}/interpreter-required`,
  healthAndCarePartnership: `${SD}/health-and-care-partnership`,
  cost: `${SD}/cost`,
  referralRoute: `${SD}/referral-route`,
  dischargePathway: `${SD}/discharge-pathway`,
  criteriaToResideNotMet: `${SD}/no-longer-meets-criteria-to-reside`,
  alcoholRelated: `${SD}/alcohol-related`,
  frailtyRelated: `${SD}/frailty-related`,
  efiDeficit: `${SD}/efi-deficit`,
} as const;

// Typed loosely: the target type is in the string, and Reference<Organization> etc. would need a generic per call.
export function ref(type: string, id: string, display?: string): Reference<any> {
  return display ? { reference: `${type}/${id}`, display } : { reference: `${type}/${id}` };
}

export function coding(system: string, code: string, display?: string): Coding {
  return display ? { system, code, display } : { system, code };
}

export function concept(system: string, code: string, display: string): CodeableConcept {
  return { coding: [{ system, code, display }], text: display };
}

export function snomed(code: string, display: string): CodeableConcept {
  return concept(SNOMED, code, display);
}

export function local(system: string, code: string, display: string): CodeableConcept {
  return concept(`${CS}/${system}`, code, display);
}

export function extString(url: string, value: string): Extension {
  return { url, valueString: value };
}

/** ISO date (YYYY-MM-DD) for a day number since 1970-01-01, without allocating a Date per call site. */
export function isoDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** ISO instant for a day number plus minutes past midnight (UTC, as exchanged in NDJSON). */
export function isoDateTime(day: number, minutes: number): string {
  return new Date(day * 86_400_000 + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

export function dayOf(iso: string): number {
  return Math.floor(Date.parse(iso) / 86_400_000);
}
