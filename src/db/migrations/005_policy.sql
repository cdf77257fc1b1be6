-- Access policy (src/access/policy). Derived tables are kept in step with the resources they come
-- from in the same write statement (see DerivedTable in src/fhir/resource.repository.ts): on every
-- write of a source resource its rows are replaced, so they are never stale and never need a job.

-- Legitimate relationships: a party (Organization/x, Practitioner/y, HealthcareService/z) that is
-- caring for a patient, and why. `rid` is the source resource (Patient registration, CareTeam,
-- open ServiceRequest/Task/Encounter, active EpisodeOfCare).
CREATE TABLE care_relationship (
  rid           bigint NOT NULL,
  patient_id    text   NOT NULL,
  party         text   NOT NULL,
  kind          text   NOT NULL
);
-- The hot path: "is this patient related to any of my parties?" is one probe of this index.
CREATE INDEX care_relationship_patient ON care_relationship (patient_id, party);
CREATE INDEX care_relationship_rid ON care_relationship (rid);

-- A person's objection to sharing beyond the recording organisation (an active deny Consent).
CREATE TABLE sharing_objection (
  rid           bigint NOT NULL,
  patient_id    text   NOT NULL
);
CREATE INDEX sharing_objection_patient ON sharing_objection (patient_id);
CREATE INDEX sharing_objection_rid ON sharing_objection (rid);

-- What a person's Consent lets a proxy (RelatedPerson) see: one row per granted resource type,
-- or one row with a null type for every type; from `period_start` until `period_end` when set.
CREATE TABLE proxy_grant (
  rid               bigint NOT NULL,
  patient_id        text   NOT NULL,
  related_person_id text   NOT NULL,
  resource_type     text,
  period_start      timestamptz,
  period_end        timestamptz
);
CREATE INDEX proxy_grant_patient ON proxy_grant (patient_id, related_person_id);
CREATE INDEX proxy_grant_rid ON proxy_grant (rid);

-- Break-glass: a time-limited access grant a user asserted without a relationship.
CREATE TABLE break_glass (
  id              text        PRIMARY KEY,
  user_id         text        NOT NULL,
  user_name       text        NOT NULL,
  role            text        NOT NULL,
  organization_id text        NOT NULL,
  patient_id      text        NOT NULL,
  reason_code     text        NOT NULL,
  reason_text     text        NOT NULL,
  granted_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  reviewed_at     timestamptz,
  reviewed_by     text,
  review_note     text
);
CREATE INDEX break_glass_patient_user ON break_glass (patient_id, user_id, expires_at);
CREATE INDEX break_glass_unreviewed ON break_glass (granted_at) WHERE reviewed_at IS NULL;
