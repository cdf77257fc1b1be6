import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, FhirError, issue, outcome } from '../../fhir/outcome.js';
import type { Platform } from '../../platform.js';
import { auditContextOf } from '../audit/audit-entry.js';
import type { Principal } from '../principal.js';
import { csrfRefused, csrfTokenOf, sessionOf, unauthorized } from './authenticate.js';
import { clearSessionCookie, isHttps, setSessionCookie } from './cookies.js';
import { isCrossSiteRequest } from './cross-site.js';
import { identityFor } from './identity.js';
import { PAGE_HEADERS, signInPage } from './pages.js';
import { signInStartingUp, STARTING_UP } from './sign-in.flow.js';
import { SIGN_IN_FAILED, type LiveSession } from './session.service.js';
import { identityTextProblem, SIGN_IN_RULES } from './text-input.js';

/** Form (urlencoded string) or JSON object body → string fields; anything else is a 400. */
export function fieldsOf(req: FastifyRequest): Record<string, string> {
  const body = req.body;
  if (typeof body === 'string') return Object.fromEntries(new URLSearchParams(body));
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  throw badRequest('Send the fields as a form (application/x-www-form-urlencoded) or a JSON object');
}

/** Only a path on this server, and only the authorize endpoint: never an open redirect. */
export function safeReturnTo(value: string | undefined): string | undefined {
  return value && /^\/oauth2\/authorize(\?[^\s#\\]*)?$/.test(value) && value.length <= 4096 ? value : undefined;
}

/** Who is signed in, as the session and sign-in endpoints present it. */
export function describe(p: Principal, username: string) {
  const { via: _via, credentialId: _c, scopes: _s, ...rest } = p;
  return { ...rest, username };
}

function sessionBody(live: Pick<LiveSession, 'principal' | 'session' | 'user'>) {
  return {
    user: describe(live.principal, live.user.username),
    csrfToken: live.session.csrfToken,
    idleExpiresAt: live.session.idleExpiresAt.toISOString(),
    absoluteExpiresAt: live.session.absoluteExpiresAt.toISOString(),
  };
}

export async function authRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { platform } = opts;
  const identity = identityFor(platform);

  app.get('/auth/sign-in', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const returnTo = safeReturnTo(typeof q.return_to === 'string' ? q.return_to : undefined);
    return reply.headers(PAGE_HEADERS).send(signInPage({ returnTo }));
  });

  app.post('/auth/sign-in', async (req, reply) => {
    // Login CSRF: a form on another site must not sign this browser in (as anyone). Refused before
    // anything is read or counted.
    if (isCrossSiteRequest(req, platform.config)) {
      const audit = auditContextOf(req);
      audit.interaction = 'sign-in-failure';
      audit.failure = 'cross-site sign-in refused';
      throw new FhirError(403, outcome([issue('forbidden', 'Sign in from this site\'s own sign-in page: a sign-in sent from another site is refused')]));
    }
    const f = fieldsOf(req);
    const isForm = typeof req.body === 'string';
    // Before the demonstration accounts exist, an attempt is turned away without being counted.
    if (signInStartingUp(platform, reply)) {
      const audit = auditContextOf(req);
      audit.interaction = 'sign-in-failure';
      audit.failure = 'sign-in before the demonstration accounts were created';
      throw new FhirError(503, outcome([issue('transient', STARTING_UP)]));
    }
    const returnTo = safeReturnTo(f.return_to);
    const username = (f.username ?? '').trim();
    const password = f.password ?? '';
    const organizationId = f.organization || f.organisation || f.organizationId || undefined;
    if (!username || !password) throw badRequest('username and password are required');
    // Before any SQL: a NUL in the user name reached the user lookup and was a 500.
    const problem = identityTextProblem({ username, password, organization: organizationId, return_to: f.return_to }, SIGN_IN_RULES);
    if (problem) throw badRequest(problem);

    const audit = auditContextOf(req);
    const result = await identity.sessions.signIn({ username, password, organizationId, clientKey: req.ip });
    const page = (status: number, error: string, organizations?: { id: string; name: string }[]) =>
      reply.code(status).headers(PAGE_HEADERS).send(signInPage({ returnTo, error, username, organizations }));

    if (result.ok) {
      audit.interaction = 'sign-in-success';
      audit.principal = result.principal;
      setSessionCookie(reply, result.token, identity.settings.sessionAbsoluteMs / 1000, isHttps(req, platform.config.baseUrl));
      reply.header('cache-control', 'no-store');
      if (isForm && returnTo) return reply.code(303).header('location', returnTo).send();
      return reply.send(sessionBody(result));
    }
    audit.interaction = 'sign-in-failure';
    audit.claimedUser = username;
    if (result.reason === 'rate-limited') {
      audit.failure = 'too many sign-in attempts from this address';
      reply.header('retry-after', String(result.retryAfterSeconds));
      if (isForm && returnTo) return page(429, 'Too many sign-in attempts. Wait a few minutes and try again.');
      throw new FhirError(429, outcome([issue('throttled', 'Too many sign-in attempts from this address; try again later')]));
    }
    if (result.reason === 'choose-organisation') {
      audit.failure = 'organisation not chosen';
      const organizations = await Promise.all(result.organizationIds.map(async (id) => ({ id, name: await identity.lookup.organizationName(id) })));
      if (isForm && returnTo) return page(400, 'Choose the organisation you are acting for.', organizations);
      return reply.code(400).send({
        ...outcome([issue('required', 'You work for several organisations: give "organization", one of those listed')]),
        organizations,
      });
    }
    if (result.reason === 'no-membership') {
      audit.failure = 'no organisation membership';
      if (isForm && returnTo) return page(403, 'This account is not set up for any organisation.');
      throw new FhirError(403, outcome([issue('forbidden', 'This account is not set up for any organisation')]));
    }
    audit.failure = 'wrong user name or password, or locked';
    if (isForm && returnTo) return page(401, SIGN_IN_FAILED);
    throw unauthorized(SIGN_IN_FAILED);
  });

  app.get('/auth/session', async (req, reply) => {
    const live = await sessionOf(req, platform);
    if (!live) throw unauthorized('Not signed in');
    return reply.header('cache-control', 'no-store').send(sessionBody(live));
  });

  app.post('/auth/sign-out', async (req, reply: FastifyReply) => {
    const live = await sessionOf(req, platform);
    const secure = isHttps(req, platform.config.baseUrl);
    if (live) {
      if (!identity.sessions.checkCsrf(live.session, csrfTokenOf(req))) throw csrfRefused();
      await identity.sessions.signOut(live.session.id);
      const audit = auditContextOf(req);
      audit.interaction = 'sign-out';
      audit.principal = live.principal;
    }
    clearSessionCookie(reply, secure);
    return reply.code(204).send();
  });
}
