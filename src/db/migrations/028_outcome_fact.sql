-- The rows the outcomes indicators read (issue 14, speed): for each current Observation, Condition,
-- Encounter, EpisodeOfCare, QuestionnaireResponse and CareTeam, one row per code it is found by (the
-- codes of Observation.code and Condition.code, of Encounter.type and EpisodeOfCare.type; a response's
-- questionnaire; '' when none) holding, as jsonb, only the fields the indicators' SQL reads
-- (src/outcomes/outcome-fact.table.ts). Derived in TypeScript and kept in step with every write and
-- delete in the same write statement (a derived table, like discharge_stay); resources written before
-- this migration, or loaded past the write path, are filled at start by the same TypeScript
-- (src/fhir/derived-table.backfill.ts). An indicator then reads a few hundred bytes of binary JSON per
-- row instead of parsing each row's whole stored text: the parse was most of an evaluation's time.
CREATE TABLE outcome_fact (
  rid           bigint NOT NULL,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  c             jsonb  NOT NULL
);
CREATE INDEX outcome_fact_rid ON outcome_fact (rid);
CREATE INDEX outcome_fact_code ON outcome_fact (resource_type, code);
