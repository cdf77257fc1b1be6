import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf, type AuditContext } from '../../access/audit/audit-entry.js';
import { fieldsOf } from '../../access/identity/auth.routes.js';
import { can } from '../../access/policy/index.js';
import type { Principal } from '../../access/principal.js';
import { linkIdOfIssue } from '../../care-planning/joint-assessment.rules.js';
import type { PartChoice } from '../../care-planning/joint-assessment.service.js';
import { badRequest, FhirError, notFound } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import type { FieldErrors } from '../components/index.js';
import { answerPartBody, assessmentBody, myAssessmentBody, personAssessmentsBody, toAnswerBody } from '../joint-assessment.page.js';
import { page } from '../layout.js';
import { navFor, one, type Signed, type WebContext } from '../web-context.js';
import { allOf } from './plan.routes.js';

/** A refused answer's issues as field errors: each names its question (linkId), else the fallback field. */
function errorsOf(err: unknown, fallback: string): FieldErrors | undefined {
  if (!(err instanceof FhirError) || ![400, 403, 409, 422].includes(err.status)) return undefined;
  return (err.outcome.issue ?? []).map((i) => {
    const f = linkIdOfIssue(i) ?? i.expression?.[0] ?? fallback;
    return { field: /^[a-z-]+$/.test(f) ? f : fallback, text: i.diagnostics ?? 'Check what you entered' };
  });
}

const idOf = (req: FastifyRequest, name: string): string => {
  const v = (req.params as Record<string, string>)[name];
  if (!isValidId(v)) throw notFound('There is no such page');
  return v;
};

/**
 * Joint assessments (issue 12 part 4) in the workspace and the portal: a person's assessments and
 * the form to start one (`/people/:id/assessment`, from the record and the plan), one assessment
 * (`/assessments/:id`: every part with who answered it, complete it, add its answers to the plan), a
 * part to answer (`/assessments/:id/parts/:part`), the parts assigned to the user's organisation
 * (`/assessments`), and the person's own "about me" in the portal (`/my-assessment`). Forms follow
 * the house pattern: validate → command → 303 with a banner, or the page again with the error
 * summary and the answers kept, nothing written.
 */
