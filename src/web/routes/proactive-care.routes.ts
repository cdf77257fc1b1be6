import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import { FhirError, forbidden } from '../../fhir/outcome.js';
import type { Criterion } from '../../proactive-care/cohort.criteria.js';
import { conditionSets, type CohortResult } from '../../proactive-care/cohort.service.js';
import { loadReferenceData } from '../../synth/reference-data.js';
import type { FieldErrors } from '../components/index.js';
import { page } from '../layout.js';
import { caseFindingBody, cohortsBody, type CohortForm } from '../proactive-care.page.js';
import { fieldErrorOf, navFor, one, type Signed, type WebContext } from '../web-context.js';

/** The form's fields in the order their criteria apply (checkbox values joined with commas). */
const FIELDS = ['age', 'district', 'practice', 'pcn', 'condition', 'efi', 'admissions', 'quintile', 'care-plan', 'named-professional', 'carer'] as const;

/** Criteria pairs from a query string or the saved form's hidden field, in the form's order; empty fields are no criterion. */
export function criteriaPairs(q: URLSearchParams): [string, string][] {
  const out: [string, string][] = [];
  for (const f of FIELDS) {
    const v = q.getAll(f).map((s) => s.trim()).filter(Boolean).join(',');
    if (v) out.push([f, v]);
  }
  return out;
}

function formOf(q: URLSearchParams, name?: string): CohortForm {
  const v = (k: string) => q.get(k) ?? undefined;
  return {
    age: v('age'), district: v('district'), practice: v('practice'), pcn: v('pcn'), condition: v('condition'),
    efi: q.getAll('efi').flatMap((s) => s.split(',')), admissions: v('admissions'), quintile: q.getAll('quintile').flatMap((s) => s.split(',')),
    carePlan: q.get('care-plan') === 'none', namedProfessional: q.get('named-professional') === 'none', carer: v('carer'), name,
  };
}

const queryOf = (req: FastifyRequest) => new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');

/** Proactive care: case finding (/case-finding) and the cohort builder (/cohorts). */
export async function proactiveCareRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const { cohorts, caseFinding } = web.platform.proactiveCare;
  const districts = loadReferenceData().places.districts.map((d) => ({ value: d.id, text: d.name })).sort((a, b) => a.text.localeCompare(b.text));

  const mayBuild = (s: Signed) => {
    const d = can(s.principal, 'cohort.build');
    if (!d.allowed) throw forbidden(`Finding people at risk is for clinical staff and analysts: ${d.reason}`);
  };
  const audited = (req: FastifyRequest, r: CohortResult) => {
    const audit = auditContextOf(req);
    audit.interaction = 'search';
    audit.resourceType = 'Patient';
    audit.patientIds = r.members.map((m) => m.id);
  };

  app.get('/case-finding', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'case-finding');
    if (!s) return reply;
    mayBuild(s);
    const list = await caseFinding.list(s.principal, web.now(), one((req.query as Record<string, unknown>).scope));
    audited(req, list);
    return web.send(reply, 200, page({ title: 'Case finding', viewer: s.viewer, nav: navFor(s.principal, 'case-finding'), body: caseFindingBody(list) }));
  });

  const showCohorts = async (s: Signed, q: URLSearchParams, o: { name?: string; saveErrors?: FieldErrors; saved?: { id: string; members: string } }) => {
    const pairs = criteriaPairs(q);
    let errors: FieldErrors = o.saveErrors ?? [];
    let result: CohortResult | undefined;
    let criteria: Criterion[] = [];
    try {
      criteria = cohorts.parse(pairs);
    } catch (err) {
      const fe = fieldErrorOf(err, 'age');
      if (!fe) throw err;
      errors = [...fe, ...errors];
    }
    const parsed = errors.length === 0 || !!o.saveErrors;
    if (parsed && (pairs.length > 0 || q.has('count'))) result = await cohorts.evaluate(s.principal, criteria, web.now());
    const criteriaQuery = new URLSearchParams(pairs).toString();
    return { result, errors, body: cohortsBody({ form: formOf(q, o.name), errors, result, criteriaQuery, csrfToken: s.viewer.csrfToken, saved: o.saved, districts, conditionSets: conditionSets() }) };
  };

  app.get('/cohorts', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'cohorts');
    if (!s) return reply;
    mayBuild(s);
    const q = queryOf(req);
    const saved = q.get('saved');
    const members = q.get('members');
    const shown = await showCohorts(s, q, { saved: saved && /^[A-Za-z0-9.-]{1,64}$/.test(saved) && members && /^\d{1,6}$/.test(members) ? { id: saved, members } : undefined });
    if (shown.result) audited(req, shown.result);
    return web.send(reply, shown.errors.length ? 400 : 200, page({ title: 'Build a cohort', viewer: s.viewer, nav: navFor(s.principal, 'cohorts'), error: shown.errors.length > 0, body: shown.body }));
  });

  // Save the cohort as a Group: refused, with nothing written, when a criterion does not parse or it would name anyone the user may not see.
  app.post('/cohorts', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'cohorts');
    if (!s) return reply;
    mayBuild(s);
    const f = fieldsOf(req);
    const q = new URLSearchParams(f.criteria ?? '');
    let status = 400;
    let errors: FieldErrors;
    try {
      const criteria = cohorts.parse(criteriaPairs(q));
      const saved = await cohorts.save(s.principal, criteria, f.name ?? '', web.now());
      auditContextOf(req).resources = [{ type: 'Group', id: saved.id }];
      return web.redirect(reply, `/cohorts?${new URLSearchParams([...criteriaPairs(q), ['saved', saved.id], ['members', String(saved.members)]]).toString()}`);
    } catch (err) {
      if (err instanceof FhirError && err.status === 403) {
        status = 403;
        errors = [{ field: 'name', text: err.outcome.issue?.[0]?.diagnostics ?? 'You may not save this cohort' }];
      } else {
        const fe = fieldErrorOf(err, 'name');
        if (!fe) throw err;
        errors = fe.map((e) => ({ ...e, field: e.field === 'criteria' ? 'age' : e.field }));
      }
      auditContextOf(req).failure = errors[0].text;
    }
    const shown = await showCohorts(s, q, { name: f.name, saveErrors: errors });
    return web.send(reply, status, page({ title: 'Build a cohort', viewer: s.viewer, nav: navFor(s.principal, 'cohorts'), error: true, body: shown.body }));
  });
}
