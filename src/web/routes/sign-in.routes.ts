import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { csrfTokenOf, sessionOf } from '../../access/identity/authenticate.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { clearSessionCookie, isHttps } from '../../access/identity/cookies.js';
import { signInFlow, signInStartingUp, STARTING_UP } from '../../access/identity/sign-in.flow.js';
import { page } from '../layout.js';
import { signInBody } from '../pages.js';
import { homeOf, type WebContext } from '../web-context.js';

/** Sign in and out of the web app; the flow itself is identity's (signInFlow), shared with /auth/sign-in. */
export async function signInRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { platform } = web;

  app.get('/', async (req, reply) => {
    const s = await web.signedIn(req);
    return web.redirect(reply, s ? homeOf(s.principal) : '/sign-in');
  });

  app.get('/sign-in', async (req, reply) => {
    const s = await web.signedIn(req);
    if (s) return web.redirect(reply, homeOf(s.principal));
    if (signInStartingUp(platform, reply)) return web.send(reply, 503, page({ title: 'Sign in', body: signInBody({ notice: STARTING_UP }) }));
    return web.send(reply, 200, page({ title: 'Sign in', body: signInBody({}) }));
  });

  app.post('/sign-in', async (req, reply) => {
    const f = fieldsOf(req);
    const result = await signInFlow(platform, req, reply, { username: f.username, password: f.password, organizationId: f.organization || undefined });
    if (result.ok) return web.redirect(reply, homeOf(result.principal));
    const username = (f.username ?? '').trim().slice(0, 200);
    if (result.reason === 'starting-up') return web.send(reply, result.status, page({ title: 'Sign in', body: signInBody({ notice: result.message, username }) }));
    return web.send(reply, result.status, page({ title: 'Sign in', error: true, body: signInBody({ error: result.message, username, organizations: result.organizations }) }));
  });

  app.post('/sign-out', async (req, reply) => {
    const live = await sessionOf(req, platform);
    if (live) {
      if (!platform.identity.sessions.checkCsrf(live.session, csrfTokenOf(req))) return web.toSignIn(reply);
      await platform.identity.sessions.signOut(live.session.id);
      const audit = auditContextOf(req);
      audit.interaction = 'sign-out';
      audit.principal = live.principal;
    }
    clearSessionCookie(reply, isHttps(req, platform.config.baseUrl));
    return web.toSignIn(reply);
  });
}
