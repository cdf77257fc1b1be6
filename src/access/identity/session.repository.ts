import type { Database } from '../../db/database.js';
import { PROFILE_COLUMNS, profileFromRow, type UserProfile } from './user.repository.js';

export interface SessionRecord {
  id: string;
  userId: string;
  organizationId?: string;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

export interface NewSession extends SessionRecord {
  tokenHash: string;
}

export class SessionRepository {
  constructor(private readonly db: Database) {}

  async insert(s: NewSession): Promise<void> {
    await this.db.query(
      `INSERT INTO web_session (id, token_hash, user_id, organization_id, csrf_token, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [s.id, s.tokenHash, s.userId, s.organizationId ?? null, s.csrfToken, s.createdAt.toISOString(), s.lastSeenAt.toISOString(),
        s.idleExpiresAt.toISOString(), s.absoluteExpiresAt.toISOString()],
    );
  }

  /** The live session for a token hash at `now`, with its user, in one statement. */
  async findLive(tokenHash: string, now: Date): Promise<{ session: SessionRecord; user: UserProfile } | undefined> {
    const r = await this.db.query(
      `SELECT s.id, s.organization_id, s.csrf_token, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at, ${PROFILE_COLUMNS}
       FROM web_session s JOIN app_user u ON u.id = s.user_id
       WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.idle_expires_at > $2::timestamptz AND s.absolute_expires_at > $2::timestamptz
         AND NOT u.disabled`,
      [tokenHash, now.toISOString()],
      { prepare: true },
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return {
      session: {
        id: row.id,
        userId: row.user_id,
        ...(row.organization_id ? { organizationId: row.organization_id } : {}),
        csrfToken: row.csrf_token,
        createdAt: new Date(row.created_at),
        lastSeenAt: new Date(row.last_seen_at),
        idleExpiresAt: new Date(row.idle_expires_at),
        absoluteExpiresAt: new Date(row.absolute_expires_at),
      },
      user: profileFromRow(row),
    };
  }

  async touch(id: string, now: Date, idleExpiresAt: Date): Promise<void> {
    await this.db.query('UPDATE web_session SET last_seen_at = $2, idle_expires_at = LEAST($3::timestamptz, absolute_expires_at) WHERE id = $1 AND ended_at IS NULL', [
      id, now.toISOString(), idleExpiresAt.toISOString(),
    ]);
  }

  /** Ends every open session of a user (disabled, or their password reset); returns the ended sessions' ids. */
  async endAllFor(userId: string, now: Date): Promise<string[]> {
    const r = await this.db.query<{ id: string }>('UPDATE web_session SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL RETURNING id', [userId, now.toISOString()]);
    return r.rows.map((x) => x.id);
  }

  async end(id: string, now: Date): Promise<boolean> {
    const r = await this.db.query('UPDATE web_session SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, now.toISOString()]);
    return r.rowCount > 0;
  }
}
