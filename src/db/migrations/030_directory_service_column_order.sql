-- The directory's search table (migration 011) rebuilt with the columns a search reads first.
-- PostgreSQL reads a row's columns in their stored order up to the last one it needs, so with the
-- words' document after the lists and the terms' JSON, matching words read every column of every
-- row: words that match all 10,000 services of the bench took 7.7 ms to match and 10 ms to rank
-- against 3.5 and 6.2 ms with the same rows in this order (bench/PROFILE.md, "The service
-- directory"). Same columns, same rows, same indexes: only the order changes. The writer names its
-- columns (directory-index.table.ts), so it is unaffected.
ALTER TABLE directory_service RENAME TO directory_service_before_030;

CREATE TABLE directory_service (
  rid           bigint  NOT NULL,
  status        text    NOT NULL,
  service_id    text    NOT NULL,
  -- The Open Referral UK id (a UUID: the feed's own for an imported entry, else derived from the id).
  oruk_id       text    NOT NULL,
  name          text    NOT NULL,
  document      tsvector GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED,
  org_id        text,
  locations     text[]   GENERATED ALWAYS AS (string_to_array(location_list, ' ')) STORED,
  terms         text[]   GENERATED ALWAYS AS (string_to_array(term_list, ' ')) STORED,
  taxonomies    text[]   GENERATED ALWAYS AS (string_to_array(taxonomy_list, ' ')) STORED,
  free          boolean,
  self_referral boolean,
  -- Minutes of the week (Monday 00:00 = 0, Kent local time) when it is open.
  open_week     int4multirange NOT NULL,
  min_age       numeric,
  max_age       numeric,
  modified      timestamptz NOT NULL,
  last_checked  date,
  district      text,
  -- The words searched: name, description, kinds, eligibility, languages.
  search_text   text    NOT NULL,
  -- Space-separated lists (a derived table's columns are scalars): taxonomy term ids, taxonomy ids, Location ids.
  term_list     text    NOT NULL,
  taxonomy_list text    NOT NULL,
  location_list text    NOT NULL,
  -- The service's taxonomy terms as JSON (id, taxonomy, code, name), for /taxonomy_terms.
  terms_json    text    NOT NULL
);

INSERT INTO directory_service (rid, status, service_id, oruk_id, name, org_id, free, self_referral, open_week, min_age, max_age,
                               modified, last_checked, district, search_text, term_list, taxonomy_list, location_list, terms_json)
SELECT rid, status, service_id, oruk_id, name, org_id, free, self_referral, open_week, min_age, max_age,
       modified, last_checked, district, search_text, term_list, taxonomy_list, location_list, terms_json
  FROM directory_service_before_030;

DROP TABLE directory_service_before_030;

CREATE INDEX directory_service_rid ON directory_service (rid);
CREATE INDEX directory_service_oruk ON directory_service (oruk_id);
CREATE INDEX directory_service_id ON directory_service (service_id);
CREATE INDEX directory_service_name ON directory_service (name, service_id);
CREATE INDEX directory_service_modified ON directory_service (modified);
CREATE INDEX directory_service_document ON directory_service USING gin (document);
CREATE INDEX directory_service_terms ON directory_service USING gin (terms);
CREATE INDEX directory_service_taxonomies ON directory_service USING gin (taxonomies);
CREATE INDEX directory_service_locations ON directory_service USING gin (locations);
CREATE INDEX directory_service_open ON directory_service USING gist (open_week);
