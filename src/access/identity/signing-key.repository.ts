import type { Database } from '../../db/database.js';

export interface StoredKey {
  kid: string;
  alg: string;
  privateJwk: string;
  publicJwk: string;
}

export class SigningKeyRepository {
  constructor(private readonly db: Database) {}

  /** Every key not retired, newest first. */
  async active(): Promise<StoredKey[]> {
    const r = await this.db.query(
      'SELECT kid, alg, private_jwk, public_jwk FROM signing_key WHERE retired_at IS NULL ORDER BY created_at DESC, kid',
    );
    return r.rows.map((row: any) => ({ kid: row.kid, alg: row.alg, privateJwk: row.private_jwk, publicJwk: row.public_jwk }));
  }

  async insert(k: StoredKey): Promise<void> {
    await this.db.query('INSERT INTO signing_key (kid, alg, private_jwk, public_jwk) VALUES ($1, $2, $3, $4) ON CONFLICT (kid) DO NOTHING', [
      k.kid, k.alg, k.privateJwk, k.publicJwk,
    ]);
  }
}
