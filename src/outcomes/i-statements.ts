import type { Questionnaire, QuestionnaireResponse } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queryable } from '../db/database.js';
import { FhirError, issue, outcome } from '../fhir/outcome.js';
import type { WriteRule } from '../fhir/write-rules.js';
import { REFERENCE_DATA_DIR } from '../paths.js';
import { OUTCOMES_CS, OUTCOMES_SD } from './indicator.definitions.js';
import { quarterOf } from './measure-evaluation.service.js';

/**
 * The clinical vision's 'I' statements as feedback (issue 14 part 8): the system is working when
 * residents and staff can answer yes to them (data/strategy/i-statements.json, from seeds 001 and
 * 002). Two short surveys as FHIR Questionnaires, one item per statement, answered yes, no or not
 * sure; one response per person per survey period (a calendar quarter, the period figures are
 * published for). The rule below holds on every write path (the portal, the workspace and the
 * FHIR API, where residents may create QuestionnaireResponses).
 */

export type Audience = 'resident' | 'staff';
export interface IStatement { id: string; theme: string; who: Audience; text: string }

export const I_STATEMENT_QUESTIONNAIRE: Record<Audience, string> = {
  resident: 'https://onestory.example/fhir/Questionnaire/i-statements-resident',
  staff: 'https://onestory.example/fhir/Questionnaire/i-statements-staff',
};
export const ANSWER_SYSTEM = `${OUTCOMES_CS}/i-statement-answer`;
export const ANSWERS = [{ code: 'yes', display: 'Yes' }, { code: 'no', display: 'No' }, { code: 'not-sure', display: 'Not sure' }] as const;
export type AnswerCode = (typeof ANSWERS)[number]['code'];
/** Staff responses: the district of the organisation the member of staff acted for when answering. */
export const RESPONSE_DISTRICT_URL = `${OUTCOMES_SD}/district`;

export function loadIStatements(dir = REFERENCE_DATA_DIR): IStatement[] {
  const f = JSON.parse(readFileSync(join(dir, 'strategy', 'i-statements.json'), 'utf8')) as { statements: IStatement[] };
  return f.statements;
}

export function audienceOf(questionnaire: string | undefined): Audience | undefined {
  return questionnaire === I_STATEMENT_QUESTIONNAIRE.resident ? 'resident' : questionnaire === I_STATEMENT_QUESTIONNAIRE.staff ? 'staff' : undefined;
}

export function questionnaireOf(audience: Audience, statements: IStatement[]): Questionnaire & { id: string } {
  const id = `i-statements-${audience}`;
  return {
    resourceType: 'Questionnaire', id, url: I_STATEMENT_QUESTIONNAIRE[audience], name: `IStatements_${audience}`, status: 'active',
    title: audience === 'resident' ? 'Quality of life, quality of care: how are we doing?' : 'Quality of life, quality of care: as a member of staff',
    subjectType: [audience === 'resident' ? 'Patient' : 'Practitioner'],
    description: 'The Kent and Medway clinical vision\'s \'I\' statements: the system is working when people can answer yes. One response a quarter.',
    item: statements.filter((s) => s.who === audience).map((s) => ({
      linkId: s.id, text: s.text, type: 'choice', required: true,
      answerOption: ANSWERS.map((a) => ({ valueCoding: { system: ANSWER_SYSTEM, code: a.code, display: a.display } })),
    })),
  };
}

const refused = (status: number, text: string, where?: string) => new FhirError(status, outcome([issue(status === 409 ? 'duplicate' : 'business-rule', text, where)]));

/**
 * Checks a response to an 'I' statements survey: completed, about a Patient (residents) or a
 * Practitioner (staff), every statement of its survey answered once with yes, no or not sure, and
 * no other response from the same person to the same survey in the same quarter (under an advisory
 * lock on the person, survey and quarter, held to the end of the caller's transaction).
 */
export async function checkIStatementResponse(r: QuestionnaireResponse, statements: IStatement[], q: Queryable): Promise<void> {
  const audience = audienceOf(r.questionnaire);
  if (!audience) return;
  if (r.status !== 'completed') throw refused(422, 'An \'I\' statements response must be completed', 'QuestionnaireResponse.status');
  const subject = r.subject?.reference ?? '';
  const expected = audience === 'resident' ? 'Patient/' : 'Practitioner/';
  if (!subject.startsWith(expected)) throw refused(422, `An 'I' statements response from ${audience === 'resident' ? 'a resident is about a Patient' : 'staff is about a Practitioner'}`, 'QuestionnaireResponse.subject');
  if (!r.authored || !/^\d{4}-\d{2}-\d{2}/.test(r.authored)) throw refused(422, 'An \'I\' statements response needs the date it was authored', 'QuestionnaireResponse.authored');
  const wanted = statements.filter((s) => s.who === audience).map((s) => s.id);
  const seen = new Set<string>();
  for (const [i, item] of (r.item ?? []).entries()) {
    if (!wanted.includes(item.linkId)) throw refused(422, `'${item.linkId}' is not a statement of this survey: ${wanted.join(', ')}`, `QuestionnaireResponse.item[${i}].linkId`);
    if (seen.has(item.linkId)) throw refused(422, `Statement ${item.linkId} is answered twice`, `QuestionnaireResponse.item[${i}]`);
    seen.add(item.linkId);
    const a = item.answer ?? [];
    const c = a[0]?.valueCoding;
    if (a.length !== 1 || !c || c.system !== ANSWER_SYSTEM || !ANSWERS.some((x) => x.code === c.code)) {
      throw refused(422, `The answer to ${item.linkId} must be one of ${ANSWERS.map((x) => x.code).join(', ')} (system ${ANSWER_SYSTEM})`, `QuestionnaireResponse.item[${i}].answer`);
    }
  }
  const missing = wanted.filter((w) => !seen.has(w));
  if (missing.length) throw refused(422, `Every statement needs an answer: ${missing.join(', ')} not answered`, 'QuestionnaireResponse.item');
  const quarter = quarterOf(r.authored.slice(0, 10));
  await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`i-statements|${subject}|${r.questionnaire}|${quarter.start}`]);
  const other = await q.query<{ authored: string }>(
    `SELECT left(r.content::jsonb->>'authored', 10) AS authored FROM resource r
      WHERE r.resource_type = 'QuestionnaireResponse' AND NOT r.deleted AND r.id <> $4
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'QuestionnaireResponse' AND x.code = 'subject' AND x.target_type = $5 AND x.target_id = $6)
        AND r.content::jsonb->>'questionnaire' = $1 AND left(r.content::jsonb->>'authored', 10) BETWEEN $2 AND $3 LIMIT 1`,
    [r.questionnaire, quarter.start, quarter.end, r.id ?? '', expected.slice(0, -1), subject.slice(expected.length)]);
  if (other.rows.length) {
    throw refused(409, `This survey was already answered on ${other.rows[0].authored}: one response a quarter (${quarter.start} to ${quarter.end})`, 'QuestionnaireResponse.authored');
  }
}

/** The rule on every write path, applied by the record (src/platform.ts). */
export function iStatementWriteRule(statements: IStatement[]): WriteRule {
  return {
    types: ['QuestionnaireResponse'],
    check: async (w, q) => {
      if (w.resource) await checkIStatementResponse(w.resource as QuestionnaireResponse, statements, q);
    },
  };
}
