/**
 * How each indicator is computed: from the record (SQL over the stored FHIR resources), from
 * figures a partner submits, or not yet (and why). The SQL of a record indicator yields one row
 * per counted unit — `pid` (the Patient id the unit belongs to, which places and strata follow),
 * `num` (numerator contribution) and `den` (denominator contribution: 1 per unit; for a rate, 1 per
 * resident of the population, turned into person-years by the evaluator) — for the period from
 * `$1` to `$2` (dates, both inclusive). It may read `person` (pid, birth, sex…: the residents in the
 * period, the evaluator's temporary table of the run, written once for all indicators). Codes are
 * the record's own (src/synth writes the same ones a feed would).
 */

import { AT_HOME_91, REABLEMENT_EPISODE, REABLEMENT_MIN_AGE } from '../discharge/discharge.vocabulary.js';

const CS = 'https://onestory.example/fhir/CodeSystem';
const SD = 'https://onestory.example/fhir/StructureDefinition';
const Q = 'https://onestory.example/fhir/Questionnaire';

export type Scoring = 'proportion' | 'rate' | 'count';

export interface RecordComputation {
  kind: 'record';
  scoring: Scoring;
  /** Rates: per this many person-years. Proportions are per cent. */
  per?: number;
  population: string;
  numerator: string;
  denominator?: string;
  /** The published definition followed, or what ours is built from. */
  basis: string;
  sql: string;
}
/**
 * A figure a partner submits (submitted-figure.service.ts): who owns it (in words, and the Organization
 * ids whose staff may submit it: outcomes.policy.ts), and what a submission gives — a proportion
 * (numerator and denominator, or the percentage alone), a count, or a score.
 */
export interface SubmittedComputation {
  kind: 'submitted'; owner: string; why: string; owners: readonly string[];
  scoring: 'proportion' | 'count' | 'score';
  numerator?: string; denominator?: string;
  /** Counts organisations, not people: shown as given (small-number protection is for people). */
  countsOrganisations?: true;
}
export interface NotYetComputation { kind: 'not-yet'; why: string }
export type Computation = RecordComputation | SubmittedComputation | NotYetComputation;

// ---- SQL building blocks (constants only: no value here comes from a request) ----

const day = (expr: string) => `left(${expr}, 10)::date`;
const inPeriod = (expr: string) => `${day(expr)} BETWEEN $1::date AND $2::date`;
const subjectId = (c = 'c') => `substr(${c}->'subject'->>'reference', 9)`;
const codeOf = (path: string, c = 'c') => `${c}#>>'{${path},coding,0,code}'`;
/**
 * Where an indicator's rows come from: the stored JSON (`JSON_ROWS`, each row's content parsed in the
 * statement: the definitions as first written, kept as the reference the fact table is checked against)
 * or `outcome_fact` (`FACT_ROWS`, migration 028: the same rows' fields the indicators read, derived on
 * every write as jsonb, so nothing is parsed: src/outcomes/outcome-fact.table.ts). Both give the same
 * `c` (jsonb) for the same resources, so every statement reads the same values either way.
 */
export interface RowSource {
  /** Rows `c` of a type with a token search value (code of an Observation or Condition, type of an Encounter or EpisodeOfCare). */
  coded(type: string, param: string, value: string): string;
  /** Rows `rid, c` of Conditions with any of the codes, each Condition once. */
  codedWithRid(type: string, param: string, values: string[]): string;
  /** Rows `c` of the QuestionnaireResponses to a questionnaire (the statement still checks `c->>'questionnaire'`). */
  responses(questionnaire: string): string;
  /** Rows `rid, c` of every CareTeam. */
  careTeams: string;
  /**
   * The id of the Patient a row of `coded`/`codedWithRid`/`responses` is about, `path` the reference in `c` to
   * it (`subject`; an EpisodeOfCare's `patient`); `row` the row's alias where the statement needs one.
   */
  subject(row?: string, path?: string): string;
  /**
   * The day a row is dated by, as a date. `field` is the jsonb text of the one field that dates its type (an
   * Observation's effectiveDateTime, a Condition's onsetDateTime, a response's authored, period.start of an
   * Encounter or EpisodeOfCare: outcome_fact's `eff`, migration 032), exactly as the reference reads it.
   */
  day(field: string, row?: string): string;
  /**
   * Rows `pid, value_quantity, value_code, interpretation_code`: of the latest Observation of a code per
   * person dated on or before the period's end (and after `since` before it), the three fields an
   * indicator reads from it, as text (LATEST_FIELDS; outcome_fact's columns of migration 033).
   */
  latest(code: string, since?: string): string;
}

