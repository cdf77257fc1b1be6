-- The light audit path (src/access/audit, issue 10): one compact row per audited request instead of
-- an AuditEvent stored as an indexed FHIR resource (the event, its history row, ~20 index rows).
-- AuditEvent resources are rendered from these rows on read (audit-record.ts). Only the indexes the
-- real queries need: by person (the access log, AuditEvent?patient=) and by time (review, export).
CREATE SEQUENCE audit_event_seq;

CREATE TABLE audit_event (
  -- Order of recording; the access log pages on it. Migrated events keep their old rid.
  seq              bigint      PRIMARY KEY,
  id               text        NOT NULL UNIQUE,
  recorded         timestamptz NOT NULL,
  -- OneStory's interaction (audit-entry.ts AUDIT_INTERACTIONS), FHIR action (C/R/U/D/E) and outcome (0/4/8).
  interaction      text        NOT NULL,
  action           text        NOT NULL,
  outcome          text        NOT NULL,
  -- HTTP status of the answer, when there was one.
  status           integer,
  -- Who: 'Practitioner/x', 'Patient/x', 'RelatedPerson/x', 'user:<account>', 'client:<id>', or null (anonymous).
  agent            text,
  -- The account or client id (AuditEvent.agent.altId).
  user_id          text,
  role             text        NOT NULL,
  organization_id  text,
  -- The people whose record was touched (entity.what Patient/<id>), and the other resources (Type/id[/_history/v]).
  patient_ids      text[]      NOT NULL DEFAULT '{}',
  resources        text[]      NOT NULL DEFAULT '{}',
  -- Break-glass or other stated purpose.
  reason           text,
  request_id       text,
  -- The rest of the entry, as JSON text (audit-record.ts AuditDetail): the principal's names, the
  -- client address, the query, the description, the failure. Rendering reads it; nothing queries it.
  detail           text,
  -- An event recorded before this migration: the AuditEvent exactly as it was stored, which its
  -- chain link's hash covers (so migrating re-hashes nothing, and proves nothing changed on the way).
  legacy           text
);
CREATE INDEX audit_event_patient ON audit_event USING gin (patient_ids);
-- Rows are appended in time order, so a block-range index answers date ranges for almost nothing.
CREATE INDEX audit_event_recorded ON audit_event USING brin (recorded);
-- What one user or system did (AuditEvent?agent=, and a resident as the one who acted for ?patient=).
CREATE INDEX audit_event_agent ON audit_event (agent, seq);

-- Rows written inside a write's own transaction (crash safety: no write without its audit row) that
-- the chain has not linked yet. The audit service links them in its next batch, and at start-up.
CREATE TABLE audit_pending (
  seq bigint PRIMARY KEY
);

-- Move the AuditEvents recorded so far. Their chain links keep pointing at the same number (rid = seq).
INSERT INTO audit_event (seq, id, recorded, interaction, action, outcome, status, agent, user_id, role, organization_id,
                         patient_ids, resources, reason, request_id, detail, legacy)
SELECT r.rid, r.id,
       (c->>'recorded')::timestamptz,
       coalesce((SELECT s->>'code' FROM json_array_elements(c->'subtype') s
                  WHERE s->>'system' = 'https://onestory.example/fhir/CodeSystem/audit-interaction' LIMIT 1), 'other'),
       coalesce(c->>'action', 'E'),
       coalesce(c->>'outcome', '0'),
       CASE WHEN c->>'outcomeDesc' ~ '^HTTP [0-9]{3}' THEN substr(c->>'outcomeDesc', 6, 3)::integer END,
       coalesce(c->'agent'->0->'who'->>'reference',
                CASE c->'agent'->0->'who'->'identifier'->>'system'
                  WHEN 'https://onestory.example/fhir/Id/user' THEN 'user:' || (c->'agent'->0->'who'->'identifier'->>'value')
                  WHEN 'https://onestory.example/fhir/Id/client' THEN 'client:' || (c->'agent'->0->'who'->'identifier'->>'value')
                END),
       c->'agent'->0->>'altId',
       coalesce(c->'agent'->0->'role'->0->'coding'->0->>'code', 'unknown'),
       (SELECT substr(a->'who'->>'reference', 14) FROM json_array_elements(c->'agent') a
         WHERE a->'who'->>'reference' LIKE 'Organization/%' LIMIT 1),
       ARRAY(SELECT DISTINCT x.target_id FROM sp_reference x
              WHERE x.rid = r.rid AND x.code = 'entity' AND x.target_type = 'Patient' AND x.target_id IS NOT NULL),
       ARRAY(SELECT e->'what'->>'reference' FROM json_array_elements(coalesce(c->'entity', '[]'::json)) e
              WHERE e->'what'->>'reference' IS NOT NULL AND e->'what'->>'reference' NOT LIKE 'Patient/%'),
       c->'purposeOfEvent'->0->>'text',
       (SELECT e->'what'->'identifier'->>'value' FROM json_array_elements(coalesce(c->'entity', '[]'::json)) e
         WHERE e->'what'->'identifier'->>'system' = 'https://onestory.example/fhir/Id/request' LIMIT 1),
       NULL,
       r.content
  FROM resource r, LATERAL (SELECT r.content::json AS c) j
 WHERE r.resource_type = 'AuditEvent' AND NOT r.deleted;

SELECT setval('audit_event_seq', greatest((SELECT max(seq) FROM audit_event), 1));

-- The old rows go (their triggers refuse it, so they are lifted for this transaction only).
DROP TRIGGER resource_audit_append_only ON resource;
DROP TRIGGER resource_history_audit_append_only ON resource_history;
DELETE FROM sp_token WHERE resource_type = 'AuditEvent';
DELETE FROM sp_string WHERE resource_type = 'AuditEvent';
DELETE FROM sp_date WHERE resource_type = 'AuditEvent';
DELETE FROM sp_number WHERE resource_type = 'AuditEvent';
DELETE FROM sp_reference WHERE resource_type = 'AuditEvent';
DELETE FROM sp_uri WHERE resource_type = 'AuditEvent';
DELETE FROM resource_history WHERE resource_type = 'AuditEvent' AND id IN (SELECT id FROM audit_event);
DELETE FROM resource WHERE resource_type = 'AuditEvent' AND id IN (SELECT id FROM audit_event);
CREATE TRIGGER resource_audit_append_only BEFORE UPDATE OR DELETE ON resource
  FOR EACH ROW WHEN (OLD.resource_type = 'AuditEvent') EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER resource_history_audit_append_only BEFORE UPDATE OR DELETE ON resource_history
  FOR EACH ROW WHEN (OLD.resource_type = 'AuditEvent') EXECUTE FUNCTION audit_append_only();
DROP INDEX sp_reference_audit_patient;

-- Append-only at the database level, like the chain.
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
