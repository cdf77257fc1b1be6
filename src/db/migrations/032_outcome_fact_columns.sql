-- Plain columns of outcome_fact (migration 028) that the indicators filter, join and sort by, so the
-- planner has statistics for them (issue 14, speed). A field read from the jsonb `c` has none: at
-- 400,000 residents the planner estimated a few hundred rows for 275,000 latest BMIs, joined the
-- residents by one index probe each and sorted on disk (bench/PROFILE.md, "Outcomes"). Generated from
-- `c` itself, so the write path (src/outcomes/outcome-fact.table.ts: outcomeFactRows in the write
-- statement) and the bulk fill (factBackfillSql) give them alike by construction, and rows already
-- written are filled by this ALTER (one rewrite of the table).
--   pid: the id of the Patient the row is about (subject, or an EpisodeOfCare's patient: the text after
--        'Patient/', as the indicators' substr(…, 9) reads it); NULL for a CareTeam (its subject is in
--        sp_reference).
--   eff: the date-time text a row is dated by (an Observation's effectiveDateTime, a Condition's
--        onsetDateTime, a QuestionnaireResponse's authored, period.start of the others), as stored.
--   day: its first ten characters as PostgreSQL reads them as a date; NULL where they are not one
--        (outcome_fact_day), so a malformed date never makes a write fail. Every indicator asks for a
--        day in a period, which a NULL never is.
CREATE FUNCTION outcome_fact_day(t text) RETURNS date
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN left(t, 10)::date;
EXCEPTION WHEN data_exception THEN
  RETURN NULL;
END
$$;

ALTER TABLE outcome_fact
  ADD COLUMN pid text GENERATED ALWAYS AS (
    substr(CASE resource_type WHEN 'EpisodeOfCare' THEN c->'patient'->>'reference' ELSE c->'subject'->>'reference' END, 9)) STORED,
  ADD COLUMN eff text GENERATED ALWAYS AS (
    CASE resource_type WHEN 'Observation' THEN c->>'effectiveDateTime' WHEN 'Condition' THEN c->>'onsetDateTime'
                       WHEN 'QuestionnaireResponse' THEN c->>'authored' ELSE c#>>'{period,start}' END) STORED,
  ADD COLUMN day date GENERATED ALWAYS AS (outcome_fact_day(
    CASE resource_type WHEN 'Observation' THEN c->>'effectiveDateTime' WHEN 'Condition' THEN c->>'onsetDateTime'
                       WHEN 'QuestionnaireResponse' THEN c->>'authored' ELSE c#>>'{period,start}' END)) STORED;

ANALYZE outcome_fact;
