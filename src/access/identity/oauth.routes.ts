import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Platform } from '../../platform.js';
import { urlsFollowRequest } from '../../public-url.js';
import { auditContextOf } from '../audit/audit-entry.js';
import { endpointFor, sessionOf } from './authenticate.js';
import { identityFor } from './identity.js';
import { OAuthError, type AuthorizeParams } from './oauth.service.js';
import { choosePatientPage, errorPage, PAGE_HEADERS, signInPage } from './pages.js';
import { smartConfiguration } from './smart-configuration.js';
import { identityTextProblem } from './text-input.js';

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'aud', 'code_challenge', 'code_challenge_method', 'patient', 'launch'] as const;

/** Authorization: Basic base64(urlencoded id ":" urlencoded secret) (RFC 6749 2.3.1), or undefined. */
function basicCredentials(req: FastifyRequest): { id: string; secret: string } | undefined | 'malformed' {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Basic[ ]+([A-Za-z0-9+/=]+)$/i.exec(h.trim());
  if (!m) return 'malformed';
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return 'malformed';
  try {
    return { id: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return 'malformed';
  }
}

function oauthError(reply: FastifyReply, err: OAuthError) {
  if (err.status === 401) reply.header('www-authenticate', 'Basic realm="OneStory token endpoint"');
  return reply
    .code(err.status)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .type('application/json')
    .send({ error: err.error, error_description: err.description });
}

export async function oauthRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { platform } = opts;
  const identity = identityFor(platform);

  // Cached publicly only when its URLs come from configuration: built from the request's Host, one
  // client's answer must never be served to another by a shared cache.
  const discovery = async (req: FastifyRequest, reply: FastifyReply) =>
    reply
      .header('cache-control', urlsFollowRequest(platform.config) ? 'no-store' : 'public, max-age=3600')
      .type('application/json')
      .send(smartConfiguration(endpointFor(req, platform.config)));
  app.get('/.well-known/smart-configuration', discovery);
  app.get('/fhir/R4/.well-known/smart-configuration', discovery);
  // RFC 8414 metadata, so OAuth libraries given only the issuer can discover the endpoints too.
  app.get('/.well-known/oauth-authorization-server', discovery);

  app.get('/oauth2/jwks', async (_req, reply) => reply.type('application/json').send(await identity.jwt.jwks()));

  app.get('/oauth2/authorize', async (req, reply) => {
    const raw = req.query as Record<string, unknown>;
    const params: Record<string, string> = {};
    for (const name of AUTHORIZE_PARAMS) {
      const v = raw[name];
      if (v === undefined) continue;
      if (typeof v !== 'string') return reply.code(400).headers(PAGE_HEADERS).send(errorPage(`The parameter ${name} is given more than once`));
      params[name] = v;
    }
    const problem = identityTextProblem(params);
    if (problem) return reply.code(400).headers(PAGE_HEADERS).send(errorPage(problem));
    const ep = endpointFor(req, platform.config);
    let checked;
    try {
      checked = await identity.oauth.checkAuthorize(params as AuthorizeParams, ep);
    } catch (err) {
      if (err instanceof OAuthError) return reply.code(400).headers(PAGE_HEADERS).send(errorPage(err.description));
      throw err;
    }
    if ('kind' in checked) return reply.code(302).header('location', checked.location).send();

    const live = await sessionOf(req, platform);
    if (!live) {
      // No session: sign in here, then come back to this same request.
      const back = `/oauth2/authorize?${new URLSearchParams(params).toString()}`;
      return reply.headers(PAGE_HEADERS).send(signInPage({ returnTo: back }));
    }
    // A temporary password from an administrator authorises no app: the user chooses their own first.
    if (live.user.mustChangePassword) return reply.code(303).header('cache-control', 'no-store').header('location', '/choose-password').send();
    const outcome = await identity.oauth.authorize(checked, live.user, live.principal);
    if (outcome.kind === 'redirect') {
      const audit = auditContextOf(req);
      audit.principal = live.principal;
      return reply.code(302).header('cache-control', 'no-store').header('location', outcome.location).send();
    }
    const candidates = outcome.candidates
      ? await Promise.all(outcome.candidates.map(async (id) => ({ id, name: (await identity.lookup.patientName(id)) ?? id })))
      : undefined;
    return reply
      .code(outcome.error ? 400 : 200)
      .headers(PAGE_HEADERS)
      .send(choosePatientPage({ params, candidates, error: outcome.error, clientName: checked.client.name }));
  });

  app.post('/oauth2/token', async (req, reply) => {
    try {
      const body = req.body;
      if (typeof body !== 'string') throw new OAuthError('invalid_request', 'Send the token request as application/x-www-form-urlencoded');
      const basic = basicCredentials(req);
      if (basic === 'malformed') throw new OAuthError('invalid_client', 'The Authorization header must be HTTP Basic client credentials');
      const form = new URLSearchParams(body);
      for (const [k] of form) {
        if (form.getAll(k).length > 1) throw new OAuthError('invalid_request', `The parameter ${k} is given more than once`);
      }
      const problem = identityTextProblem({ ...Object.fromEntries(form), ...(basic ? { client_id: basic.id, client_secret: basic.secret } : {}) });
      if (problem) throw new OAuthError(basic && /^client_/.test(problem) ? 'invalid_client' : 'invalid_request', problem);
      const result = await identity.oauth.token(form, basic, endpointFor(req, platform.config));
      const audit = auditContextOf(req);
      audit.interaction = 'token-issue';
      audit.claimedUser = basic?.id ?? form.get('client_id') ?? undefined;
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).type('application/json').send(result);
    } catch (err) {
      if (err instanceof OAuthError) {
        const audit = auditContextOf(req);
        audit.interaction = 'token-issue';
        audit.failure = `${err.error}: ${err.description}`;
        return oauthError(reply, err);
      }
      throw err;
    }
  });
}
