import type { Questionnaire, QuestionnaireItem, Task } from '@medplum/fhirtypes';
import { TASK_KIND_SYSTEM } from '../workflow/task.vocabulary.js';

/**
 * The words of a joint assessment (issue 12 part 4), defined once: health and social care, the
 * person and their carer fill in one assessment together, each answering their own part.
 *
 * In FHIR:
 * - The assessment is a Task of kind JOINT_ASSESSMENT_KIND (`for` the Patient, `owner` who started
 *   it, `requester` the same), open until every part is answered, then completed.
 * - Each part is a Task of kind JOINT_ASSESSMENT_PART_KIND, `partOf` the assessment, `owner` who must
 *   answer it: an organisation (health, social care, the carer's assessment: any of its staff) or the
 *   person themself (`Patient/id`: "about me", in the portal). Its Questionnaire is `input` (type
 *   QUESTIONNAIRE_INPUT, valueCanonical); the carer a carer's assessment is about is `focus`
 *   (`RelatedPerson/id`). Owned by an organisation, the part is on that organisation's work list.
 * - An answer is a QuestionnaireResponse (`questionnaire` the part's, `subject` the Patient, the part
 *   in the PART_EXTENSION, `author` who answered, `source` whose views they are: the carer for a
 *   carer's assessment), written with the part's completion (`output` → the response) in one
 *   transaction. The record's write rules (joint-assessment.rules.ts) hold the same on the FHIR API.
 */
const BASE = 'https://onestory.example/fhir';

export const JOINT_ASSESSMENT_KIND = 'joint-assessment' as const;
export const JOINT_ASSESSMENT_PART_KIND = 'joint-assessment-part' as const;
/** On a QuestionnaireResponse: the part (Task) it answers. */
export const PART_EXTENSION = `${BASE}/StructureDefinition/joint-assessment-part`;
/** Task.input.type of a part's Questionnaire; Task.output.type of its answer. */
export const QUESTIONNAIRE_INPUT = { system: `${BASE}/CodeSystem/task-input`, code: 'questionnaire', display: 'Questionnaire to answer' } as const;
export const RESPONSE_OUTPUT = { system: `${BASE}/CodeSystem/task-output`, code: 'questionnaire-response', display: 'Answers' } as const;
/** A part's code (Task.code.coding[1]): which part it is. */
export const PART_SYSTEM = `${BASE}/CodeSystem/joint-assessment-part`;

export type PartCode = 'health' | 'social-care' | 'carer' | 'about-me';
export const PART_CODES: readonly PartCode[] = ['health', 'social-care', 'carer', 'about-me'];

/** Who answers a part: an organisation's staff, or the person themself in the portal. */
export type Answerer = 'organisation' | 'person';

export interface PartDefinition {
  code: PartCode;
  title: string;
  /** The title as the person and their carer read it. */
  plainTitle: string;
  answerer: Answerer;
  questionnaire: Questionnaire;
}

const choice = (linkId: string, text: string, options: [string, string][], required = true): QuestionnaireItem => ({
  linkId, text, type: 'choice', required,
  answerOption: options.map(([code, display]) => ({ valueCoding: { system: `${BASE}/CodeSystem/joint-assessment-answer`, code, display } })),
});
const words = (linkId: string, text: string, required = true): QuestionnaireItem => ({ linkId, text, type: 'text', required });

const questionnaire = (code: PartCode, title: string, item: QuestionnaireItem[]): Questionnaire => ({
  resourceType: 'Questionnaire', id: `joint-assessment-${code}`, url: `${BASE}/Questionnaire/joint-assessment-${code}`, version: '1',
  name: `JointAssessment_${code.replace(/-/g, '_')}`, title, status: 'active', subjectType: ['Patient'], item,
});

const HELP: [string, string][] = [['independent', 'Manages on their own'], ['some-help', 'Needs some help'], ['full-help', 'Needs help with all of it']];