/** What `latest` gives of the latest Observation: outcome_fact's column (migration 033) and the path in the resource it holds, as text. */
export const LATEST_FIELDS = {
  value_quantity: '{valueQuantity,value}',
  value_code: '{valueCodeableConcept,coding,0,code}',
  interpretation_code: '{interpretation,0,coding,0,code}',
} as const;

const tokenRids = (type: string, param: string, values: string[]) =>
  `SELECT t.rid FROM sp_token t WHERE t.resource_type = '${type}' AND t.code = '${param}' AND t.value ${values.length === 1 ? `= '${values[0]}'` : `IN (${values.map((v) => `'${v}'`).join(', ')})`}`;

/** The stored JSON, through the token index (OFFSET 0 keeps each subquery whole, so each row's JSON is parsed once, not once per reference to `c`). */
export const JSON_ROWS: RowSource = {
  coded: (type, param, value) =>
    `(SELECT r.content::jsonb AS c FROM resource r WHERE r.resource_type = '${type}' AND NOT r.deleted AND r.rid IN (${tokenRids(type, param, [value])}) OFFSET 0)`,
  codedWithRid: (type, param, values) =>
    `(SELECT r.rid, r.content::jsonb AS c FROM resource r WHERE r.resource_type = '${type}' AND NOT r.deleted
                               AND r.rid IN (${tokenRids(type, param, values)}) OFFSET 0)`,
  responses: () => "(SELECT r.content::jsonb AS c FROM resource r WHERE r.resource_type = 'QuestionnaireResponse' AND NOT r.deleted OFFSET 0)",
  careTeams: "(SELECT r.rid, r.content::jsonb AS c FROM resource r WHERE r.resource_type = 'CareTeam' AND NOT r.deleted OFFSET 0)",
  subject: (row, path = 'subject') => `substr(${row ? `${row}.` : ''}c->'${path}'->>'reference', 9)`,
  day: (field) => day(field),
  latest: (code, since) =>
    `(SELECT DISTINCT ON (pid) ${subjectId()} AS pid, ${Object.entries(LATEST_FIELDS).map(([col, path]) => `c#>>'${path}' AS ${col}`).join(', ')}
     FROM ${JSON_ROWS.coded('Observation', 'code', code)} o
     WHERE ${day("c->>'effectiveDateTime'")} <= $2::date${since ? ` AND ${day("c->>'effectiveDateTime'")} > $2::date - interval '${since}'` : ''}
     ORDER BY pid, c->>'effectiveDateTime' DESC)`,
};

/**
 * outcome_fact: one row per resource and code (its questionnaire, for a response), `c` already jsonb, and
 * the plain columns of migration 032 (`pid`, `eff`, `day`, derived from `c`) where a statement filters,
 * joins or sorts: they have statistics, so the planner counts rows rightly (a filter on a field of `c`
 * has none: it guessed a few hundred latest BMIs for 275,000 at 400,000 residents and joined them to the
 * residents one probe at a time: bench/PROFILE.md, "Outcomes").
 */
export const FACT_ROWS: RowSource = {
  coded: (type, _param, value) => `(SELECT f.c, f.pid, f.day FROM outcome_fact f WHERE f.resource_type = '${type}' AND f.code = '${value}')`,
  // A Condition carrying two of the codes has a row for each: once.
  codedWithRid: (type, _param, values) =>
    `(SELECT DISTINCT ON (f.rid) f.rid, f.c, f.pid, f.day FROM outcome_fact f WHERE f.resource_type = '${type}' AND f.code IN (${values.map((v) => `'${v}'`).join(', ')}) ORDER BY f.rid)`,
  responses: (questionnaire) => `(SELECT f.c, f.pid, f.day FROM outcome_fact f WHERE f.resource_type = 'QuestionnaireResponse' AND f.code = '${questionnaire}')`,
  careTeams: "(SELECT f.rid, f.c FROM outcome_fact f WHERE f.resource_type = 'CareTeam')",
  subject: (row) => `${row ? `${row}.` : ''}pid`,
  day: (_field, row) => `${row ? `${row}.` : ''}day`,
  // A day that is not a date is NULL in outcome_fact (where the reading of the JSON fails the statement): never in the period.
  // Read from the index outcome_fact_latest alone (migration 033): per code, each person's rows newest first, so
  // DISTINCT ON keeps the first of each run without reading the table or sorting.
  latest: (code, since) =>
    `(SELECT DISTINCT ON (f.pid) f.pid, ${Object.keys(LATEST_FIELDS).map((col) => `f.${col}`).join(', ')} FROM outcome_fact f
     WHERE f.resource_type = 'Observation' AND f.code = '${code}' AND f.day <= $2::date${since ? ` AND f.day > $2::date - interval '${since}'` : ''}
     ORDER BY f.pid, f.eff DESC)`,
};

const ageAtEnd = 'date_part(\'year\', age($2::date, p.birth))';
const hasExt = (name: string, c = 'c') => `EXISTS (SELECT 1 FROM jsonb_array_elements(${c}->'extension') x WHERE x->>'url' = '${SD}/${name}')`;
/** A yes/no flag set to yes (a flag recorded as false is no flag: an admission reviewed and found not alcohol- or frailty-related). */
const flagged = (name: string, c = 'c') => `EXISTS (SELECT 1 FROM jsonb_array_elements(${c}->'extension') x WHERE x->>'url' = '${SD}/${name}' AND x->>'valueBoolean' = 'true')`;

/** Who submits: the two councils (education), the ICB (collating NHS organisations' and the sector's returns), or both. */
const COUNCILS = ['org-kcc', 'org-medway-council'] as const;
const ICB = ['org-icb'] as const;
const STATUTORY = [...ICB, ...COUNCILS] as const;

const SMOKER = '77176002';
const NON_SMOKER = '8392000';

/** The indicators' computations, reading their rows from `rows`. */
export function computations(rows: RowSource): Record<string, Computation> {
  const coded = rows.coded;
  /** The latest observation of a code per person recorded on or before the period's end (and since `since`, when given). */
  const latest = rows.latest;
  const subject = rows.subject;
  /** A row's day (see RowSource.day) in the period. */
  const inPeriodOf = (field: string, row?: string) => `${rows.day(field, row)} BETWEEN $1::date AND $2::date`;
  /** People with an episode of a type open at some time in the period. */
  const episodeInPeriod = (type: string) =>
    `(SELECT DISTINCT ${subject(undefined, 'patient')} AS pid FROM ${coded('EpisodeOfCare', 'type', type)} e
     WHERE ${rows.day("c#>>'{period,start}'")} <= $2::date AND (c#>>'{period,end}' IS NULL OR ${day("c#>>'{period,end}'")} >= $1::date))`;
  const survey = (id: string, yes: string[]) =>
    `SELECT ${subject()} AS pid, (c#>>'{item,0,answer,0,valueCoding,code}' IN (${yes.map((y) => `'${y}'`).join(', ')}))::int AS num, 1 AS den
   FROM ${rows.responses(`${Q}/${id}`)} q
   WHERE c->>'questionnaire' = '${Q}/${id}' AND c->>'status' = 'completed' AND ${inPeriodOf("c->>'authored'")}`;
  const admissions = `${coded('Encounter', 'type', 'emergency-admission')}`;
  return {
  'O1.1': {
    kind: 'record', scoring: 'proportion',
    population: 'Maternities (deliveries) in the period', denominator: 'Maternities with a known smoking status at the time of delivery',
    numerator: 'Mothers recorded as smokers at the time of delivery',
    basis: 'OHID Fingertips "Smoking status at time of delivery" (SATOD): smokers over maternities with a known status; unknown status excluded',
    sql: `SELECT ${subject()} AS pid, (${codeOf('valueCodeableConcept')} = '${SMOKER}')::int AS num, 1 AS den
          FROM ${coded('Observation', 'code', 'smoking-at-delivery')} o
          WHERE ${inPeriodOf("c->>'effectiveDateTime'")} AND ${codeOf('valueCodeableConcept')} IN ('${SMOKER}', '${NON_SMOKER}')`,
  },
  'O1.2': {
    kind: 'record', scoring: 'proportion',
    population: 'Year 6 children measured by the National Child Measurement Programme in the period', denominator: 'Year 6 children measured',
    numerator: 'Measured as a healthy weight (BMI centile 2.1 to 84.9)',
    basis: 'OHID Fingertips NCMP "Year 6: prevalence of healthy weight" (measured children, population monitoring BMI centiles)',
    sql: `SELECT ${subject()} AS pid, (${codeOf('valueCodeableConcept')} = 'healthy')::int AS num, 1 AS den
          FROM ${coded('Observation', 'code', 'ncmp-year6-weight-category')} o WHERE ${inPeriodOf("c->>'effectiveDateTime'")}`,
  },
  'O1.3': {
    kind: 'record', scoring: 'proportion',
    population: 'Year 6 children measured by the National Child Measurement Programme in the period', denominator: 'Year 6 children measured',
    numerator: 'Measured as severely obese (BMI centile 99.6 or above)',
    basis: 'OHID Fingertips NCMP "Year 6: prevalence of severe obesity"',
    sql: `SELECT ${subject()} AS pid, (${codeOf('valueCodeableConcept')} = 'severely-obese')::int AS num, 1 AS den
          FROM ${coded('Observation', 'code', 'ncmp-year6-weight-category')} o WHERE ${inPeriodOf("c->>'effectiveDateTime'")}`,
  },
  'O1.4': { kind: 'submitted', owner: 'Kent County Council and Medway Council (education)', owners: COUNCILS, scoring: 'proportion', numerator: 'Sessions missed', denominator: 'Possible sessions', why: 'School attendance is held by schools and returned to the Department for Education, not in the health and care record' },
  'O1.5': { kind: 'submitted', owner: 'Kent County Council and Medway Council (early years)', owners: COUNCILS, scoring: 'proportion', numerator: 'Children with a good level of development', denominator: 'Children assessed', why: 'The Early Years Foundation Stage Profile is an education return' },
  'O1.6': { kind: 'submitted', owner: 'Kent County Council and Medway Council (education)', owners: COUNCILS, scoring: 'score', why: 'Attainment 8 scores are school results published by the Department for Education' },
  'O2.1': {
    kind: 'record', scoring: 'proportion',
    population: 'Residents aged 16 and over answering the loneliness question in the period', denominator: 'Residents answering',
    numerator: 'Answering "often or always"',
    basis: 'ONS loneliness measure (Active Lives / Community Life survey question "How often do you feel lonely?"), from the survey responses held in the record',
    sql: survey('loneliness', ['often-always']),
  },
  'O2.2': {
    kind: 'record', scoring: 'proportion',
    population: 'People aged 18 to 69 in contact with secondary mental health services in the period', denominator: 'Those with an employment status recorded by the end of the period',
    numerator: 'In paid employment (latest status)',
    basis: 'ASCOF 1F / NHS Digital MHSDS: adults in contact with secondary mental health services in paid employment; latest recorded status',
    sql: `SELECT e.pid, (s.value_code = 'paid-employment')::int AS num, 1 AS den
          FROM ${episodeInPeriod('secondary-mental-health')} e JOIN person p ON p.pid = e.pid JOIN ${latest('employment-status')} s ON s.pid = e.pid
          WHERE ${ageAtEnd} BETWEEN 18 AND 69`,
  },
  'O2.3': { kind: 'submitted', owner: 'Each NHS organisation and council', owners: STATUTORY, scoring: 'proportion', countsOrganisations: true, numerator: 'Organisations reporting progress towards their net-zero target', denominator: 'Organisations reporting', why: 'Progress towards net-zero targets is reported by each organisation (qualitative)' },
  'O2.4': {
    kind: 'record', scoring: 'proportion',
    population: 'People aged 18 to 64 with a learning disability receiving long-term support in the period', denominator: 'Those with an employment status recorded',
    numerator: 'In paid employment (latest status)',
    basis: 'ASCOF 1E: adults with a learning disability in paid employment (learning disability coded SNOMED 110359009 on the GP record)',
    sql: `SELECT e.pid, (s.value_code = 'paid-employment')::int AS num, 1 AS den
          FROM ${episodeInPeriod('long-term-support')} e JOIN person p ON p.pid = e.pid JOIN ${latest('employment-status')} s ON s.pid = e.pid
          JOIN (SELECT DISTINCT ${subject('ld')} AS pid FROM ${coded('Condition', 'code', '110359009')} ld) ld ON ld.pid = e.pid
          WHERE ${ageAtEnd} BETWEEN 18 AND 64`,
  },
  'O3.1': {
    kind: 'record', scoring: 'proportion',
    population: 'Adults (18 and over) with physical activity recorded in the two years to the end of the period', denominator: 'Adults with activity recorded',
    numerator: 'Fewer than 30 minutes of moderate or vigorous activity a week (latest record)',
    basis: 'OHID Fingertips "Percentage of physically inactive adults" (Active Lives: fewer than 30 moderate-intensity minutes a week), from the latest recorded activity',
    sql: `SELECT s.pid, (s.value_quantity::numeric < 30)::int AS num, 1 AS den
          FROM ${latest('activity-minutes-per-week', '2 years')} s JOIN person p ON p.pid = s.pid WHERE ${ageAtEnd} >= 18`,
  },
  'O3.2': {
    kind: 'record', scoring: 'proportion',
    population: 'Adults (18 and over) with a BMI recorded in the two years to the end of the period', denominator: 'Adults with a BMI recorded',
    numerator: 'BMI of 25 or more (latest record)',
    basis: 'OHID Fingertips "Percentage of adults classified as overweight or obese" (BMI 25 or more), from the latest recorded BMI',
    sql: `SELECT s.pid, (s.value_quantity::numeric >= 25)::int AS num, 1 AS den
          FROM ${latest('39156-5', '2 years')} s JOIN person p ON p.pid = s.pid WHERE ${ageAtEnd} >= 18`,
  },
  'O3.3': {
    kind: 'record', scoring: 'rate', per: 100_000,
    population: 'All residents', denominator: 'Person-years of residents in the period',
    numerator: 'Emergency admissions flagged alcohol-related starting in the period',
    basis: 'OHID Fingertips "Admission episodes for alcohol-specific conditions" (crude rate per 100,000; ours counts emergency admissions with an alcohol-specific reason)',
    sql: `SELECT p.pid, coalesce(a.n, 0) AS num, 1 AS den FROM person p LEFT JOIN (
            SELECT ${subject('a')} AS pid, count(*) AS n FROM ${admissions} a
            WHERE ${inPeriodOf("c#>>'{period,start}'", 'a')} AND ${flagged('alcohol-related')} GROUP BY 1) a ON a.pid = p.pid`,
  },
  'O3.4': {
    kind: 'record', scoring: 'rate', per: 100_000,
    population: 'Residents aged 65 and over', denominator: 'Person-years of residents aged 65 and over',
    numerator: 'Emergency admissions flagged frailty-related (falls, fragility fractures) of people aged 65 and over: each admission once, however many codes or flags it carries',
    basis: 'After OHID "Emergency hospital admissions due to falls in people aged 65 and over" (about 2,000 per 100,000 a year in England); the strategy gives no definition; baseline is the first stored figure',
    sql: `SELECT p.pid, coalesce(a.n, 0) AS num, 1 AS den FROM person p LEFT JOIN (
            SELECT ${subject('a')} AS pid, count(*) AS n FROM ${admissions} a
            WHERE ${inPeriodOf("c#>>'{period,start}'", 'a')} AND ${flagged('frailty-related')} GROUP BY 1) a ON a.pid = p.pid
          WHERE ${ageAtEnd} >= 65`,
  },
  'O3.5': {
    kind: 'record', scoring: 'rate', per: 100_000,
    population: 'People with diabetes recorded before the end of the period', denominator: 'Person-years of people with diabetes',
    numerator: 'New stroke, heart attack or amputation recorded in the period',
    basis: 'After the National Diabetes Audit complications (stroke, myocardial infarction, amputation) per person with diabetes; onset dates from the GP problem list',
    // The complications are read once, by code, and counted per subject, then joined to the people with diabetes
    // (not a subquery per person: bench/PROFILE.md, "Outcomes").
    sql: `SELECT d.pid, coalesce(x.n, 0) AS num, 1 AS den
          FROM (SELECT DISTINCT ${subjectId()} AS pid FROM (
                  SELECT c FROM ${coded('Condition', 'code', '44054006')} a UNION ALL SELECT c FROM ${coded('Condition', 'code', '46635009')} b) dm
                WHERE ${day("c->>'onsetDateTime'")} <= $2::date) d JOIN person p ON p.pid = d.pid
          LEFT JOIN (SELECT x.target_id AS pid, count(*) AS n
                       FROM ${rows.codedWithRid('Condition', 'code', ['230690007', '22298006', '81723002'])} j
                       JOIN sp_reference x ON x.rid = j.rid AND x.resource_type = 'Condition' AND x.code = 'subject'
                      WHERE ${codeOf('code')} IN ('230690007', '22298006', '81723002') AND ${inPeriod("c->>'onsetDateTime'")}
                      GROUP BY 1) x ON x.pid = d.pid`,
  },
  'O3.6': {
    kind: 'record', scoring: 'proportion',
    population: 'Adults receiving long-term support from adult social care in the period', denominator: 'Those with their accommodation recorded',
    numerator: 'Living in their own home or with family (latest record)',
    basis: 'ASCOF 1G (settled accommodation), widened to everyone receiving long-term support as the strategy words it',
    sql: `SELECT e.pid, (s.value_code IN ('own-home', 'with-family'))::int AS num, 1 AS den
          FROM ${episodeInPeriod('long-term-support')} e JOIN ${latest('accommodation-status')} s ON s.pid = e.pid`,
  },
  'O4.1': {
    kind: 'record', scoring: 'proportion',
    population: 'Residents aged 16 and over answering the GP appointment question in the period', denominator: 'Residents answering',
    numerator: 'Describing their experience of making an appointment as very or fairly good',
    basis: 'GP Patient Survey Q "Overall, how would you describe your experience of making an appointment?"; from survey responses held in the record',
    sql: survey('gp-appointment-experience', ['very-good', 'fairly-good']),
  },
  'O4.2': {
    kind: 'record', scoring: 'count',
    population: 'People with high or very high needs (electronic frailty index moderate or severe)',
    numerator: 'Those with an active care-coordination team drawing on two or more organisations at the end of the period',
    basis: 'The strategy gives no definition: high needs read as eFI moderate or severe frailty; an integrated team as a care-coordination CareTeam (LOINC LA28865-6) with members from two or more organisations',
    // The frail people and the people with such a team, each read once, matched by grouping on the person: a join
    // written as an aggregate, so no engine can run it as a nested loop (a subquery per person took DuckDB, the
    // reference, 60 s at 20,000 residents; an IN on the teams' subjects, a nested loop over every team per person:
    // bench/PROFILE.md, "Outcomes").
    sql: `SELECT u.pid, 1 AS num, NULL::int AS den
          FROM (SELECT f.pid, 1 AS frail, 0 AS team FROM ${latest('efi-score')} f
                 WHERE f.interpretation_code IN ('moderate', 'severe')
                UNION ALL
                SELECT x.target_id AS pid, 0 AS frail, 1 AS team
                  FROM ${rows.careTeams} t
                  JOIN sp_reference x ON x.rid = t.rid AND x.resource_type = 'CareTeam' AND x.code = 'subject'
                 WHERE t.c->>'status' = 'active' AND ${day("t.c#>>'{period,start}'")} <= $2::date
                   AND (SELECT count(DISTINCT m->'onBehalfOf'->>'reference') FROM jsonb_array_elements(t.c->'participant') m) >= 2) u
          GROUP BY u.pid HAVING max(u.frail) = 1 AND max(u.team) = 1`,
  },
  'O4.3': { kind: 'submitted', owner: 'Each NHS organisation and council', owners: STATUTORY, scoring: 'proportion', countsOrganisations: true, numerator: 'Organisations with a carers\' strategy implemented', denominator: 'Organisations reporting', why: 'Whether a carers\' strategy is implemented is an organisational statement (qualitative)' },
  'O4.4': {
    kind: 'record', scoring: 'proportion',
    population: 'Carers answering the survey of adult carers in the period (placed by the person they care for)', denominator: 'Carers answering',
    numerator: 'Extremely or very satisfied with social services',
    basis: 'ASCOF 3B (Survey of Adult Carers in England): carers extremely or very satisfied; from survey responses held in the record',
    sql: survey('carers-satisfaction', ['very-satisfied']),
  },
  'O5.1': { kind: 'not-yet', why: 'The record holds no diagnostic test requests with their waiting times; the DM01 waiting times return comes from the acute trusts. Partners may submit the figure until it does' },
  'O5.2': {
    kind: 'record', scoring: 'proportion',
    population: 'People aged 65 and over (at discharge) discharged from hospital into reablement in the period', denominator: 'Reablement episodes starting at discharge in the period',
    numerator: 'Still at home 91 days after discharge (latest valid outcome; none recorded counts as not at home)',
    basis: 'ASCOF 2B(1) / BCF: older people still at home 91 days after discharge into reablement, counted by the same rules as the councils\' figure (reablement91() in src/discharge/reablement-91.ts): age at discharge, the latest outcome not entered in error, no outcome counted as not at home, people who died since included',
    // Each episode's latest valid outcome, read once for all episodes and joined by the episode it is about
    // (a subquery per episode reading every outcome grew with the square of the population).
    sql: `SELECT substr(e.c->'patient'->>'reference', 9) AS pid, coalesce(o.at_home, false)::int AS num, 1 AS den
          FROM ${coded('EpisodeOfCare', 'type', REABLEMENT_EPISODE.code as string)} e JOIN person p ON p.pid = substr(e.c->'patient'->>'reference', 9)
          LEFT JOIN (SELECT DISTINCT ON (focus) c->'focus'->0->>'reference' AS focus, (c->>'valueBoolean')::boolean AS at_home
                       FROM ${coded('Observation', 'code', AT_HOME_91.code as string)} o
                      WHERE coalesce(c->>'status', '') NOT IN ('entered-in-error', 'cancelled')
                      ORDER BY focus, c#>>'{meta,lastUpdated}' DESC) o ON o.focus = 'EpisodeOfCare/' || (e.c->>'id')
          WHERE ${inPeriodOf("e.c#>>'{period,start}'", 'e')} AND date_part('year', age(${day("e.c#>>'{period,start}'")}, p.birth)) >= ${REABLEMENT_MIN_AGE}`,
  },
  'O5.3': {
    kind: 'record', scoring: 'count',
    population: 'Emergency admissions discharged in the period',
    numerator: 'Stays of 21 days or more in which the patient no longer met the criteria to reside',
    basis: 'NHS England discharge sitrep "patients with a length of stay of 21+ days who no longer meet the criteria to reside", counted per stay ended in the period',
    sql: `SELECT ${subject()} AS pid, 1 AS num, NULL::int AS den FROM ${admissions} a
          WHERE ${inPeriod("c#>>'{period,end}'")} AND (c#>>'{length,value}')::numeric >= 21 AND ${hasExt('no-longer-meets-criteria-to-reside')}`,
  },
  'O5.4': { kind: 'not-yet', why: 'The record holds no mental health inpatient placements with where they were and why; out-of-area placements are a national return (NHS England OAPs collection). Partners may submit the figure until it does' },
  'O6.1': { kind: 'submitted', owner: 'NHS and council employers (workforce)', owners: STATUTORY, scoring: 'proportion', numerator: 'Vacant posts', denominator: 'Established posts', why: 'A shared workforce indicator is still to be developed; vacancy figures are employers\' returns' },
  'O6.2': { kind: 'submitted', owner: 'NHS and council employers (workforce)', owners: STATUTORY, scoring: 'score', why: 'Staff wellbeing comes from the NHS Staff Survey and councils\' own surveys' },
  'O6.3': { kind: 'submitted', owner: 'NHS and council employers (workforce)', owners: STATUTORY, scoring: 'proportion', numerator: 'Working days lost to sickness', denominator: 'Working days available', why: 'Sickness absence is held in employers\' HR systems' },
  'O6.4': { kind: 'submitted', owner: 'The voluntary, community and social enterprise sector (collated by the ICB)', owners: ICB, scoring: 'count', why: 'The VCSE workforce is counted by the sector\'s own returns' },
  'O6.5': { kind: 'submitted', owner: 'NHS and council employers (workforce)', owners: STATUTORY, scoring: 'proportion', numerator: 'Staff from under-represented groups', denominator: 'Staff', why: 'Employment of under-represented groups comes from employers\' equality returns' },
  };
}

/** What the evaluator computes: every indicator from outcome_fact (FACT_ROWS). */
export const COMPUTATIONS: Record<string, Computation> = computations(FACT_ROWS);
/** The same definitions over the stored JSON (JSON_ROWS): the reference the fact table's cubes are checked against (tests, the bench). */
export const JSON_COMPUTATIONS: Record<string, Computation> = computations(JSON_ROWS);

export { CS as OUTCOMES_CS, SD as OUTCOMES_SD };
/** The SQL building blocks, for other figures computed the same way (the Better Care Fund view, bcf.definitions.ts). */
export const SQL_PARTS = { day, inPeriod, subjectId, codeOf, coded: JSON_ROWS.coded, ageAtEnd, hasExt, admissions: JSON_ROWS.coded('Encounter', 'type', 'emergency-admission') };
