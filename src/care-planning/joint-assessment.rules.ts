import type { OperationOutcomeIssue, Questionnaire, QuestionnaireResponse, QuestionnaireResponseItem, Task } from '@medplum/fhirtypes';
import { recordedByOf } from '../access/policy/policy-codes.js';
import type { Queryable } from '../db/database.js';
import { FhirError, invalidResource, issue, outcome } from '../fhir/outcome.js';
import { localReference } from '../fhir/reference.js';
import type { WriteRule } from '../fhir/write-rules.js';
import {
  isTaskKind, JOINT_ASSESSMENT_KIND, JOINT_ASSESSMENT_PART_KIND, JOINT_ASSESSMENT_URLS, PART_EXTENSION, partByUrl, questionnaireOf, RESPONSE_OUTPUT,
} from './joint-assessment.vocabulary.js';

/**
 * The rules of a joint assessment as rules of the record (src/fhir/write-rules.ts), so they hold on
 * the FHIR API and in Bundles as on the pages; the service applies the same checks to its own writes.
 *
 * - An answer (QuestionnaireResponse to a joint assessment Questionnaire) names its part; the part is
 *   open, asks that Questionnaire, is about the same person; and it is written by whoever the part is
 *   assigned to: a member of staff (or a system client) of the owning organisation, or the person
 *   themself for their own part (hazard JA-1: a part answered by the wrong organisation).
 * - Every answer is one the Questionnaire allows: known questions, the right kind of answer, a
 *   choice among its options, every required question answered when the response is completed.
 * - A part is completed only with its answers (`output` → a completed response to it), and the
 *   assessment only when every part is (hazard JA-2: completed with a part, such as the carer's, missing).
 */

/** A write by someone the part is not assigned to: 403, whoever they are. */
const refused = (text: string) => new FhirError(403, outcome([issue('forbidden', text, 'QuestionnaireResponse')]));
const QR_ITEM = (linkId: string) => `QuestionnaireResponse.item.where(linkId='${linkId}')`;
const SOURCE_USER = /^urn:onestory:user:(.+)$/;

/** The linkId an issue's expression names (for a page's error summary), if any. */
export function linkIdOfIssue(i: OperationOutcomeIssue): string | undefined {
  for (const e of i.expression ?? []) {
    const m = /linkId='([^']+)'/.exec(e);
    if (m) return m[1];
  }
  return undefined;
}

/** Problems with the answers of `qr` against its Questionnaire: unknown questions, wrong kinds, values outside the options, required questions unanswered. */
export function answerProblems(q: Questionnaire, qr: Pick<QuestionnaireResponse, 'item' | 'status'>): OperationOutcomeIssue[] {
  const problems: OperationOutcomeIssue[] = [];
  const items = new Map((q.item ?? []).map((i) => [i.linkId, i]));
  const answered = new Set<string>();
  const seen = new Set<string>();
  for (const a of qr.item ?? []) {
    const def = items.get(a.linkId);
    if (!def) {
      problems.push(issue('value', `"${a.linkId}" is not a question of ${q.title}`, QR_ITEM(a.linkId)));
      continue;
    }
    if (seen.has(a.linkId)) problems.push(issue('value', `"${def.text}" is answered more than once`, QR_ITEM(a.linkId)));
    seen.add(a.linkId);
    if ((a.item ?? []).length > 0) problems.push(issue('structure', `"${def.text}" has no sub-questions`, QR_ITEM(a.linkId)));
    const values = a.answer ?? [];
    if (values.length > 1) problems.push(issue('value', `"${def.text}" takes one answer`, QR_ITEM(a.linkId)));
    for (const v of values) {
      const problem = valueProblem(def.type, def.answerOption, v);
      if (problem) problems.push(issue('value', `"${def.text}": ${problem}`, QR_ITEM(a.linkId)));
      else answered.add(a.linkId);
    }
  }
  if (qr.status === 'completed') {
    for (const def of q.item ?? []) {
      if (def.required && !answered.has(def.linkId) && !problems.some((p) => linkIdOfIssue(p) === def.linkId)) {
        problems.push(issue('required', `Answer "${def.text}"`, QR_ITEM(def.linkId)));
      }
    }
  }
  return problems;
}

