import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import type { StaffRole } from '../principal.js';

export type UserKind = 'staff' | 'resident' | 'proxy';

export interface Membership {
  organizationId: string;
  role: StaffRole;
  practitionerId?: string;
}

export interface ProxyLink {
  relatedPersonId: string;
  patientId: string;
}

/** A user with everything needed to build their Principal. */
export interface UserProfile {
  id: string;
  kind: UserKind;
  username: string;
  displayName: string;
  passwordHash: string;
  patientId?: string;
  failedAttempts: number;
  lockedUntil?: Date;
  disabled: boolean;
  /** An administrator set a temporary password: the user must choose their own before doing anything else. */
  mustChangePassword: boolean;
  memberships: Membership[];
  proxyLinks: ProxyLink[];
}

/** A staff account as the administration pages list it. */
export interface StaffAccount {
  id: string;
  username: string;
  displayName: string;
  disabled: boolean;
  mustChangePassword: boolean;
  memberships: Membership[];
  /** When the newest web session was opened, if the account has ever signed in. */
  lastSignIn?: Date;
}

export interface NewUser {
  kind: UserKind;
  username: string;
  displayName: string;
  passwordHash: string;
  patientId?: string;
  /** A temporary password given by an administrator: the user chooses their own at first sign-in. */
  mustChangePassword?: boolean;
  memberships?: Membership[];
  proxyLinks?: ProxyLink[];
}

/** The profile columns, so sessions can load their user in the same statement. `u` is app_user. */
export const PROFILE_COLUMNS = `u.id AS user_id, u.kind, u.username, u.display_name, u.password_hash, u.patient_id,
  u.failed_attempts, u.locked_until, u.disabled, u.must_change_password,
  (SELECT COALESCE(json_agg(json_build_object('organizationId', m.organization_id, 'role', m.role, 'practitionerId', m.practitioner_id)
     ORDER BY m.organization_id), '[]'::json)::text FROM staff_membership m WHERE m.user_id = u.id) AS memberships,
  (SELECT COALESCE(json_agg(json_build_object('relatedPersonId', l.related_person_id, 'patientId', l.patient_id)
     ORDER BY l.related_person_id), '[]'::json)::text FROM proxy_link l WHERE l.user_id = u.id) AS proxy_links`;

export function profileFromRow(row: any): UserProfile {
  const memberships = (JSON.parse(row.memberships) as any[]).map((m) => ({
    organizationId: m.organizationId,
    role: m.role,
    ...(m.practitionerId ? { practitionerId: m.practitionerId } : {}),
  }));
  return {
    id: row.user_id,
    kind: row.kind,
    username: row.username,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    ...(row.patient_id ? { patientId: row.patient_id } : {}),
    failedAttempts: Number(row.failed_attempts),
    ...(row.locked_until ? { lockedUntil: new Date(row.locked_until) } : {}),
    disabled: row.disabled === true,
    mustChangePassword: row.must_change_password === true,
    memberships,
    proxyLinks: JSON.parse(row.proxy_links),
  };
}

export class UserRepository {
  constructor(private readonly db: Database) {}

  async findByUsername(username: string): Promise<UserProfile | undefined> {
    const r = await this.db.query(`SELECT ${PROFILE_COLUMNS} FROM app_user u WHERE lower(u.username) = lower($1)`, [username]);
    return r.rows[0] ? profileFromRow(r.rows[0]) : undefined;
  }

  async findById(id: string): Promise<UserProfile | undefined> {
    const r = await this.db.query(`SELECT ${PROFILE_COLUMNS} FROM app_user u WHERE u.id = $1`, [id]);
    return r.rows[0] ? profileFromRow(r.rows[0]) : undefined;
  }

  /** One more failure; at the limit the account locks until `lockUntil` and the count starts again. */
  async recordFailure(id: string, maxAttempts: number, lockUntil: Date): Promise<{ locked: boolean }> {
    const r = await this.db.query<{ locked: boolean }>(
      `UPDATE app_user SET
         locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz ELSE locked_until END,
         failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END
       WHERE id = $1 RETURNING locked_until = $3::timestamptz AS locked`,
      [id, maxAttempts, lockUntil.toISOString()],
    );
    return { locked: r.rows[0]?.locked === true };
  }

  async recordSuccess(id: string): Promise<void> {
    await this.db.query('UPDATE app_user SET failed_attempts = 0, locked_until = NULL WHERE id = $1 AND (failed_attempts <> 0 OR locked_until IS NOT NULL)', [id]);
  }

