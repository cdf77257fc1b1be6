import type { Questionnaire } from '@medplum/fhirtypes';
import { BASE, CS } from './fhir.helpers.js';

/**
 * The three surveys whose answers some strategy indicators need (O2.1, O4.1, O4.4). Answers are
 * coded so indicators can be computed from QuestionnaireResponses without parsing text.
 */

export interface SurveyDefinition {
  url: string;
  linkId: string;
  /** The question as asked, written into each response's item so an answer is never read without it. */
  question: string;
  answerSystem: string;
  answers: { code: string; display: string }[];
  resource: Questionnaire;
}

function survey(id: string, title: string, question: string, answers: [string, string][]): SurveyDefinition {
  const url = `${BASE}/Questionnaire/${id}`;
  const answerSystem = `${CS}/${id}-answer`;
  return {
    url, linkId: 'q1', question, answerSystem,
    answers: answers.map(([code, display]) => ({ code, display })),
    resource: {
      resourceType: 'Questionnaire', id, url, name: id.replace(/-/g, '_'), title, status: 'active',
      subjectType: ['Patient'],
      item: [{
        linkId: 'q1', text: question, type: 'choice', required: true,
        answerOption: answers.map(([code, display]) => ({ valueCoding: { system: answerSystem, code, display } })),
      }],
    },
  };
}

export const QUESTIONNAIRES = {
  loneliness: survey('loneliness', 'Loneliness (ONS direct measure)', 'How often do you feel lonely?', [
    ['often-always', 'Often or always'], ['some-of-the-time', 'Some of the time'], ['occasionally', 'Occasionally'],
    ['hardly-ever', 'Hardly ever'], ['never', 'Never'],
  ]),
  gpAppointment: survey('gp-appointment-experience', 'GP patient survey: making an appointment',
    'Overall, how would you describe your experience of making an appointment?', [
      ['very-good', 'Very good'], ['fairly-good', 'Fairly good'], ['neither', 'Neither good nor poor'],
      ['fairly-poor', 'Fairly poor'], ['very-poor', 'Very poor'],
    ]),
  carers: survey('carers-satisfaction', "Survey of adult carers: satisfaction with social services",
    'Overall, how satisfied or dissatisfied are you with the support or services you and the person you care for have received from social services in the last 12 months?', [
      ['very-satisfied', 'Extremely or very satisfied'], ['quite-satisfied', 'Quite satisfied'], ['neither', 'Neither satisfied nor dissatisfied'],
      ['quite-dissatisfied', 'Quite dissatisfied'], ['very-dissatisfied', 'Very or extremely dissatisfied'],
    ]),
} as const;
