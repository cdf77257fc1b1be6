import type { FastifyRequest } from 'fastify';
import type { PublicUrlConfig } from '../../public-url.js';
import { FhirError, issue, outcome } from '../../fhir/outcome.js';
import { baseUrl } from '../../fhir/rest/fhir-http.js';
import type { Platform } from '../../platform.js';
import type { Principal } from '../principal.js';
import { readCookie, SESSION_COOKIE } from './cookies.js';
import { identityFor } from './identity.js';
import { InvalidTokenError } from './jwt.service.js';
import type { Endpoint } from './oauth.service.js';
import type { LiveSession } from './session.service.js';

export type AuthenticateDeps = Pick<Platform, 'db' | 'config' | 'identity'>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = 'csrf_token';

export const unauthorized = (text: string) => new FhirError(401, outcome([issue('login', text)]));
export const csrfRefused = () =>
  new FhirError(403, outcome([issue('forbidden', `A request made with the session cookie must carry the session's CSRF token (header X-CSRF-Token or form field ${CSRF_FIELD}); GET /auth/session gives it`)]));

/** The token audience (the FHIR base URL reached) and issuer (that server's origin). */
export function endpointFor(req: FastifyRequest, config: PublicUrlConfig): Endpoint {
  const fhirBase = baseUrl(req, config);
  return { fhirBase, issuer: fhirBase.replace(/\/fhir\/R4$/, '') };
}

const resolved = new WeakMap<FastifyRequest, Promise<LiveSession | undefined>>();

/** The live web session of the request's cookie, once per request. */
export function sessionOf(req: FastifyRequest, deps: Pick<Platform, 'identity'>): Promise<LiveSession | undefined> {
  let p = resolved.get(req);
  if (!p) {
    const token = readCookie(req, SESSION_COOKIE);
    p = token ? identityFor(deps).sessions.resolve(token) : Promise.resolve(undefined);
    resolved.set(req, p);
  }
  return p;
}

/** The CSRF token a request carries: the header, or a field of a urlencoded form body (once parsed). */
export function csrfTokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = req.body;
  if (typeof body === 'string' && /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
    return new URLSearchParams(body).get(CSRF_FIELD) ?? undefined;
  }
  return undefined;
}

/**
 * Who is making the request. A Bearer token wins over a cookie. Returns undefined for an anonymous
 * request (no credentials, or a session that has ended or expired). Throws a 401 FhirError for a
 * token that is forged, expired, wrongly signed, revoked or for another server, and a 403 for a
 * state-changing request made with the session cookie but without its CSRF token. Bearer requests
 * need no CSRF token: a browser never adds the Authorization header by itself.
 *
 * Call it in a preHandler hook (after the body is parsed) if forms may carry the CSRF token as a field.
 */
export async function authenticate(req: FastifyRequest, deps: AuthenticateDeps): Promise<Principal | undefined> {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)[ ]*$/i.exec(authorization);
    if (!m) throw unauthorized('The Authorization header must be "Bearer <access token>"');
    const ep = endpointFor(req, deps.config);
    try {
      return await identityFor(deps).tokens.principal(m[1], { issuer: ep.issuer, audience: ep.fhirBase });
    } catch (err) {
      if (err instanceof InvalidTokenError) throw unauthorized(err.message);
      throw err;
    }
  }
  const live = await sessionOf(req, deps);
  if (!live) return undefined;
  // A temporary password from an administrator opens only the web app's "Choose a new password" page.
  if (live.user.mustChangePassword) throw new FhirError(403, outcome([issue('forbidden', 'Choose a new password at /choose-password before using this session')]));
  if (!SAFE_METHODS.has(req.method) && !identityFor(deps).sessions.checkCsrf(live.session, csrfTokenOf(req))) throw csrfRefused();
  return live.principal;
}
