import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../access/audit/audit-entry.js';
import { csrfTokenOf, sessionOf } from '../access/identity/authenticate.js';
import type { LiveSession } from '../access/identity/session.service.js';
import { can } from '../access/policy/index.js';
import { ROLE_NAMES, type Principal } from '../access/principal.js';
import { FhirError } from '../fhir/outcome.js';
import type { Platform } from '../platform.js';
import type { FieldErrors } from './components/index.js';
import { errorPage, PAGE_HEADERS, type NavItem, type Viewer } from './layout.js';

/** A signed-in user of the web app, as every page handler sees them. */
export interface Signed {
  live: LiveSession;
  principal: Principal;
  viewer: Viewer;
}

/** `account`: any signed-in user, whatever their area, including one who must first choose a new password. */
export type Area = 'workspace' | 'portal' | 'account';

const allowed = (p: Principal, verb: Parameters<typeof can>[1], subject?: unknown) => can(p, verb, subject as never).allowed;

/** Whether the user may look people up at all: an analyst (figures) or a privacy officer (reviews) may not. */
export function seesPeople(p: Principal): boolean {
  return can(p, 'search', 'Patient').allowed;
}

/** Whether the user has a work list: a role that may not read Tasks has none. */
const takesWork = (p: Principal) => can(p, 'search', 'Task').allowed;

/** Where a user lands after sign-in, and when they open the site's root: the first page that is theirs. */
export function homeOf(p: Principal): string {
  if (allowed(p, 'admin.users.manage')) return '/admin';
  if (allowed(p, 'breakglass.review')) return '/break-glass-review';
  if (!allowed(p, 'workspace.use')) return '/my-record';
  if (takesWork(p)) return '/work';
  return allowed(p, 'aggregate.read') ? '/outcomes' : '/services';
}

/** The header's menu for a user; `current` names the item of the page shown. */
export function navFor(p: Principal, current: string): NavItem[] {
  // Administrators' work is accounts and API clients; the record is not theirs to browse.
  if (allowed(p, 'admin.users.manage') || allowed(p, 'admin.clients.manage')) {
    return [
      ...(allowed(p, 'admin.users.manage') ? [{ href: '/admin/users', text: 'Users', current: current === 'users' }] : []),
      ...(allowed(p, 'admin.clients.manage') ? [{ href: '/admin/clients', text: 'API clients', current: current === 'clients' }] : []),
    ];
  }
  if (allowed(p, 'workspace.use')) {
    return [
      // No dead ends: a role with no work list, or that sees no one's record, is not offered them.
      ...(takesWork(p) ? [{ href: '/work', text: 'My work', current: current === 'work' }] : []),
      ...(seesPeople(p) ? [{ href: '/caseload', text: 'My people', current: current === 'caseload' }, { href: '/people', text: 'Find a person', current: current === 'people' }] : []),
      { href: '/services', text: 'Find a service', current: current === 'services' },
      ...(can(p, 'search', 'ServiceRequest').allowed ? [{ href: '/referrals', text: 'Referrals', current: current === 'referrals' }] : []),
      ...(allowed(p, 'discharge.board') ? [{ href: '/discharge', text: 'Discharges', current: current === 'discharge' }] : []),
      ...(allowed(p, 'discharge.hub') ? [{ href: '/discharge/hub', text: 'Transfer of care', current: current === 'hub' }] : []),
      ...(allowed(p, 'pathways.board') ? [{ href: '/pathways', text: 'Pathways', current: current === 'pathways' }] : []),
      ...(allowed(p, 'cohort.build') ? [
        { href: '/case-finding', text: 'Case finding', current: current === 'case-finding' },
        { href: '/cohorts', text: 'Cohorts', current: current === 'cohorts' },
      ] : []),
      // Clinical staff plan care with people and meet as a team around them.
      ...(allowed(p, 'mdt.manage') ? [{ href: '/care-plans', text: 'Care plans', current: current === 'plans' }, { href: '/mdt', text: 'MDT meetings', current: current === 'mdt' }] : []),
      // Parts of joint assessments given to the user's organisation.
      ...(allowed(p, 'mdt.manage') ? [{ href: '/assessments', text: 'Assessments', current: current === 'assessments' }] : []),
      ...(allowed(p, 'aggregate.read') || allowed(p, 'outcomes.people') ? [{ href: '/outcomes', text: 'Outcomes', current: current === 'outcomes' }] : []),
      ...(allowed(p, 'breakglass.review') ? [{ href: '/break-glass-review', text: 'Emergency access review', current: current === 'review' }] : []),
      ...(p.kind === 'staff' && p.practitionerId && allowed(p, 'feedback.answer') ? [{ href: '/feedback', text: 'Your view', current: current === 'feedback' }] : []),
    ];
  }
  const carer = p.kind === 'proxy';
  return [
    { href: '/my-record', text: carer ? 'Their record' : 'My record', current: current === 'record' },
    { href: '/my-care-team', text: carer ? 'Their care team' : 'My care team', current: current === 'team' },
    { href: '/my-referrals', text: carer ? 'Their referrals' : 'My referrals', current: current === 'referrals' },
    { href: '/my-discharge-plan', text: 'Leaving hospital', current: current === 'leaving' },
    { href: '/my-plan', text: carer ? 'Their care plan' : 'My care plan', current: current === 'plan' },
    ...(carer ? [] : [{ href: '/my-assessment', text: 'About me', current: current === 'assessment' }]),
    ...(allowed(p, 'accesslog.read') ? [{ href: '/my-access-log', text: 'Who has looked at my record', current: current === 'log' }] : []),
    ...(allowed(p, 'feedback.answer') ? [{ href: '/my-feedback', text: 'How are we doing?', current: current === 'feedback' }] : []),
  ];
}

