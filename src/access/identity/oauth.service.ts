import { createHash } from 'node:crypto';
import { isValidId } from '../../fhir/reference.js';
import type { Principal, Scope } from '../principal.js';
import type { ClientRecord } from './client.repository.js';
import type { ClientService } from './client.service.js';
import type { FhirLookupRepository } from './fhir-lookup.repository.js';
import type { Clock, IdentitySettings } from './identity.config.js';
import type { JwtService } from './jwt.service.js';
import type { OAuthRepository } from './oauth.repository.js';
import { fhirUserOf } from './principal.builder.js';
import { coveredBy, parseScope, parseScopeString, ScopeError, type ScopeRequest } from './scope.parser.js';
import { randomToken, safeEqual, sha256 } from './secrets.js';
import type { UserProfile, UserRepository } from './user.repository.js';

/** An OAuth error, as RFC 6749 names them; `status` is the token endpoint's HTTP status. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope' | 'access_denied' | 'unsupported_response_type',
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
  }
}

/** Where the issuer and audience come from: the FHIR base URL this request reached. */
export interface Endpoint {
  /** e.g. https://onestory.example/fhir/R4 — the token audience. */
  fhirBase: string;
  /** The server origin — the token issuer. */
  issuer: string;
}

export interface AuthorizeParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  aud?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  /** OneStory's standalone-launch patient picker answer (staff and proxies). */
  patient?: string;
}

/** A checked authorization request, before the user is known. */
export interface AuthorizeRequest {
  client: ClientRecord;
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  scopes: ScopeRequest;
  patient?: string;
}

export type AuthorizeOutcome =
  | { kind: 'redirect'; location: string }
  /** The user must pick a patient: staff type one in, a proxy chooses among theirs. */
  | { kind: 'choose-patient'; candidates?: string[]; error?: string };

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
  fhirUser?: string;
  need_patient_banner?: boolean;
}

