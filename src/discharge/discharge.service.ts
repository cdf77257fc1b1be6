import type { CarePlan, Encounter, EpisodeOfCare, Extension, Observation, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { accessContext } from '../access/policy/record-access.js';
import { can } from '../access/policy/policy.js';
import { personRef } from '../access/policy/task.policy.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/database.js';
import { badRequest, FhirError, forbidden, invalidResource, issue } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { RequestContext } from '../fhir/request-context.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { cleanText } from '../workflow/task.service.js';
import { TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { DischargePartnersRepository, type Partner } from './discharge-partners.repository.js';
import { dayNumber, isoDay } from './discharge.rules.js';
import {
  codingOf, conceptOf, CRITERIA_TO_RESIDE, DELAY_REASON_SYSTEM, DELAY_REASONS, DESTINATIONS, DISCHARGE_PLAN_CATEGORY, DISCHARGE_TASK_SYSTEM,
  DISCHARGE_TASKS, DISPOSITION_SYSTEM, EXT, isDelayReason, isDestination, isDischargeTaskType, isPathway, PATHWAY_REQUEST, PATHWAY_SYSTEM, PATHWAYS,
  PLAN_PART_SYSTEM, PLAN_PARTS, REABLEMENT_EPISODE, REQUESTABLE_TASKS, type DischargeTaskType, type PlanPart,
} from './discharge.vocabulary.js';

/** A stay as a command returns it, with the version to send back with the next command. */
export interface StayVersion {
  stay: Encounter;
  versionId: number;
}

/** What the discharge form may change; each field as typed ('' clears it). */
export interface PlanInput {
  readyDate?: string;
  expectedDate?: string;
  pathway?: string;
  delayReason?: string;
}

const DAY = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The discharge coordinator's commands on a stay in hospital. Each reads the stay under the
 * caller's row restriction (404 alike for hidden and missing), checks `discharge.plan` (a
 * coordinator of the trust providing the stay), validates everything before writing, and writes
 * every resource a command touches in one transaction through the record (write remit, state
 * machine, version stamping): bad input is a 400/422 naming the field and nothing is written.
 * Errors' first issue `expression` names the form field at fault.
 */
export class DischargeService {
  private readonly partnersRepo = new DischargePartnersRepository();

  constructor(
    private readonly resources: ResourceService,
    private readonly clock: Clock,
    private readonly opts: { baseUrl?: string } = {},
  ) {}

  /** The stay as the caller may see it (404 when hidden or missing, or not a stay in hospital). */
  async get(p: Principal, id: string): Promise<StayVersion> {
    return this.load(this.ctx(p, this.clock.now()), id);
  }

  /** Who may take each kind of discharge work for this stay's person. */
  async partners(p: Principal, id: string, type: DischargeTaskType): Promise<Partner[]> {
    const ctx = this.ctx(p, this.clock.now());
    const { stay } = await this.load(ctx, id);
    return this.partnersRepo.partners(this.resources.db, type, await this.patientOf(ctx, stay));
  }

  /**
   * Today's decision on the criteria to reside, recorded as an Observation (who decided: the
   * caller's Practitioner). "No longer meets" starts the Discharge Ready Date (today) unless one is
   * already running; "meets" ends it (and its delay reason): the person is not ready after all.
   */
  async recordCriteria(p: Principal, id: string, versionId: number, meets: unknown): Promise<StayVersion> {
    if (meets !== 'yes' && meets !== 'no') throw badRequest('Say whether they meet the criteria to reside today', 'meets');
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const cur = await this.planned(p, ctx, id, versionId);
    const stay = cur.stay;
    const me = personRef(p);
    const observation: Observation = {
      resourceType: 'Observation', status: 'final', code: { coding: [CRITERIA_TO_RESIDE], text: CRITERIA_TO_RESIDE.display },
      subject: stay.subject as Observation['subject'], encounter: { reference: `Encounter/${stay.id}` }, effectiveDateTime: now.toISOString(), issued: now.toISOString(),
      valueBoolean: meets === 'yes', ...(me ? { performer: [{ reference: me, display: p.displayName }] } : {}),
    };
    let ext = setExt(stay.extension, EXT.criteriaReviewed, { valueDateTime: now.toISOString() });
    if (meets === 'yes') ext = setExt(setExt(ext, EXT.readyDate, undefined), EXT.delayReason, undefined);
    else if (!extOf(stay, EXT.readyDate)) ext = setExt(ext, EXT.readyDate, { valueDateTime: isoDay(dayNumber(now)) });
    return this.resources.db.transaction(async (tx) => {
      await this.resources.create('Observation', observation, { tx, ctx });
      return this.write(tx, ctx, { ...stay, extension: ext }, versionId);
    });
  }

  /**
   * The Discharge Ready Date, the expected date of discharge, the pathway and the delay reason.
   * Choosing pathway 1, 2 or 3 raises its request (PATHWAY_REQUEST: the reablement referral, the
   * bed or the placement) as a ServiceRequest and a Task to the organisation that provides it, with
   * its clock (due date, escalated when overdue), once per stay and pathway.
   */
  async updatePlan(p: Principal, id: string, versionId: number, input: PlanInput): Promise<StayVersion> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const cur = await this.planned(p, ctx, id, versionId);
    const stay = cur.stay;
    const admittedDay = stay.period?.start ? dayNumber(stay.period.start) : undefined;
    const today = dayNumber(now);
    const date = (v: string | undefined, field: string, what: string): string | undefined => {
      const s = (v ?? '').trim();
      if (!s) return undefined;
      if (!ISO_DATE.test(s) || Number.isNaN(Date.parse(`${s}T00:00:00Z`)) || isoDay(dayNumber(s)) !== s) throw badRequest(`${what} must be a real date`, field);
      if (admittedDay !== undefined && dayNumber(s) < admittedDay) {
        throw invalidResource([issue('business-rule', `${what} cannot be before the admission on ${isoDay(admittedDay)}`, field)]);
      }
      return s;
    };
    const ready = date(input.readyDate, 'readyDate', 'The Discharge Ready Date');
    if (ready && dayNumber(ready) > today) throw invalidResource([issue('business-rule', 'The Discharge Ready Date cannot be in the future: it is the first day they no longer met the criteria to reside', 'readyDate')]);
    const expected = date(input.expectedDate, 'expectedDate', 'The expected date of discharge');
    const pathway = (input.pathway ?? '').trim();
    if (pathway && !isPathway(pathway)) throw invalidResource([issue('code-invalid', `There is no discharge pathway "${pathway.slice(0, 20)}": choose 0, 1, 2 or 3`, 'pathway')]);
    const reason = (input.delayReason ?? '').trim();
    if (reason && !isDelayReason(reason)) throw invalidResource([issue('code-invalid', 'Choose a reason for the delay from the list', 'delayReason')]);
    if (reason && !ready) throw invalidResource([issue('business-rule', 'A delay reason needs a Discharge Ready Date: someone who still meets the criteria to reside is not delayed', 'delayReason')]);

    let ext = setExt(stay.extension, EXT.readyDate, ready ? { valueDateTime: ready } : undefined);
    ext = setExt(ext, EXT.expectedDate, expected ? { valueDate: expected } : undefined);
    ext = setExt(ext, EXT.pathway, isPathway(pathway) ? { valueCodeableConcept: conceptOf(PATHWAY_SYSTEM, pathway, PATHWAYS) } : undefined);
    ext = setExt(ext, EXT.delayReason, isDelayReason(reason) ? { valueCodeableConcept: conceptOf(DELAY_REASON_SYSTEM, reason, DELAY_REASONS) } : undefined);

    // The pathway's request, when it is new for this stay: resolved before writing, so a missing service writes nothing.
    const request = isPathway(pathway) ? PATHWAY_REQUEST[pathway] : undefined;
    let raise: { sr: ServiceRequest; task: Task } | undefined;
    if (request && !(await this.hasRequest(stay, request.task))) {
      const patient = await this.patientOf(ctx, stay);
      const [partner] = await this.partnersRepo.partners(this.resources.db, request.task, patient);
      if (!partner) throw invalidResource([issue('business-rule', `No service in the directory takes "${DISCHARGE_TASKS[request.task]}" for this person's area`, 'pathway')]);
      const sr: ServiceRequest = {
        resourceType: 'ServiceRequest', status: 'active', intent: 'order', priority: 'urgent', code: request.code,
        subject: stay.subject as ServiceRequest['subject'], encounter: { reference: `Encounter/${stay.id}` }, authoredOn: now.toISOString(),
        requester: { reference: personRef(p) ?? `Organization/${stay.serviceProvider?.reference?.split('/')[1]}` },
        performer: [{ reference: `HealthcareService/${partner.serviceId}`, display: partner.serviceName }],
        reasonCode: [conceptOf(PATHWAY_SYSTEM, pathway as keyof typeof PATHWAYS, PATHWAYS)],
      };
      raise = { sr, task: this.dischargeTask(p, stay, request.task, partner, now, now.getTime() + request.dueDays * DAY) };
    }
    return this.resources.db.transaction(async (tx) => {
      if (raise) {
        const made = await this.resources.create('ServiceRequest', raise.sr, { tx, ctx });
        const task = { ...raise.task, basedOn: [{ reference: `ServiceRequest/${made.id}` }] };
        this.authorizeTask(p, task);
        await this.resources.create('Task', task, { tx, ctx });
      }
      return this.write(tx, ctx, { ...stay, extension: ext }, versionId);
    });
  }

  /**
   * Asks another organisation for a part of the discharge (a care package, community nursing,
   * equipment, transport, a voluntary 'home from hospital' service): a Task it owns, due tomorrow
   * unless said. The owner must be an organisation that provides that kind of work for the person's
   * area (the directory): anything else is refused, so work is never sent where nobody will do it.
   */
  async requestTask(p: Principal, id: string, input: { type?: string; owner?: string; note?: string }): Promise<Task> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const { stay } = await this.load(ctx, id);
    this.mayPlan(p, stay);
    if (stay.status !== 'in-progress') throw invalidResource([issue('business-rule', 'This stay has ended: there is no discharge left to arrange', 'type')]);
    const type = input.type;
    if (!isDischargeTaskType(type) || !REQUESTABLE_TASKS.includes(type)) throw invalidResource([issue('code-invalid', 'Choose what the discharge needs from the list', 'type')]);
    const owner = localReference((input.owner ?? '').trim());
    if (owner?.type !== 'Organization' || owner.version) throw badRequest('Choose the organisation that will do it', 'owner');
    const partners = await this.partnersRepo.partners(this.resources.db, type, await this.patientOf(ctx, stay));
    const partner = partners.find((x) => x.orgId === owner.id);
    if (!partner) {
      throw invalidResource([issue('business-rule', `Organization/${owner.id} does not provide "${DISCHARGE_TASKS[type]}" for this person's area: choose one of ${partners.map((x) => x.name).join(', ') || 'the listed organisations'}`, 'owner')]);
    }
    const note = input.note && input.note.trim() ? cleanText(input.note, 'note', 'The note') : undefined;
    const task = this.dischargeTask(p, stay, type, partner, now, now.getTime() + DAY, note);
    this.authorizeTask(p, task);
    const made = await this.resources.create('Task', task, { ctx });
    return JSON.parse(made.content!) as Task;
  }

  /**
   * The plan for leaving hospital, in plain English, shared with the person and (by their consent)
   * their carer in the portal: a CarePlan (category discharge-plan), one per stay, replaced when
   * shared again. The stay records when it was shared, so the board can say whether it reached
   * them at least 24 hours before they leave.
   */
  async sharePlan(p: Principal, id: string, versionId: number, parts: Partial<Record<PlanPart, unknown>>): Promise<StayVersion> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const texts = {} as Record<PlanPart, string>;
    for (const part of Object.keys(PLAN_PARTS) as PlanPart[]) texts[part] = cleanText(parts[part], part, PLAN_PARTS[part]);
    const cur = await this.planned(p, ctx, id, versionId);
    const stay = cur.stay;
    const planId = `discharge-plan-${stay.id}`.slice(0, 64);
    const plan: CarePlan = {
      resourceType: 'CarePlan', id: planId, status: 'active', intent: 'plan', category: [{ coding: [DISCHARGE_PLAN_CATEGORY], text: DISCHARGE_PLAN_CATEGORY.display }],
      title: 'Your plan for leaving hospital', subject: stay.subject as CarePlan['subject'], encounter: { reference: `Encounter/${stay.id}` }, created: now.toISOString(),
      ...(personRef(p) ? { author: { reference: personRef(p)!, display: p.displayName } } : {}),
      description: texts.where,
      activity: (Object.keys(PLAN_PARTS) as PlanPart[]).map((part) => ({
        detail: { code: { coding: [codingOf(PLAN_PART_SYSTEM, part, PLAN_PARTS)], text: PLAN_PARTS[part] }, status: 'scheduled', description: texts[part] },
      })),
    };
    return this.resources.db.transaction(async (tx) => {
      const existing = await this.resources.repo.readCurrent(tx, 'CarePlan', planId);
      if (existing && !existing.deleted) await this.resources.update('CarePlan', planId, plan, { tx, ctx, ifMatch: existing.version_id });
      else await this.resources.update('CarePlan', planId, plan, { tx, ctx });
      return this.write(tx, ctx, { ...stay, extension: setExt(stay.extension, EXT.planShared, { valueDateTime: now.toISOString() }) }, versionId);
    });
  }

  /**
   * The discharge: where they went (required) and when (now). The plan must have been shared with
   * the person first (hazard DIS-1). On pathway 1 with a reablement referral, a reablement episode
   * starts with the council (day 91 is counted from today). The GP practice gets a task to review
   * the discharge at once; the community teams working with the person see the finished stay on the
   * record as the practice does.
   */
  async discharge(p: Principal, id: string, versionId: number, input: { destination?: string }): Promise<StayVersion> {
    const now = this.clock.now();
    const ctx = this.ctx(p, now);
    const destination = (input.destination ?? '').trim();
    if (!destination) throw invalidResource([issue('required', 'Say where they are going: a discharge needs a destination', 'destination')]);
    if (!isDestination(destination)) throw invalidResource([issue('code-invalid', 'Choose where they are going from the list', 'destination')]);
    const cur = await this.planned(p, ctx, id, versionId);
    const stay = cur.stay;
    if (!extOf(stay, EXT.planShared)) {
      throw invalidResource([issue('business-rule', 'Share the plan for leaving hospital with the person and their carer before the discharge', 'destination')]);
    }
    const pathway = extOf(stay, EXT.pathway)?.valueCodeableConcept?.coding?.find((c) => c.system === PATHWAY_SYSTEM)?.code;
    const patient = await this.patientOf(ctx, stay);
    const reablement = pathway === '1' && destination === 'home' ? await this.openRequest(stay, 'reablement') : undefined;
    // The council whose reablement service took the referral (its owner may since be a named member of its team).
    const owner = localReference(reablement?.owner?.reference);
    const councilId = owner?.type === 'Organization' ? owner.id : reablement ? (await this.partnersRepo.partners(this.resources.db, 'reablement', patient))[0]?.orgId : undefined;
    const practice = localReference(patient.generalPractitioner?.find((g) => g.reference?.startsWith('Organization/'))?.reference);
    const next: Encounter = {
      ...stay, status: 'finished', period: { ...stay.period, end: now.toISOString() },
      hospitalization: { ...stay.hospitalization, dischargeDisposition: conceptOf(DISPOSITION_SYSTEM, destination, DESTINATIONS) },
    };
    // The stay is finished last: until then the trust's care relationship with the person stands, so its other writes are in its remit.
    return this.resources.db.transaction(async (tx) => {
      if (reablement) {
        const episode: EpisodeOfCare = {
          resourceType: 'EpisodeOfCare', status: 'active', type: [{ coding: [REABLEMENT_EPISODE], text: REABLEMENT_EPISODE.display }], patient: stay.subject as EpisodeOfCare['patient'],
          ...(councilId ? { managingOrganization: { reference: `Organization/${councilId}` } } : {}),
          period: { start: isoDay(dayNumber(now)) }, referralRequest: reablement.basedOn?.filter((b) => b.reference?.startsWith('ServiceRequest/')) as EpisodeOfCare['referralRequest'],
        };
        await this.resources.create('EpisodeOfCare', episode, { tx, ctx });
      }
      if (practice?.type === 'Organization') {
        const gpTask: Task = {
          resourceType: 'Task', status: 'requested', intent: 'order', priority: 'routine',
          code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'follow-up', display: TASK_KINDS['follow-up'] }], text: TASK_KINDS['follow-up'] },
          description: `Discharged from hospital on ${isoDay(dayNumber(now))} (${DESTINATIONS[destination].toLowerCase()}): review the discharge and the medicines`,
          for: stay.subject, focus: { reference: `Encounter/${stay.id}` }, authoredOn: now.toISOString(),
          requester: { reference: personRef(p) ?? `Organization/${(p as { organizationId?: string }).organizationId}` },
          owner: { reference: `Organization/${practice.id}` }, restriction: { period: { end: new Date(now.getTime() + 7 * DAY).toISOString() } },
        };
        this.authorizeTask(p, gpTask);
        await this.resources.create('Task', gpTask, { tx, ctx });
      }
      return this.write(tx, ctx, next, versionId);
    });
  }

  // --- helpers -----------------------------------------------------------------------------------

  private dischargeTask(p: Principal, stay: Encounter, type: DischargeTaskType, partner: Partner, now: Date, dueMs: number, note?: string): Task {
    return {
      resourceType: 'Task', status: 'requested', intent: 'order', priority: 'urgent',
      code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'discharge', display: TASK_KINDS.discharge }, codingOf(DISCHARGE_TASK_SYSTEM, type, DISCHARGE_TASKS)], text: DISCHARGE_TASKS[type] },
      description: `${DISCHARGE_TASKS[type]}: for the discharge from ${stay.serviceProvider?.display ?? 'hospital'}`,
      for: stay.subject, focus: { reference: `Encounter/${stay.id}` }, encounter: { reference: `Encounter/${stay.id}` }, authoredOn: now.toISOString(),
      requester: { reference: personRef(p) ?? `Organization/${(p as { organizationId?: string }).organizationId}` },
      owner: { reference: `Organization/${partner.orgId}`, display: partner.name },
      restriction: { period: { end: new Date(dueMs).toISOString() } },
      ...(note ? { note: [{ text: note, time: now.toISOString() }] } : {}),
    };
  }

  private authorizeTask(p: Principal, task: Task): void {
    const d = can(p, 'task.create', { task, teamIds: [] });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  /** Whether the stay already has a request of this kind (open or done; a cancelled one may be asked again). */
  private async hasRequest(stay: Encounter, type: DischargeTaskType): Promise<boolean> {
    return (await this.requestsOf(stay, type)).some((t) => t.status !== 'cancelled' && t.status !== 'rejected' && t.status !== 'entered-in-error');
  }

  private async openRequest(stay: Encounter, type: DischargeTaskType): Promise<Task | undefined> {
    return (await this.requestsOf(stay, type)).find((t) => !['cancelled', 'rejected', 'entered-in-error', 'failed'].includes(t.status));
  }

  /** The platform's own lookup of a stay's requests (what exists, not what the caller sees: a duplicate would be raised otherwise). */
  private async requestsOf(stay: Encounter, type: DischargeTaskType): Promise<Task[]> {
    const res = await this.resources.db.query<{ content: string }>(
      `SELECT r.content FROM resource r
        WHERE r.resource_type = 'Task' AND NOT r.deleted
          AND r.rid IN (SELECT f.rid FROM sp_reference f WHERE f.resource_type = 'Task' AND f.code = 'focus' AND f.target_type = 'Encounter' AND f.target_id = $1)
          AND r.rid IN (SELECT k.rid FROM sp_token k WHERE k.resource_type = 'Task' AND k.code = 'code' AND k.system = $2 AND k.value = $3)`,
      [stay.id, DISCHARGE_TASK_SYSTEM, type],
    );
    return res.rows.map((r) => JSON.parse(r.content) as Task);
  }

  private mayPlan(p: Principal, stay: Encounter): void {
    const provider = localReference(stay.serviceProvider?.reference);
    const d = can(p, 'discharge.plan', { providerOrg: provider?.type === 'Organization' ? provider.id : undefined });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  /** The stay, checked: visible, at the caller's trust, still in progress, and the version the page showed. */
  private async planned(p: Principal, ctx: RequestContext, id: string, versionId: number): Promise<StayVersion> {
    const cur = await this.load(ctx, id);
    this.mayPlan(p, cur.stay);
    if (!Number.isInteger(versionId) || versionId < 1) throw badRequest('The form has no version of the stay: reload the page and try again', 'versionId');
    if (cur.versionId !== versionId) throw changedSince(cur);
    if (cur.stay.status !== 'in-progress') throw invalidResource([issue('business-rule', 'This stay has ended: the discharge can no longer be changed', 'versionId')]);
    return cur;
  }

  private async patientOf(ctx: RequestContext, stay: Encounter): Promise<Patient> {
    const k = localReference(stay.subject?.reference);
    if (k?.type !== 'Patient') throw invalidResource([issue('business-rule', 'The stay names no person')]);
    const v = await this.resources.read('Patient', k.id, this.resources.db, ctx);
    return JSON.parse(v.content!) as Patient;
  }

  private async write(tx: Queryable, ctx: RequestContext, next: Encounter, versionId: number): Promise<StayVersion> {
    if (next.extension?.length === 0) delete next.extension;
    try {
      const done = await this.resources.update('Encounter', next.id!, next, { ifMatch: versionId, tx, ctx });
      return { stay: JSON.parse(done.content!) as Encounter, versionId: done.versionId };
    } catch (err) {
      if (err instanceof FhirError && err.status === 412) {
        const e = badRequest('This stay was changed by someone else since you opened it: reload the page and try again', 'versionId');
        throw new FhirError(409, e.outcome);
      }
      throw err;
    }
  }

  private async load(ctx: RequestContext, id: string): Promise<StayVersion> {
    if (!isValidId(id)) throw badRequest('There is no stay at this address');
    const v = await this.resources.read('Encounter', id, this.resources.db, ctx);
    const stay = JSON.parse(v.content!) as Encounter;
    if (stay.class?.code !== 'IMP') throw new FhirError(404, badRequest('There is no stay in hospital at this address').outcome);
    return { stay, versionId: v.versionId };
  }

  private ctx(p: Principal, now: Date): RequestContext {
    return { baseUrl: this.opts.baseUrl ?? '', ...accessContext(p, now) };
  }
}

function changedSince(cur: StayVersion): FhirError {
  const e = badRequest(`This stay was changed by someone else since you opened it (it is now version ${cur.versionId}); reload it and try again`, 'versionId');
  return new FhirError(409, e.outcome);
}

const extOf = (e: Encounter, url: string) => e.extension?.find((x) => x.url === url);

/** The extensions with `url` set to `value` (or removed when undefined), others kept in order. */
function setExt(list: Extension[] | undefined, url: string, value: Omit<Extension, 'url'> | undefined): Extension[] {
  const rest = (list ?? []).filter((x) => x.url !== url);
  return value ? [...rest, { url, ...value }] : rest;
}
