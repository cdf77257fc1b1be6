-- The residents' facts the outcomes indicators read (issue 14, speed): one row per current Patient,
-- derived from its JSON in TypeScript (src/outcomes/outcome-person.table.ts) and kept in step with
-- every Patient write and delete in the same write statement (a derived table, like discharge_stay).
-- An evaluation run's residents (PERSON_SQL in src/outcomes/measure-evaluation.service.ts) are read
-- from here instead of parsing every Patient's JSON: that parse was a quarter of a run's time.
-- Patients written before this migration (or loaded past the write path) are filled at start by
-- the same TypeScript (src/fhir/derived-table.backfill.ts).
CREATE TABLE outcome_person (
  rid        bigint  NOT NULL,
  patient_id text    NOT NULL,
  -- Patient.gender, 'unknown' when not recorded.
  sex        text    NOT NULL,
  -- Patient.birthDate when a full date (a partial date cannot be aged, and leaves the person out).
  birth      date,
  -- The district, deprivation quintile and ethnic category extensions (the first of each).
  district   text,
  quintile   text,
  ethnic     text,
  -- The registered practice: Patient.generalPractitioner[0] with its type prefix taken off.
  practice   text,
  -- Patient.active is not false.
  active     boolean NOT NULL,
  -- The day of Patient.deceasedDateTime (as written, not moved to another time zone).
  deceased   date
);
CREATE INDEX outcome_person_rid ON outcome_person (rid);
-- One indicator evaluated alone reads only its cases' residents.
CREATE INDEX outcome_person_patient ON outcome_person (patient_id);
