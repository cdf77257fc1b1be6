import { randomBytes } from 'node:crypto';
import type { ClientRecord, ClientRepository } from './client.repository.js';
import type { FhirLookupRepository } from './fhir-lookup.repository.js';
import { parseScopeString, ScopeError } from './scope.parser.js';
import { randomToken, safeEqual, sha256 } from './secrets.js';
import { isUsableText } from './text-input.js';

export class ClientRegistrationError extends Error {}

export interface RegisterClient {
  /** The organisation's ODS code (resolved to its Organization id), or the id itself. */
  ods?: string;
  organizationId?: string;
  scope: string;
  name?: string;
  redirectUris?: string[];
  /** An app that cannot keep a secret (in a browser): authenticates by PKCE alone. */
  public?: boolean;
}

export interface RegisteredClient {
  clientId: string;
  /** Shown once; only its hash is stored. Absent for a public app. */
  clientSecret?: string;
  client: ClientRecord;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Registers API clients and authenticates them at the token endpoint. */
export class ClientService {
  constructor(
    private readonly repo: ClientRepository,
    private readonly lookup: FhirLookupRepository,
  ) {}

  async register(input: RegisterClient): Promise<RegisteredClient> {
    let organizationId = input.organizationId;
    if (input.ods !== undefined) {
      if (!/^[A-Z0-9]{3,10}$/i.test(input.ods)) throw new ClientRegistrationError(`"${input.ods}" is not an ODS code`);
      const ids = await this.lookup.organizationsByOds(input.ods.toUpperCase());
      if (ids.length === 0) throw new ClientRegistrationError(`No Organization has the ODS code ${input.ods.toUpperCase()}`);
      if (ids.length > 1) throw new ClientRegistrationError(`Several Organizations have the ODS code ${input.ods.toUpperCase()}: ${ids.join(', ')}`);
      organizationId = ids[0];
    } else if (!organizationId || !(await this.lookup.exists('Organization', organizationId))) {
      throw new ClientRegistrationError('The client must belong to an existing Organization');
    }
    const redirectUris = input.redirectUris ?? [];
    for (const uri of redirectUris) checkRedirectUri(uri);
    const kind: ClientRecord['kind'] = redirectUris.length > 0 ? 'app' : 'system';
    let parsed;
    try {
      parsed = parseScopeString(input.scope);
    } catch (err) {
      if (err instanceof ScopeError) throw new ClientRegistrationError(err.message);
      throw err;
    }
    if (parsed.resources.length === 0) throw new ClientRegistrationError('Give at least one SMART resource scope, e.g. system/Patient.rs');
    for (const { text, scope } of parsed.resources) {
      if (kind === 'system' && scope.context !== 'system') {
        throw new ClientRegistrationError(`${text}: a system integration (no redirect URI) takes system/ scopes only`);
      }
      if (kind === 'app' && scope.context === 'system') {
        throw new ClientRegistrationError(`${text}: an app acting for a user (with a redirect URI) takes patient/ and user/ scopes, not system/`);
      }
    }
    if (input.public && kind !== 'app') throw new ClientRegistrationError('Only an app with a redirect URI can be public');
    const clientId = `onestory-${randomBytes(12).toString('hex')}`;
    const clientSecret = input.public ? undefined : randomToken(32);
    const client: ClientRecord = {
      clientId,
      ...(clientSecret ? { secretHash: sha256(clientSecret) } : {}),
      name: (input.name ?? `${kind === 'app' ? 'App' : 'System integration'} of ${organizationId}`).slice(0, 200),
      organizationId: organizationId!,
      kind,
      scopes: parsed.granted.join(' '),
      redirectUris,
      disabled: false,
    };
    await this.repo.insert(client);
    return { clientId, ...(clientSecret ? { clientSecret } : {}), client };
  }

  /** Clients of `orgIds` ('all' for every organisation), at most `limit`. */
  list(orgIds: 'all' | string[], limit: number) {
    return this.repo.list({ orgIds, limit });
  }

  /** A new secret for a confidential client, shown once; the old one and its tokens stop working at once. */
  async rotateSecret(clientId: string, now: Date): Promise<{ secret: string; revokedTokens: string[] }> {
    const client = await this.find(clientId);
    if (!client || client.disabled) throw new ClientRegistrationError('The client is revoked or unknown');
    if (!client.secretHash) throw new ClientRegistrationError('A public app has no secret to rotate');
    const secret = randomToken(32);
    return { secret, revokedTokens: await this.repo.setSecretHash(clientId, sha256(secret), now) };
  }

  /** Disables the client and revokes its access tokens; returns their ids. */
  revoke(clientId: string, now: Date): Promise<string[]> {
    return this.repo.revoke(clientId, now);
  }

  find(clientId: string): Promise<ClientRecord | undefined> {
    // Unusable text (a NUL) cannot name a client, and PostgreSQL would refuse it with an error.
    return isUsableText(clientId, { max: 200 }) ? this.repo.find(clientId) : Promise.resolve(undefined);
  }

  /**
   * The client if the credentials are right: a confidential client must give its secret; a public
   * app gives none. Undefined otherwise (unknown, disabled, wrong secret, secret missing).
   */
  async authenticate(clientId: string, secret: string | undefined): Promise<ClientRecord | undefined> {
    const client = await this.find(clientId);
    if (!client || client.disabled) return undefined;
    if (!client.secretHash) return secret === undefined ? client : undefined;
    if (secret === undefined || !safeEqual(sha256(secret), client.secretHash)) return undefined;
    return client;
  }
}

/** Exact, absolute redirect URIs; https except on loopback (native and development apps). */
export function checkRedirectUri(uri: string): void {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new ClientRegistrationError(`Redirect URI "${uri}" is not an absolute URL`);
  }
  if (u.hash) throw new ClientRegistrationError(`Redirect URI "${uri}" must not have a fragment`);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
    throw new ClientRegistrationError(`Redirect URI "${uri}" must use https (http only on localhost)`);
  }
}
