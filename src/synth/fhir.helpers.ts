import type { CodeableConcept, Coding, Extension, Reference } from '@medplum/fhirtypes';
import { EXT as DISCHARGE_EXT } from '../discharge/discharge.vocabulary.js';

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
  dischargePathway: DISCHARGE_EXT.pathway,
  criteriaToResideNotMet: DISCHARGE_EXT.readyDate,
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

const dateCache = new Map<number, string>();
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** ISO date (YYYY-MM-DD) for a day number since 1970-01-01. Cached: a population uses a few tens of thousands of days, millions of times. */
export function isoDate(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    s = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dateCache.size < 200_000) dateCache.set(day, s);
  }
  return s;
}

/** ISO instant (UTC, seconds precision as FHIR requires with a zone) for a day number plus minutes past midnight. */
export function isoDateTime(day: number, minutes: number): string {
  const carry = Math.floor(minutes / 1440);
  const m = minutes - carry * 1440;
  return `${isoDate(day + carry)}T${TWO[Math.floor(m / 60)]}:${TWO[m % 60]}:00Z`;
}

export function dayOf(iso: string): number {
  return Math.floor(Date.parse(iso) / 86_400_000);
}