/** The first issue of a 400 or 422 as a field error for a form (its expression names the field). */
export function fieldErrorOf(err: unknown, fallbackField: string): FieldErrors | undefined {
  if (!(err instanceof FhirError) || (err.status !== 400 && err.status !== 422 && err.status !== 409 && err.status !== 412)) return undefined;
  const i = err.outcome.issue?.[0];
  return [{ field: i?.expression?.[0] ?? fallbackField, text: i?.diagnostics ?? 'Check what you entered' }];
}

/** A query or form value that is one string (repeated or absent: undefined). */
export const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * What the web app's route plugins share: who is signed in, the page guard (sign-in, CSRF, and
 * which area the user may use, decided by the policy's verbs), and sending a page with its headers.
 * Built once per app from the platform's services.
 */
export class WebContext {
  private readonly orgNames = new Map<string, string>();

  constructor(readonly platform: Platform) {}

  now(): Date {
    return this.platform.clock.now();
  }

  /** An organisation's name, cached for the life of the process (the directory changes rarely). */
  async orgName(id: string): Promise<string> {
    let name = this.orgNames.get(id);
    if (!name) {
      name = await this.platform.identity.lookup.organizationName(id);
      this.orgNames.set(id, name);
    }
    return name;
  }

  async signedIn(req: FastifyRequest): Promise<Signed | undefined> {
    const live = await sessionOf(req, this.platform);
    if (!live) return undefined;
    const principal = live.principal;
    req.principal ??= principal;
    auditContextOf(req).principal ??= principal;
    const detail = principal.kind === 'staff' ? `${ROLE_NAMES[principal.role]}, ${await this.orgName(principal.organizationId)}` : principal.kind === 'resident' ? 'Resident' : 'Carer';
    return { live, principal, viewer: { name: live.user.displayName, detail, csrfToken: live.session.csrfToken, kind: principal.kind === 'client' ? 'staff' : principal.kind, home: homeOf(principal) } };
  }

  send(reply: FastifyReply, status: number, body: string): FastifyReply {
    return reply.code(status).headers(PAGE_HEADERS).send(body);
  }

  /** Post/Redirect/Get: a 303 to the page that shows the result. */
  redirect(reply: FastifyReply, location: string): FastifyReply {
    return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
  }

  toSignIn(reply: FastifyReply): FastifyReply {
    return this.redirect(reply, '/sign-in');
  }

  /**
   * The signed-in user of `area`, or undefined with the reply sent: to sign in, a 403 page for a
   * POST without the session's CSRF token, or to the user's own home for the other area.
   */
  async need(req: FastifyRequest, reply: FastifyReply, area: Area, current: string): Promise<Signed | undefined> {
    const s = await this.signedIn(req);
    if (!s) {
      this.toSignIn(reply);
      return undefined;
    }
    if (req.method === 'POST' && !this.platform.identity.sessions.checkCsrf(s.live.session, csrfTokenOf(req))) {
      auditContextOf(req).failure = 'CSRF token missing or wrong';
      this.send(reply, 403, errorPage(403, s.viewer, 'The form has expired', 'Go back, reload the page and try again.', navFor(s.principal, current)));
      return undefined;
    }
    if (area === 'account') return s;
    // An administrator reset the password: nothing else until the user has chosen their own.
    if (s.live.user.mustChangePassword) {
      this.redirect(reply, '/choose-password');
      return undefined;
    }
    if (!allowed(s.principal, area === 'workspace' ? 'workspace.use' : 'portal.use')) {
      this.redirect(reply, homeOf(s.principal));
      return undefined;
    }
    return s;
  }
}
