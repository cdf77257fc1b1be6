import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf, type AuditContext } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { badRequest, notFound } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import { datePartsOf, readDate, type DateParts, type FieldErrors } from '../components/index.js';
import { html } from '../html.js';
import { page } from '../layout.js';
import { caseloadPersonBody, type CaseloadPersonData } from '../social-prescribing.page.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

type Form = NonNullable<CaseloadPersonData['form']>;

/**
 * Social prescribing: one person on the link worker's caseload (`/caseload/:id`, by the referral that
 * brought them) and its forms (contacts, what matters to me, ONS4 wellbeing). The caseload itself is
 * `/caseload` (people.routes.ts: a link worker's opens on it). Forms follow the pattern of
 * referrals.routes.ts: POST with the CSRF token, validate, a command of SocialPrescribingService, 303
 * with a banner; refused: the page again with the error summary and the answers kept, nothing written.
 */
export async function socialPrescribingRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { caseload } = web.platform.socialPrescribing;

  const referralId = (req: FastifyRequest): string => {
    const { id } = req.params as { id: string };
    if (!isValidId(id)) throw notFound('There is no one on your caseload at this address');
    return id;
  };

  const personPage = async (req: FastifyRequest, reply: FastifyReply, s: Signed, id: string, status: number, o: { errors?: FieldErrors; form?: Form; values?: Record<string, string | undefined>; followUp?: DateParts; done?: string } = {}) => {
    const e = await caseload.person(s.principal, id);
    if (e.referral.patientId) auditContextOf(req).patientIds = [e.referral.patientId];
    const errors = o.errors ?? [];
    return web.send(reply, status, page({
      title: `Social prescribing: ${e.referral.personName}`, viewer: s.viewer, nav: navFor(s.principal, 'caseload'), error: errors.length > 0,
      before: html`<nav class="nhsuk-back-link" aria-label="Back"><a class="nhsuk-back-link__link" href="/caseload">Back to the caseload</a></nav>`,
      body: caseloadPersonBody({ e, services: await caseload.onwardChoices(s.principal, e.referral.patientId), csrfToken: s.viewer.csrfToken, errors, form: o.form, values: o.values ?? {}, followUp: o.followUp ?? {}, done: o.done }),
    }));
  };

  app.get('/caseload/:id', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'caseload');
    if (!s) return reply;
    const id = referralId(req);
    Object.assign(auditContextOf(req), { interaction: 'read', resourceType: 'ServiceRequest', resources: [{ type: 'ServiceRequest', id }] } satisfies AuditContext);
    return personPage(req, reply, s, id, 200, { done: one((req.query as Record<string, unknown>).done) });
  });

  const forms: [string, Form, 'Communication' | 'QuestionnaireResponse', string][] = [
    ['contacts', 'contact', 'Communication', 'mode'], ['what-matters', 'what-matters', 'Communication', 'whatMatters'], ['wellbeing', 'wellbeing', 'QuestionnaireResponse', 'timepoint'],
  ];
  for (const [path, form, type, firstField] of forms) {
    app.post(`/caseload/:id/${path}`, async (req, reply) => {
      const s = await web.need(req, reply, 'workspace', 'caseload');
      if (!s) return reply;
      const id = referralId(req);
      const f = fieldsOf(req);
      const audit = Object.assign(auditContextOf(req), { interaction: 'create', resourceType: type } satisfies AuditContext);
      const followUp = datePartsOf(f, 'followUp');
      try {
        const due = readDate(followUp, 'The follow-up date');
        if (due.error) throw badRequest(due.error, 'followUp-day');
        const made = form === 'contact' ? await caseload.recordContact(s.principal, id, { mode: f.mode, note: f.note, followUp: due.date })
          : form === 'what-matters' ? await caseload.recordWhatMatters(s.principal, id, { text: f.whatMatters, followUp: due.date })
            : await caseload.recordWellbeing(s.principal, id, f.timepoint, f);
        audit.resources = [{ type, id: made }];
        return web.redirect(reply, `/caseload/${id}?done=${form}#${form === 'contact' ? 'contacts' : form}`);
      } catch (err) {
        const fe = fieldErrorOf(err, firstField);
        if (!fe) throw err;
        audit.failure = fe[0].text;
        const errors = fe.map((e) => ({ ...e, field: e.field === 'followUp' ? 'followUp-day' : ['referral', 'versionId'].includes(e.field) ? 'maincontent' : e.field }));
        return personPage(req, reply, s, id, (err as { status?: number }).status ?? 400, { errors, form, values: f, followUp });
      }
    });
  }
}
