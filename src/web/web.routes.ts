import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessLogService } from '../access/audit/access-log.service.js';
import { auditContextOf } from '../access/audit/audit-entry.js';
import { authenticate, csrfTokenOf, sessionOf, unauthorized } from '../access/identity/authenticate.js';
import { fieldsOf } from '../access/identity/auth.routes.js';
import { clearSessionCookie, isHttps, setSessionCookie } from '../access/identity/cookies.js';
import { identityFor } from '../access/identity/identity.js';
import { SIGN_IN_FAILED, type LiveSession } from '../access/identity/session.service.js';
import { BreakGlassService } from '../access/policy/index.js';
import { ROLE_NAMES, type Principal } from '../access/principal.js';
import { PersonSearchService, type PersonSearchResult } from '../record-view/person-search.service.js';
import { RecordSummaryService, type TimelineQuery } from '../record-view/record-summary.service.js';
import { FhirError, forbidden, notFound } from '../fhir/outcome.js';
import type { Platform } from '../platform.js';
import { html } from './html.js';
import { errorPage, page, PAGE_HEADERS, type NavItem, type Viewer } from './layout.js';
import { accessLogBody, breakGlassBody, breakGlassReviewBody, searchBody, signInBody, type FieldErrors, type SearchForm } from './pages.js';
import { breakGlassBanner, careTeamTable, recordBody } from './record.page.js';
import { staticRoutes } from './static.routes.js';

interface Signed {
  live: LiveSession;
  principal: Principal;
  viewer: Viewer;
}

const isPrivacyOfficer = (p: Principal) => p.kind === 'staff' && p.role === 'privacy-officer';
const homeOf = (p: Principal) => (isPrivacyOfficer(p) ? '/break-glass-review' : p.kind === 'staff' ? '/people' : '/my-record');
const staffNav = (current: string): NavItem[] => [{ href: '/people', text: 'Find a person', current: current === 'people' }];
const officerNav = (current: string): NavItem[] => [
  ...staffNav(current),
  { href: '/break-glass-review', text: 'Emergency access review', current: current === 'review' },
];
const portalNav = (p: Principal, current: string): NavItem[] => [
  { href: '/my-record', text: p.kind === 'proxy' ? 'Their record' : 'My record', current: current === 'record' },
  { href: '/my-care-team', text: p.kind === 'proxy' ? 'Their care team' : 'My care team', current: current === 'team' },
  ...(p.kind === 'resident' ? [{ href: '/my-access-log', text: 'Who has looked at my record', current: current === 'log' }] : []),
];
const navFor = (p: Principal, current: string) => (isPrivacyOfficer(p) ? officerNav(current) : p.kind === 'staff' ? staffNav(current) : portalNav(p, current));

/** The first issue of a 400 as a field error for the form (its expression names the field). */
function fieldErrorOf(err: unknown, fallbackField: string): FieldErrors | undefined {
  if (!(err instanceof FhirError) || err.status !== 400) return undefined;
  const i = err.outcome.issue?.[0];
  return [{ field: i?.expression?.[0] ?? fallbackField, text: i?.diagnostics ?? 'Check what you entered' }];
}

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The web app: the staff workspace (/people …) and the resident and carer portal (/my-…), server-
 * rendered with the NHS.UK design system; static files under /assets; the record summary as JSON
 * under /api. Handlers are thin: the record comes from src/record-view, always through the signed-in
 * principal's row restriction, and each page that reads a person's record names them to the audit.
 */
export async function webRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { platform } = opts;
  await app.register(staticRoutes);
  await app.register(apiRoutes, opts);
  await app.register(async (pages) => pageRoutes(pages, platform));
}

function services(platform: Platform) {
  return {
    identity: identityFor(platform),
    summaries: new RecordSummaryService(platform.db),
    people: new PersonSearchService(platform.db, platform.resources.search),
    breakGlass: new BreakGlassService(platform.db),
    accessLog: new AccessLogService(platform.db),
  };
}