export const PARTS: Record<PartCode, PartDefinition> = {
  health: {
    code: 'health', title: 'Health', plainTitle: 'Your health', answerer: 'organisation',
    questionnaire: questionnaire('health', 'Joint assessment: health', [
      words('health-summary', 'How their health affects day-to-day life'),
      choice('mobility', 'Getting about', [['independent', 'Walks without help'], ['walking-aid', 'Walks with a walking aid'], ['needs-help', 'Needs another person to help'], ['unable', 'Cannot walk']]),
      choice('falls', 'Falls in the last 12 months', [['none', 'None'], ['one', 'One'], ['two-or-more', 'Two or more']]),
      choice('medicines', 'Help with medicines', [['none', 'Manages their own'], ['prompting', 'Needs reminding'], ['administering', 'Needs them given']]),
      words('health-needs', 'Health needs to include in the plan (one a line)'),
    ]),
  },
  'social-care': {
    code: 'social-care', title: 'Social care needs', plainTitle: 'Help at home', answerer: 'organisation',
    questionnaire: questionnaire('social-care', 'Joint assessment: social care needs (Care Act eligibility outcomes)', [
      choice('personal-care', 'Washing, dressing and using the toilet', HELP),
      choice('meals', 'Preparing food and drink', HELP),
      choice('home-safety', 'Being safe at home', [['safe', 'Safe'], ['some-concerns', 'Some concerns'], ['unsafe', 'Not safe']]),
      choice('contact', 'Keeping in touch with family and friends', HELP, false),
      words('social-care-needs', 'Care and support needs to include in the plan (one a line)'),
    ]),
  },
  carer: {
    code: 'carer', title: "Carer's assessment", plainTitle: "The carer's assessment", answerer: 'organisation',
    questionnaire: questionnaire('carer', "Joint assessment: carer's assessment (Care Act 2014, section 10)", [
      choice('willing', 'Is the carer willing and able to keep caring?', [['yes', 'Yes'], ['with-support', 'Yes, with support'], ['no', 'No']]),
      choice('impact', 'How caring affects the carer', [['managing', 'Managing well'], ['struggling', 'Struggling at times'], ['breaking-point', 'At breaking point']]),
      choice('break', 'Would the carer like regular breaks?', [['yes', 'Yes'], ['no', 'No']]),
      words('carer-needs', "The carer's own needs and what would help (one a line)"),
    ]),
  },
  'about-me': {
    code: 'about-me', title: 'About me (the person)', plainTitle: 'About me', answerer: 'person',
    questionnaire: questionnaire('about-me', 'Joint assessment: about me', [
      words('about-me', 'About me: who I am and my life'),
      words('what-matters', 'What matters to me'),
      words('good-day', 'What a good day looks like for me', false),
    ]),
  },
};

export const JOINT_ASSESSMENT_URLS: ReadonlySet<string> = new Set(Object.values(PARTS).map((p) => p.questionnaire.url!));

export function partByUrl(url: string | undefined): PartDefinition | undefined {
  return Object.values(PARTS).find((p) => p.questionnaire.url === url);
}

export function isTaskKind(t: Pick<Task, 'code'> | undefined, kind: string): boolean {
  return (t?.code?.coding ?? []).some((c) => c.system === TASK_KIND_SYSTEM && c.code === kind);
}

/** A part Task's part code. */
export function partCodeOf(t: Pick<Task, 'code'>): PartCode | undefined {
  const c = (t.code?.coding ?? []).find((x) => x.system === PART_SYSTEM)?.code;
  return (PART_CODES as readonly string[]).includes(c ?? '') ? (c as PartCode) : undefined;
}

/** A part Task's Questionnaire canonical. */
export function questionnaireOf(t: Pick<Task, 'input'>): string | undefined {
  return (t.input ?? []).find((i) => (i.type.coding ?? []).some((c) => c.code === QUESTIONNAIRE_INPUT.code && c.system === QUESTIONNAIRE_INPUT.system))?.valueCanonical;
}
