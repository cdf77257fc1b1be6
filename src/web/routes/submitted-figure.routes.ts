import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { forbidden, notFound, type FhirError } from '../../fhir/outcome.js';
import type { SubmittedInput } from '../../outcomes/submitted-figure.rules.js';
import { datePartsOf, readDate, type FieldErrors } from '../components/index.js';
import { page } from '../layout.js';
import { submitBody, type SubmitFormValues } from '../submitted-figure.page.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';
import { fieldErrorsOf } from './plan.routes.js';

/**
 * /outcomes/:id/submit: a partner submits (or corrects) a figure for an indicator whose figures it
 * owns (outcomes.submit, src/access/policy/outcomes.policy.ts). POST → the form's dates and numbers
 * read (400 with answers kept) → SubmittedFigureService.submit, which checks the rest exactly as the
 * API does → 303 to the form with a success banner, or the form again with the error summary.
 */
export async function submittedFigureRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const submitted = web.platform.outcomes.submitted;

  const guard = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<Signed | undefined> => {
    const s = await web.need(req, reply, 'workspace', 'outcomes');
    if (!s) return undefined;
    const i = submitted.submittedIndicatorOrNone(req.params.id);
    if (!i) throw notFound(`There is no indicator '${req.params.id}' whose figures partners submit.`);
    if (!submitted.maySubmit(s.principal, i.id)) throw forbidden(`Figures for ${i.id} are submitted by ${i.computation.owner}, and ICB analysts; you may not submit them.`);
    return s;
  };
  const render = async (reply: FastifyReply, s: Signed, id: string, status: number, values: SubmitFormValues, errors: FieldErrors, done?: { version: number; unchanged: boolean }) => {
    const indicator = submitted.submittedIndicator(id);
    return web.send(reply, status, page({
      title: `Submit a figure: ${indicator.id} ${indicator.name}`, viewer: s.viewer, nav: navFor(s.principal, 'outcomes'), error: errors.length > 0,
      body: submitBody({ indicator, places: submitted.placeList(), versions: await submitted.versions(s.principal, id), values, errors, csrfToken: s.viewer.csrfToken, done }),
    }));
  };
  const audited = (req: FastifyRequest, interaction: 'read' | 'update') => {
    const audit = auditContextOf(req);
    audit.interaction = interaction;
    audit.resourceType = 'MeasureReport';
    return audit;
  };

  app.get('/outcomes/:id/submit', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    audited(req, 'read');
    const q = req.query as Record<string, unknown>;
    const version = Number(one(q.version));
    const done = Number.isInteger(version) && version > 0 ? { version, unchanged: one(q.unchanged) === '1' } : undefined;
    return render(reply, s, req.params.id, 200, { periodStart: {}, periodEnd: {} }, [], done);
  });

  app.post('/outcomes/:id/submit', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const s = await guard(req, reply);
    if (!s) return reply;
    const audit = audited(req, 'update');
    const f = fieldsOf(req);
    const values: SubmitFormValues = {
      place: f.place, periodStart: datePartsOf(f, 'periodStart'), periodEnd: datePartsOf(f, 'periodEnd'),
      numerator: f.numerator?.trim(), denominator: f.denominator?.trim(), value: f.value?.trim(),
    };
    // The form's own reading (dates typed in boxes, numbers typed as text); the rest is the service's, as on the API.
    const errors: FieldErrors = [];
    const date = (name: 'periodStart' | 'periodEnd', what: string) => {
      const d = readDate(values[name], what);
      if (d.error) errors.push({ field: `${name}-day`, text: d.error });
      else if (!d.date) errors.push({ field: `${name}-day`, text: `Enter the ${what.toLowerCase()}` });
      return d.date;
    };
    const number = (name: 'numerator' | 'denominator' | 'value', what: string) => {
      const t = values[name];
      if (!t) return undefined;
      if (!/^-?\d+(\.\d+)?$/.test(t)) {
        errors.push({ field: name, text: `${what} must be a number, like 42 or 6.4` });
        return undefined;
      }
      return Number(t);
    };
    const input: SubmittedInput = {
      place: values.place || undefined, periodStart: date('periodStart', 'First day of the period'), periodEnd: date('periodEnd', 'Last day of the period'),
      numerator: number('numerator', 'The numerator'), denominator: number('denominator', 'The denominator'), value: number('value', 'The figure'),
    };
    if (!input.place) errors.unshift({ field: 'place', text: 'Choose the place the figure is for' });
    if (errors.length) {
      audit.failure = errors[0].text;
      return render(reply, s, req.params.id, 400, values, errors);
    }
    try {
      const r = await submitted.submit(s.principal, req.params.id, input);
      return web.redirect(reply, `/outcomes/${req.params.id}/submit?version=${r.version}${r.unchanged ? '&unchanged=1' : ''}`);
    } catch (err) {
      const fe = fieldErrorsOf(err, 'place');
      if (!fe) throw err;
      audit.failure = fe[0].text;
      const field = (x: string) => (x === 'periodStart' || x === 'periodEnd' ? `${x}-day` : ['place', 'numerator', 'denominator', 'value'].includes(x) ? x : 'place');
      return render(reply, s, req.params.id, (err as FhirError).status, values, fe.map((e) => ({ ...e, field: field(e.field) })));
    }
  });
}
