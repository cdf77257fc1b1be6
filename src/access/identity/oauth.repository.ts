import type { Database } from '../../db/database.js';
import { PROFILE_COLUMNS, profileFromRow, type UserProfile } from './user.repository.js';

export interface AuthorizationCode {
  codeHash: string;
  clientId: string;
  userId: string;
  organizationId?: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  launchPatient?: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface TokenRecord {
  jti: string;
  clientId: string;
  subject: string;
  codeHash?: string;
  issuedAt: Date;
  expiresAt: Date;
}

export class OAuthRepository {
  constructor(private readonly db: Database) {}

  async insertCode(c: AuthorizationCode): Promise<void> {
    await this.db.query(
      `INSERT INTO authorization_code (code_hash, client_id, user_id, organization_id, redirect_uri, code_challenge, scope, launch_patient, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [c.codeHash, c.clientId, c.userId, c.organizationId ?? null, c.redirectUri, c.codeChallenge, c.scope, c.launchPatient ?? null,
        c.createdAt.toISOString(), c.expiresAt.toISOString()],
    );
  }

  /**
   * Marks a code used and returns it, atomically: of two concurrent redemptions one wins.
   * 'replayed' when it exists but was used before; undefined when it never existed.
   */
  async consumeCode(codeHash: string, now: Date): Promise<AuthorizationCode | 'replayed' | undefined> {
    const r = await this.db.query(
      'UPDATE authorization_code SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL RETURNING *',
      [codeHash, now.toISOString()],
    );
    const row = r.rows[0];
    if (!row) {
      const seen = await this.db.query('SELECT 1 FROM authorization_code WHERE code_hash = $1', [codeHash]);
      return seen.rows.length > 0 ? 'replayed' : undefined;
    }
    return {
      codeHash: row.code_hash,
      clientId: row.client_id,
      userId: row.user_id,
      ...(row.organization_id ? { organizationId: row.organization_id } : {}),
      redirectUri: row.redirect_uri,
      codeChallenge: row.code_challenge,
      scope: row.scope,
      ...(row.launch_patient ? { launchPatient: row.launch_patient } : {}),
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  async insertToken(t: TokenRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO access_token (jti, client_id, subject, code_hash, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [t.jti, t.clientId, t.subject, t.codeHash ?? null, t.issuedAt.toISOString(), t.expiresAt.toISOString()],
    );
  }

  /** Revokes every token issued from a code; returns their jtis. */
  async revokeByCode(codeHash: string, now: Date): Promise<string[]> {
    const r = await this.db.query<{ jti: string }>(
      'UPDATE access_token SET revoked_at = $2 WHERE code_hash = $1 AND revoked_at IS NULL RETURNING jti',
      [codeHash, now.toISOString()],
    );
    return r.rows.map((x) => x.jti);
  }

  /** A token's state and, for a user's token, the user: one statement per token check. */
  async tokenState(jti: string): Promise<{ revoked: boolean; user?: UserProfile } | undefined> {
    const r = await this.db.query(
      `SELECT a.revoked_at, u.id IS NOT NULL AS has_user, ${PROFILE_COLUMNS}
       FROM access_token a LEFT JOIN app_user u ON u.id = a.subject WHERE a.jti = $1`,
      [jti],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return { revoked: row.revoked_at !== null, ...(row.has_user ? { user: profileFromRow(row) } : {}) };
  }
}