/** The most a signed-in person may hold, whatever a client is registered for. Policy narrows further per row. */
export function ceilingFor(p: Principal): Scope[] {
  const all = (context: Scope['context'], letters: string) => parseScope(`${context}/*.${letters}`);
  if (p.kind === 'staff') {
    // Analysts and privacy officers look, they do not change the record.
    const letters = p.role === 'icb-analyst' || p.role === 'privacy-officer' ? 'rs' : 'cruds';
    return [all('patient', letters), all('user', letters)];
  }
  if (p.kind === 'resident' || p.kind === 'proxy') return [all('patient', 'crus')];
  return [];
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export class OAuthService {
  constructor(
    private readonly clients: ClientService,
    private readonly repo: OAuthRepository,
    private readonly users: UserRepository,
    private readonly lookup: FhirLookupRepository,
    private readonly jwt: JwtService,
    private readonly clock: Clock,
    private readonly settings: IdentitySettings,
  ) {}

  /**
   * Checks an authorization request. A bad client or redirect URI cannot be redirected to (that
   * would make us an open redirector): it throws OAuthError for the page. Other problems are
   * returned as a redirect carrying the error, as RFC 6749 4.1.2.1 says.
   */
  async checkAuthorize(q: AuthorizeParams, ep: Endpoint): Promise<AuthorizeRequest | { kind: 'redirect'; location: string }> {
    if (!q.client_id) throw new OAuthError('invalid_request', 'client_id is missing');
    const client = await this.clients.find(q.client_id);
    if (!client || client.disabled || client.kind !== 'app') throw new OAuthError('invalid_client', 'Unknown client, or not an app that users sign in to');
    if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri)) {
      throw new OAuthError('invalid_request', 'redirect_uri is missing or not one registered for this client');
    }
    const fail = (error: OAuthError['error'], description: string) => ({
      kind: 'redirect' as const,
      location: withParams(q.redirect_uri!, { error, error_description: description, state: q.state }),
    });
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
    if (q.code_challenge_method !== 'S256' || !q.code_challenge || !CHALLENGE.test(q.code_challenge)) {
      return fail('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
    }
    if (q.aud !== undefined && q.aud.replace(/\/$/, '') !== ep.fhirBase) return fail('invalid_request', `aud must be this server's FHIR base URL, ${ep.fhirBase}`);
    if (q.state !== undefined && q.state.length > 1024) return fail('invalid_request', 'state is too long');
    let scopes: ScopeRequest;
    try {
      scopes = parseScopeString(q.scope ?? '');
    } catch (err) {
      if (err instanceof ScopeError) return fail('invalid_scope', err.message);
      throw err;
    }
    if (scopes.resources.length === 0) return fail('invalid_scope', 'Ask for at least one patient/ or user/ resource scope');
    const registered = parseScopeString(client.scopes).resources.map((r) => r.scope);
    for (const { text, scope } of scopes.resources) {
      if (scope.context === 'system') return fail('invalid_scope', `${text}: system/ scopes are for client credentials, not user sign-in`);
      if (!coveredBy(registered, scope)) return fail('invalid_scope', `${text} is beyond what this client is registered for`);
    }
    return {
      client,
      redirectUri: q.redirect_uri,
      ...(q.state !== undefined ? { state: q.state } : {}),
      codeChallenge: q.code_challenge,
      scopes,
      ...(q.patient ? { patient: q.patient } : {}),
    };
  }

  /** The signed-in user authorises the request: checks their ceiling, settles the patient, issues a code. */
  async authorize(req: AuthorizeRequest, user: UserProfile, principal: Principal): Promise<AuthorizeOutcome> {
    const fail = (error: OAuthError['error'], description: string): AuthorizeOutcome => ({
      kind: 'redirect',
      location: withParams(req.redirectUri, { error, error_description: description, state: req.state }),
    });
    const ceiling = ceilingFor(principal);
    for (const { text, scope } of req.scopes.resources) {
      if (!coveredBy(ceiling, scope)) return fail('invalid_scope', `${text} is beyond what your role allows`);
    }
    const needsPatient = req.scopes.other.includes('launch/patient') || req.scopes.resources.some((r) => r.scope.context === 'patient');
    let patient: string | undefined;
    if (needsPatient) {
      if (principal.kind === 'resident') {
        if (req.patient && req.patient !== principal.patientId) return fail('access_denied', 'A resident can launch only for themselves');
        patient = principal.patientId;
      } else if (principal.kind === 'proxy') {
        const candidates = principal.patientIds;
        if (req.patient) {
          if (!candidates.includes(req.patient)) return { kind: 'choose-patient', candidates, error: 'You do not act for that person' };
          patient = req.patient;
        } else if (candidates.length === 1) patient = candidates[0];
        else return { kind: 'choose-patient', candidates };
      } else {
        if (!req.patient) return { kind: 'choose-patient' };
        // Visible to this user, not merely existing: a code for a hidden patient (and a 400 for a
        // missing one) told anyone signed in which ids exist. Hidden and missing get one answer.
        if (!isValidId(req.patient) || !(await this.lookup.patientVisibleTo(principal, req.patient, this.clock.now()))) {
          return { kind: 'choose-patient', error: 'No patient you can see has that id' };
        }
        patient = req.patient;
      }
    }
    const code = randomToken();
    const now = this.clock.now();
    await this.repo.insertCode({
      codeHash: sha256(code),
      clientId: req.client.clientId,
      userId: user.id,
      ...(principal.kind === 'staff' ? { organizationId: principal.organizationId } : {}),
      redirectUri: req.redirectUri,
      codeChallenge: req.codeChallenge,
      scope: req.scopes.granted.join(' '),
      ...(patient ? { launchPatient: patient } : {}),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.settings.authorizationCodeMs),
    });
    return { kind: 'redirect', location: withParams(req.redirectUri, { code, state: req.state }) };
  }

  /** POST /oauth2/token. `form` is the urlencoded body; `basic` the decoded Authorization: Basic pair. */
  async token(form: URLSearchParams, basic: { id: string; secret: string } | undefined, ep: Endpoint): Promise<TokenResponse> {
    const client = await this.authenticateClient(form, basic);
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') return this.exchangeCode(form, client, ep);
    if (grant === 'client_credentials') return this.clientCredentials(form, client, ep);
    throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or client_credentials');
  }

  private async authenticateClient(form: URLSearchParams, basic: { id: string; secret: string } | undefined): Promise<ClientRecord> {
    const bodyId = form.get('client_id') ?? undefined;
    const bodySecret = form.get('client_secret') ?? undefined;
    if (basic && (bodySecret !== null && bodySecret !== undefined)) throw new OAuthError('invalid_request', 'Use one client authentication method, not two');
    if (basic && bodyId && bodyId !== basic.id) throw new OAuthError('invalid_client', 'client_id does not match the credentials');
    const id = basic?.id ?? bodyId;
    if (!id) throw new OAuthError('invalid_client', 'Client authentication is required');
    const client = await this.clients.authenticate(id, basic?.secret ?? bodySecret);
    if (!client) throw new OAuthError('invalid_client', 'Client authentication failed');
    return client;
  }

  private async exchangeCode(form: URLSearchParams, client: ClientRecord, ep: Endpoint): Promise<TokenResponse> {
    const code = form.get('code');
    const verifier = form.get('code_verifier');
    const redirectUri = form.get('redirect_uri');
    if (!code || !redirectUri) throw new OAuthError('invalid_request', 'code and redirect_uri are required');
    if (!verifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
    const now = this.clock.now();
    const codeHash = sha256(code);
    const found = code.length <= 100 ? await this.repo.consumeCode(codeHash, now) : undefined;
    if (found === 'replayed') {
      // RFC 6749 4.1.2: a code used twice may have been stolen; what was issued from it is withdrawn.
      await this.revoke(await this.repo.revokeByCode(codeHash, now));
      throw new OAuthError('invalid_grant', 'The authorization code has already been used');
    }
    if (!found) throw new OAuthError('invalid_grant', 'The authorization code is not valid');
    if (found.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'The authorization code was issued to another client');
    if (found.expiresAt <= now) throw new OAuthError('invalid_grant', 'The authorization code has expired');
    if (found.redirectUri !== redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    const computed = createHash('sha256').update(verifier).digest('base64url');
    if (!VERIFIER.test(verifier) || !safeEqual(computed, found.codeChallenge)) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code challenge');
    }
    const user = await this.users.findById(found.userId);
    if (!user || user.disabled) throw new OAuthError('invalid_grant', 'The user can no longer sign in');
    const staff = user.kind === 'staff' ? user.memberships.find((m) => m.organizationId === found.organizationId) : undefined;
    if (user.kind === 'staff' && !staff) throw new OAuthError('invalid_grant', 'The user no longer works for that organisation');
    const fhirUser = fhirUserOf(user, found.organizationId);
    const ttl = this.settings.accessTokenSeconds;
    const signed = await this.jwt.sign(
      {
        scope: found.scope,
        client_id: client.clientId,
        kind: user.kind,
        name: user.displayName,
        ...(found.launchPatient ? { patient: found.launchPatient } : {}),
        ...(fhirUser ? { fhirUser } : {}),
        ...(staff ? { organisation: staff.organizationId, role: staff.role } : {}),
      },
      { subject: user.id, issuer: ep.issuer, audience: ep.fhirBase, ttlSeconds: ttl },
    );
    await this.repo.insertToken({ jti: signed.jti, clientId: client.clientId, subject: user.id, codeHash, issuedAt: now, expiresAt: signed.expiresAt });
    return {
      access_token: signed.token,
      token_type: 'Bearer',
      expires_in: ttl,
      scope: found.scope,
      ...(found.launchPatient ? { patient: found.launchPatient, need_patient_banner: true } : {}),
      ...(fhirUser ? { fhirUser } : {}),
    };
  }

  private async clientCredentials(form: URLSearchParams, client: ClientRecord, ep: Endpoint): Promise<TokenResponse> {
    if (client.kind !== 'system' || !client.secretHash) {
      throw new OAuthError('unauthorized_client', 'client_credentials is for system integrations registered without a redirect URI');
    }
    const registered = parseScopeString(client.scopes).resources;
    let wanted = registered;
    const asked = form.get('scope');
    if (asked !== null && asked.trim() !== '') {
      let parsed: ScopeRequest;
      try {
        parsed = parseScopeString(asked);
      } catch (err) {
        if (err instanceof ScopeError) throw new OAuthError('invalid_scope', err.message);
        throw err;
      }
      if (parsed.other.length > 0) throw new OAuthError('invalid_scope', `${parsed.other.join(' ')}: not available to a system integration`);
      const held = registered.map((r) => r.scope);
      for (const { text, scope } of parsed.resources) {
        if (scope.context !== 'system') throw new OAuthError('invalid_scope', `${text}: a system integration takes system/ scopes`);
        if (!coveredBy(held, scope)) throw new OAuthError('invalid_scope', `${text} is beyond what this client is registered for`);
      }
      wanted = parsed.resources;
    }
    if (wanted.length === 0) throw new OAuthError('invalid_scope', 'No scope to grant');
    const scope = wanted.map((r) => r.text).join(' ');
    const ttl = this.settings.accessTokenSeconds;
    const now = this.clock.now();
    const signed = await this.jwt.sign(
      { scope, client_id: client.clientId, kind: 'client', name: client.name, organisation: client.organizationId },
      { subject: client.clientId, issuer: ep.issuer, audience: ep.fhirBase, ttlSeconds: ttl },
    );
    await this.repo.insertToken({ jti: signed.jti, clientId: client.clientId, subject: client.clientId, issuedAt: now, expiresAt: signed.expiresAt });
    return { access_token: signed.token, token_type: 'Bearer', expires_in: ttl, scope };
  }

  /** Set by the token verifier so a revocation takes effect at once in this process. */
  onRevoke: (jtis: string[]) => void = () => undefined;

  private async revoke(jtis: string[]): Promise<void> {
    if (jtis.length > 0) this.onRevoke(jtis);
  }
}

export function withParams(uri: string, params: Record<string, string | undefined>): string {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}
