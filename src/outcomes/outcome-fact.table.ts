import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';

/** The types the indicators read rows of (besides Patient: outcome-person.table.ts). */
export const OUTCOME_FACT_TYPES = ['Observation', 'Condition', 'Encounter', 'EpisodeOfCare', 'QuestionnaireResponse', 'CareTeam'] as const;

/**
 * The fields of each type the indicators' SQL reads (indicator.definitions.ts), kept as they are in the
 * resource so every path in the SQL gives the same value from the fact row as from the stored JSON; of
 * `meta`, only lastUpdated (Observation: the latest outcome of an episode). A new indicator reading
 * another field adds it here and in FACT_BACKFILL_SQL; the cube test (outcome-fact.table.test.ts)
 * fails until it does.
 */
export const FACT_FIELDS: Record<(typeof OUTCOME_FACT_TYPES)[number], readonly string[]> = {
  Observation: ['status', 'subject', 'effectiveDateTime', 'valueCodeableConcept', 'valueQuantity', 'valueBoolean', 'interpretation', 'focus'],
  Condition: ['subject', 'code', 'onsetDateTime'],
  Encounter: ['subject', 'period', 'extension', 'length'],
  EpisodeOfCare: ['id', 'patient', 'period'],
  QuestionnaireResponse: ['subject', 'questionnaire', 'status', 'authored', 'item'],
  CareTeam: ['status', 'period', 'participant'],
};
const WITH_LAST_UPDATED = new Set(['Observation']);

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

/** The fields of a resource the indicators read (FACT_FIELDS), as jsonb text. */
export function factContent(type: string, r: Json): string {
  const c: Json = {};
  for (const f of FACT_FIELDS[type as keyof typeof FACT_FIELDS] ?? []) if (r[f] !== undefined) c[f] = r[f];
  const meta = r.meta as Json | undefined;
  if (WITH_LAST_UPDATED.has(type) && meta && typeof meta === 'object' && meta.lastUpdated !== undefined) c.meta = { lastUpdated: meta.lastUpdated };
  return JSON.stringify(c);
}

/** outcome_fact rows of one written resource (see migration 028): [resource_type, code, c] per code. */
export function outcomeFactRows(type: string, r: Json): unknown[][] {
  const c = factContent(type, r);
  return factCodes(type, r).map((code) => [type, code, c]);
}

const TYPES = new Set<string>(OUTCOME_FACT_TYPES);

/**
 * outcome_fact, kept in step with every write of the types the indicators read (registered in src/platform.ts).
 * Its columns pid, eff and day (migration 032) are generated from `c` by the database, so the write path and
 * the bulk fill (factBackfillSql) give them alike without writing them.
 */
export const OUTCOME_FACT_TABLE: DerivedTable = {
  table: 'outcome_fact',
  columns: ['resource_type', 'code', 'c'],
  types: ['text', 'text', 'jsonb'],
  rows: (w: VersionWrite) => (TYPES.has(w.resourceType) && w.content ? outcomeFactRows(w.resourceType, JSON.parse(w.content) as Json) : []),
};

/** The codings a type's resources are found by, as a jsonb array expression over `j` (factCodes' rule). */
const CODINGS_SQL: Record<(typeof OUTCOME_FACT_TYPES)[number], string> = {
  Observation: "CASE WHEN jsonb_typeof(j->'code'->'coding') = 'array' THEN j->'code'->'coding' END",
  Condition: "CASE WHEN jsonb_typeof(j->'code'->'coding') = 'array' THEN j->'code'->'coding' END",
  Encounter: "(SELECT jsonb_agg(x) FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j->'type') = 'array' THEN j->'type' END) t, jsonb_array_elements(CASE WHEN jsonb_typeof(t->'coding') = 'array' THEN t->'coding' END) x)",
  EpisodeOfCare: "(SELECT jsonb_agg(x) FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j->'type') = 'array' THEN j->'type' END) t, jsonb_array_elements(CASE WHEN jsonb_typeof(t->'coding') = 'array' THEN t->'coding' END) x)",
  QuestionnaireResponse: "CASE WHEN jsonb_typeof(j->'questionnaire') = 'string' THEN jsonb_build_array(jsonb_build_object('code', j->'questionnaire')) END",
  CareTeam: 'NULL::jsonb',
};

/**
 * The bulk fill of outcome_fact for one type's current resources in a range of rids ($1, $2) that have no
 * rows yet: outcomeFactRows' rules (the fields of FACT_FIELDS as they are, meta.lastUpdated where kept,
 * every non-empty code once, '' when none) written in SQL, so the rows are computed where the data is: a
 * bulk load of millions of resources (the bench's) fills it in one pass of parsing, not a round trip per
 * page. The test (outcome-fact.table.test.ts) checks its rows equal those the write path derives.
 */
export function factBackfillSql(type: (typeof OUTCOME_FACT_TYPES)[number]): string {
  const fields = FACT_FIELDS[type].map((f) => `'${f}'`).join(', ');
  const meta = WITH_LAST_UPDATED.has(type)
    ? ` || CASE WHEN jsonb_typeof(j->'meta') = 'object' AND j->'meta' ? 'lastUpdated' THEN jsonb_build_object('meta', jsonb_build_object('lastUpdated', j->'meta'->'lastUpdated')) ELSE '{}'::jsonb END`
    : '';
  return `INSERT INTO outcome_fact (rid, resource_type, code, c)
    SELECT r.rid, r.resource_type, k.code, x.c
      FROM resource r
      CROSS JOIN LATERAL (SELECT r.content::jsonb AS j OFFSET 0) p
      CROSS JOIN LATERAL (SELECT coalesce((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(p.j) e WHERE e.key IN (${fields})), '{}'::jsonb)${meta.replaceAll('j->', 'p.j->')} AS c) x
      CROSS JOIN LATERAL (SELECT coalesce(nullif(ARRAY(SELECT DISTINCT y->>'code' FROM jsonb_array_elements(coalesce(${CODINGS_SQL[type].replaceAll('j->', 'p.j->')}, '[]'::jsonb)) y
                                                    WHERE jsonb_typeof(y->'code') = 'string' AND y->>'code' <> ''), '{}'), ARRAY['']) AS codes) cs
      CROSS JOIN LATERAL unnest(cs.codes) AS k(code)
     WHERE r.resource_type = '${type}' AND NOT r.deleted AND r.rid >= $1::bigint AND r.rid < $2::bigint
       AND NOT EXISTS (SELECT 1 FROM outcome_fact d WHERE d.rid = r.rid)`;
}
