-- The audit chain without a lock on the answer path (src/access/audit/audit.service.ts, issue 10).
-- A link names the hash of the link before it; no two links may name the same one, so the chain can
-- never fork. That lets a process append a batch in one statement from the last hash it wrote itself,
-- without taking the chain lock and re-reading the chain's end: if another process appended in
-- between, this index refuses the statement (nothing is written) and the batch is retried under the
-- lock. Before, every batch took the lock and read the last hash: seven round trips instead of one.
CREATE UNIQUE INDEX audit_chain_prev_hash ON audit_chain (prev_hash);
