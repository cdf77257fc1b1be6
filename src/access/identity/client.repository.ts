import type { Database, Queryable } from '../../db/database.js';

export interface ClientRecord {
  clientId: string;
  /** SHA-256 of the secret; undefined for a public app. */
  secretHash?: string;
  name: string;
  organizationId: string;
  kind: 'system' | 'app';
  scopes: string;
  redirectUris: string[];
  disabled: boolean;
}

export class ClientRepository {
  constructor(private readonly db: Database) {}

  async insert(c: Omit<ClientRecord, 'disabled'>): Promise<void> {
    await this.db.query(
      'INSERT INTO api_client (client_id, secret_hash, name, organization_id, kind, scopes, redirect_uris) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.clientId, c.secretHash ?? null, c.name, c.organizationId, c.kind, c.scopes, c.redirectUris],
    );
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const r = await this.db.query('SELECT * FROM api_client WHERE client_id = $1', [clientId]);
    const row = r.rows[0];
    return row ? clientOf(row) : undefined;
  }

  /** Clients by name then id, `limit` at most, optionally of `orgIds` only. */
  async list(o: { orgIds: 'all' | string[]; limit: number }): Promise<(ClientRecord & { createdAt: Date })[]> {
    const r = await this.db.query(
      'SELECT * FROM api_client WHERE ($1::text[] IS NULL OR organization_id = ANY($1::text[])) ORDER BY disabled, lower(name), client_id LIMIT $2',
      [o.orgIds === 'all' ? null : o.orgIds, o.limit],
    );
    return r.rows.map((row: any) => ({ ...clientOf(row), createdAt: new Date(row.created_at) }));
  }

  /** A new secret hash; every token issued under the old secret is revoked with it (a secret is rotated when it may have leaked). */
  async setSecretHash(clientId: string, secretHash: string, now: Date): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await tx.query('UPDATE api_client SET secret_hash = $2 WHERE client_id = $1', [clientId, secretHash]);
      return revokeTokens(tx, clientId, now);
    });
  }

  /**
   * Disables a client and revokes every access token it holds, in one transaction; returns the
   * revoked tokens' ids (for the token verifier's cache).
   */
  async revoke(clientId: string, now: Date): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      await tx.query('UPDATE api_client SET disabled = true WHERE client_id = $1', [clientId]);
      return revokeTokens(tx, clientId, now);
    });
  }
}

async function revokeTokens(tx: Queryable, clientId: string, now: Date): Promise<string[]> {
  const r = await tx.query<{ jti: string }>('UPDATE access_token SET revoked_at = $2 WHERE client_id = $1 AND revoked_at IS NULL RETURNING jti', [clientId, now.toISOString()]);
  return r.rows.map((x) => x.jti);
}

function clientOf(row: any): ClientRecord {
  return {
    clientId: row.client_id,
    ...(row.secret_hash ? { secretHash: row.secret_hash } : {}),
    name: row.name,
    organizationId: row.organization_id,
    kind: row.kind,
    scopes: row.scopes,
    redirectUris: row.redirect_uris ?? [],
    disabled: row.disabled === true,
  };
}
