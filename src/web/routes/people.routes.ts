import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import type { PersonSearchResult } from '../../record-view/person-search.service.js';
import { FhirError } from '../../fhir/outcome.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { breakGlassBody, caseloadBody, searchBody, type FieldErrors, type SearchForm } from '../pages.js';
import { socialPrescribingBody } from '../social-prescribing.page.js';
import { frailtyCard } from '../proactive-care.page.js';
import { breakGlassBanner, recordBody } from '../record.page.js';
import { readDate } from '../components/index.js';
import { timelineFromPage } from '../timeline-form.js';
import { fieldErrorOf, navFor, one, seesPeople, type Signed, type WebContext } from '../web-context.js';

/** The staff workspace's people pages: find a person, their record, and emergency access. */
export async function peopleRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { people, summaries, caseload } = web.platform.recordView;
  const { breakGlass } = web.platform.access;

  // A role that sees no one's record (an analyst, a privacy officer) is told so on either page, not shown an empty one.
  const noPeople = (title: string, s: Signed, current: string) =>
    page({ title, viewer: s.viewer, nav: navFor(s.principal, current), body: html`<h1>${title}</h1><p>Your role does not see people’s records, so no one can be listed or found here.</p>` });

  app.get('/people', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'people');
    if (!s) return reply;
    if (!seesPeople(s.principal)) return web.send(reply, 200, noPeople('Find a person', s, 'people'));
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
        if (by === 'nhs') result = await people.byNhsNumber(s.principal, form.nhsNumber ?? '', web.now());
        else {
          const born = readDate({ day: form.day, month: form.month, year: form.year }, 'Date of birth');
          if (born.error || !born.date) {
            throw new FhirError(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: born.error ?? 'Enter the person’s date of birth', expression: ['birth-date'] }] });
          }
          result = await people.byName(s.principal, { name: form.name, birthDate: born.date, postcode: form.postcode }, web.now());
        }
        audit.patientIds = result.matches.map((m) => m.id);
      } catch (err) {
        const fe = fieldErrorOf(err, by === 'nhs' ? 'nhs-number' : 'name');
        if (!fe) throw err;
        errors = fe.map((e) => ({ ...e, field: e.field === 'birth-date' ? 'birth-date-day' : e.field }));
        audit.failure = errors[0].text;
      }
    }
    return web.send(reply, errors.length ? 400 : 200, page({ title: 'Find a person', viewer: s.viewer, nav: navFor(s.principal, 'people'), error: errors.length > 0, body: searchBody(form, errors, result) }));
  });

  // "My people": whom this user, or their organisation, is recorded as caring for.
  app.get('/caseload', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'caseload');
    if (!s) return reply;
    if (!seesPeople(s.principal)) return web.send(reply, 200, noPeople('My people', s, 'caseload'));
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Patient';
    const q = req.query as Record<string, unknown>;
    const cursor = one(q.cursor);
    const p = s.principal;
    // A social prescribing link worker opens on their social prescribing caseload (social-prescribing.routes.ts for each person); `all=1` lists everyone in their care.
    if (p.kind === 'staff' && p.role === 'link-worker' && !cursor && one(q.all) === undefined) {
      const c = await web.platform.socialPrescribing.caseload.caseload(p);
      audit.resourceType = 'ServiceRequest';
      audit.patientIds = [...new Set([...c.people, ...c.declined.map((r) => ({ referral: r }))].flatMap((e) => (e.referral.patientId ? [e.referral.patientId] : [])))];
      return web.send(reply, 200, page({ title: 'Social prescribing caseload', viewer: s.viewer, nav: navFor(p, 'caseload'), body: socialPrescribingBody(c, await web.orgName(p.organizationId)) }));
    }
    const page_ = await caseload.page(s.principal, web.now(), cursor);
    audit.patientIds = page_.people.map((p) => p.id);
    const orgName = s.principal.kind === 'staff' ? await web.orgName(s.principal.organizationId) : '';
    return web.send(reply, 200, page({ title: 'My people', viewer: s.viewer, nav: navFor(s.principal, 'caseload'), body: caseloadBody(page_, orgName, !!cursor) }));
  });

  app.get('/people/:id', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'people');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    audit.resources = [{ type: 'Patient', id }];
    audit.patientIds = [id];
    const { query, form } = timelineFromPage(req.query as Record<string, unknown>);
    let result;
    try {
      result = await summaries.summary(s.principal, id, web.now(), query);
    } catch (err) {
      // A filter the service refuses (a forged kind or cursor): the record without it, and the error on the form.
      const fe = fieldErrorOf(err, 'kind');
      if (!fe) throw err;
      form.errors.push(...fe.map((e) => ({ ...e, field: e.field === 'from' || e.field === 'to' ? `${e.field}-day` : e.field })));
      result = await summaries.summary(s.principal, id, web.now(), {});
    }
    if (form.errors.length > 0) audit.failure = form.errors[0].text;
    if (result.status !== 'ok') {
      // A person this user may not see and an address with nobody behind it answer alike (same
      // status, same page), so the page cannot be used to find out who has a record here.
      audit.failure = 'not found or no care relationship';
      const offer = can(s.principal, 'breakglass.request').allowed;
      const body = html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds"><h1>No record is shown to you here</h1>
        <p>Either there is no record at this address, or your organisation is not recorded as caring for this person, so their record is not shown.</p>
        ${offer ? html`<p>If you are caring for this person now and cannot wait, you can request emergency access. It is audited, reviewed by a privacy officer, and shown to the person.</p>
          <a class="nhsuk-button nhsuk-button--warning" data-module="nhsuk-button" href="/people/${id}/break-glass">Request emergency access</a>`
          : html`<p>Your role cannot use emergency access. Ask a clinical colleague, or the person’s GP practice.</p>`}
        <p><a href="/people">Search for the person again</a></p></div></div>`;
      return web.send(reply, 404, page({ title: 'No record shown', viewer: s.viewer, nav: navFor(s.principal, 'people'), body }));
    }
    const sum = result.summary;
    if (sum.access.breakGlass) audit.reason = { code: sum.access.breakGlass.reason, text: sum.access.breakGlass.text };
    const risk = await web.platform.proactiveCare.risk.forPerson(s.principal, id, web.now());
    // Mental health practitioners refer from the record onto a pathway (issue 13 part 5).
    const refer = can(s.principal, 'pathways.board').allowed ? html`<p><a href="/pathways/refer?person=${encodeURIComponent(id)}">Refer onto a mental health pathway</a></p>` : '';
    return web.send(reply, form.errors.length ? 400 : 200, page({
      title: `${sum.patient.name}: record`, viewer: s.viewer, nav: navFor(s.principal, 'people'), error: form.errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/people">Find another person</a></nav>`,
      body: html`${breakGlassBanner(sum)}${recordBody(sum, sum.timeline, `/people/${id}`, 'staff', form, html`${frailtyCard(risk, sum.patient.age)}${refer}`)}`,
    }));
  });

  app.get('/people/:id/break-glass', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'people');
    if (!s) return reply;
    const { id } = req.params as { id: string };
    return web.send(reply, 200, page({ title: 'Request emergency access', viewer: s.viewer, nav: navFor(s.principal, 'people'), body: breakGlassBody(id, s.viewer.csrfToken, [], {}) }));
  });

  app.post('/people/:id/break-glass', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'people');
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
        await breakGlass.breakGlass(s.principal, id, f.reason, f.text, web.now());
        return web.redirect(reply, `/people/${id}`);
      } catch (err) {
        const fe = fieldErrorOf(err, 'text');
        if (!fe) throw err;
        errors.push(...fe);
      }
    }
    audit.failure = errors.map((e) => e.text).join('; ');
    return web.send(reply, 400, page({ title: 'Request emergency access', error: true, viewer: s.viewer, nav: navFor(s.principal, 'people'), body: breakGlassBody(id, s.viewer.csrfToken, errors, f) }));
  });
}
