-- Identity (src/access/identity): people who sign in, their web sessions, OAuth clients, codes,
-- issued tokens and the keys that sign them. Secrets are never stored: only their hashes.

-- A person who can sign in: staff, a resident (their own Patient) or a proxy (carer; RelatedPerson).
CREATE TABLE app_user (
  id               text        PRIMARY KEY,
  kind             text        NOT NULL CHECK (kind IN ('staff', 'resident', 'proxy')),
  username         text        NOT NULL,
  display_name     text        NOT NULL,
  -- scrypt$N$r$p$salt$hash (base64url); see password.service.ts.
  password_hash    text        NOT NULL,
  -- Residents only: their own Patient.
  patient_id       text,
  failed_attempts  integer     NOT NULL DEFAULT 0,
  locked_until     timestamptz,
  disabled         boolean     NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'resident' OR patient_id IS NOT NULL)
);
-- User names are compared case-insensitively, so "GP.Demo" and "gp.demo" are one account.
CREATE UNIQUE INDEX app_user_username ON app_user (lower(username));

-- Staff: one row per organisation the user works for, with their role there (one role per organisation).
CREATE TABLE staff_membership (
  user_id          text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  organization_id  text NOT NULL,
  role             text NOT NULL CHECK (role IN ('gp', 'practice-nurse', 'community-nurse', 'social-worker',
                     'mental-health-practitioner', 'discharge-coordinator', 'care-coordinator', 'link-worker',
                     'receptionist', 'icb-analyst', 'privacy-officer', 'system-admin')),
  practitioner_id  text,
  PRIMARY KEY (user_id, organization_id)
);

-- Proxies: each RelatedPerson the user is, and the Patient it relates to.
CREATE TABLE proxy_link (
  user_id            text NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  related_person_id  text NOT NULL,
  patient_id         text NOT NULL,
  PRIMARY KEY (user_id, related_person_id)
);

-- Web sessions: the cookie carries a random token; only its SHA-256 is kept.
CREATE TABLE web_session (
  id                   text        PRIMARY KEY,
  token_hash           text        NOT NULL UNIQUE,
  user_id              text        NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  -- Staff: the organisation chosen at sign-in.
  organization_id      text,
  csrf_token           text        NOT NULL,
  created_at           timestamptz NOT NULL,
  last_seen_at         timestamptz NOT NULL,
  idle_expires_at      timestamptz NOT NULL,
  absolute_expires_at  timestamptz NOT NULL,
  ended_at             timestamptz
);
CREATE INDEX web_session_user ON web_session (user_id) WHERE ended_at IS NULL;

-- OAuth clients: system integrations (client credentials, system/ scopes) and apps (authorization
-- code with PKCE). A public app has no secret.
CREATE TABLE api_client (
  client_id        text        PRIMARY KEY,
  secret_hash      text,
  name             text        NOT NULL,
  organization_id  text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('system', 'app')),
  -- Space-separated SMART scopes, as registered.
  scopes           text        NOT NULL,
  redirect_uris    text[]      NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  disabled         boolean     NOT NULL DEFAULT false
);

-- Authorization codes: single use (used_at), short-lived, bound to client, redirect URI and PKCE challenge.
CREATE TABLE authorization_code (
  code_hash        text        PRIMARY KEY,
  client_id        text        NOT NULL REFERENCES api_client (client_id) ON DELETE CASCADE,
  user_id          text        NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  organization_id  text,
  redirect_uri     text        NOT NULL,
  code_challenge   text        NOT NULL,
  scope            text        NOT NULL,
  launch_patient   text,
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  used_at          timestamptz
);

-- Access tokens issued (by jti), so a token can be revoked before it expires, e.g. every token
-- issued from an authorization code that is presented a second time.
CREATE TABLE access_token (
  jti              text        PRIMARY KEY,
  client_id        text        NOT NULL,
  subject          text        NOT NULL,
  code_hash        text,
  issued_at        timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz
);
CREATE INDEX access_token_code ON access_token (code_hash) WHERE code_hash IS NOT NULL;

-- Token signing keys, kept so tokens stay valid across restarts and between processes.
CREATE TABLE signing_key (
  kid          text        PRIMARY KEY,
  alg          text        NOT NULL,
  private_jwk  text        NOT NULL,
  public_jwk   text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);
