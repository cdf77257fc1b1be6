-- Referrals between partners (src/referrals).

-- A VCSE worker: staff of a voluntary, community or social enterprise organisation, who sees the
-- referrals sent to its services and only what each shares (src/access/policy/policy.ts).
ALTER TABLE staff_membership DROP CONSTRAINT staff_membership_role_check;
ALTER TABLE staff_membership ADD CONSTRAINT staff_membership_role_check CHECK (role IN ('gp', 'practice-nurse', 'community-nurse',
  'social-worker', 'mental-health-practitioner', 'discharge-coordinator', 'care-coordinator', 'link-worker', 'vcse-worker',
  'receptionist', 'icb-analyst', 'privacy-officer', 'system-admin', 'local-admin'));

-- $process-message (NHS BaRS style): each message a client sent, by its X-Request-Id, with the
-- response Bundle the server gave, so a repeat of the same request gets the same answer and writes
-- nothing again. `body_hash` (sha256 of the request body) tells a true repeat from a different
-- message sent under an id already used.
CREATE TABLE message_receipt (
  sender       text        NOT NULL,
  request_id   text        NOT NULL,
  body_hash    text        NOT NULL,
  status       integer     NOT NULL,
  response     text        NOT NULL,
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (sender, request_id)
);
