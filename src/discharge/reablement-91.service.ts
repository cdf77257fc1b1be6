import type { EpisodeOfCare, Observation, Task } from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import { accessContext } from '../access/policy/record-access.js';
import { can } from '../access/policy/policy.js';
import { personRef } from '../access/policy/task.policy.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { badRequest, FhirError, forbidden, invalidResource, issue } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { RequestContext } from '../fhir/request-context.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { ageOn } from '../record-view/fhir-text.js';
import { OUTCOME_NOTE, TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { dayNumber, isoDay } from './discharge.rules.js';
import {
  AT_HOME_91, codingOf, DISCHARGE_TASK_SYSTEM, DISCHARGE_TASKS, EPISODE_TYPE_SYSTEM, FOLLOW_UP_DAY, FOLLOW_UP_IDENTIFIER_SYSTEM, FOLLOW_UP_SOURCE,
  isPlaceOnDay91, PLACE_ON_DAY_91, PLACE_SYSTEM, PLACES_ON_DAY_91, REABLEMENT_EPISODE, REABLEMENT_MIN_AGE,
} from './discharge.vocabulary.js';

/** How far back the follow-up job looks for reablement episodes still without a day-91 outcome. */
const LOOK_BACK_DAYS = 365;
/** How often the running server looks for people reaching day 91. */
export const FOLLOW_UP_INTERVAL_MS = 60 * 60_000;

/**
 * Reablement at 91 days: the scheduled job that gives the council a follow-up task on day 91 for
 * each person 65+ discharged into reablement, and the command that records where they are.
 */
export class Reablement91Service {
  constructor(private readonly resources: ResourceService, private readonly clock: Clock, private readonly opts: { baseUrl?: string } = {}) {}

  /**
   * For every reablement episode whose day 91 has come (reading `platform.clock`), of a person aged
   * 65 or over when it started, with no day-91 outcome yet: a follow-up Task for the episode's
   * council (its managing organisation), raised once (a conditional create on the episode's id, so
   * any number of runs, or concurrent ones, raise one). The platform's own work, like escalation:
   * no principal; tagged as recorded by the council, so it sees and works it. Returns how many were raised.
   * `at`: the day to run as (the demo seeds as of its own day); the clock's now by default.
   */
  async raiseFollowUps(at?: Date): Promise<number> {
    const now = at ?? this.clock.now();
    const today = dayNumber(now);
    const res = await this.resources.db.query<{ id: string; content: string; birth_date: string | null }>(
      `SELECT r.id, r.content, pt.content::jsonb->>'birthDate' AS birth_date FROM resource r
         LEFT JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = substring(r.content::jsonb#>>'{patient,reference}' from '^Patient/(.+)$') AND NOT pt.deleted
        WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'EpisodeOfCare' AND t.code = 'type' AND t.system = $1 AND t.value = $2)
          AND r.rid IN (SELECT d.rid FROM sp_date d WHERE d.resource_type = 'EpisodeOfCare' AND d.code = 'date' AND d.low >= $3::timestamptz AND d.low <= $4::timestamptz)
          AND NOT EXISTS (SELECT 1 FROM sp_reference f JOIN resource ob ON ob.rid = f.rid AND NOT ob.deleted
                           WHERE f.resource_type = 'Observation' AND f.code = 'focus' AND f.target_type = 'EpisodeOfCare' AND f.target_id = r.id
                             AND EXISTS (SELECT 1 FROM sp_token k WHERE k.rid = f.rid AND k.code = 'code' AND k.value = $5))
        ORDER BY r.rid`,
      [EPISODE_TYPE_SYSTEM, REABLEMENT_EPISODE.code, `${isoDay(today - LOOK_BACK_DAYS)}T00:00:00Z`, `${isoDay(today - FOLLOW_UP_DAY)}T00:00:00Z`, AT_HOME_91.code],
    );
    let raised = 0;
    for (const row of res.rows) {
      const ep = JSON.parse(row.content) as EpisodeOfCare;
      const start = ep.period?.start;
      const council = localReference(ep.managingOrganization?.reference);
      if (!start || council?.type !== 'Organization' || !row.birth_date) continue;
      const age = ageOn(row.birth_date, new Date(`${start.slice(0, 10)}T00:00:00Z`));
      if (age === undefined || age < REABLEMENT_MIN_AGE) continue;
      const day91 = dayNumber(start) + FOLLOW_UP_DAY;
      const task: Task = {
        resourceType: 'Task', meta: { tag: [recordedByTag(council.id)], source: FOLLOW_UP_SOURCE },
        identifier: [{ system: FOLLOW_UP_IDENTIFIER_SYSTEM, value: row.id }],
        status: 'ready', intent: 'order', priority: 'routine',
        code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'follow-up', display: TASK_KINDS['follow-up'] }, codingOf(DISCHARGE_TASK_SYSTEM, 'reablement-91', DISCHARGE_TASKS)], text: DISCHARGE_TASKS['reablement-91'] },
        description: `Day 91 after leaving hospital into reablement (${isoDay(dayNumber(start))}): record where they are now`,
        for: ep.patient, focus: { reference: `EpisodeOfCare/${row.id}` }, authoredOn: now.toISOString(),
        requester: { reference: `Organization/${council.id}` }, owner: { reference: `Organization/${council.id}` },
        restriction: { period: { start: `${isoDay(day91)}T00:00:00Z`, end: `${isoDay(day91 + 7)}T00:00:00Z` } },
      };
      const done = await this.resources.create('Task', task, { ifNoneExist: `identifier=${encodeURIComponent(`${FOLLOW_UP_IDENTIFIER_SYSTEM}|${row.id}`)}` });
      if (done.created) raised++;
    }
    return raised;
  }

  /**
   * Where the person is on day 91, recorded from the follow-up task: an Observation (AT_HOME_91:
   * valueBoolean, and the place as a component) about the episode, and the task completed with the
   * outcome as its note, in one transaction. Refused before day 91, for a place not on the list, or
   * by anyone the task's owner is not.
   */
  async recordOutcome(p: Principal, taskId: string, versionId: number, place: unknown): Promise<Task> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    if (!isValidId(taskId)) throw badRequest('There is no task at this address');
    const v = await this.resources.read('Task', taskId, this.resources.db, ctx);
    let task = JSON.parse(v.content!) as Task;
    if (!task.code?.coding?.some((c) => c.system === DISCHARGE_TASK_SYSTEM && c.code === 'reablement-91')) {
      throw invalidResource([issue('business-rule', 'This task is not a day-91 follow-up', 'place')]);
    }
    if (!isPlaceOnDay91(place)) throw invalidResource([issue('required', 'Say where they are on day 91', 'place')]);
    if (!Number.isInteger(versionId) || versionId !== v.versionId) {
      throw new FhirError(409, badRequest('This task was changed by someone else since you opened it: reload it and try again', 'versionId').outcome);
    }
    const episodeId = localReference(task.focus?.reference);
    if (episodeId?.type !== 'EpisodeOfCare') throw invalidResource([issue('business-rule', 'The follow-up names no reablement episode', 'place')]);
    const ep = JSON.parse((await this.resources.read('EpisodeOfCare', episodeId.id, this.resources.db, ctx)).content!) as EpisodeOfCare;
    const day91 = dayNumber(ep.period?.start ?? now) + FOLLOW_UP_DAY;
    if (dayNumber(now) < day91) {
      throw invalidResource([issue('business-rule', `Day 91 is ${isoDay(day91)}: where they are on day 91 cannot be recorded before then`, 'place')]);
    }
    if (!['ready', 'in-progress', 'accepted'].includes(task.status)) {
      throw invalidResource([issue('business-rule', `The task is ${task.status}: ${task.status === 'requested' || task.status === 'received' ? 'claim it first' : 'it is finished'}`, 'place')]);
    }
    const d = can(p, 'task.transition', { task, teamIds: [], to: 'completed' });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    const words = PLACES_ON_DAY_91[place];
    const me = personRef(p);
    const observation: Observation = {
      resourceType: 'Observation', status: 'final', code: { coding: [AT_HOME_91], text: AT_HOME_91.display },
      subject: task.for as Observation['subject'], focus: [{ reference: `EpisodeOfCare/${episodeId.id}` }], effectiveDateTime: isoDay(day91), issued: now.toISOString(),
      valueBoolean: words.atHome, ...(me ? { performer: [{ reference: me, display: p.displayName }] } : {}),
      component: [{ code: { coding: [PLACE_ON_DAY_91], text: PLACE_ON_DAY_91.display }, valueCodeableConcept: { coding: [{ system: PLACE_SYSTEM, code: place, display: words.text }], text: words.text } }],
    };
    return this.resources.db.transaction(async (tx) => {
      await this.resources.create('Observation', observation, { tx, ctx });
      let version = v.versionId;
      if (task.status === 'accepted') {
        const started = await this.resources.update('Task', taskId, { ...task, status: 'in-progress', executionPeriod: { start: now.toISOString() }, lastModified: now.toISOString() }, { tx, ctx, ifMatch: version });
        task = JSON.parse(started.content!) as Task;
        version = started.versionId;
      }
      const note = `Day 91: ${words.text}`;
      const done = await this.resources.update('Task', taskId, {
        ...task, status: 'completed', lastModified: now.toISOString(), executionPeriod: { ...task.executionPeriod, end: now.toISOString() },
        output: [...(task.output ?? []), { type: { coding: [{ ...OUTCOME_NOTE }], text: OUTCOME_NOTE.display }, valueString: note }],
        note: [...(task.note ?? []), { text: note, time: now.toISOString(), ...(me ? { authorReference: { reference: me, display: p.displayName } } : { authorString: p.displayName }) }],
      }, { tx, ctx, ifMatch: version });
      return JSON.parse(done.content!) as Task;
    });
  }

  private ctx(p: Principal, now: Date): RequestContext {
    return { baseUrl: this.opts.baseUrl ?? '', ...accessContext(p, now) };
  }
}

