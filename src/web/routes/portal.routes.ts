import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { can } from '../../access/policy/index.js';
import type { Principal } from '../../access/principal.js';
import { forbidden, notFound } from '../../fhir/outcome.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { accessLogBody } from '../pages.js';
import { careTeamTable, recordBody } from '../record.page.js';
import { timelineFromPage } from '../timeline-form.js';
import { fieldErrorOf, navFor, one, type WebContext } from '../web-context.js';

/** Whose record the portal shows: the resident's own, or the person a carer acts for (?person=). */
function personOf(p: Principal, q: Record<string, unknown>): string | undefined {
  if (p.kind === 'resident') return p.patientId;
  if (p.kind !== 'proxy') return undefined;
  const asked = one(q.person);
  if (asked) return p.patientIds.includes(asked) ? asked : undefined;
  return p.patientIds[0];
}

/** The resident and carer portal: their record, their care team, and who has looked at it. */
export async function portalRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { summaries } = web.platform.recordView;
  const { accessLog } = web.platform.access;

  const portalRecord = async (req: FastifyRequest, reply: FastifyReply, current: 'record' | 'team') => {
    const s = await web.need(req, reply, 'portal', current);
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const id = personOf(s.principal, q);
    const nav = navFor(s.principal, current);
    if (!id) throw notFound('There is no record for you here.');
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.resources = [{ type: 'Patient', id }];
    audit.patientIds = [id];
    const { person: _p, ...rest } = q;
    const { query, form } = timelineFromPage(current === 'record' ? rest : {});
    let result;
    try {
      result = await summaries.summary(s.principal, id, web.now(), query);
    } catch (err) {
      const fe = fieldErrorOf(err, 'kind');
      if (!fe) throw err;
      form.errors.push(...fe);
      result = await summaries.summary(s.principal, id, web.now(), {});
    }
    const carer = s.principal.kind === 'proxy';
    if (result.status !== 'ok') {
      const body = html`<h1>${carer ? 'Nothing has been shared with you yet' : 'Your record is not available'}</h1>
        <p>${carer ? 'The person you care for has not given you access to their record, or the access has ended. Ask them, or their GP practice, to set it up.' : 'Contact your GP practice.'}</p>`;
      return web.send(reply, 200, page({ title: 'Record', viewer: s.viewer, nav, body }));
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
      return web.send(reply, 200, page({ title: 'Care team', viewer: s.viewer, nav, body }));
    }
    return web.send(reply, form.errors.length ? 400 : 200, page({
      title: carer ? `${sum.patient.name}'s record` : 'My record', viewer: s.viewer, nav, error: form.errors.length > 0,
      body: html`${switcher}${recordBody(sum, sum.timeline, '/my-record', carer ? 'carer' : 'self', form)}`,
    }));
  };

  app.get('/my-record', (req, reply) => portalRecord(req, reply, 'record'));
  app.get('/my-care-team', (req, reply) => portalRecord(req, reply, 'team'));

  app.get('/my-access-log', async (req, reply) => {
    const s = await web.need(req, reply, 'portal', 'log');
    if (!s) return reply;
    if (s.principal.kind !== 'resident' || !can(s.principal, 'accesslog.read', { patientId: s.principal.patientId }).allowed) {
      throw forbidden('Only the person themselves can see who has looked at their record.');
    }
    const id = s.principal.patientId;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'AuditEvent';
    audit.patientIds = [id];
    const cursor = one((req.query as Record<string, unknown>).cursor);
    const log = await accessLog.visitsFor(id, { cursor, count: 20 });
    return web.send(reply, 200, page({ title: 'Who has looked at my record', viewer: s.viewer, nav: navFor(s.principal, 'log'), body: accessLogBody(log.visits, { next: log.next, later: cursor !== undefined }, 'your') }));
  });
}
