/**
 * Kinds of record entry (FHIR resource types) in the words people use: the one list the record
 * page (consent scopes) and the access log ("looked at your medicines") both read, so a kind is
 * never called two things.
 */
export const TYPE_WORDS: Record<string, string> = {
  CarePlan: 'care plan', CareTeam: 'care team', Goal: 'goals', MedicationRequest: 'medicines', MedicationStatement: 'medicines taken',
  AllergyIntolerance: 'allergies', RelatedPerson: 'carers and contacts', Flag: 'alerts', Consent: 'consent choices',
  Encounter: 'appointments and visits', EpisodeOfCare: 'episodes of care', Condition: 'health conditions', Observation: 'tests and measurements',
  ServiceRequest: 'referrals', Appointment: 'appointments', QuestionnaireResponse: 'questionnaires', DocumentReference: 'letters and documents',
  Communication: 'messages', Task: 'tasks', AuditEvent: 'list of who has looked at the record',
};

/** A type in plain words; a type with no words yet is shown as itself rather than hidden. */
export function typeWords(type: string): string {
  return TYPE_WORDS[type] ?? type;
}
