import type { Questionnaire } from '@medplum/fhirtypes';

/**
 * The words of social prescribing (issue 11 part 4), defined once: the link worker's caseload, its
 * write rule, pages and demo use these.
 *
 * - A person is on a link worker's caseload while a referral (src/referrals) is addressed to the link
 *   worker's organisation or one of its services. Everything recorded about it names that referral
 *   in `basedOn` (ServiceRequest/<id>).
 * - The "what matters to me" conversation and every contact are Communications (category
 *   CONTACT_CATEGORY_SYSTEM: `what-matters` or `contact`), with the next follow-up due as an extension.
 *   What matters is also written into the person's personalised care and support plan (src/care-planning).
 * - Wellbeing at the start and end is ONS4 (the ONS personal wellbeing questions, each 0 to 10) as a
 *   QuestionnaireResponse to ONS4_QUESTIONNAIRE, its time point (start or end) as an extension.
 */
const BASE = 'https://onestory.example/fhir';

export const CONTACT_CATEGORY_SYSTEM = `${BASE}/CodeSystem/social-prescribing-contact`;
export const CONTACT_KINDS = { 'what-matters': 'What matters to me conversation', contact: 'Contact' } as const;
export type ContactKind = keyof typeof CONTACT_KINDS;

/** How a contact happened (HL7 v3 ParticipationMode). */
export const CONTACT_MODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode';
export const CONTACT_MODES = { FACE: 'Face to face', PHONE: 'Telephone', VIDEOCONF: 'Video call', WRITTEN: 'Letter, email or text' } as const;
export type ContactMode = keyof typeof CONTACT_MODES;

/** The next follow-up is due by (valueDate), on a contact. */
export const FOLLOW_UP_EXTENSION = `${BASE}/StructureDefinition/follow-up-due`;
/** A first contact is due within this many days of the referral (the worklist's "waiting" shows how long). */
export const FIRST_CONTACT_DAYS = 7;

/** ONS4 personal wellbeing: the questionnaire's canonical URL and its four questions (0 = not at all, 10 = completely). */
export const ONS4_URL = `${BASE}/Questionnaire/ons4-personal-wellbeing`;
export const ONS4_ID = 'ons4-personal-wellbeing';
export const ONS4_ITEMS = {
  'life-satisfaction': 'Overall, how satisfied are you with your life nowadays?',
  worthwhile: 'Overall, to what extent do you feel that the things you do in your life are worthwhile?',
  happiness: 'Overall, how happy did you feel yesterday?',
  anxiety: 'On a scale where 0 is “not at all anxious” and 10 is “completely anxious”, overall, how anxious did you feel yesterday?',
} as const;
export type Ons4Item = keyof typeof ONS4_ITEMS;
export const ONS4_SHORT: Record<Ons4Item, string> = { 'life-satisfaction': 'Life satisfaction', worthwhile: 'Worthwhile', happiness: 'Happiness', anxiety: 'Anxiety' };
/** For anxiety a fall is the improvement. */
export const ONS4_LOWER_IS_BETTER: Ons4Item[] = ['anxiety'];

/** The time point of an ONS4 response (valueCode). */
export const TIMEPOINT_EXTENSION = `${BASE}/StructureDefinition/outcome-measure-timepoint`;
export const TIMEPOINTS = { start: 'At the start', end: 'At the end' } as const;
export type Timepoint = keyof typeof TIMEPOINTS;

/** The ONS4 Questionnaire as the record holds it (written once, by the platform). */
export const ONS4_QUESTIONNAIRE: Questionnaire = {
  resourceType: 'Questionnaire', id: ONS4_ID, url: ONS4_URL, name: 'ONS4PersonalWellbeing', title: 'ONS4 personal wellbeing', status: 'active',
  subjectType: ['Patient'],
  description: 'The Office for National Statistics’ four personal wellbeing questions, each answered from 0 (not at all) to 10 (completely).',
  item: (Object.entries(ONS4_ITEMS) as [Ons4Item, string][]).map(([linkId, text]) => ({
    linkId, text, type: 'integer', required: true,
    extension: [
      { url: 'http://hl7.org/fhir/StructureDefinition/minValue', valueInteger: 0 },
      { url: 'http://hl7.org/fhir/StructureDefinition/maxValue', valueInteger: 10 },
    ],
  })),
};
