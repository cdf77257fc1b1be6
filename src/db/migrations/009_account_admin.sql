-- Account administration in the web app (src/web/routes/admin.routes.ts): local administrators,
-- passwords an administrator has reset, and the last sign-in of each account.

-- A local administrator manages the staff accounts and API clients of the organisation they act for.
ALTER TABLE staff_membership DROP CONSTRAINT staff_membership_role_check;
ALTER TABLE staff_membership ADD CONSTRAINT staff_membership_role_check CHECK (role IN ('gp', 'practice-nurse', 'community-nurse',
  'social-worker', 'mental-health-practitioner', 'discharge-coordinator', 'care-coordinator', 'link-worker',
  'receptionist', 'icb-analyst', 'privacy-officer', 'system-admin', 'local-admin'));

-- Set when an administrator gives the account a temporary password: until the user chooses their
-- own, a session can only reach the "Choose a new password" page.
ALTER TABLE app_user ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- "Last signed in" on the users page: the newest session of each account.
CREATE INDEX web_session_user_created ON web_session (user_id, created_at DESC);
