import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { AdminInputError } from '../../access/identity/account-admin.service.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { randomToken } from '../../access/identity/secrets.js';
import { MIN_OWN_PASSWORD } from '../../access/identity/session.service.js';
import { can } from '../../access/policy/index.js';
import type { Principal } from '../../access/principal.js';
import {
  choosePasswordBody, clientsBody, newClientBody, newPersonBody, newUserBody, usersListBody, userBody, type Revealed,
} from '../admin.page.js';
import type { FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { errorPage, page } from '../layout.js';
import { homeOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

/** How long a secret waits, server-side, for the one page that shows it. */
const REVEAL_TTL_MS = 10 * 60_000;

type AdminVerb = 'admin.users.manage' | 'admin.clients.manage' | 'admin.people.link';

/**
 * Administration (/admin): staff accounts (/admin/users) and API clients (/admin/clients) for system
 * and local administrators, and the "Choose a new password" page (/choose-password) a temporary
 * password leads to. Forms follow the web app's pattern (CSRF token, validate, a command of the
 * platform's AccountAdminService, which asks the policy, then a 303 to a page with a success banner;
 * or the form again with its errors and answers, nothing written). Every request names the account
 * or client it touched in its AuditEvent (`UserAccount/<id>`, `ApiClient/<id>`).
 */
export async function adminRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const admin = web.platform.identity.admin;

  /**
   * Secrets (a temporary password, a client secret) to show once after a redirect. They must not
   * travel in the URL (logs, history), so they wait here under a random key, for the session that
   * made them only, and are deleted when shown. In one process: behind a load balancer, sessions
   * must be sticky for the reveal to land (the secret is otherwise lost, and can be reset again).
   */
  const pending = new Map<string, { sessionId: string; revealed: Revealed; expires: number }>();
  const stash = (s: Signed, revealed: Revealed): string => {
    const now = Date.now();
    for (const [k, v] of pending) if (v.expires < now) pending.delete(k);
    const key = randomToken(18);
    pending.set(key, { sessionId: s.live.session.id, revealed, expires: now + REVEAL_TTL_MS });
    return key;
  };
  const reveal = (s: Signed, key: string | undefined): Revealed | undefined => {
    const hit = key ? pending.get(key) : undefined;
    if (!hit || hit.sessionId !== s.live.session.id || hit.expires < Date.now()) return undefined;
    pending.delete(key!);
    return hit.revealed;
  };

  /**
   * The signed-in administrator, or undefined with the reply sent: to sign in, the CSRF refusal, to
   * choose a new password first, or a 403 page for anyone the policy does not let administer (staff,
   * residents and carers alike: administration is not another area's home to be sent to).
   */
  const guard = async (req: FastifyRequest, reply: FastifyReply, verb: AdminVerb, current: string): Promise<Signed | undefined> => {
    const s = await web.need(req, reply, 'account', current);
    if (!s) return undefined;
    if (s.live.user.mustChangePassword) {
      web.redirect(reply, '/choose-password');
      return undefined;
    }
    const d = can(s.principal, verb);
    if (!d.allowed) {
      auditContextOf(req).failure = d.reason;
      web.send(reply, 403, errorPage(403, s.viewer, 'You cannot see this', 'Only administrators manage accounts and API clients.', navFor(s.principal, current)));
      return undefined;
    }
    return s;
  };

  const audit = (req: FastifyRequest, interaction: 'search' | 'read' | 'create' | 'update', type: 'UserAccount' | 'ApiClient', id?: string) => {
    const a = auditContextOf(req);
    a.interaction = interaction;
    a.resourceType = type;
    // Only an id that can be one (a forged one, with a NUL say, is the route's 404, not the audit record's problem).
    if (id && /^[A-Za-z0-9\-.]{1,64}$/.test(id)) a.resources = [{ type, id }];
    return a;
  };

  const problemsOf = (err: AdminInputError): FieldErrors => err.problems.map((p) => ({ field: p.field, text: p.text }));
  /** A local administrator's one organisation, shown instead of asked for. */
  const fixedOrg = async (p: Principal) => {
    const scope = admin.scopeOf(p);
    return scope !== 'all' && scope.length === 1 ? web.orgName(scope[0]) : undefined;
  };
  const orgNames = async (ids: string[]) => new Map(await Promise.all([...new Set(ids)].map(async (id) => [id, await web.orgName(id)] as [string, string])));
  const userId = (req: FastifyRequest) => (req.params as { id: string }).id;

  app.get('/admin', async (req, reply) => {
    const s = await guard(req, reply, 'admin.users.manage', 'users');
    if (!s) return reply;
    audit(req, 'search', 'UserAccount');
    return web.redirect(reply, '/admin/users');
  });

  // ---- Users ----

  app.get('/admin/users', async (req, reply) => {
    const s = await guard(req, reply, 'admin.users.manage', 'users');
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const a = audit(req, 'search', 'UserAccount');
    const search = one(q.q);
    const after = one(q.after);
    let errors: FieldErrors = [];
    let list;
    try {
      list = await admin.listUsers(s.principal, { search, after });
    } catch (err) {
      if (!(err instanceof AdminInputError)) throw err;
      errors = problemsOf(err);
      a.failure = errors[0].text;
      list = await admin.listUsers(s.principal, {});
    }
    const names = await orgNames(list.users.flatMap((u) => u.memberships.map((m) => m.organizationId)));
    const body = usersListBody({ users: list.users, orgNames: names, search: errors.length ? search?.slice(0, 200) : search, after, next: list.next, done: one(q.done), revealed: reveal(s, one(q.shown)), errors, canLinkPeople: can(s.principal, 'admin.people.link').allowed });
    return web.send(reply, errors.length ? 400 : 200, page({ title: 'Users', viewer: s.viewer, nav: navFor(s.principal, 'users'), error: errors.length > 0, body }));
  });

  const newUserPage = async (reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>) =>
    web.send(reply, status, page({
      title: 'Create an account', viewer: s.viewer, nav: navFor(s.principal, 'users'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/admin/users">Back to users</a></nav>`,
      body: newUserBody({ csrfToken: s.viewer.csrfToken, roles: admin.assignableRoles(s.principal), fixedOrg: await fixedOrg(s.principal), errors, values }),
    }));

  app.get('/admin/users/new', async (req, reply) => {
    const s = await guard(req, reply, 'admin.users.manage', 'users');
    if (!s) return reply;
    audit(req, 'read', 'UserAccount');
    return newUserPage(reply, s, 200, [], {});
  });

  app.post('/admin/users', async (req, reply) => {
    const s = await guard(req, reply, 'admin.users.manage', 'users');
    if (!s) return reply;
    const f = fieldsOf(req);
    const a = audit(req, 'create', 'UserAccount');
    const values = { username: f.username, displayName: f.displayName, organization: f.organization, role: f.role };
    try {
      const r = await admin.createUser(s.principal, values);
      a.resources = [{ type: 'UserAccount', id: r.id }];
      return web.redirect(reply, `/admin/users/${r.id}?done=created&shown=${stash(s, { label: 'Temporary password', value: r.temporaryPassword })}`);
    } catch (err) {
      if (!(err instanceof AdminInputError)) throw err;
      a.failure = err.problems[0].text;
      return newUserPage(reply, s, 400, problemsOf(err), keep(values));
    }
  });

  const userPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>) => {
    const q = req.query as Record<string, unknown>;
    const m = await admin.account(s.principal, userId(req));
    return web.send(reply, status, page({
      title: m.account.displayName, viewer: s.viewer, nav: navFor(s.principal, 'users'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/admin/users">Back to users</a></nav>`,
      body: userBody({
        ...m, orgNames: await orgNames(m.account.memberships.map((x) => x.organizationId)), roles: admin.assignableRoles(s.principal), fixedOrg: await fixedOrg(s.principal),
        isSelf: m.account.id === s.principal.id, csrfToken: s.viewer.csrfToken, done: status === 200 ? one(q.done) : undefined,
        revealed: status === 200 ? reveal(s, one(q.shown)) : undefined, errors, values,
      }),
    }));
  };

  app.get('/admin/users/:id', async (req, reply) => {
    const s = await guard(req, reply, 'admin.users.manage', 'users');
    if (!s) return reply;
    audit(req, 'read', 'UserAccount', userId(req));
    return userPage(req, reply, s, 200, [], {});
  });

  /** One account command: run it, then 303 to the account's page with a banner (and a secret to show once). */
  const command = (path: string, done: string, run: (p: Principal, id: string, f: Record<string, string>) => Promise<Revealed | void>) => {
    app.post(`/admin/users/:id/${path}`, async (req, reply) => {
      const s = await guard(req, reply, 'admin.users.manage', 'users');
      if (!s) return reply;
      const id = userId(req);
      const f = fieldsOf(req);
      const a = audit(req, 'update', 'UserAccount', id);
      try {
        const shown = await run(s.principal, id, f);
        return web.redirect(reply, `/admin/users/${id}?done=${done}${shown ? `&shown=${stash(s, shown)}` : ''}`);
      } catch (err) {
        if (!(err instanceof AdminInputError)) throw err;
        a.failure = err.problems[0].text;
        return userPage(req, reply, s, 400, problemsOf(err), keep({ organization: f.organization, role: f.role }));
      }
    });
  };
  command('disable', 'disabled', (p, id) => admin.setDisabled(p, id, true));
  command('enable', 'enabled', (p, id) => admin.setDisabled(p, id, false));
  command('reset-password', 'reset', async (p, id) => ({ label: 'Temporary password', value: await admin.resetPassword(p, id) }));
  command('memberships', 'given', (p, id, f) => admin.giveMembership(p, id, { organization: f.organization, role: f.role }));
  command('memberships/end', 'ended', (p, id, f) => admin.endMembership(p, id, f.organization));

  // ---- Residents' and carers' accounts ----

  const newPersonPage = (reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>) =>
    web.send(reply, status, page({
      title: 'Create an account for a resident or a carer', viewer: s.viewer, nav: navFor(s.principal, 'users'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/admin/users">Back to users</a></nav>`,
      body: newPersonBody({ csrfToken: s.viewer.csrfToken, errors, values }),
    }));

  app.get('/admin/people/new', async (req, reply) => {
    const s = await guard(req, reply, 'admin.people.link', 'users');
    if (!s) return reply;
    audit(req, 'read', 'UserAccount');
    return newPersonPage(reply, s, 200, [], {});
  });

  app.post('/admin/people', async (req, reply) => {
    const s = await guard(req, reply, 'admin.people.link', 'users');
    if (!s) return reply;
    const f = fieldsOf(req);
    const a = audit(req, 'create', 'UserAccount');
    const values = { kind: f.kind, username: f.username, displayName: f.displayName, record: f.record };
    try {
      const r = await admin.linkPerson(s.principal, values);
      a.resources = [{ type: 'UserAccount', id: r.id }];
      // The person's access log shows that an account was made for their record.
      a.patientIds = [r.patientId];
      return web.redirect(reply, `/admin/users?done=linked&shown=${stash(s, { label: 'Temporary password', value: r.temporaryPassword })}`);
    } catch (err) {
      if (!(err instanceof AdminInputError)) throw err;
      a.failure = err.problems[0].text;
      return newPersonPage(reply, s, 400, problemsOf(err), keep(values));
    }
  });

  // ---- API clients ----

  app.get('/admin/clients', async (req, reply) => {
    const s = await guard(req, reply, 'admin.clients.manage', 'clients');
    if (!s) return reply;
    audit(req, 'search', 'ApiClient');
    const q = req.query as Record<string, unknown>;
    const list = await admin.listClients(s.principal);
    const names = await orgNames(list.map((c) => c.organizationId));
    const clients = list.map((c) => ({
      clientId: c.clientId, name: c.name, organisation: names.get(c.organizationId) ?? c.organizationId, scopes: c.scopes, kind: c.kind,
      disabled: c.disabled, confidential: !!c.secretHash, createdAt: c.createdAt,
    }));
    return web.send(reply, 200, page({
      title: 'API clients', viewer: s.viewer, nav: navFor(s.principal, 'clients'),
      body: clientsBody({ clients, csrfToken: s.viewer.csrfToken, done: one(q.done), revealed: reveal(s, one(q.shown)), errors: [] }),
    }));
  });

  const newClientPage = async (reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>) =>
    web.send(reply, status, page({
      title: 'Register an API client', viewer: s.viewer, nav: navFor(s.principal, 'clients'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/admin/clients">Back to API clients</a></nav>`,
      body: newClientBody({ csrfToken: s.viewer.csrfToken, fixedOrg: await fixedOrg(s.principal), errors, values }),
    }));

  app.get('/admin/clients/new', async (req, reply) => {
    const s = await guard(req, reply, 'admin.clients.manage', 'clients');
    if (!s) return reply;
    audit(req, 'read', 'ApiClient');
    return newClientPage(reply, s, 200, [], {});
  });

  app.post('/admin/clients', async (req, reply) => {
    const s = await guard(req, reply, 'admin.clients.manage', 'clients');
    if (!s) return reply;
    const f = fieldsOf(req);
    const a = audit(req, 'create', 'ApiClient');
    const values = { organization: f.organization, scope: f.scope, name: f.name };
    try {
      const r = await admin.registerClient(s.principal, values);
      a.resources = [{ type: 'ApiClient', id: r.clientId }];
      return web.redirect(reply, `/admin/clients?done=registered&shown=${stash(s, { label: `Client id ${r.clientId}, secret`, value: r.clientSecret })}`);
    } catch (err) {
      if (!(err instanceof AdminInputError)) throw err;
      a.failure = err.problems[0].text;
      return newClientPage(reply, s, 400, problemsOf(err), keep(values));
    }
  });

  const clientId = (req: FastifyRequest) => (req.params as { id: string }).id;
  app.post('/admin/clients/:id/rotate', async (req, reply) => {
    const s = await guard(req, reply, 'admin.clients.manage', 'clients');
    if (!s) return reply;
    audit(req, 'update', 'ApiClient', clientId(req));
    const secret = await admin.rotateSecret(s.principal, clientId(req));
    return web.redirect(reply, `/admin/clients?done=rotated&shown=${stash(s, { label: `New secret of ${clientId(req)}`, value: secret })}`);
  });

  app.post('/admin/clients/:id/revoke', async (req, reply) => {
    const s = await guard(req, reply, 'admin.clients.manage', 'clients');
    if (!s) return reply;
    audit(req, 'update', 'ApiClient', clientId(req));
    await admin.revokeClient(s.principal, clientId(req));
    return web.redirect(reply, '/admin/clients?done=revoked');
  });

  // ---- Choose a new password (after an administrator's reset) ----

  const choosePage = (reply: FastifyReply, s: Signed, status: number, errors: FieldErrors) =>
    web.send(reply, status, page({ title: 'Choose a new password', viewer: s.viewer, error: errors.length > 0, body: choosePasswordBody({ csrfToken: s.viewer.csrfToken, errors, minLength: MIN_OWN_PASSWORD }) }));

  app.get('/choose-password', async (req, reply) => {
    const s = await web.need(req, reply, 'account', '');
    if (!s) return reply;
    if (!s.live.user.mustChangePassword) return web.redirect(reply, homeOf(s.principal));
    audit(req, 'read', 'UserAccount', s.principal.id);
    return choosePage(reply, s, 200, []);
  });

  app.post('/choose-password', async (req, reply) => {
    const s = await web.need(req, reply, 'account', '');
    if (!s) return reply;
    const a = audit(req, 'update', 'UserAccount', s.principal.id);
    if (!s.live.user.mustChangePassword) return web.redirect(reply, homeOf(s.principal));
    const f = fieldsOf(req);
    const problem = await web.platform.identity.sessions.choosePassword(s.live.user, f.password ?? '', f.confirm ?? '');
    if (problem) {
      a.failure = problem.text;
      return choosePage(reply, s, 400, [problem]);
    }
    return web.redirect(reply, homeOf(s.principal));
  });
}

/** The answers to show again with the errors: text without NULs (PostgreSQL-safe, and never a broken page), at most 2,000 characters each. */
function keep(values: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === undefined ? undefined : v.replaceAll('\u0000', '').slice(0, 2000)]));
}
