import type { CarePlan, EpisodeOfCare } from '@medplum/fhirtypes';
import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';
import { localReference } from '../fhir/reference.js';
import { isCareCoordination, isPersonalisedPlan } from './care-planning.vocabulary.js';

/**
 * The database's backstop for "one active plan and one named professional per person" (migration
 * 020). The write rules (care-planning.write-rules.ts) refuse a second one with a clear message; two
 * writes at the same instant could each pass the rule before either commits, so each active plan and
 * each active care-coordination episode also has a row here, written in the same statement as the
 * resource, and a unique constraint on the person lets exactly one of them commit: the other write
 * fails whole and the record answers 409 (resource.repository.ts, DerivedTable.conflict). Registered
 * in src/platform.ts.
 */

const patientOf = (reference: string | undefined): string | undefined => {
  const k = localReference(reference);
  return k?.type === 'Patient' ? k.id : undefined;
};

export const SECOND_ACTIVE_PLAN =
  'This person already has an active personalised care and support plan (another was made at the same moment): change that one, or end it first';
export const SECOND_NAMED_PROFESSIONAL =
  'This person already has a named professional (another was named at the same moment): hand over from them instead (the successor accepts, then the predecessor is released)';

/** A table of one row per active resource of `type` about a person, with its constraint's 409. */
function oneActivePerPerson<T>(table: string, type: string, patientIfActive: (r: T) => string | undefined, conflict: NonNullable<DerivedTable['conflict']>): DerivedTable {
  return {
    table, columns: ['patient_id'], types: ['text'], conflict,
    rows: (w: VersionWrite) => {
      if (w.resourceType !== type || !w.content) return [];
      const patient = patientIfActive(JSON.parse(w.content) as T);
      return patient ? [[patient]] : [];
    },
  };
}

export const ACTIVE_CARE_PLAN_TABLE = oneActivePerPerson<CarePlan>(
  'active_care_plan', 'CarePlan',
  (plan) => (plan.status === 'active' && isPersonalisedPlan(plan) ? patientOf(plan.subject?.reference) : undefined),
  { constraint: 'active_care_plan_one_per_person', message: SECOND_ACTIVE_PLAN, expression: 'CarePlan.status' },
);

export const ACTIVE_CARE_COORDINATION_TABLE = oneActivePerPerson<EpisodeOfCare>(
  'active_care_coordination', 'EpisodeOfCare',
  (e) => (e.status === 'active' && isCareCoordination(e) ? patientOf(e.patient?.reference) : undefined),
  { constraint: 'active_care_coordination_one_per_person', message: SECOND_NAMED_PROFESSIONAL, expression: 'EpisodeOfCare.status' },
);
