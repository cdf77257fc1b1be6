-- The row restriction's two questions about one row, answered from small partial indexes instead of
-- every token of the row (src/access/policy: "recorded by my organisation?" is `code = '_tag'` with a
-- system and value; "carries a sensitive label?" is `code = '_security'` with system|value). Before,
-- each was an index scan of sp_token_rid reading all of the row's tokens from the heap (a Patient has
-- a handful; most have no tag and no label at all). Measured on the discharge board's stay query at
-- 100,000 patients (1,000 stays, both the Encounter and the Patient restricted): 23,216 -> 16,161 shared
-- buffers, execution (EXPLAIN ANALYZE, TIMING OFF, median of 5 on a loaded machine) 135 -> 117 ms.
-- Every restricted read and search makes the same probes. Only tag and security tokens are indexed
-- here: a few per resource at most.
CREATE INDEX sp_token_tag ON sp_token (rid, system, value) WHERE code = '_tag';
CREATE INDEX sp_token_security ON sp_token (rid) INCLUDE (system, value) WHERE code = '_security';
