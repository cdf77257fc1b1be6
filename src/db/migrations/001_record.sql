-- The FHIR record: current versions, full history, and search-index values.
-- Index tables hold one row per (resource, search parameter, value) and are keyed by the
-- resource's surrogate `rid`, which stays the same across versions.

CREATE TABLE resource (
  rid           bigint PRIMARY KEY,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  -- The JSON text exactly as served (meta included), so a read needs no re-serialisation.
  content       text,
  CONSTRAINT resource_type_id UNIQUE (resource_type, id)
);
CREATE SEQUENCE resource_rid_seq;
-- Default search order and keyset paging: newest inserts go to the end, so pages stay stable.
CREATE INDEX resource_type_rid ON resource (resource_type, rid) WHERE NOT deleted;
CREATE INDEX resource_type_updated ON resource (resource_type, last_updated, rid) WHERE NOT deleted;

CREATE TABLE resource_history (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  -- The interaction that made this version: POST, PUT, PATCH or DELETE (Bundle.entry.request.method).
  method        text        NOT NULL,
  content       text,
  PRIMARY KEY (resource_type, id, version_id)
);
CREATE INDEX resource_history_type_updated ON resource_history (resource_type, last_updated);
CREATE INDEX resource_history_updated ON resource_history (last_updated);

-- token: Identifier, CodeableConcept, Coding, code, boolean, ContactPoint.
-- `text` is the lower-cased display text for the :text modifier.
CREATE TABLE sp_token (
  rid           bigint NOT NULL,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  system        text,
  value         text,
  text          text
);
CREATE INDEX sp_token_value ON sp_token (resource_type, code, value, system);
CREATE INDEX sp_token_rid ON sp_token (rid);

-- string: `value` is lower-cased and stripped of accents (the default prefix match);
-- `exact` is the original (the :exact modifier).
CREATE TABLE sp_string (
  rid           bigint NOT NULL,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  value         text   NOT NULL,
  exact         text   NOT NULL
);
CREATE INDEX sp_string_value ON sp_string (resource_type, code, value text_pattern_ops);
CREATE INDEX sp_string_rid ON sp_string (rid);

-- date: every value is a range [low, high) at its own precision; open ends are +-infinity.
CREATE TABLE sp_date (
  rid           bigint      NOT NULL,
  resource_type text        NOT NULL,
  code          text        NOT NULL,
  low           timestamptz NOT NULL,
  high          timestamptz NOT NULL
);
CREATE INDEX sp_date_low ON sp_date (resource_type, code, low);
CREATE INDEX sp_date_high ON sp_date (resource_type, code, high);
CREATE INDEX sp_date_rid ON sp_date (rid);

-- number and quantity (quantity keeps its system and code/unit).
CREATE TABLE sp_number (
  rid           bigint  NOT NULL,
  resource_type text    NOT NULL,
  code          text    NOT NULL,
  value         numeric NOT NULL,
  system        text,
  unit          text
);
CREATE INDEX sp_number_value ON sp_number (resource_type, code, value);
CREATE INDEX sp_number_rid ON sp_number (rid);

-- reference: relative references split into target type and id; anything else kept in `url`.
CREATE TABLE sp_reference (
  rid           bigint NOT NULL,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  target_type   text,
  target_id     text,
  url           text
);
CREATE INDEX sp_reference_source ON sp_reference (resource_type, code, target_id);
-- _revinclude, _has and Patient/$everything start from the target.
CREATE INDEX sp_reference_target ON sp_reference (target_id, target_type);
CREATE INDEX sp_reference_rid ON sp_reference (rid);

CREATE TABLE sp_uri (
  rid           bigint NOT NULL,
  resource_type text   NOT NULL,
  code          text   NOT NULL,
  value         text   NOT NULL
);
CREATE INDEX sp_uri_value ON sp_uri (resource_type, code, value);
CREATE INDEX sp_uri_rid ON sp_uri (rid);
