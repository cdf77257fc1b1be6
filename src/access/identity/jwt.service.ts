import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { Clock } from './identity.config.js';
import type { SigningKeyRepository } from './signing-key.repository.js';

const ALG = 'ES256';

/** The claims OneStory puts in an access token, beyond the registered ones (iss, aud, sub, iat, exp, jti). */
export interface AccessClaims {
  scope: string;
  client_id: string;
  /** Who the subject is: 'staff' | 'resident' | 'proxy' | 'client'. */
  kind: string;
  name?: string;
  /** SMART launch context. */
  patient?: string;
  fhirUser?: string;
  /** Staff and clients: the Organization id acted for. */
  organisation?: string;
  role?: string;
}

export class InvalidTokenError extends Error {}

interface LoadedKey {
  kid: string;
  privateKey?: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * Signs and verifies access tokens (ES256 JWTs). Keys live in the database so tokens survive a
 * restart and every process of a deployment accepts every other's tokens; the newest key signs.
 */
export class JwtService {
  private keys = new Map<string, LoadedKey>();
  private signing?: LoadedKey;
  private loading?: Promise<void>;
  /** When the keys were last re-read for an unknown kid: at most every 30 s, so forged kids cannot hammer the database. */
  private reloadedAt = 0;

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly clock: Clock,
  ) {}

  private async load(): Promise<void> {
    let stored = await this.repo.active();
    if (stored.length === 0) {
      const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
      const kid = randomUUID();
      const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
      const priv = { ...(await exportJWK(privateKey)), kid, alg: ALG };
      await this.repo.insert({ kid, alg: ALG, privateJwk: JSON.stringify(priv), publicJwk: JSON.stringify(pub) });
      stored = await this.repo.active(); // another process may have made one at the same moment: use what is stored
    }
    const keys = new Map<string, LoadedKey>();
    for (const k of stored) {
      const publicJwk = JSON.parse(k.publicJwk) as JWK;
      keys.set(k.kid, {
        kid: k.kid,
        publicJwk,
        publicKey: (await importJWK(publicJwk, k.alg)) as CryptoKey,
        privateKey: (await importJWK(JSON.parse(k.privateJwk), k.alg)) as CryptoKey,
      });
    }
    this.keys = keys;
    this.signing = keys.get(stored[0].kid);
  }

  private ensure(): Promise<void> {
    this.loading ??= this.load().catch((err) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  async sign(claims: AccessClaims, opts: { subject: string; issuer: string; audience: string; ttlSeconds: number }): Promise<{ token: string; jti: string; expiresAt: Date }> {
    await this.ensure();
    const key = this.signing!;
    const jti = randomUUID();
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const token = await new SignJWT({ ...claims } as unknown as JWTPayload)
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(opts.issuer)
      .setAudience(opts.audience)
      .setSubject(opts.subject)
      .setIssuedAt(iat)
      .setExpirationTime(iat + opts.ttlSeconds)
      .setJti(jti)
      .sign(key.privateKey!);
    return { token, jti, expiresAt: new Date((iat + opts.ttlSeconds) * 1000) };
  }

  /** The verified claims, or InvalidTokenError (bad signature, unknown key, expired, wrong issuer or audience, malformed). */
  async verify(token: string, opts: { issuer: string; audience: string }): Promise<JWTPayload & AccessClaims & { jti: string; sub: string }> {
    await this.ensure();
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          let key = header.kid ? this.keys.get(header.kid) : undefined;
          if (!key && header.kid && /^[0-9a-f-]{36}$/.test(header.kid) && Date.now() - this.reloadedAt > 30_000) {
            this.reloadedAt = Date.now();
            await this.load(); // a key made by another process since we loaded
            key = this.keys.get(header.kid);
          }
          if (!key) throw new InvalidTokenError('The token was signed with a key this server does not know');
          return key.publicKey;
        },
        { algorithms: [ALG], issuer: opts.issuer, audience: opts.audience, currentDate: this.clock.now(), typ: 'at+jwt', clockTolerance: 5 },
      );
      if (typeof payload.jti !== 'string' || typeof payload.sub !== 'string' || typeof payload.scope !== 'string' || typeof payload.kind !== 'string') {
        throw new InvalidTokenError('The token lacks required claims');
      }
      return payload as JWTPayload & AccessClaims & { jti: string; sub: string };
    } catch (err) {
      if (err instanceof InvalidTokenError) throw err;
      const code = (err as { code?: string }).code;
      throw new InvalidTokenError(code === 'ERR_JWT_EXPIRED' ? 'The access token has expired' : 'The access token is not valid');
    }
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.ensure();
    return { keys: [...this.keys.values()].map((k) => k.publicJwk) };
  }
}
