import type { CodeableConcept } from '@medplum/fhirtypes';
import { uuidFor } from './oruk-ids.js';

/**
 * The directory's taxonomies as Open Referral publishes them. A HealthcareService's `category` and
 * `type` codings are its taxonomy terms: the coding's system is the taxonomy, its code the term.
 * OneStory's own two (service categories, and the kinds of service under them) have names and
 * plain-English words here; terms imported from other feeds keep the feed's taxonomy and words.
 */
export const SERVICE_CATEGORY_SYSTEM = 'https://onestory.example/fhir/CodeSystem/service-category';
export const SERVICE_TYPE_SYSTEM = 'https://onestory.example/fhir/CodeSystem/service-type';

export const TAXONOMY_NAMES: Record<string, { name: string; description: string }> = {
  [SERVICE_CATEGORY_SYSTEM]: { name: 'OneStory service categories', description: 'Broad areas of help in the Kent and Medway directory (community and voluntary, mental health, housing…).' },
  [SERVICE_TYPE_SYSTEM]: { name: 'OneStory kinds of service', description: 'The kinds of service in the Kent and Medway directory (befriending, carers\' support, stop smoking…).' },
};

/** Kinds of service in words people use: the terms of the kinds taxonomy, and the search page's "what" choices. */
export const SERVICE_KINDS: Record<string, string> = {
  befriending: 'Befriending and loneliness',
  'carers-support': "Carers' support",
  'weight-management': 'Weight management',
  'stop-smoking': 'Stop smoking',
  'debt-housing-advice': 'Debt, benefits and housing advice',
  'family-hub': 'Family hubs',
  'domestic-abuse': 'Domestic abuse support',
  veterans: "Veterans' support",
  'dementia-support': 'Dementia support',
  'crisis-cafe': 'Mental health crisis cafés',
  'street-triage': 'Mental health street triage',
  'social-prescribing': 'Social prescribing',
  'community-pharmacy': 'Pharmacies',
  'general-practice': 'GP practices',
  'community-mental-health': 'Community mental health',
  'crisis-resolution': 'Mental health crisis line',
  'early-intervention-psychosis': 'Early intervention in psychosis',
  'peer-supported-open-dialogue': 'Open dialogue (mental health)',
  'urgent-community-response': 'Urgent community response',
  'emergency-department': 'Emergency departments',
  maternity: 'Maternity',
  'discharge-hub': 'Hospital discharge',
  reablement: 'Reablement',
  'adult-social-care': 'Adult social care',
  ambulance: 'Ambulance',
};

export interface Term {
  /** The term's Open Referral id (UUID). */
  id: string;
  taxonomyId: string;
  taxonomyUri: string;
  taxonomyName: string;
  code: string;
  name: string;
}

export function taxonomyIdOf(system: string): string {
  return uuidFor(`taxonomy|${system}`);
}

export function termIdOf(system: string, code: string): string {
  return uuidFor(`taxonomy-term|${system}|${code}`);
}

/** The taxonomy terms of a service (its category and type codings), deduplicated. */
export function termsOf(concepts: readonly (CodeableConcept | undefined)[]): Term[] {
  const out = new Map<string, Term>();
  for (const c of concepts) {
    for (const coding of c?.coding ?? []) {
      if (!coding.system || !coding.code) continue;
      const id = termIdOf(coding.system, coding.code);
      if (out.has(id)) continue;
      const name = coding.system === SERVICE_TYPE_SYSTEM ? (SERVICE_KINDS[coding.code] ?? coding.display ?? coding.code) : (coding.display ?? coding.code);
      out.set(id, {
        id, taxonomyId: taxonomyIdOf(coding.system), taxonomyUri: coding.system,
        taxonomyName: TAXONOMY_NAMES[coding.system]?.name ?? coding.system, code: coding.code, name,
      });
    }
  }
  return [...out.values()];
}