function valueProblem(type: string, options: { valueCoding?: { system?: string; code?: string } }[] | undefined, v: NonNullable<QuestionnaireResponseItem['answer']>[number]): string | undefined {
  const keys = Object.keys(v).filter((k) => k.startsWith('value'));
  if (type === 'choice') {
    const c = v.valueCoding;
    if (keys.length !== 1 || !c) return 'choose one of the answers offered';
    return (options ?? []).some((o) => o.valueCoding?.code === c.code && o.valueCoding?.system === c.system) ? undefined : `"${c.code ?? ''}" is not one of the answers offered`;
  }
  if (type === 'text' || type === 'string') {
    if (keys.length !== 1 || typeof v.valueString !== 'string') return 'answer in words';
    return v.valueString.trim() === '' ? 'the answer is empty' : v.valueString.length > 4000 ? 'the answer is too long (4,000 characters at most)' : undefined;
  }
  return 'this kind of question is not supported';
}

async function readTask(q: Queryable, id: string): Promise<Task | undefined> {
  const r = await q.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Task' AND id = $1 AND NOT deleted", [id]);
  return r.rows[0] ? (JSON.parse(r.rows[0].content) as Task) : undefined;
}

/** The parts of an assessment (Tasks `partOf` it), with their ids and statuses. */
export async function partsOf(q: Queryable, assessmentId: string): Promise<Task[]> {
  const r = await q.query<{ content: string }>(
    `SELECT r.content FROM resource r
      WHERE r.resource_type = 'Task' AND NOT r.deleted
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'Task' AND x.code = 'part-of' AND x.target_type = 'Task' AND x.target_id = $1)
      ORDER BY r.rid`,
    [assessmentId],
  );
  return r.rows.map((x) => JSON.parse(x.content) as Task).filter((t) => isTaskKind(t, JOINT_ASSESSMENT_PART_KIND));
}

const partOfResponse = (qr: QuestionnaireResponse): string | undefined => {
  const k = localReference((qr.extension ?? []).find((x) => x.url === PART_EXTENSION)?.valueReference?.reference);
  return k?.type === 'Task' ? k.id : undefined;
};

/**
 * Checks an answer about to be written. Who writes it is `writer` when the caller knows (the
 * service, from the principal), else read from the body as it will be stored (the FHIR API: `meta.tag`
 * names a member of staff's organisation, `meta.source` the user). Throws a 422 naming every problem
 * with the answers, a 403 when the writer is not the one the part is assigned to.
 */
export async function checkAnswer(qr: QuestionnaireResponse, q: Queryable, writer?: { organizationIds: string[] } | { patientId: string }): Promise<void> {
  const partId = partOfResponse(qr);
  const def = partByUrl(qr.questionnaire);
  if (!partId) {
    throw invalidResource([issue('business-rule', 'An answer to a joint assessment names the part it answers (the joint-assessment-part extension → Task/id)', 'QuestionnaireResponse.extension')]);
  }
  const part = await readTask(q, partId);
  if (!part || !isTaskKind(part, JOINT_ASSESSMENT_PART_KIND)) throw invalidResource([issue('business-rule', `Task/${partId} is not a part of a joint assessment`, 'QuestionnaireResponse.extension')]);
  if (!def || questionnaireOf(part) !== qr.questionnaire) throw invalidResource([issue('business-rule', 'The answer is to another Questionnaire than the part asks', 'QuestionnaireResponse.questionnaire')]);
  if (part.status === 'completed' || part.status === 'cancelled' || part.status === 'entered-in-error') {
    throw invalidResource([issue('business-rule', `This part of the assessment (${def.title}) is ${part.status === 'completed' ? 'answered already' : 'closed'}`, 'QuestionnaireResponse.extension')]);
  }
  if (!qr.subject?.reference || qr.subject.reference !== part.for?.reference) throw invalidResource([issue('business-rule', 'The answer is about another person than the assessment', 'QuestionnaireResponse.subject')]);
  const owner = localReference(part.owner?.reference);
  const orgs = writer ? ('organizationIds' in writer ? writer.organizationIds : []) : recordedByOf(qr);
  if (owner?.type === 'Organization') {
    if (!orgs.includes(owner.id)) throw refused(`${def.title} is assigned to ${part.owner?.display ?? owner.id}: only its staff answer it`);
  } else if (owner?.type === 'Patient') {
    let patient = writer && 'patientId' in writer ? writer.patientId : undefined;
    if (!writer) {
      const user = SOURCE_USER.exec(qr.meta?.source ?? '')?.[1];
      const r = user && orgs.length === 0 ? await q.query<{ patient_id: string }>("SELECT patient_id FROM app_user WHERE id = $1 AND kind = 'resident'", [user]) : { rows: [] };
      patient = r.rows[0]?.patient_id;
    }
    if (patient !== owner.id) throw refused(`${def.title} is the person's own part: only they answer it`);
  } else {
    throw invalidResource([issue('business-rule', 'This part names nobody to answer it', 'QuestionnaireResponse')]);
  }
  const problems = answerProblems(def.questionnaire, qr);
  if (problems.length) throw invalidResource(problems);
}