async function pageRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  const { identity, summaries, people, breakGlass, accessLog } = services(platform);
  const now = () => identity.clock.now();
  const orgNames = new Map<string, string>();
  const orgName = async (id: string) => {
    let name = orgNames.get(id);
    if (!name) {
      name = await identity.lookup.organizationName(id);
      orgNames.set(id, name);
    }
    return name;
  };

  const signedIn = async (req: FastifyRequest): Promise<Signed | undefined> => {
    const live = await sessionOf(req, platform);
    if (!live) return undefined;
    const principal = live.principal;
    req.principal ??= principal;
    auditContextOf(req).principal ??= principal;
    let detail: string;
    if (principal.kind === 'staff') {
      detail = `${ROLE_NAMES[principal.role]}, ${await orgName(principal.organizationId)}`;
    } else detail = principal.kind === 'resident' ? 'Resident' : 'Carer';
    return { live, principal, viewer: { name: live.user.displayName, detail, csrfToken: live.session.csrfToken, kind: principal.kind === 'client' ? 'staff' : principal.kind } };
  };

  const send = (reply: FastifyReply, status: number, body: string) => reply.code(status).headers(PAGE_HEADERS).send(body);
  const toSignIn = (reply: FastifyReply) => reply.code(303).header('location', '/sign-in').header('cache-control', 'no-store').send();

  /** The signed-in user, or a redirect to sign in (undefined: the reply is sent). */
  const need = async (req: FastifyRequest, reply: FastifyReply, kind: 'staff' | 'portal', current: string): Promise<Signed | undefined> => {
    const s = await signedIn(req);
    if (!s) {
      toSignIn(reply);
      return undefined;
    }
    if (req.method === 'POST' && !identity.sessions.checkCsrf(s.live.session, csrfTokenOf(req))) {
      send(reply, 403, errorPage(403, s.viewer, 'The form has expired', 'Go back, reload the page and try again.', navFor(s.principal, current)));
      return undefined;
    }
    const isStaff = s.principal.kind === 'staff';
    if ((kind === 'staff') !== isStaff) {
      reply.code(303).header('location', homeOf(s.principal)).send();
      return undefined;
    }
    return s;
  };

  app.setErrorHandler(async (err, req, reply) => {
    const s = await signedIn(req).catch(() => undefined);
    const nav = s ? navFor(s.principal, '') : undefined;
    if (err instanceof FhirError) {
      const text = err.outcome.issue?.[0]?.diagnostics ?? 'The request could not be completed.';
      const title = err.status === 404 ? 'Page not found' : err.status === 403 ? 'You cannot see this' : 'There is a problem';
      return send(reply, err.status, errorPage(err.status, s?.viewer, title, text, nav));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return send(reply, status, errorPage(status, s?.viewer, 'There is a problem', 'The request could not be understood.', nav));
    req.log.error({ err }, 'web page failed');
    return send(reply, 500, errorPage(500, s?.viewer, 'Sorry, there is a problem with the service', 'The page could not be shown.', nav));
  });

  app.get('/', async (req, reply) => {
    const s = await signedIn(req);
    return reply.code(303).header('location', s ? homeOf(s.principal) : '/sign-in').header('cache-control', 'no-store').send();
  });

  app.get('/sign-in', async (req, reply) => {
    const s = await signedIn(req);
    if (s) return reply.code(303).header('location', homeOf(s.principal)).send();
    return send(reply, 200, page({ title: 'Sign in', body: signInBody({}) }));
  });

  app.post('/sign-in', async (req, reply) => {
    const f = fieldsOf(req);
    const username = (f.username ?? '').trim();
    const password = f.password ?? '';
    const audit = auditContextOf(req);
    const again = (status: number, error: string, organizations?: { id: string; name: string }[]) =>
      send(reply, status, page({ title: 'Sign in', error: true, body: signInBody({ error, username, organizations }) }));
    if (!username || !password) {
      audit.interaction = 'sign-in-failure';
      audit.failure = 'user name or password missing';
      return again(400, 'Enter your user name and password');
    }
    if (username.length > 200 || password.length > 1024) return again(400, 'The user name or password is too long');
    const result = await identity.sessions.signIn({ username, password, organizationId: f.organization || undefined, clientKey: req.ip });
    if (result.ok) {
      audit.interaction = 'sign-in-success';
      audit.principal = result.principal;
      setSessionCookie(reply, result.token, identity.settings.sessionAbsoluteMs / 1000, isHttps(req, platform.config.baseUrl));
      return reply.code(303).header('location', homeOf(result.principal)).header('cache-control', 'no-store').send();
    }
    audit.interaction = 'sign-in-failure';
    audit.claimedUser = username;
    if (result.reason === 'rate-limited') {
      audit.failure = 'too many sign-in attempts from this address';
      reply.header('retry-after', String(result.retryAfterSeconds));
      return again(429, 'Too many sign-in attempts. Wait a few minutes and try again.');
    }
    if (result.reason === 'choose-organisation') {
      audit.failure = 'organisation not chosen';
      const organizations = await Promise.all(result.organizationIds.map(async (id) => ({ id, name: await identity.lookup.organizationName(id) })));
      return again(400, 'Choose the organisation you are acting for, and enter your password again', organizations);
    }
    if (result.reason === 'no-membership') {
      audit.failure = 'no organisation membership';
      return again(403, 'This account is not set up for any organisation');
    }
    audit.failure = 'wrong user name or password, or locked';
    return again(401, SIGN_IN_FAILED);
  });

  app.post('/sign-out', async (req, reply) => {
    const live = await sessionOf(req, platform);
    if (live) {
      if (!identity.sessions.checkCsrf(live.session, csrfTokenOf(req))) return toSignIn(reply);
      await identity.sessions.signOut(live.session.id);
      const audit = auditContextOf(req);
      audit.interaction = 'sign-out';
      audit.principal = live.principal;
    }
    clearSessionCookie(reply, isHttps(req, platform.config.baseUrl));
    return toSignIn(reply);
  });

  // ---- Staff workspace ----

  app.get('/people', async (req, reply) => {
    const s = await need(req, reply, 'staff', 'people');
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const by = one(q.by);
    const form: SearchForm = {
      mode: by === 'name' ? 'name' : 'nhs', nhsNumber: one(q['nhs-number']), name: one(q.name),
      day: one(q.day), month: one(q.month), year: one(q.year), postcode: one(q.postcode),
    };
    let result: PersonSearchResult | undefined;
    let errors: FieldErrors = [];
    if (by === 'nhs' || by === 'name') {
      const audit = auditContextOf(req);
      audit.interaction = 'search';
      audit.resourceType = 'Patient';
      try {
        if (by === 'nhs') result = await people.byNhsNumber(s.principal, form.nhsNumber ?? '', now());
        else {
          const [d, m, y] = [form.day, form.month, form.year].map((x) => (x ?? '').trim());
          const birthDate = /^\d{1,2}$/.test(d) && /^\d{1,2}$/.test(m) && /^\d{4}$/.test(y) ? `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}` : d || m || y ? 'invalid' : '';
          if (!birthDate) throw new FhirError(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'required', diagnostics: 'Enter the person’s date of birth', expression: ['birth-date'] }] });
          result = await people.byName(s.principal, { name: form.name, birthDate, postcode: form.postcode }, now());
        }
        audit.patientIds = result.matches.map((m) => m.id);
      } catch (err) {
        const fe = fieldErrorOf(err, by === 'nhs' ? 'nhs-number' : 'name');
        if (!fe) throw err;
        errors = fe.map((e) => ({ ...e, field: e.field === 'birth-date' ? 'birth-date-day' : e.field }));
        audit.failure = errors[0].text;
      }
    }
    const body = searchBody(form, errors.map((e) => ({ ...e, field: e.field })), result);
    return send(reply, errors.length ? 400 : 200, page({ title: 'Find a person', viewer: s.viewer, nav: navFor(s.principal, 'people'), error: errors.length > 0, body }));
  });

  app.get('/people/:id', async (req, reply) => {
    const s = await need(req, reply, 'staff', 'people');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.resources = [{ type: 'Patient', id }];
    audit.patientIds = [id];
    const result = await summaries.summary(s.principal, id, now(), req.query as TimelineQuery);
    if (result.status === 'not-found') throw notFound('There is no record at this address. Search for the person again.');
    if (result.status === 'no-relationship') {
      audit.failure = 'no care relationship';
      const body = html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds"><h1>You have no care relationship with this person</h1>
        <p>Your organisation is not recorded as caring for this person, so their record is not shown.</p>
        ${result.canBreakGlass ? html`<p>If you are caring for them now and cannot wait, you can request emergency access. It is audited, reviewed, and shown to the person.</p>
          <a class="nhsuk-button nhsuk-button--warning" data-module="nhsuk-button" href="/people/${id}/break-glass">Request emergency access</a>`
          : html`<p>Your role cannot use emergency access. Ask a clinical colleague, or the person’s GP practice.</p>`}
        <p><a href="/people">Back to search</a></p></div></div>`;
      return send(reply, 403, page({ title: 'No care relationship', viewer: s.viewer, nav: navFor(s.principal, 'people'), body }));
    }
    const sum = result.summary;
    if (sum.access.breakGlass) audit.reason = { code: sum.access.breakGlass.reason, text: sum.access.breakGlass.text };
    return send(reply, 200, page({
      title: `${sum.patient.name}: record`, viewer: s.viewer, nav: navFor(s.principal, 'people'),
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/people">Find another person</a></nav>`,
      body: html`${breakGlassBanner(sum)}${recordBody(sum, sum.timeline, `/people/${id}`, 'staff')}`,
    }));
  });

  app.get('/people/:id/break-glass', async (req, reply) => {
    const s = await need(req, reply, 'staff', 'people');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    return send(reply, 200, page({ title: 'Request emergency access', viewer: s.viewer, nav: navFor(s.principal, 'people'), body: breakGlassBody(id, s.viewer.csrfToken, [], {}) }));
  });

  app.post('/people/:id/break-glass', async (req, reply) => {
    const s = await need(req, reply, 'staff', 'people');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    const f = fieldsOf(req);
    const audit = auditContextOf(req);
    audit.interaction = 'break-glass';
    audit.resourceType = 'Patient';
    audit.patientIds = [id];
    audit.reason = { code: f.reason, text: f.text };
    const errors: FieldErrors = [];
    if (!f.reason) errors.push({ field: 'reason', text: 'Choose why you need access now' });
    if ((f.text ?? '').trim().length < 10) errors.push({ field: 'text', text: 'Write a statement of at least 10 characters' });
    if (errors.length === 0) {
      try {
        await breakGlass.breakGlass(s.principal, id, f.reason, f.text, now());
        return reply.code(303).header('location', `/people/${id}`).send();
      } catch (err) {
        const fe = fieldErrorOf(err, 'text');
        if (!fe) throw err;
        errors.push(...fe);
      }
    }
    audit.failure = errors.map((e) => e.text).join('; ');
    return send(reply, 400, page({ title: 'Request emergency access', error: true, viewer: s.viewer, nav: navFor(s.principal, 'people'), body: breakGlassBody(id, s.viewer.csrfToken, errors, f) }));
  });

  // ---- Privacy officers: emergency access to review ----

  const reviewPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, reviewedId?: string) => {
    const grants = await breakGlass.listBreakGlassForReview(s.principal);
    const rows = [];
    for (const grant of grants) rows.push({ grant, organisation: await orgName(grant.organizationId) });
    // The review names whose records were opened: each person's access log shows that it was reviewed.
    const audit = auditContextOf(req);
    audit.resourceType = 'AuditEvent';
    if (grants.length > 0) audit.patientIds = [...new Set(grants.map((g) => g.patientId))];
    return send(reply, status, page({ title: 'Emergency access to review', error: errors.length > 0, viewer: s.viewer, nav: officerNav('review'), body: breakGlassReviewBody(rows, s.viewer.csrfToken, errors, reviewedId) }));
  };

  app.get('/break-glass-review', async (req, reply) => {
    const s = await need(req, reply, 'staff', 'review');
    if (!s) return reply;
    auditContextOf(req).interaction = 'search';
    return reviewPage(req, reply, s, 200, []);
  });

  app.post('/break-glass-review/:id', async (req, reply) => {
    const s = await need(req, reply, 'staff', 'review');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    const note = (fieldsOf(req).note ?? '').trim();
    auditContextOf(req).interaction = 'update';
    if (note.length < 3 || note.length > 2000) {
      auditContextOf(req).failure = 'A review note is needed';
      return reviewPage(req, reply, s, 400, [{ field: 'note', text: 'Write what you checked and concluded (3 to 2,000 characters)' }], id);
    }
    await breakGlass.review(s.principal, id, note, now());
    return reply.code(303).header('location', '/break-glass-review').send();
  });

  // ---- Resident and carer portal ----

  /** Whose record the portal shows: the resident's own, or the person a carer acts for (?person=). */
  const personOf = (p: Principal, q: Record<string, unknown>): string | undefined => {
    if (p.kind === 'resident') return p.patientId;
    if (p.kind !== 'proxy') return undefined;
    const asked = one(q.person);
    if (asked) return p.patientIds.includes(asked) ? asked : undefined;
    return p.patientIds[0];
  };

  const portalRecord = async (req: FastifyRequest, reply: FastifyReply, current: 'record' | 'team') => {
    const s = await need(req, reply, 'portal', current);
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const id = personOf(s.principal, q);
    const nav = portalNav(s.principal, current);
    if (!id) throw notFound('There is no record for you here.');
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.resources = [{ type: 'Patient', id }];
    audit.patientIds = [id];
    const { person: _p, ...timelineQuery } = q;
    const result = await summaries.summary(s.principal, id, now(), current === 'record' ? (timelineQuery as TimelineQuery) : {});
    const carer = s.principal.kind === 'proxy';
    if (result.status !== 'ok') {
      const body = html`<h1>${carer ? 'Nothing has been shared with you yet' : 'Your record is not available'}</h1>
        <p>${carer ? 'The person you care for has not given you access to their record, or the access has ended. Ask them, or their GP practice, to set it up.' : 'Contact your GP practice.'}</p>`;
      return send(reply, 200, page({ title: 'Record', viewer: s.viewer, nav, body }));
    }
    const sum = result.summary;
    const switcher = carer && s.principal.kind === 'proxy' && s.principal.patientIds.length > 1
      ? html`<p>You care for more than one person: ${s.principal.patientIds.map((pid) => html`<a href="${`/my-record?person=${encodeURIComponent(pid)}`}">${pid === id ? `${sum.patient.name} (shown)` : 'another person'}</a> `)}</p>` : '';
    if (current === 'team') {
      const whose = carer ? `${sum.patient.name}'s` : 'your';
      const body = html`<h1>${carer ? `${sum.patient.name}'s care team` : 'My care team'}</h1>
        <p>The people and organisations caring for ${carer ? sum.patient.name : 'you'}, and how to contact them.</p>
        ${careTeamTable(sum, `${whose} care team`)}
        <div class="nhsuk-care-card nhsuk-care-card--urgent"><div class="nhsuk-care-card__heading-container"><h2 class="nhsuk-care-card__heading"><span role="text"><span class="nhsuk-u-visually-hidden">Urgent advice: </span>If it is urgent</span></h2><span class="nhsuk-care-card__arrow" aria-hidden="true"></span></div>
        <div class="nhsuk-care-card__content"><p>Call 111 if you need help now, or 999 in an emergency.</p></div></div>`;
      return send(reply, 200, page({ title: 'Care team', viewer: s.viewer, nav, body }));
    }
    const base = carer ? `/my-record` : '/my-record';
    return send(reply, 200, page({
      title: carer ? `${sum.patient.name}'s record` : 'My record', viewer: s.viewer, nav,
      body: html`${switcher}${recordBody(sum, sum.timeline, base, carer ? 'carer' : 'self')}`,
    }));
  };

  app.get('/my-record', (req, reply) => portalRecord(req, reply, 'record'));
  app.get('/my-care-team', (req, reply) => portalRecord(req, reply, 'team'));

  app.get('/my-access-log', async (req, reply) => {
    const s = await need(req, reply, 'portal', 'log');
    if (!s) return reply;
    if (s.principal.kind !== 'resident') throw forbidden('Only the person themselves can see who has looked at their record.');
    const id = s.principal.patientId;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'AuditEvent';
    audit.patientIds = [id];
    const cursor = one((req.query as Record<string, unknown>).cursor);
    const log = await accessLog.accessLogFor(id, { cursor, count: 20 });
    return send(reply, 200, page({ title: 'Who has looked at my record', viewer: s.viewer, nav: portalNav(s.principal, 'log'), body: accessLogBody(log.entries, log.next, 'your') }));
  });
}