  /**
   * Staff accounts by user name, `limit` from after `after` (keyset on the lower-cased user name,
   * which is unique), optionally only those with a membership of `orgIds`, and whose user name or
   * display name contains `search` (case-insensitive; LIKE's wildcards in it are taken literally).
   */
  async listStaff(o: { orgIds: 'all' | string[]; search?: string; after?: string; limit: number }): Promise<StaffAccount[]> {
    const like = o.search ? `%${o.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const r = await this.db.query(
      `SELECT u.id, u.username, u.display_name, u.disabled, u.must_change_password,
         (SELECT COALESCE(json_agg(json_build_object('organizationId', m.organization_id, 'role', m.role, 'practitionerId', m.practitioner_id)
            ORDER BY m.organization_id), '[]'::json)::text FROM staff_membership m WHERE m.user_id = u.id) AS memberships,
         (SELECT max(s.created_at) FROM web_session s WHERE s.user_id = u.id) AS last_sign_in
       FROM app_user u
       WHERE u.kind = 'staff'
         AND ($1::text[] IS NULL OR EXISTS (SELECT 1 FROM staff_membership m WHERE m.user_id = u.id AND m.organization_id = ANY($1::text[])))
         AND ($2::text IS NULL OR u.username ILIKE $2 OR u.display_name ILIKE $2)
         AND ($3::text IS NULL OR lower(u.username) > lower($3))
       ORDER BY lower(u.username) LIMIT $4`,
      [o.orgIds === 'all' ? null : o.orgIds, like, o.after ?? null, o.limit],
    );
    return r.rows.map((row: any) => ({
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      disabled: row.disabled === true,
      mustChangePassword: row.must_change_password === true,
      memberships: profileFromRow({ ...row, user_id: row.id, proxy_links: '[]' }).memberships,
      ...(row.last_sign_in ? { lastSignIn: new Date(row.last_sign_in) } : {}),
    }));
  }

  /** When the account last opened a web session. */
  async lastSignIn(id: string): Promise<Date | undefined> {
    const r = await this.db.query('SELECT max(created_at) AS at FROM web_session WHERE user_id = $1', [id]);
    return r.rows[0]?.at ? new Date(r.rows[0].at) : undefined;
  }

  /** Whether a resident account already links to Patient `patientId`, or a carer account to RelatedPerson `relatedPersonId`. */
  async personLinked(o: { patientId?: string; relatedPersonId?: string }): Promise<boolean> {
    const r = await this.db.query(
      `SELECT 1 FROM app_user WHERE kind = 'resident' AND patient_id = $1
       UNION ALL SELECT 1 FROM proxy_link WHERE related_person_id = $2 LIMIT 1`,
      [o.patientId ?? null, o.relatedPersonId ?? null],
    );
    return r.rows.length > 0;
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.db.query('UPDATE app_user SET disabled = $2 WHERE id = $1', [id, disabled]);
  }

  /** A new password; `mustChange` when an administrator set it (the user then chooses their own). Clears any lockout. */
  async setPassword(id: string, passwordHash: string, mustChange: boolean): Promise<void> {
    await this.db.query('UPDATE app_user SET password_hash = $2, must_change_password = $3, failed_attempts = 0, locked_until = NULL WHERE id = $1', [
      id, passwordHash, mustChange,
    ]);
  }

  /** Gives a membership, or changes the role of an existing one (one role per organisation). */
  async putMembership(userId: string, organizationId: string, role: string): Promise<void> {
    await this.db.query(
      `INSERT INTO staff_membership (user_id, organization_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, organization_id) DO UPDATE SET role = EXCLUDED.role`,
      [userId, organizationId, role],
    );
  }

  async endMembership(userId: string, organizationId: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM staff_membership WHERE user_id = $1 AND organization_id = $2', [userId, organizationId]);
    return r.rowCount > 0;
  }

  /** Creates a user with their memberships or proxy links; returns the new id. */
  async create(user: NewUser, q: Queryable = this.db): Promise<string> {
    const id = randomUUID();
    const run = async (tx: Queryable) => {
      await tx.query(
        'INSERT INTO app_user (id, kind, username, display_name, password_hash, patient_id, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [id, user.kind, user.username, user.displayName, user.passwordHash, user.patientId ?? null, user.mustChangePassword === true],
      );
      for (const m of user.memberships ?? []) {
        await tx.query('INSERT INTO staff_membership (user_id, organization_id, role, practitioner_id) VALUES ($1, $2, $3, $4)', [
          id, m.organizationId, m.role, m.practitionerId ?? null,
        ]);
      }
      for (const l of user.proxyLinks ?? []) {
        await tx.query('INSERT INTO proxy_link (user_id, related_person_id, patient_id) VALUES ($1, $2, $3)', [id, l.relatedPersonId, l.patientId]);
      }
    };
    if (q === this.db) await this.db.transaction(run);
    else await run(q);
    return id;
  }
}
