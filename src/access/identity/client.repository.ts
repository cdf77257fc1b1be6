import type { Database } from '../../db/database.js';

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
    if (!row) return undefined;
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
}
