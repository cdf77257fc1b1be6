-- Each person's latest Observation of a code, read from an index alone (issue 14, speed). Five
-- indicators take "the latest value of a code per person" (RowSource.latest: activity, BMI,
-- employment, accommodation, frailty); at 1.9 million residents the two over adults (O3.1, O3.2) were
-- half of a whole evaluation: a bitmap heap scan of 1.5 million fact rows spread over 124,645 pages,
-- then a 425 MB sort on disk to keep each person's latest row (bench/PROFILE.md, "Outcomes").
--
-- The three fields those indicators read from the latest row become plain columns generated from `c`
-- (text as stored, so a statement casts them exactly as it cast the JSON text before):
--   value_quantity:      valueQuantity.value (activity minutes, BMI)
--   value_code:          the first code of valueCodeableConcept (employment, accommodation status)
--   interpretation_code: the first code of the first interpretation (the eFI's frailty category)
-- and one index holds, per code, each person's Observations newest first with the day and the three
-- values beside them: the latest per person is the first entry of each person's run in the index, in
-- the order the index is already in, so nothing is read from the table and nothing is sorted, once
-- the table's pages are marked all-visible (VACUUM, or autovacuum after writes).
-- Only Observations are indexed: no other type is asked for its latest. As for 032, the database
-- generates the columns, so the write path and the bulk fill give them alike, and this ALTER fills
-- the rows already written (one rewrite of the table).
ALTER TABLE outcome_fact
  ADD COLUMN value_quantity text GENERATED ALWAYS AS (
    CASE WHEN resource_type = 'Observation' THEN c#>>'{valueQuantity,value}' END) STORED,
  ADD COLUMN value_code text GENERATED ALWAYS AS (
    CASE WHEN resource_type = 'Observation' THEN c#>>'{valueCodeableConcept,coding,0,code}' END) STORED,
  ADD COLUMN interpretation_code text GENERATED ALWAYS AS (
    CASE WHEN resource_type = 'Observation' THEN c#>>'{interpretation,0,coding,0,code}' END) STORED;

CREATE INDEX outcome_fact_latest ON outcome_fact (code, pid, eff DESC)
  INCLUDE (day, value_quantity, value_code, interpretation_code)
  WHERE resource_type = 'Observation';

ANALYZE outcome_fact;
