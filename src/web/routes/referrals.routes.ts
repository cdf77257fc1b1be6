import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf, type AuditContext } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { badRequest, FhirError, notFound } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import { humanName } from '../../record-view/fhir-text.js';
import type { Referral, ReferralAction } from '../../referrals/referral.service.js';
import { readService } from '../../referrals/referral.write-rule.js';
import { serviceRefusal } from '../../referrals/service-acceptance.js';
import type { FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { myReferralsBody, referralBody, referralFormBody, referralListBody, rerouteFormBody, type ReferralFormData } from '../referrals.page.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

const ACTIONS: ReferralAction[] = ['acknowledge', 'accept', 'reject', 'start', 'hold', 'resume', 'complete', 'fail', 'cancel'];

/** Form values as a record of strings (a repeated field, such as checkboxes, as a list). */
function formValues(req: FastifyRequest): Record<string, string | string[] | undefined> {
  if (typeof req.body !== 'string') return fieldsOf(req);
  const params = new URLSearchParams(req.body);
  const out: Record<string, string | string[] | undefined> = {};
  for (const k of new Set(params.keys())) {
    const all = params.getAll(k);
    out[k] = k === 'share' ? all : all[0];
  }
  return out;
}

/**
 * Referrals in the workspace (/referrals: sent and received; /referrals/new?service=: refer someone;
 * /referrals/:id with its forms) and in the portal (/my-referrals). Every form follows the pattern
 * of work.routes.ts: POST with the CSRF token (and the Task version shown), validate, a command of
 * ReferralService, then 303 to a page with a banner; on a refusal the page again with the error
 * summary and the answers kept, nothing written.
 */
export async function referralRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { referrals } = web.platform.referrals;

  app.get('/referrals', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'referrals');
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'ServiceRequest';
    const [sent, received] = await Promise.all([referrals.sent(s.principal), referrals.received(s.principal)]);
    audit.patientIds = [...new Set([...sent, ...received].flatMap((r) => (r.patientId ? [r.patientId] : [])))];
    const p = s.principal;
    const orgName = p.kind === 'staff' ? await web.orgName(p.organizationId) : 'your organisation';
    const body = referralListBody({ sent, received, orgName, done: one((req.query as Record<string, unknown>).done), receiverFirst: p.kind === 'staff' && p.role === 'vcse-worker', canSend: can(p, 'referral.send').allowed });
    return web.send(reply, 200, page({ title: 'Referrals', viewer: s.viewer, nav: navFor(p, 'referrals'), body }));
  });

  const formPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, values: ReferralFormData['values'], errors: FieldErrors) => {
    const serviceId = typeof values.service === 'string' && isValidId(values.service) ? values.service : undefined;
    const hs = serviceId ? await readService(web.platform.db, serviceId) : undefined;
    const service = hs ? { id: hs.id!, name: hs.name ?? 'A service', refusal: serviceRefusal(hs, web.now()) } : undefined;
    let person: ReferralFormData['person'];
    const personId = typeof values.person === 'string' && isValidId(values.person) ? values.person : undefined;
    if (personId) {
      const pt = await web.platform.workflow.worklist.patient(s.principal, web.now(), personId) as { id: string; name?: unknown } | undefined;
      if (pt) person = { id: pt.id, name: humanName(pt.name) || 'Name not recorded' };
      if (pt) auditContextOf(req).patientIds = [pt.id];
    }
    const key = typeof values.key === 'string' && /^[A-Za-z0-9_-]{8,80}$/.test(values.key) ? values.key : randomUUID();
    const body = referralFormBody({ csrfToken: s.viewer.csrfToken, key, service, person, values, errors });
    return web.send(reply, status, page({
      title: service ? `Refer someone to ${service.name}` : 'Refer someone', viewer: s.viewer, nav: navFor(s.principal, 'referrals'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="${serviceId ? `/services/${serviceId}` : '/referrals'}">Back</a></nav>`, body,
    }));
  };

  app.get('/referrals/new', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'referrals');
    if (!s) return reply;
    const q = req.query as Record<string, unknown>;
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'HealthcareService';
    return formPage(req, reply, s, 200, { service: one(q.service), person: one(q.person) }, []);
  });

  app.post('/referrals', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'referrals');
    if (!s) return reply;
    const v = formValues(req);
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = 'ServiceRequest';
    try {
      let personId = typeof v.person === 'string' ? v.person : undefined;
      if (!personId) {
        const nhs = typeof v.nhsNumber === 'string' ? v.nhsNumber.replace(/\s+/g, '') : '';
        if (!/^\d{10}$/.test(nhs)) throw badRequest('Enter the person’s 10-digit NHS number', 'nhsNumber');
        const found = await web.platform.recordView.people.byNhsNumber(s.principal, nhs, web.now());
        personId = found.matches[0]?.id;
        if (!personId) throw badRequest('No one you care for has this NHS number', 'nhsNumber');
      }
      if (v.consent !== 'yes') throw badRequest(v.consent === 'no' ? 'A referral can only be sent with the person’s agreement' : 'Say whether the person has agreed to the referral', 'consent');
      const share = Array.isArray(v.share) ? v.share : typeof v.share === 'string' ? [v.share] : [];
      const done = await referrals.send(s.principal, {
        patientId: personId, serviceId: typeof v.service === 'string' ? v.service : '', reason: typeof v.reason === 'string' ? v.reason : '',
        priority: typeof v.priority === 'string' ? v.priority : 'routine', consentGiven: true, share,
        whatMatters: typeof v.whatMatters === 'string' ? v.whatMatters : undefined, healthInfo: typeof v.healthInfo === 'string' ? v.healthInfo : undefined,
        idempotencyKey: typeof v.key === 'string' ? v.key : '',
      });
      audit.patientIds = [personId];
      audit.resources = [{ type: 'ServiceRequest', id: done.referral.id }];
      return web.redirect(reply, `/referrals/${done.referral.id}?done=sent`);
    } catch (err) {
      const fe = fieldErrorOf(err, 'reason') ?? (err instanceof FhirError && err.status === 404 ? [{ field: v.person ? 'reason' : 'nhsNumber', text: 'No one you care for has this record' }] : undefined);
      if (!fe) throw err;
      audit.failure = fe[0].text;
      const field = fe.map((e) => ({ ...e, field: ['patient', 'service', 'key', 'versionId'].includes(e.field) ? 'reason' : e.field }));
      return formPage(req, reply, s, (err as { status?: number }).status ?? 400, v, field);
    }
  });

  const detail = async (req: FastifyRequest, reply: FastifyReply, s: Signed, r: Referral, status: number, errors: FieldErrors, values: Record<string, string | undefined>, done?: string) => {
    const audit = auditContextOf(req);
    if (r.patientId) audit.patientIds = [r.patientId];
    const actions = await referrals.actionsFor(s.principal, r);
    const canRedirect = await referrals.canRedirect(s.principal, r);
    const p = s.principal;
    const viewerIsReceiver = p.kind === 'staff' && p.role === 'vcse-worker';
    return web.send(reply, status, page({
      title: `Referral: ${r.serviceName}`, viewer: s.viewer, nav: navFor(p, 'referrals'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/referrals">Back to referrals</a></nav>`,
      body: referralBody({ r, actions, viewerIsReceiver, csrfToken: s.viewer.csrfToken, errors, values, done, canRedirect }),
    }));
  };

  const referralId = (req: FastifyRequest): string => {
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw notFound('There is no referral at this address');
    return id;
  };

  app.get('/referrals/:id', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'referrals');
    if (!s) return reply;
    const id = referralId(req);
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'ServiceRequest';
    audit.resources = [{ type: 'ServiceRequest', id }];
    const r = await referrals.get(s.principal, id);
    return detail(req, reply, s, r, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  for (const action of ACTIONS) {
    app.post(`/referrals/:id/${action}`, async (req, reply) => {
      const s = await web.need(req, reply, 'workspace', 'referrals');
      if (!s) return reply;
      const id = referralId(req);
      const f = fieldsOf(req);
      const audit = auditContextOf(req);
      audit.interaction = 'update';
      audit.resourceType = 'ServiceRequest';
      audit.resources = [{ type: 'ServiceRequest', id }];
      const values = { reason: f.reason, note: f.note, outcome: f.outcome };
      try {
        const version = /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN;
        if (Number.isNaN(version)) throw badRequest('The form has no version of the referral: reload the page and try again', 'versionId');
        const after = await referrals.act(s.principal, id, action, version, values);
        if (after?.patientId) audit.patientIds = [after.patientId];
        // A referral that has ended may leave a voluntary organisation's sight: back to the list then.
        return web.redirect(reply, after ? `/referrals/${id}?done=${action}` : `/referrals?done=${action}`);
      } catch (err) {
        const fe = fieldErrorOf(err, action === 'complete' ? 'outcome' : 'reason');
        if (!fe) throw err;
        audit.failure = fe[0].text;
        const r = await referrals.get(s.principal, id);
        return detail(req, reply, s, r, (err as { status?: number }).status ?? 400, fe.map((e) => ({ ...e, field: ['versionId', 'status'].includes(e.field) ? 'maincontent' : e.field })), values);
      }
    });
  }

  // Re-routing a declined referral, by its requester: a new Task for the chosen service.
  const reroutePage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, r: Referral, status: number, errors: FieldErrors, values: Record<string, string | undefined>) => {
    if (r.patientId) auditContextOf(req).patientIds = [r.patientId];
    if (!(await referrals.canRedirect(s.principal, r))) {
      return web.send(reply, status === 200 ? 409 : status, page({ title: 'Referral cannot be re-routed', viewer: s.viewer, nav: navFor(s.principal, 'referrals'),
        body: html`<h1>This referral cannot be re-routed</h1><p>Only the person or organisation that made a referral can send it on, and only after the service has declined it.</p><p><a href="/referrals/${r.id}">Back to the referral</a></p>` }));
    }
    return web.send(reply, status, page({
      title: 'Re-route the referral', viewer: s.viewer, nav: navFor(s.principal, 'referrals'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/referrals/${r.id}">Back</a></nav>`,
      body: rerouteFormBody({ r, choices: await referrals.rerouteChoices(r), csrfToken: s.viewer.csrfToken, errors, values }),
    }));
  };

  app.get('/referrals/:id/reroute', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'referrals');
    if (!s) return reply;
    const id = referralId(req);
    Object.assign(auditContextOf(req), { interaction: 'read', resourceType: 'ServiceRequest', resources: [{ type: 'ServiceRequest', id }] } satisfies AuditContext);
    return reroutePage(req, reply, s, await referrals.get(s.principal, id), 200, [], {});
  });

  app.post('/referrals/:id/reroute', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'referrals');
    if (!s) return reply;
    const id = referralId(req);
    const f = fieldsOf(req);
    const audit = Object.assign(auditContextOf(req), { interaction: 'update', resourceType: 'ServiceRequest', resources: [{ type: 'ServiceRequest', id }] } satisfies AuditContext);
    const values = { service: f.service, consent: f.consent, note: f.note };
    try {
      if (values.consent === 'no') throw badRequest('A referral can only be re-routed with the person’s agreement', 'consent');
      const after = await referrals.redirect(s.principal, id, /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : NaN, values);
      if (after.patientId) audit.patientIds = [after.patientId];
      return web.redirect(reply, `/referrals/${id}?done=redirect`);
    } catch (err) {
      const fe = fieldErrorOf(err, 'service');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      const r = await referrals.get(s.principal, id);
      return reroutePage(req, reply, s, r, (err as { status?: number }).status ?? 400, fe.map((e) => ({ ...e, field: ['versionId', 'status'].includes(e.field) ? 'maincontent' : e.field })), values);
    }
  });

  // The portal: the person's own referrals (a carer: as the person's consent grants them).
  app.get('/my-referrals', async (req, reply) => {
    const s = await web.need(req, reply, 'portal', 'referrals');
    if (!s) return reply;
    const p = s.principal;
    const id = p.kind === 'resident' ? p.patientId : p.kind === 'proxy' ? p.patientIds[0] : undefined;
    if (!id) throw notFound('There is no record for you here.');
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'ServiceRequest';
    audit.patientIds = [id];
    const list = await referrals.forPerson(p, id);
    // A carer: the person's name, and whether the person has shared referrals with them at all.
    const person = p.kind === 'proxy' ? await web.platform.recordView.summaries.notShown(p, id, web.now()) : undefined;
    const whose = p.kind === 'resident' ? 'your' : person?.name ?? list[0]?.personName ?? 'The person you care for';
    return web.send(reply, 200, page({
      title: p.kind === 'resident' ? 'My referrals' : 'Their referrals', viewer: s.viewer, nav: navFor(p, 'referrals'),
      body: myReferralsBody(list, whose, person?.notShown.parts.referrals),
    }));
  });
}
