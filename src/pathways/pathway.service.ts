import type { Encounter, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { restrictionFor } from '../access/policy/index.js';
import { accessContext } from '../access/policy/record-access.js';
import { can } from '../access/policy/policy.js';
import { personRef } from '../access/policy/task.policy.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import { dayNumber, isoDay, lengthOfStay } from '../discharge/discharge.rules.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { badRequest, FhirError, forbidden, invalidResource, issue } from '../fhir/outcome.js';
import { isValidId } from '../fhir/reference.js';
import type { RequestContext } from '../fhir/request-context.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { ageOn, nameOf } from '../record-view/fhir-text.js';
import { TASK_KIND_SYSTEM, TASK_KINDS, TASK_STATUS_TEXT, type TaskStatus } from '../workflow/task.vocabulary.js';
import type { WorklistService } from '../workflow/worklist.service.js';
import { BOARD_LIMIT, PathwayBoardRepository } from './pathway-board.repository.js';
import {
  clockOf, isMhPathway, isOutOfAreaReason, MH_PATHWAY_SYSTEM, MH_PATHWAYS, OUT_OF_AREA, OUT_OF_AREA_REASONS, TRANSITION_NOTICE_DAYS, type MhPathway, type OutOfAreaReason,
} from './pathway.vocabulary.js';

export interface PersonLine { id: string; name: string; nhsNumber?: string; age?: number }
export interface WaitingItem {
  taskId: string;
  pathway: MhPathway;
  person?: PersonLine;
  referred: string;
  waitedMs: number;
  leftMs: number;
  breached: boolean;
  near: boolean;
  status: string;
  owner?: string;
}
export interface PlacementItem { id: string; person?: PersonLine; reason?: OutOfAreaReason; appropriate: boolean; where?: string; start?: string; days: number; open: boolean }
export interface PathwayBoard {
  waiting: WaitingItem[];
  placements: PlacementItem[];
  /** Over the placements listed. */
  inappropriateBedDays: number;
  transitions: (PersonLine & { eighteenOn: string })[];
  /** Lists cut at their limit (`BOARD_LIMIT`): there are more than shown, and the page says so. */
  cut: { waiting: boolean; placements: boolean; transitions: boolean };
}

const personOf = (pt: Patient, now: Date): PersonLine => ({
  id: pt.id!, name: nameOf(pt) || 'Name not recorded', nhsNumber: pt.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value, age: ageOn(pt.birthDate, now),
});

/**
 * The mental health pathways (issue 13 part 5): the board of who is waiting on each pathway and
 * how long against its standard, out-of-area placements with their reason and days (and the
 * inappropriate bed days), and people nearing 18; the commands that refer onto a pathway (starting
 * its clock) and record a placement. Reads under the caller's row restriction; writes through the
 * record with `accessContext`, validated first.
 */
export class PathwayService {
  private readonly repo = new PathwayBoardRepository();

  constructor(private readonly resources: ResourceService, private readonly clock: Clock, private readonly worklist: WorklistService) {}

  async board(p: Principal, now: Date): Promise<PathwayBoard> {
    this.authorize(p);
    const restriction = restrictionFor(p, now);
    const owners = await this.worklist.ownersOf(p);
    const org = p.kind === 'staff' ? p.organizationId : '';
    const [allWaiting, allPlacements, allTeens] = await Promise.all([
      this.repo.waiting(this.resources.db, restriction, [...owners.mine, ...owners.pools]),
      this.repo.placements(this.resources.db, restriction, org),
      this.repo.nearing18(this.resources.db, restriction, org, isoDay(dayNumber(now)), TRANSITION_NOTICE_DAYS),
    ]);
    const cut = { waiting: allWaiting.length > BOARD_LIMIT.waiting, placements: allPlacements.length > BOARD_LIMIT.placements, transitions: allTeens.length > BOARD_LIMIT.transitions };
    const waitingRows = allWaiting.slice(0, BOARD_LIMIT.waiting), placementRows = allPlacements.slice(0, BOARD_LIMIT.placements), teens = allTeens.slice(0, BOARD_LIMIT.transitions);
    const waiting: WaitingItem[] = [];
    for (const row of waitingRows) {
      const t = JSON.parse(row.content) as Task;
      const code = t.code?.coding?.find((c) => c.system === MH_PATHWAY_SYSTEM)?.code;
      if (!isMhPathway(code) || !t.authoredOn) continue;
      const c = clockOf(code, new Date(t.authoredOn), now);
      waiting.push({
        taskId: t.id!, pathway: code, person: row.patient ? personOf(JSON.parse(row.patient) as Patient, now) : undefined, referred: t.authoredOn, ...c,
        status: TASK_STATUS_TEXT[t.status as TaskStatus] ?? t.status, owner: t.owner?.display,
      });
    }
    // Breached first (longest past its limit), then by time left.
    waiting.sort((a, b) => a.leftMs - b.leftMs);
    const placements = placementRows.map((row): PlacementItem => {
      const e = JSON.parse(row.content) as Encounter;
      const reason = e.extension?.find((x) => x.url === OUT_OF_AREA.reason)?.valueCodeableConcept?.coding?.[0]?.code;
      const appropriate = e.extension?.find((x) => x.url === OUT_OF_AREA.appropriate)?.valueBoolean === true;
      const end = e.period?.end ? new Date(e.period.end) : now;
      return {
        id: e.id!, person: row.patient ? personOf(JSON.parse(row.patient) as Patient, now) : undefined, reason: isOutOfAreaReason(reason) ? reason : undefined,
        appropriate, where: e.location?.[0]?.location?.display, start: e.period?.start, days: e.period?.start ? lengthOfStay(e.period.start, end) : 0, open: e.status === 'in-progress',
      };
    });
    const transitions = teens.map((c) => {
      const pt = JSON.parse(c) as Patient;
      const b = pt.birthDate!;
      return { ...personOf(pt, now), eighteenOn: `${Number(b.slice(0, 4)) + 18}${b.slice(4, 10)}` };
    });
    return { waiting, placements, inappropriateBedDays: placements.filter((x) => !x.appropriate).reduce((n, x) => n + x.days, 0), transitions, cut };
  }

  /** Refers a person onto a pathway: a ServiceRequest and a Task for the caller's team, its clock started now. */
  async refer(p: Principal, input: { patientId?: string; pathway?: string; note?: string }): Promise<Task> {
    this.authorize(p);
    if (!isMhPathway(input.pathway)) throw invalidResource([issue('code-invalid', 'Choose a pathway from the list', 'pathway')]);
    const pathway = input.pathway;
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const patient = await this.patient(ctx, input.patientId);
    const org = (p as { organizationId: string }).organizationId;
    const words = MH_PATHWAYS[pathway];
    const code = { coding: [{ system: MH_PATHWAY_SYSTEM, code: pathway, display: words.text }], text: words.text };
    return this.resources.db.transaction(async (tx) => {
      const sr: ServiceRequest = {
        resourceType: 'ServiceRequest', status: 'active', intent: 'order', code, subject: { reference: `Patient/${patient.id}` }, authoredOn: now.toISOString(),
        requester: { reference: personRef(p) ?? `Organization/${org}` }, performer: [{ reference: `Organization/${org}` }],
      };
      const made = await this.resources.create('ServiceRequest', sr, { tx, ctx });
      const task: Task = {
        resourceType: 'Task', status: 'requested', intent: 'order', priority: pathway === 'core24' || pathway === 'crisis' ? 'stat' : 'urgent',
        code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'referral', display: TASK_KINDS.referral }, code.coding[0]], text: words.text },
        description: `${words.text}: ${words.standard}`, for: { reference: `Patient/${patient.id}` }, focus: { reference: `ServiceRequest/${made.id}` },
        basedOn: [{ reference: `ServiceRequest/${made.id}` }], authoredOn: now.toISOString(), requester: { reference: personRef(p) ?? `Organization/${org}` },
        owner: { reference: `Organization/${org}` }, restriction: { period: { end: new Date(now.getTime() + words.clockMs).toISOString() } },
      };
      const d = can(p, 'task.create', { task, teamIds: [] });
      if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
      return JSON.parse((await this.resources.create('Task', task, { tx, ctx })).content!) as Task;
    });
  }

  /**
   * Records an out-of-area placement: where, from when, and why (required: a placement without a
   * reason is refused). Whether it is appropriate follows from the reason (no local bed is the
   * inappropriate kind the national count is of).
   */
  async recordPlacement(p: Principal, input: { patientId?: string; reason?: string; where?: string; start?: string }): Promise<Encounter> {
    this.authorize(p);
    if (!input.reason) throw invalidResource([issue('required', 'Say why the placement is out of area: a placement needs a reason', 'reason')]);
    if (!isOutOfAreaReason(input.reason)) throw invalidResource([issue('code-invalid', 'Choose the reason from the list', 'reason')]);
    const where = (input.where ?? '').trim();
    if (!where || where.length > 200) throw badRequest('Say where the placement is (up to 200 characters)', 'where');
    const now = this.clock.now();
    const start = input.start && /^\d{4}-\d{2}-\d{2}$/.test(input.start) ? input.start : undefined;
    if (!start || dayNumber(start) > dayNumber(now)) throw badRequest('The placement’s start must be a real date, today or earlier', 'start');
    const ctx = this.ctx(p, now);
    const patient = await this.patient(ctx, input.patientId);
    const reason = input.reason;
    const enc: Encounter = {
      resourceType: 'Encounter', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
      subject: { reference: `Patient/${patient.id}` }, period: { start }, location: [{ location: { display: where } }],
      extension: [
        { url: OUT_OF_AREA.placement, valueBoolean: true },
        { url: OUT_OF_AREA.reason, valueCodeableConcept: { coding: [{ system: `${MH_PATHWAY_SYSTEM}-out-of-area-reason`, code: reason, display: OUT_OF_AREA_REASONS[reason] }], text: OUT_OF_AREA_REASONS[reason] } },
        { url: OUT_OF_AREA.appropriate, valueBoolean: reason !== 'no-local-bed' },
      ],
    };
    return JSON.parse((await this.resources.create('Encounter', enc, { ctx })).content!) as Encounter;
  }

  /** The person as the referral form shows them, or undefined for anyone the caller may not see (or nobody at that id). */
  async person(p: Principal, id: string | undefined): Promise<PersonLine | undefined> {
    this.authorize(p);
    if (!isValidId(id)) return undefined;
    const now = this.clock.now();
    try {
      return personOf(await this.patient(this.ctx(p, now), id), now);
    } catch (err) {
      if (err instanceof FhirError && err.status === 404) return undefined;
      throw err;
    }
  }

  private authorize(p: Principal): void {
    const d = can(p, 'pathways.board');
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  private async patient(ctx: RequestContext, id: string | undefined): Promise<Patient> {
    if (!isValidId(id)) throw badRequest('Choose the person', 'patientId');
    return JSON.parse((await this.resources.read('Patient', id, this.resources.db, ctx)).content!) as Patient;
  }

  private ctx(p: Principal, now: Date): RequestContext {
    return { baseUrl: '', ...accessContext(p, now) };
  }
}
