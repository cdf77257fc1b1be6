import type { CarePlan, EpisodeOfCare, Task } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { FhirError, invalidResource, issue, outcome } from '../fhir/outcome.js';
import { localReference } from '../fhir/reference.js';
import type { WriteRule } from '../fhir/write-rules.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import {
  isCareCoordination, isPersonalisedPlan, isTaskOfKind, MDT_ACTION_KIND, PCSP_EXT, PLAN_ACTION_KIND, PLAN_CATEGORY_CODE, PLAN_CATEGORY_SYSTEM, sub,
} from './care-planning.vocabulary.js';

/**
 * The rules of care planning as rules of the record (src/fhir/write-rules.ts): they hold on every
 * write path, the FHIR API, Bundles and the services alike, and a refused write writes nothing.
 * The services run their writes in a transaction holding the person's advisory lock (`lockPerson`),
 * so two concurrent writers cannot both pass a rule that counts what is already there; a second
 * active plan or named professional is a 409 (a conflict with what is on record). Writers that take
 * no lock (two FHIR API requests at the same instant) are stopped by the database itself: the unique
 * constraints behind care-one-active.table.ts let one commit and answer the other 409.
 */

const patientOf = (reference: string | undefined): string | undefined => {
  const k = localReference(reference);
  return k?.type === 'Patient' ? k.id : undefined;
};

/** Serialises the care-planning writes about one person (within the caller's transaction). */
export async function lockPerson(q: Queryable, what: 'plan' | 'named-professional', patientId: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`care-planning:${what}:${patientId}`]);
}

/** Ids of the person's active personalised care and support plans, other than `exceptId`. */
export async function otherActivePlans(q: Queryable, patientId: string, exceptId: string | undefined): Promise<string[]> {
  const res = await q.query<{ id: string }>(
    `SELECT r.id FROM resource r
      WHERE r.resource_type = 'CarePlan' AND NOT r.deleted AND r.id <> $2
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'CarePlan' AND x.code = 'subject' AND x.target_type = 'Patient' AND x.target_id = $1)
        AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'CarePlan' AND t.code = 'status' AND t.value = 'active')
        AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'CarePlan' AND t.code = 'category' AND t.system = $3 AND t.value = $4)`,
    [patientId, exceptId ?? '', PLAN_CATEGORY_SYSTEM, PLAN_CATEGORY_CODE],
  );
  return res.rows.map((r) => r.id);
}

/** Ids of the person's active care-coordination episodes (their named professional), other than `exceptId`. */
export async function otherActiveCoordination(q: Queryable, patientId: string, exceptId: string | undefined): Promise<string[]> {
  const res = await q.query<{ id: string; content: string }>(
    `SELECT r.id, r.content FROM resource r
      WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted AND r.id <> $2
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'EpisodeOfCare' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = $1)
        AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'EpisodeOfCare' AND t.code = 'status' AND t.value = 'active')`,
    [patientId, exceptId ?? ''],
  );
  return res.rows.filter((r) => isCareCoordination(JSON.parse(r.content))).map((r) => r.id);
}

/**
 * One active personalised care and support plan per person, and an agreement that names who agreed:
 * the person themself or a RelatedPerson of theirs (their representative), with the date. A plan
 * "agreed" by anyone else, or without a date, is refused (hazard PCSP-1: a plan shown as agreed when it was not).
 */
export const personalisedPlanRule: WriteRule = {
  types: ['CarePlan'],
  async check(w, q) {
    if (!w.resource || w.action === 'delete') return;
    const plan = w.resource as CarePlan;
    if (!isPersonalisedPlan(plan)) return;
    const patient = patientOf(plan.subject?.reference);
    if (!patient) throw invalidResource([issue('business-rule', 'A personalised care and support plan must be about a person (subject: Patient/id)', 'CarePlan.subject')]);
    if (plan.status === 'active') {
      const others = await otherActivePlans(q, patient, plan.id);
      if (others.length > 0) {
        throw new FhirError(409, outcome([issue('conflict', `This person already has an active personalised care and support plan (CarePlan/${others[0]}): change that one, or end it first`, 'CarePlan.status')]));
      }
    }
    const e = (plan.extension ?? []).find((x) => x.url === PCSP_EXT.agreement);
    if (e) {
      const by = sub(e, 'agreedBy')?.valueReference?.reference;
      const date = sub(e, 'date')?.valueDateTime;
      if (!date) throw invalidResource([issue('business-rule', 'An agreement must say when the plan was agreed', 'CarePlan.extension')]);
      const k = localReference(by);
      if (k?.type === 'Patient' && k.id === patient) return;
      if (k?.type === 'RelatedPerson') {
        const row = await q.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'RelatedPerson' AND id = $1 AND NOT deleted", [k.id]);
        const rp = row.rows[0] ? JSON.parse(row.rows[0].content) : undefined;
        if (rp && patientOf(rp.patient?.reference) === patient) return;
      }
      throw invalidResource([issue('business-rule', 'A plan is agreed with the person or their representative (a carer or advocate recorded for them): name them', 'CarePlan.extension')]);
    }
  },
};

/**
 * Exactly one named professional at a time: at most one active care-coordination EpisodeOfCare per
 * person, and it names its care manager (hazard PCSP-3: two named professionals, or none who knows it).
 */
export const namedProfessionalRule: WriteRule = {
  types: ['EpisodeOfCare'],
  async check(w, q) {
    if (!w.resource || w.action === 'delete') return;
    const e = w.resource as EpisodeOfCare;
    if (!isCareCoordination(e) || e.status !== 'active') return;
    if (!localReference(e.careManager?.reference)) {
      throw invalidResource([issue('business-rule', 'A care-coordination episode names the named professional (careManager)', 'EpisodeOfCare.careManager')]);
    }
    const patient = patientOf(e.patient?.reference);
    if (!patient) return;
    const others = await otherActiveCoordination(q, patient, e.id);
    if (others.length > 0) {
      throw new FhirError(409, outcome([issue('conflict', `This person already has a named professional (EpisodeOfCare/${others[0]}): hand over from them instead (the successor accepts, then the predecessor is released)`, 'EpisodeOfCare.status')]));
    }
  },
};

/** Every open action of a meeting or a plan has an owner and a due date (hazard PCSP-2: an action nobody owns). */
export const actionOwnerRule: WriteRule = {
  types: ['Task'],
  check(w) {
    if (!w.resource || w.action === 'delete') return;
    const t = w.resource as Task;
    if (!isTaskOfKind(t, MDT_ACTION_KIND) && !isTaskOfKind(t, PLAN_ACTION_KIND)) return;
    if (!(OPEN_TASK_STATUSES as readonly string[]).includes(t.status)) return;
    const problems = [];
    if (!t.owner?.reference) problems.push(issue('business-rule', 'An action needs an owner: a person or an organisation', 'Task.owner'));
    if (!t.restriction?.period?.end) problems.push(issue('business-rule', 'An action needs a due date', 'Task.restriction.period.end'));
    if (problems.length) throw invalidResource(problems);
  },
};

export const CARE_PLANNING_WRITE_RULES: readonly WriteRule[] = [personalisedPlanRule, namedProfessionalRule, actionOwnerRule];