/** Checks a part or assessment Task about to be written: completed only with its answers, or with every part answered. */
export async function checkAssessmentTask(t: Task, q: Queryable): Promise<void> {
  if (t.status !== 'completed') return;
  if (isTaskKind(t, JOINT_ASSESSMENT_PART_KIND)) {
    const out = (t.output ?? []).find((o) => (o.type.coding ?? []).some((c) => c.code === RESPONSE_OUTPUT.code && c.system === RESPONSE_OUTPUT.system));
    const k = localReference(out?.valueReference?.reference);
    const r = k?.type === 'QuestionnaireResponse' ? await q.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'QuestionnaireResponse' AND id = $1 AND NOT deleted", [k.id]) : { rows: [] };
    const qr = r.rows[0] ? (JSON.parse(r.rows[0].content) as QuestionnaireResponse) : undefined;
    if (!qr || qr.status !== 'completed' || partOfResponse(qr) !== t.id) {
      throw invalidResource([issue('business-rule', 'A part of a joint assessment is completed with its answers: output → its completed QuestionnaireResponse', 'Task.output')]);
    }
  } else if (isTaskKind(t, JOINT_ASSESSMENT_KIND)) {
    const parts = (await partsOf(q, t.id ?? '')).filter((x) => x.status !== 'cancelled' && x.status !== 'entered-in-error');
    const missing = parts.filter((x) => x.status !== 'completed');
    if (parts.length === 0) throw invalidResource([issue('business-rule', 'This assessment has no parts', 'Task.status')]);
    if (missing.length) {
      throw invalidResource([issue('business-rule', `The assessment cannot be completed: not answered yet: ${missing.map((x) => x.description ?? x.id).join('; ')}`, 'Task.status')]);
    }
  }
}

export const jointAssessmentAnswerRule: WriteRule = {
  types: ['QuestionnaireResponse'],
  async check(w, q) {
    if (!w.resource || w.action === 'delete') return;
    const qr = w.resource as QuestionnaireResponse;
    const answersAPart = JOINT_ASSESSMENT_URLS.has(qr.questionnaire ?? '') || (qr.extension ?? []).some((x) => x.url === PART_EXTENSION);
    if (!answersAPart) return;
    // An answer once given stays as given: amendments would change what the plan was built on.
    if (w.current) throw invalidResource([issue('business-rule', 'An answer to a joint assessment is not changed once given', 'QuestionnaireResponse')]);
    await checkAnswer(qr, q);
  },
};

export const jointAssessmentTaskRule: WriteRule = {
  types: ['Task'],
  async check(w, q) {
    if (!w.resource || w.action === 'delete') return;
    const t = w.resource as Task;
    if (!isTaskKind(t, JOINT_ASSESSMENT_KIND) && !isTaskKind(t, JOINT_ASSESSMENT_PART_KIND)) return;
    await checkAssessmentTask(t, q);
  },
};

export const JOINT_ASSESSMENT_WRITE_RULES: readonly WriteRule[] = [jointAssessmentAnswerRule, jointAssessmentTaskRule];
