-- Date ranges searched from both ends (birthdate=ge1970-01-01&birthdate=lt1970-01-08): a btree on
-- low or high bounds only one end, so an overlap (&&) test on a GiST index of the range does it.
-- btree_gist lets the same index lead with the type and parameter code.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX sp_date_range ON sp_date USING gist (resource_type, code, tstzrange(low, high, '[)'));
