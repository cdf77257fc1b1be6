import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { badRequest, FhirError, forbidden } from '../../fhir/outcome.js';
import { datePartsOf, readDate, type FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { OUT_OF_AREA_CHOICE, pathwayReferBody, pathwaysBody, type PathwayReferForm } from '../pathways.page.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

/** The mental health pathway board (/pathways) and the referral form (/pathways/refer), which also records out-of-area placements; thin: verb, service, page. */
export async function pathwaysRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const svc = web.platform.pathways;

  const guard = async (req: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> => {
    const s = await web.need(req, reply, 'workspace', 'pathways');
    if (!s) return undefined;
    if (!can(s.principal, 'pathways.board').allowed) throw forbidden('The pathway board is for mental health practitioners.');
    return s;
  };

  // Placements out of area are recorded on /pathways/refer (the one form for them, with the person named first).
  app.get('/pathways', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Task';
    const b = await svc.board(s.principal, web.now());
    audit.patientIds = [...new Set([...b.waiting, ...b.placements].flatMap((x) => (x.person ? [x.person.id] : [])).concat(b.transitions.map((x) => x.id)))];
    return web.send(reply, 200, page({
      title: 'Mental health pathways', viewer: s.viewer, nav: navFor(s.principal, 'pathways'),
      body: pathwaysBody(b, { done: one((req.query as Record<string, unknown>).done) }),
    }));
  });

  // Referring a person onto a pathway, or recording their out-of-area placement: /pathways/refer (?person= from their record).
  const referPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, status: number, values: PathwayReferForm['values'] & { person?: string }, errors: FieldErrors) => {
    const person = await svc.person(s.principal, values.person);
    if (person) auditContextOf(req).patientIds = [person.id];
    // A person named by the form but not shown to this user: their NHS number is asked for instead, with the reason.
    const shown = values.person && !person && errors.length === 0 ? [{ field: 'nhsNumber', text: 'No one you care for has this record: enter their NHS number' }] : errors;
    return web.send(reply, status, page({
      title: 'Refer someone onto a mental health pathway', viewer: s.viewer, nav: navFor(s.principal, 'pathways'), error: shown.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="${person ? `/people/${person.id}` : '/pathways'}">Back</a></nav>`,
      body: pathwayReferBody({ csrfToken: s.viewer.csrfToken, person, values, errors: shown }),
    }));
  };

  app.get('/pathways/refer', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const audit = auditContextOf(req);
    audit.interaction = 'read';
    audit.resourceType = 'Patient';
    return referPage(req, reply, s, 200, { person: one((req.query as Record<string, unknown>).person), start: {} }, []);
  });

  app.post('/pathways/refer', async (req, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const f = fieldsOf(req);
    const values = { person: f.person || undefined, nhsNumber: f.nhsNumber, pathway: f.pathway, where: f.where, reason: f.reason, start: datePartsOf(f, 'start') };
    const placement = f.pathway === OUT_OF_AREA_CHOICE;
    const audit = auditContextOf(req);
    audit.interaction = 'create';
    audit.resourceType = placement ? 'Encounter' : 'Task';
    const FIELDS: Record<string, string> = { 'nhs-number': 'nhsNumber', patientId: 'nhsNumber', start: 'start-day' };
    const refused = (status: number, fe: FieldErrors) => {
      audit.failure = fe.map((e) => e.text).join('; ');
      const shown = fe.map((e) => ({ ...e, field: FIELDS[e.field] ?? e.field }));
      // A person named by id whom this user may not see is asked for by NHS number instead.
      return referPage(req, reply, s, status, shown.some((e) => e.field === 'nhsNumber') ? { ...values, person: undefined } : values, shown);
    };
    // The answers a person can leave out are reported together; the record's own rules follow in the service.
    const missing: FieldErrors = [];
    if (!values.person && !/^\d{10}$/.test((values.nhsNumber ?? '').replace(/[\s-]/g, ''))) missing.push({ field: 'nhsNumber', text: 'Enter the person’s 10-digit NHS number' });
    if (!f.pathway) missing.push({ field: 'pathway', text: 'Choose a pathway' });
    const start = readDate(values.start, 'The placement’s start');
    if (placement && start.error) missing.push({ field: 'start-day', text: start.error });
    if (missing.length > 0) return refused(400, missing);
    try {
      let patientId = values.person;
      if (!patientId) {
        patientId = (await web.platform.recordView.people.byNhsNumber(s.principal, values.nhsNumber ?? '', web.now())).matches[0]?.id;
        if (!patientId) throw badRequest('No one you care for has this NHS number', 'nhsNumber');
      }
      audit.patientIds = [patientId];
      if (placement) {
        await svc.recordPlacement(s.principal, { patientId, reason: f.reason, where: f.where, start: start.date });
        return web.redirect(reply, '/pathways?done=placement');
      }
      await svc.refer(s.principal, { patientId, pathway: f.pathway });
      return web.redirect(reply, '/pathways?done=referred');
    } catch (err) {
      const fe = fieldErrorOf(err, 'pathway') ?? (err instanceof FhirError && err.status === 404 ? [{ field: 'nhsNumber', text: 'No one you care for has this record' }] : undefined);
      if (!fe) throw err;
      return refused((err as { status?: number }).status ?? 400, fe);
    }
  });
}
