-- FHIR Bulk Data $export jobs. Output files live in the data directory; this table tracks them.
CREATE TABLE bulk_export_job (
  id            text PRIMARY KEY,
  status        text        NOT NULL, -- in-progress | complete | error | cancelled
  request_url   text        NOT NULL,
  scope         text        NOT NULL, -- system | patient | group
  group_id      text,
  types         text[],
  since         timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  transaction_time timestamptz NOT NULL,
  completed_at  timestamptz,
  progress      text,
  output        text,                 -- JSON array of { type, url, count }
  error         text
);
