import type { Principal } from '../principal.js';
import type { Clock } from './identity.config.js';
import { InvalidTokenError, type JwtService } from './jwt.service.js';
import type { OAuthRepository } from './oauth.repository.js';
import { principalFor } from './principal.builder.js';
import { parseScopeString } from './scope.parser.js';

/** How long a checked token's state (not revoked, its user) is reused before the database is asked again. */
const STATE_TTL_MS = 5_000;
const MAX_CACHED = 10_000;

/**
 * Turns a bearer token into a Principal: the signature, expiry, issuer and audience (no database),
 * then the token's state (revoked? its user) from the database, reused for a few seconds so a busy
 * client costs one lookup per token every few seconds, not one per request.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, { principal: Principal; at: number }>();

  constructor(
    private readonly jwt: JwtService,
    private readonly repo: OAuthRepository,
    private readonly clock: Clock,
  ) {}

  async principal(token: string, ep: { issuer: string; audience: string }): Promise<Principal> {
    if (token.length > 8192) throw new InvalidTokenError('The access token is not valid');
    const claims = await this.jwt.verify(token, ep);
    const now = this.clock.now().getTime();
    const hit = this.cache.get(claims.jti);
    if (hit && now - hit.at < STATE_TTL_MS && now >= hit.at) return hit.principal;
    const state = await this.repo.tokenState(claims.jti);
    if (!state) throw new InvalidTokenError('The access token is not known to this server');
    if (state.revoked) throw new InvalidTokenError('The access token has been revoked');
    const scopes = parseScopeString(claims.scope).resources.map((r) => r.scope);
    let principal: Principal | undefined;
    if (claims.kind === 'client') {
      if (!claims.organisation) throw new InvalidTokenError('The access token is not valid');
      principal = {
        kind: 'client',
        id: claims.sub,
        displayName: claims.name ?? claims.sub,
        organizationId: claims.organisation,
        scopes,
        via: 'token',
        credentialId: claims.jti,
      };
    } else {
      if (!state.user || state.user.disabled) throw new InvalidTokenError('The user of this access token can no longer sign in');
      principal = principalFor(state.user, {
        via: 'token',
        credentialId: claims.jti,
        scopes,
        ...(claims.organisation ? { organizationId: claims.organisation } : {}),
        ...(claims.patient ? { patientId: claims.patient } : {}),
      });
      if (!principal) throw new InvalidTokenError('The access token no longer matches the user');
    }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(claims.jti, { principal, at: now });
    return principal;
  }

  forget(jtis: string[]): void {
    for (const j of jtis) this.cache.delete(j);
  }
}
