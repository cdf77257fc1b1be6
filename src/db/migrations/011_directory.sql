-- The service directory's search view (src/directory/directory-index.table.ts): one row per
-- HealthcareService and one per Location, derived tables kept in step with every write of those
-- resources in the same statement, so searching the directory (text, taxonomy term, distance from a
-- postcode, opening times, cost, referral route, freshness) never parses JSON. The directory is
-- public: these rows carry nothing about any person. Rows of resources written before this
-- migration are filled in by DirectoryIndex.backfill at start (the opening times and terms are
-- computed in TypeScript, one rule for both paths).
CREATE TABLE directory_service (
  rid           bigint  NOT NULL,
  service_id    text    NOT NULL,
  -- The Open Referral UK id (a UUID: the feed's own for an imported entry, else derived from the id).
  oruk_id       text    NOT NULL,
  name          text    NOT NULL,
  org_id        text,
  status        text    NOT NULL,
  -- The words searched: name, description, kinds, eligibility, languages.
  search_text   text    NOT NULL,
  -- Space-separated lists (a derived table's columns are scalars): taxonomy term ids, taxonomy ids, Location ids.
  term_list     text    NOT NULL,
  taxonomy_list text    NOT NULL,
  location_list text    NOT NULL,
  -- The service's taxonomy terms as JSON (id, taxonomy, code, name), for /taxonomy_terms.
  terms_json    text    NOT NULL,
  free          boolean,
  self_referral boolean,
  -- Minutes of the week (Monday 00:00 = 0, Kent local time) when it is open.
  open_week     int4multirange NOT NULL,
  last_checked  date,
  min_age       numeric,
  max_age       numeric,
  district      text,
  modified      timestamptz NOT NULL,
  document      tsvector GENERATED ALWAYS AS (to_tsvector('english', search_text)) STORED,
  terms         text[]   GENERATED ALWAYS AS (string_to_array(term_list, ' ')) STORED,
  taxonomies    text[]   GENERATED ALWAYS AS (string_to_array(taxonomy_list, ' ')) STORED,
  locations     text[]   GENERATED ALWAYS AS (string_to_array(location_list, ' ')) STORED
);
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

CREATE TABLE directory_location (
  rid         bigint NOT NULL,
  location_id text   NOT NULL,
  oruk_id     text   NOT NULL,
  -- Location.position, else the point of its postcode district (locality centroids); null when neither.
  lat         double precision,
  lon         double precision,
  postcode    text
);
CREATE INDEX directory_location_rid ON directory_location (rid);
CREATE INDEX directory_location_id ON directory_location (location_id);
CREATE INDEX directory_location_oruk ON directory_location (oruk_id);
-- Proximity: a bounding box on latitude first, then longitude, then the exact distance.
CREATE INDEX directory_location_point ON directory_location (lat, lon) WHERE lat IS NOT NULL;
