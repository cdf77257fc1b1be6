import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';

/** The types the indicators read rows of (besides Patient: outcome-person.table.ts). */
export const OUTCOME_FACT_TYPES = ['Observation', 'Condition', 'Encounter', 'EpisodeOfCare', 'QuestionnaireResponse', 'CareTeam'] as const;

/**
 * The fields the indicators' SQL reads (indicator.definitions.ts), kept as they are in the resource so
 * every path in the SQL gives the same value from the fact row as from the stored JSON; of `meta`, only
 * lastUpdated. A new indicator reading another field adds it here (and the fact rows are then rebuilt).
 */
const FIELDS = ['id', 'status', 'subject', 'patient', 'code', 'effectiveDateTime', 'valueCodeableConcept', 'valueQuantity', 'valueBoolean',
  'interpretation', 'focus', 'period', 'extension', 'length', 'questionnaire', 'authored', 'item', 'participant', 'onsetDateTime'] as const;

type Json = Record<string, unknown>;
const codings = (cc: unknown): unknown[] => (cc && typeof cc === 'object' && Array.isArray((cc as Json).coding) ? ((cc as Json).coding as unknown[]) : []);
const codesOf = (list: unknown[]): string[] => list.map((c) => (c && typeof c === 'object' ? (c as Json).code : undefined)).filter((x): x is string => typeof x === 'string' && x !== '');

/**
 * The codes a resource is found by: what the token index holds for the indicators' searches (Observation
 * and Condition `code`, Encounter and EpisodeOfCare `type`: every coding's code), the questionnaire of a
 * response; each once, so a resource is counted once per code asked for. '' when none, so every resource
 * has a row (the backfill finds what it has not yet filled by the absence of rows).
 */
export function factCodes(type: string, r: Json): string[] {
  let codes: string[] = [];
  if (type === 'Observation' || type === 'Condition') codes = codesOf(codings(r.code));
  else if (type === 'Encounter' || type === 'EpisodeOfCare') codes = codesOf((Array.isArray(r.type) ? r.type : []).flatMap(codings));
  else if (type === 'QuestionnaireResponse' && typeof r.questionnaire === 'string') codes = [r.questionnaire];
  const distinct = [...new Set(codes)];
  return distinct.length > 0 ? distinct : [''];
}

/** The fields of a resource the indicators read (FIELDS), as jsonb text. */
export function factContent(r: Json): string {
  const c: Json = {};
  for (const f of FIELDS) if (r[f] !== undefined) c[f] = r[f];
  const meta = r.meta as Json | undefined;
  if (meta && meta.lastUpdated !== undefined) c.meta = { lastUpdated: meta.lastUpdated };
  return JSON.stringify(c);
}

/** outcome_fact rows of one written resource (see migration 028): [resource_type, code, c] per code. */
export function outcomeFactRows(type: string, r: Json): unknown[][] {
  const c = factContent(r);
  return factCodes(type, r).map((code) => [type, code, c]);
}

const TYPES = new Set<string>(OUTCOME_FACT_TYPES);

/** outcome_fact, kept in step with every write of the types the indicators read (registered in src/platform.ts). */
export const OUTCOME_FACT_TABLE: DerivedTable = {
  table: 'outcome_fact',
  columns: ['resource_type', 'code', 'c'],
  types: ['text', 'text', 'jsonb'],
  rows: (w: VersionWrite) => (TYPES.has(w.resourceType) && w.content ? outcomeFactRows(w.resourceType, JSON.parse(w.content) as Json) : []),
};
