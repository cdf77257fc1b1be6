import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfTokenOf } from '../../access/identity/authenticate.js';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { can } from '../../access/policy/index.js';
import { FhirError } from '../../fhir/outcome.js';
import type { FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { searchBody, serviceBody, shortlistBody, type Audience, type ResultRow } from '../directory.page.js';
import { page } from '../layout.js';
import { readServiceSearch } from '../service-search.form.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

const ID_LIST = /^[A-Za-z0-9\-.]{1,64}(,[A-Za-z0-9\-.]{1,64}){0,9}$/;
const idsOf = (v: unknown): string[] => {
  const s = one(v);
  return s && ID_LIST.test(s) ? [...new Set(s.split(','))] : [];
};

/**
 * The service directory in the web app. /services is the staff search in the workspace for a
 * signed-in member of staff, and "Find help near me" for anyone else (residents, carers, the public,
 * not signed in: plain English, phone numbers first); /services/:id a service; anyone may report an
 * entry as out of date; staff build a shortlist and send it (printable, or a text or email stub
 * recorded as a Communication). The directory is public, so its pages need no sign-in.
 */
export async function directoryRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { directory } = web.platform;

  /** Staff with the workspace see the staff pages; everyone else the public ones. */
  const audienceOf = async (req: FastifyRequest): Promise<{ s?: Signed; audience: Audience }> => {
    const s = await web.signedIn(req);
    return { s, audience: s && can(s.principal, 'workspace.use', undefined as never).allowed ? 'staff' : 'public' };
  };

  app.get('/find-help', async (_req, reply) => web.redirect(reply, '/services'));

  app.get('/services', async (req, reply) => {
    const { s, audience } = await audienceOf(req);
    const query = req.query as Record<string, unknown>;
    const shortlist = audience === 'staff' ? idsOf(query.shortlist) : [];
    const { form, q, from, errors, asked } = readServiceSearch(Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'shortlist')), web.now());
    let total = 0, rows: ResultRow[] = [];
    if (q && asked) {
      const found = await directory.services.searchRecords(q);
      total = found.total;
      rows = found.records.map((entry) => ({ entry, locations: entry.locations }));
    }
    const title = audience === 'public' ? 'Find help near me' : 'Find a service';
    return web.send(reply, errors.length ? 400 : 200, page({
      title, viewer: s?.viewer, nav: s ? navFor(s.principal, 'services') : undefined, error: errors.length > 0,
      body: searchBody({ audience, form, errors, asked, total, rows, from, now: web.now(), shortlist }),
    }));
  });

  const shortlistPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, ids: string[], status: number, o: { sent?: string; errors?: FieldErrors; answers?: { channel?: string; to?: string } } = {}) => {
    const records = await directory.shortlists.entries(ids);
    return web.send(reply, status, page({
      title: 'Shortlist of services', viewer: s.viewer, nav: navFor(s.principal, 'services'), error: (o.errors?.length ?? 0) > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/services?shortlist=${ids.join(',')}">Back to search</a></nav>`,
      body: shortlistBody({ records, ids, now: web.now(), csrfToken: s.viewer.csrfToken, sent: o.sent, errors: o.errors ?? [], answers: o.answers ?? {} }),
    }));
  };

  app.get('/services/shortlist', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'services');
    if (!s) return reply;
    const ids = idsOf((req.query as Record<string, unknown>).ids);
    const sent = one((req.query as Record<string, unknown>).sent);
    return shortlistPage(req, reply, s, ids, 200, { sent: sent === 'sms' ? 'The list was sent by text message (recorded)' : sent === 'email' ? 'The list was sent by email (recorded)' : undefined });
  });

  app.post('/services/shortlist', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'services');
    if (!s) return reply;
    const f = new URLSearchParams(String(req.body ?? ''));
    const ids = idsOf(f.get('ids') ?? '');
    const answers = { channel: f.get('channel') ?? '', to: (f.get('to') ?? '').slice(0, 200) };
    try {
      await directory.shortlists.send(s.principal, ids, answers.channel, answers.to);
    } catch (err) {
      const errors = fieldErrorOf(err, 'to');
      if (!errors) throw err;
      return shortlistPage(req, reply, s, ids, 400, { errors, answers });
    }
    return web.redirect(reply, `/services/shortlist?ids=${ids.join(',')}&sent=${answers.channel}`);
  });

  const servicePage = async (req: FastifyRequest, reply: FastifyReply, status: number, o: { reported?: 'raised' | 'open'; reportErrors?: FieldErrors; what?: string } = {}) => {
    const { s, audience } = await audienceOf(req);
    const record = await directory.services.get((req.params as { id: string }).id);
    return web.send(reply, status, page({
      title: record.service.name ?? 'Service', viewer: s?.viewer, nav: s ? navFor(s.principal, 'services') : undefined, error: (o.reportErrors?.length ?? 0) > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/services">${audience === 'public' ? 'Find help near me' : 'Find a service'}</a></nav>`,
      body: serviceBody({ audience, record, now: web.now(), reported: o.reported, reportErrors: o.reportErrors ?? [], what: o.what, csrfToken: s?.viewer.csrfToken }),
    }));
  };

  app.get('/services/:id', async (req, reply) => {
    const done = one((req.query as Record<string, unknown>).reported);
    return servicePage(req, reply, 200, { reported: done === 'raised' || done === 'open' ? done : undefined });
  });

  // Anyone may report an entry, signed in or not; a signed-in user's form must carry their session's CSRF token.
  app.post('/services/:id/report', async (req, reply) => {
    const s = await web.signedIn(req);
    if (s && !web.platform.identity.sessions.checkCsrf(s.live.session, csrfTokenOf(req))) {
      auditContextOf(req).failure = 'CSRF token missing or wrong';
      return servicePage(req, reply, 403, { reportErrors: [{ field: 'what', text: 'The form has expired: reload the page and try again' }] });
    }
    const f = new URLSearchParams(String(req.body ?? ''));
    const what = (f.get('what') ?? '').slice(0, 2000);
    const id = (req.params as { id: string }).id;
    try {
      const reporter = s ? `${s.viewer.name} (${s.viewer.detail})` : 'A member of the public (not signed in)';
      const { raised } = await directory.services.reportOutOfDate(id, what, reporter);
      return web.redirect(reply, `/services/${encodeURIComponent(id)}?reported=${raised ? 'raised' : 'open'}`);
    } catch (err) {
      const errors = fieldErrorOf(err, 'what');
      if (!errors || (err instanceof FhirError && err.status === 404)) throw err;
      return servicePage(req, reply, 400, { reportErrors: errors, what });
    }
  });
}