export async function jointAssessmentRoutes(app: FastifyInstance, opts: { web: WebContext }): Promise<void> {
  const { web } = opts;
  const assessments = web.platform.carePlanning.assessments;
  const nameOf = async (p: Principal, patientId: string) => {
    const s = await web.platform.recordView.summaries.summary(p, patientId, web.now(), {});
    return s.status === 'ok' ? s.summary.patient.name : 'This person';
  };
  const audit = (req: FastifyRequest, interaction: AuditContext['interaction'], resourceType: string, patientIds: string[]) =>
    Object.assign(auditContextOf(req), { interaction, resourceType, patientIds } satisfies Partial<AuditContext>);

  const renderPerson = async (reply: FastifyReply, s: Signed, id: string, status: number, errors: FieldErrors, values: Record<string, string | undefined>, carersChosen?: string[]) => {
    const p = s.principal;
    const list = await assessments.forPerson(p, id);
    const { organisations, carers } = await assessments.choices(p, id);
    return web.send(reply, status, page({
      title: 'Joint assessment', viewer: s.viewer, nav: navFor(p, 'plans'), error: errors.length > 0,
      body: personAssessmentsBody({
        personName: await nameOf(p, id), patientId: id, assessments: list, canStart: can(p, 'assessment.start', { patientId: id, careRelationship: true }).allowed,
        organisations, carers, ...(p.kind === 'staff' ? { myOrganisation: `Organization/${p.organizationId}` } : {}), errors, values,
        carersChosen: carersChosen ?? carers.map((c) => c.reference), csrfToken: s.viewer.csrfToken,
      }),
    }));
  };

  app.get('/people/:id/assessment', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = idOf(req, 'id');
    audit(req, 'read', 'Task', [id]);
    return renderPerson(reply, s, id, 200, [], {});
  });

  app.post('/people/:id/assessment', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = idOf(req, 'id');
    const f = fieldsOf(req);
    const carers = allOf(req, 'carers');
    const a = audit(req, 'create', 'Task', [id]);
    try {
      if (carers.length && !f['carer-owner']) throw badRequest("Choose who does the carer's assessment", 'carer-owner');
      const choices: PartChoice[] = [
        { code: 'health', ...(f['health-owner'] ? { owner: f['health-owner'] } : {}) }, { code: 'social-care', ...(f['social-care-owner'] ? { owner: f['social-care-owner'] } : {}) },
        ...carers.map((c) => ({ code: 'carer' as const, owner: f['carer-owner'], carer: c })),
      ];
      const made = await assessments.start(s.principal, id, choices);
      return web.redirect(reply, `/assessments/${made.id}?done=started`);
    } catch (err) {
      const fe = errorsOf(err, 'health-owner');
      if (!fe) throw err;
      a.failure = fe[0].text;
      return renderPerson(reply, s, id, (err as FhirError).status, fe.map((x) => ({ ...x, field: x.field.startsWith('carer-owner') ? 'carer-owner' : x.field })), f, carers);
    }
  });

  const renderAssessment = async (reply: FastifyReply, s: Signed, id: string, status: number, errors: FieldErrors, done?: string) => {
    const p = s.principal;
    const a = await assessments.get(p, id);
    return web.send(reply, status, page({
      title: 'Joint assessment', viewer: s.viewer, nav: navFor(p, 'plans'), error: errors.length > 0,
      body: assessmentBody({
        personName: await nameOf(p, a.patientId), a, offer: assessments.offer(a), carersDistrict: await assessments.postcodeDistrict(a.patientId),
        ...(done ? { done } : {}), errors, csrfToken: s.viewer.csrfToken,
      }),
    }));
  };

  app.get('/assessments', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const { parts: rows, more } = await assessments.toAnswer(s.principal);
    audit(req, 'search', 'Task', [...new Set(rows.map((r) => r.personId))]);
    const named = [];
    for (const r of rows) named.push({ ...r, personName: await nameOf(s.principal, r.personId) });
    return web.send(reply, 200, page({ title: 'Assessments to answer', viewer: s.viewer, nav: navFor(s.principal, 'assessments'), body: toAnswerBody(named, more, one((req.query as Record<string, unknown>).done)) }));
  });

  app.get('/assessments/:id', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = idOf(req, 'id');
    const a = audit(req, 'read', 'Task', []);
    const view = await assessments.get(s.principal, id);
    a.patientIds = [view.patientId];
    return renderAssessment(reply, s, id, 200, [], one((req.query as Record<string, unknown>).done));
  });

  const partOf = async (p: Principal, id: string, partId: string) => {
    const a = await assessments.get(p, id);
    const part = a.parts.find((x) => x.id === partId);
    if (!part) throw notFound('There is no such part of this assessment');
    return { a, part };
  };

  app.get('/assessments/:id/parts/:part', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const { a, part } = await partOf(s.principal, idOf(req, 'id'), idOf(req, 'part'));
    audit(req, 'read', 'Task', [a.patientId]);
    if (!part.mine) return web.redirect(reply, `/assessments/${a.id}`);
    return web.send(reply, 200, page({
      title: part.title, viewer: s.viewer, nav: navFor(s.principal, 'plans'),
      body: answerPartBody(await nameOf(s.principal, a.patientId), a, part, [], {}, s.viewer.csrfToken),
    }));
  });

  app.post('/assessments/:id/parts/:part', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const { a, part } = await partOf(s.principal, idOf(req, 'id'), idOf(req, 'part'));
    const f = fieldsOf(req);
    const ctx = audit(req, 'create', 'QuestionnaireResponse', [a.patientId]);
    try {
      if (f.version !== String(part.versionId)) throw new FhirError(409, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'conflict', diagnostics: 'This part was changed since you opened it: reload the page and try again' }] });
      // Someone shown only their own part (a voluntary organisation, while it has it to answer) is not shown the assessment once it is answered.
      const shown = await assessments.answer(s.principal, part.id, f);
      return web.redirect(reply, shown ? `/assessments/${a.id}?done=answered` : '/assessments?done=answered-handed-back');
    } catch (err) {
      const fe = errorsOf(err, 'maincontent');
      if (!fe) throw err;
      ctx.failure = fe[0].text;
      return web.send(reply, (err as FhirError).status, page({
        title: part.title, viewer: s.viewer, nav: navFor(s.principal, 'plans'), error: true,
        body: answerPartBody(await nameOf(s.principal, a.patientId), a, part, fe, f, s.viewer.csrfToken),
      }));
    }
  });

  app.post('/assessments/:id/complete', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = idOf(req, 'id');
    const f = fieldsOf(req);
    const ctx = audit(req, 'update', 'Task', []);
    try {
      const a = await assessments.get(s.principal, id);
      ctx.patientIds = [a.patientId];
      await assessments.complete(s.principal, id, /^\d{1,9}$/.test(f.version ?? '') ? Number(f.version) : -1);
      return web.redirect(reply, `/assessments/${id}?done=completed`);
    } catch (err) {
      const fe = errorsOf(err, 'maincontent');
      if (!fe || (err as FhirError).status === 404) throw err;
      ctx.failure = fe[0].text;
      return renderAssessment(reply, s, id, (err as FhirError).status, fe.map((x) => ({ ...x, field: 'maincontent' })));
    }
  });

  app.post('/assessments/:id/plan', async (req, reply) => {
    const s = await web.need(req, reply, 'workspace', 'plans');
    if (!s) return reply;
    const id = idOf(req, 'id');
    const ctx = audit(req, 'update', 'CarePlan', []);
    try {
      const r = await assessments.feedPlan(s.principal, id);
      ctx.patientIds = [r.planPatientId];
      return web.redirect(reply, r.added.length ? `/people/${r.planPatientId}/plan?done=sections` : `/assessments/${id}?done=plan-none`);
    } catch (err) {
      const fe = errorsOf(err, 'maincontent');
      if (!fe || (err as FhirError).status === 404) throw err;
      ctx.failure = fe[0].text;
      return renderAssessment(reply, s, id, (err as FhirError).status, fe.map((x) => ({ ...x, field: 'maincontent' })));
    }
  });

  // --- the portal: the person's own part ---------------------------------------------------------

  const renderMine = async (reply: FastifyReply, s: Signed, status: number, errors: FieldErrors, values: Record<string, string | undefined>, done?: string) => {
    const parts = await assessments.ownParts(s.principal);
    return web.send(reply, status, page({
      title: 'About me', viewer: s.viewer, nav: navFor(s.principal, 'assessment'), error: errors.length > 0,
      body: myAssessmentBody(parts, done, errors, values, s.viewer.csrfToken),
    }));
  };

  app.get('/my-assessment', async (req, reply) => {
    const s = await web.need(req, reply, 'portal', 'assessment');
    if (!s) return reply;
    audit(req, 'read', 'Task', s.principal.kind === 'resident' ? [s.principal.patientId] : []);
    return renderMine(reply, s, 200, [], {}, one((req.query as Record<string, unknown>).done));
  });

  app.post('/my-assessment/parts/:part', async (req, reply) => {
    const s = await web.need(req, reply, 'portal', 'assessment');
    if (!s) return reply;
    const partId = idOf(req, 'part');
    const f = fieldsOf(req);
    const ctx = audit(req, 'create', 'QuestionnaireResponse', s.principal.kind === 'resident' ? [s.principal.patientId] : []);
    try {
      const mine = (await assessments.ownParts(s.principal)).find((x) => x.part.id === partId);
      if (!mine) throw notFound('There is no such part for you to answer');
      if (f.version !== String(mine.part.versionId)) throw new FhirError(409, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'conflict', diagnostics: 'This was changed since you opened it: reload the page and try again' }] });
      await assessments.answer(s.principal, partId, f);
      return web.redirect(reply, '/my-assessment?done=answered');
    } catch (err) {
      const fe = errorsOf(err, 'maincontent');
      if (!fe) throw err;
      ctx.failure = fe[0].text;
      return renderMine(reply, s, (err as FhirError).status, fe, f);
    }
  });
}
