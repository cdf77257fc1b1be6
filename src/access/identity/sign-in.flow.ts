import type { FastifyReply, FastifyRequest } from 'fastify';
import { isValidId } from '../../fhir/reference.js';
import type { Platform } from '../../platform.js';
import { auditContextOf } from '../audit/audit-entry.js';
import type { Principal } from '../principal.js';
import { isHttps, setSessionCookie } from './cookies.js';
import { isCrossSiteRequest } from './cross-site.js';
import { SIGN_IN_FAILED, type LiveSession } from './session.service.js';
import { identityTextProblem, SIGN_IN_RULES } from './text-input.js';

/** What sign-in says while `start` is still creating the demonstration accounts. */
export const STARTING_UP = 'OneStory is starting up: the demonstration accounts are being created. Try again in a minute.';
/** Seconds a client is asked to wait while starting up (Retry-After). */
export const STARTING_UP_RETRY_SECONDS = 30;

/**
 * Sends Retry-After and says whether sign-in is closed because the platform is starting up.
 * Checked before anything is read or counted.
 */
export function signInStartingUp(platform: Pick<Platform, 'identity'>, reply: FastifyReply): boolean {
  if (!platform.identity.startingUp) return false;
  reply.header('retry-after', String(STARTING_UP_RETRY_SECONDS));
  return true;
}

export interface SignInFields {
  username?: string;
  password?: string;
  organizationId?: string;
}

export type SignInOutcome =
  | { ok: true; principal: Principal; live: Pick<LiveSession, 'principal' | 'session' | 'user'> }
  | {
      ok: false;
      status: 400 | 401 | 403 | 429 | 503;
      reason: 'starting-up' | 'cross-site' | 'missing' | 'too-long' | 'rate-limited' | 'choose-organisation' | 'no-membership' | 'failed';
      /** What to tell the person, in plain words. */
      message: string;
      organizations?: { id: string; name: string }[];
      retryAfterSeconds?: number;
    };

/**
 * The one sign-in flow, for the web form (/sign-in) and the JSON endpoint (/auth/sign-in) alike:
 * checks the fields, signs in through the session service (lockout and rate limits), records the
 * outcome in the request's audit context, and sets the session cookie on success. Each route only
 * presents the outcome.
 */
export async function signInFlow(platform: Pick<Platform, 'identity' | 'config'>, req: FastifyRequest, reply: FastifyReply, f: SignInFields): Promise<SignInOutcome> {
  const identity = platform.identity;
  const username = (f.username ?? '').trim();
  const password = f.password ?? '';
  const audit = auditContextOf(req);
  const fail = (status: 400 | 401 | 403 | 429 | 503, reason: Extract<SignInOutcome, { ok: false }>['reason'], message: string, failure: string, extra: object = {}): SignInOutcome => {
    audit.interaction = 'sign-in-failure';
    audit.failure = failure;
    if (username && reason !== 'missing' && reason !== 'too-long' && reason !== 'cross-site') audit.claimedUser = username;
    return { ok: false, status, reason, message, ...extra };
  };
  if (signInStartingUp(platform, reply)) return fail(503, 'starting-up', STARTING_UP, 'sign-in before the demonstration accounts were created', { retryAfterSeconds: STARTING_UP_RETRY_SECONDS });
  // Login CSRF: a form on another site must not sign this browser in. Refused before anything is read or counted.
  if (isCrossSiteRequest(req, platform.config)) return fail(403, 'cross-site', 'Sign in from this site’s own sign-in page', 'cross-site sign-in refused');
  if (!username || !password) return fail(400, 'missing', 'Enter your user name and password', 'user name or password missing');
  // Lengths and characters (a NUL above all) are checked before any SQL (text-input.ts).
  if (identityTextProblem({ username, password, organization: f.organizationId }, SIGN_IN_RULES)) {
    return fail(400, 'too-long', 'The user name or password is not valid', 'user name or password too long or with control characters');
  }
  const organizationId = f.organizationId && isValidId(f.organizationId) ? f.organizationId : undefined;
  const result = await identity.sessions.signIn({ username, password, organizationId, clientKey: req.ip });
  if (result.ok) {
    audit.interaction = 'sign-in-success';
    audit.principal = result.principal;
    setSessionCookie(reply, result.token, identity.settings.sessionAbsoluteMs / 1000, isHttps(req, platform.config.baseUrl));
    reply.header('cache-control', 'no-store');
    return { ok: true, principal: result.principal, live: result };
  }
  switch (result.reason) {
    case 'rate-limited':
      reply.header('retry-after', String(result.retryAfterSeconds));
      return fail(429, 'rate-limited', 'Too many sign-in attempts. Wait a few minutes and try again.', 'too many sign-in attempts from this address', { retryAfterSeconds: result.retryAfterSeconds });
    case 'choose-organisation': {
      const organizations = await Promise.all(result.organizationIds.map(async (id) => ({ id, name: await identity.lookup.organizationName(id) })));
      return fail(400, 'choose-organisation', 'Choose the organisation you are acting for, and enter your password again', 'organisation not chosen', { organizations });
    }
    case 'no-membership':
      return fail(403, 'no-membership', 'This account is not set up for any organisation', 'no organisation membership');
    default:
      return fail(401, 'failed', SIGN_IN_FAILED, 'wrong user name or password, or locked');
  }
}
