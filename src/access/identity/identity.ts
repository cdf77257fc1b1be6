import type { Database } from '../../db/database.js';
import type { Platform } from '../../platform.js';
import { AccountAdminService } from './account-admin.service.js';
import { ClientRepository } from './client.repository.js';
import { ClientService } from './client.service.js';
import { FhirLookupRepository } from './fhir-lookup.repository.js';
import { DEFAULT_SETTINGS, systemClock, type Clock, type IdentitySettings } from './identity.config.js';
import { JwtService } from './jwt.service.js';
import { OAuthRepository } from './oauth.repository.js';
import { OAuthService } from './oauth.service.js';
import { SessionRepository } from './session.repository.js';
import { SessionService } from './session.service.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import { TokenVerifier } from './token.verifier.js';
import { UserRepository } from './user.repository.js';

/** Identity's services for one platform, wired once. */
export interface Identity {
  /** The time identity uses; tests replace `clock.now`. */
  clock: Clock;
  /** Mutable so tests (and a deployment) can tune limits. */
  settings: IdentitySettings;
  users: UserRepository;
  sessions: SessionService;
  clients: ClientService;
  jwt: JwtService;
  oauth: OAuthService;
  tokens: TokenVerifier;
  lookup: FhirLookupRepository;
  /** Staff accounts and API clients, administered in the web app (/admin). */
  admin: AccountAdminService;
  /**
   * True while `start` is still creating the demonstration accounts: sign-in then answers 503
   * ("starting up") and counts nothing, so early attempts neither fail confusingly nor spend the
   * address's failure budget or an account's lockout. False otherwise (tests, servers with no demo).
   */
  startingUp: boolean;
}

/** The platform's one Identity, built once by src/platform.ts (one rate limiter, key cache and token cache per process). */
export function identityFor(platform: Pick<Platform, 'identity'>): Identity {
  return platform.identity;
}

/**
 * Builds identity's services over `db`, reading the time from `clock` (the platform's one clock:
 * every service reads it through this object, so replacing `clock.now` moves them all).
 */
export function createIdentity(db: Database, clock: Clock = systemClock()): Identity {
  const settings: IdentitySettings = { ...DEFAULT_SETTINGS };
  const users = new UserRepository(db);
  const lookup = new FhirLookupRepository(db);
  const clients = new ClientService(new ClientRepository(db), lookup);
  const jwt = new JwtService(new SigningKeyRepository(db), clock);
  const oauthRepo = new OAuthRepository(db);
  const oauth = new OAuthService(clients, oauthRepo, users, lookup, jwt, clock, settings);
  const tokens = new TokenVerifier(jwt, oauthRepo, clock);
  oauth.onRevoke = (jtis) => tokens.forget(jtis);
  const sessions = new SessionService(users, new SessionRepository(db), clock, settings);
  return {
    clock,
    settings,
    users,
    sessions,
    clients,
    jwt,
    oauth,
    tokens,
    lookup,
    admin: new AccountAdminService(users, sessions, clients, lookup, tokens, clock),
    startingUp: false,
  };
}
