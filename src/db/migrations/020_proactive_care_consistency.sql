-- Proactive care kept consistent with the record (issue 12).
--
-- 1. The eFI is recomputed when a person's record changes. Every write that adds or removes a reference
-- from a Condition, Observation, MedicationRequest, Encounter (emergency admissions) or RelatedPerson
-- (carers) to a Patient queues that person here, in the same statement as the write (a statement-level
-- trigger on the reference index, so creates, updates, patches and deletes all count, whoever writes and
-- from whichever process, and a write that rolls back queues nobody). The server drains the queue a few
-- seconds later (src/proactive-care/frailty.scheduler.ts → FrailtyService.drainQueue); the nightly full
-- pass empties it. Append-only with no key on the person: concurrent writers never wait on each other here.
CREATE TABLE efi_queue (
  seq        bigserial PRIMARY KEY,
  patient_id text NOT NULL
);

CREATE FUNCTION efi_queue_changed_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO efi_queue (patient_id)
  SELECT DISTINCT target_id FROM changed
   WHERE target_type = 'Patient' AND code IN ('subject', 'patient')
     AND resource_type IN ('Condition', 'Observation', 'MedicationRequest', 'Encounter', 'RelatedPerson');
  RETURN NULL;
END
$$;

CREATE TRIGGER efi_queue_on_reference_insert AFTER INSERT ON sp_reference
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION efi_queue_changed_people();

CREATE TRIGGER efi_queue_on_reference_delete AFTER DELETE ON sp_reference
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION efi_queue_changed_people();

-- 2. One active personalised care and support plan and one named professional per person, race-proof.
-- The write rules (src/care-planning/care-planning.write-rules.ts) refuse a second one with a clear
-- message, but two writes at the same instant can each pass the rule before either commits. These
-- derived tables (src/care-planning/care-one-active.table.ts, kept in step in the write statement like
-- task_work) hold one row per active plan / active care-coordination episode, and their unique
-- constraint lets only one of two concurrent writers commit; the other's whole statement fails and the
-- record answers 409. DEFERRABLE INITIALLY IMMEDIATE: checked at the end of the statement, so
-- rewriting an active plan (its old row deleted and the new inserted in one statement) never trips it.
CREATE TABLE active_care_plan (
  rid        bigint NOT NULL,
  patient_id text   NOT NULL,
  CONSTRAINT active_care_plan_one_per_person UNIQUE (patient_id) DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX active_care_plan_rid ON active_care_plan (rid);

CREATE TABLE active_care_coordination (
  rid        bigint NOT NULL,
  patient_id text   NOT NULL,
  CONSTRAINT active_care_coordination_one_per_person UNIQUE (patient_id) DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX active_care_coordination_rid ON active_care_coordination (rid);

-- What is already on record. Should a person have two active ones (written before the rules existed),
-- the most recently updated is kept here; changing the other one while it is still active is refused.
INSERT INTO active_care_plan (rid, patient_id)
SELECT DISTINCT ON (patient_id) rid, patient_id FROM (
  SELECT r.rid, r.last_updated, substring(r.content::jsonb #>> '{subject,reference}' from '^Patient/([A-Za-z0-9.-]{1,64})$') AS patient_id
    FROM resource r
   WHERE r.resource_type = 'CarePlan' AND NOT r.deleted AND r.content::jsonb ->> 'status' = 'active'
     AND jsonb_path_exists(r.content::jsonb, '$.category[*].coding[*] ? (@.system == "https://onestory.example/fhir/CodeSystem/care-plan-category" && @.code == "personalised-care-and-support-plan")')
) p WHERE patient_id IS NOT NULL ORDER BY patient_id, last_updated DESC;

INSERT INTO active_care_coordination (rid, patient_id)
SELECT DISTINCT ON (patient_id) rid, patient_id FROM (
  SELECT r.rid, r.last_updated, substring(r.content::jsonb #>> '{patient,reference}' from '^Patient/([A-Za-z0-9.-]{1,64})$') AS patient_id
    FROM resource r
   WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted AND r.content::jsonb ->> 'status' = 'active'
     AND jsonb_path_exists(r.content::jsonb, '$.type[*].coding[*] ? (@.system == "https://onestory.example/fhir/CodeSystem/episode-type" && @.code == "care-coordination")')
) e WHERE patient_id IS NOT NULL ORDER BY patient_id, last_updated DESC;
