-- Audit (src/access/audit). AuditEvents are ordinary resources in `resource` (so they are
-- searchable); this chain makes them tamper-evident: each link's hash is SHA-256 over the previous
-- link's hash and the canonical JSON of the event as stored. Links are appended under an advisory
-- lock, so `seq` order is the chain order even with several processes writing.
CREATE TABLE audit_chain (
  seq        bigserial PRIMARY KEY,
  event_id   text   NOT NULL UNIQUE,
  rid        bigint NOT NULL,
  hash       text   NOT NULL,
  prev_hash  text   NOT NULL
);
CREATE INDEX audit_chain_rid ON audit_chain (rid);

-- "Who has looked at my record": the events about one person, newest first, as a backward scan of
-- this small partial index. Audit rids are taken from the sequence as each batch is written, so rid
-- order is recording order (to within the batches being written at the same moment).
CREATE INDEX sp_reference_audit_patient ON sp_reference (target_id, rid)
  WHERE resource_type = 'AuditEvent' AND code = 'entity' AND target_type = 'Patient';

-- Append-only at the database level: an AuditEvent row, its history and its chain link can be
-- inserted but never changed or removed. The WHEN clause keeps the cost off every other resource.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'Audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER resource_audit_append_only BEFORE UPDATE OR DELETE ON resource
  FOR EACH ROW WHEN (OLD.resource_type = 'AuditEvent') EXECUTE FUNCTION audit_append_only();

CREATE TRIGGER resource_history_audit_append_only BEFORE UPDATE OR DELETE ON resource_history
  FOR EACH ROW WHEN (OLD.resource_type = 'AuditEvent') EXECUTE FUNCTION audit_append_only();

CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