/** The record summary as JSON, for the bench and for other clients: session cookie or Bearer token. */
async function apiRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { platform } = opts;
  const { identity, summaries } = services(platform);
  const principalOf = async (req: FastifyRequest) => {
    const p = req.principal ?? (await authenticate(req, platform));
    if (!p) throw unauthorized('Sign in, or send a Bearer token');
    req.principal ??= p;
    auditContextOf(req).principal ??= p;
    return p;
  };
  const name = (req: FastifyRequest, id: string) => {
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.resources = [{ type: 'Patient', id }];
    audit.patientIds = [id];
    return audit;
  };

  app.get('/api/people/:id/summary', async (req, reply) => {
    const p = await principalOf(req);
    const { id } = req.params as { id: string };
    const audit = name(req, id);
    const result = await summaries.summary(p, id, identity.clock.now(), req.query as TimelineQuery);
    if (result.status !== 'ok') throw notFound(`Patient/${id} is not known`);
    if (result.summary.access.breakGlass) audit.reason = { code: result.summary.access.breakGlass.reason, text: result.summary.access.breakGlass.text };
    return reply.header('cache-control', 'no-store').send(result.summary);
  });

  app.get('/api/people/:id/timeline', async (req, reply) => {
    const p = await principalOf(req);
    const { id } = req.params as { id: string };
    name(req, id);
    const page = await summaries.timeline(p, id, identity.clock.now(), req.query as TimelineQuery);
    if (!page) throw notFound(`Patient/${id} is not known`);
    return reply.header('cache-control', 'no-store').send(page);
  });
}
