-- Submitted figures (issue 14 part 3): for the indicators the record cannot hold, partners submit a
-- MeasureReport (stored in the record, versioned there, each version with its Provenance). The latest
-- version's protected figure is kept in outcome_report beside the computed ones, so the dashboard, the
-- CSV and the ratings read one table; these columns say who submitted it, for which organisation,
-- when, and which version of the MeasureReport it is (NULL for figures computed from the record).
ALTER TABLE outcome_report
  ADD COLUMN submitted_by      text,
  ADD COLUMN submitted_org     text,
  ADD COLUMN submitted_at      timestamptz,
  ADD COLUMN submitted_version integer,
  ADD COLUMN source_report     text;
