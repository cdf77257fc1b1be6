import type { Platform } from '../platform.js';

/**
 * What every start writes into the record before the server answers: the strategy's indicators as
 * Measures, and the questionnaires of the 'I' statements and of the joint assessment's parts.
 * A record holding only these types is still an empty one (the demo's first start reads this list).
 */
export const DEFINITION_TYPES = ['Measure', 'Questionnaire'] as const;

/** Writes the definitions (each by its fixed id, so a restart updates rather than duplicates). */
export async function publishDefinitions(platform: Platform): Promise<void> {
  await platform.outcomes.service.publishMeasures();
  await platform.outcomes.feedback.publishQuestionnaires();
  await platform.carePlanning.assessments.publishQuestionnaires();
}
