import type { Extension, HealthcareService, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { accessContext } from '../access/policy/record-access.js';
import { can } from '../access/policy/policy.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { ReferralSubject, ReferralVerb } from '../access/policy/referral.policy.js';
import { isReceiver, isReferrer } from '../access/policy/referral.policy.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { Database, Queryable } from '../db/database.js';
import { badRequest, conflict, FhirError, forbidden, invalidResource, issue, notFound } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { RequestContext } from '../fhir/request-context.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { formatDate, formatDateTime, humanName } from '../record-view/fhir-text.js';
import { cleanText, ESCALATION_SOURCE } from '../workflow/task.service.js';
import { OUTCOME_NOTE, TASK_KIND_SYSTEM, TASK_KINDS, TASK_STATUS_TEXT, type TaskStatus } from '../workflow/task.vocabulary.js';
import { addWorkingDays, slaClocks, slaFor, type SlaClock } from './referral-sla.js';
import { ReferralRepository, type ReferralRow } from './referral.repository.js';
import {
  CONSENT_EXTENSION, FAIL_REASONS, HEALTH_INFO_EXTENSION, IDEMPOTENCY_SYSTEM, OUTCOME_OUTPUT, OUTCOME_SYSTEM, OUTCOMES, PRIORITIES,
  REFERRAL_CATEGORY, REJECT_REASON_SYSTEM, REJECT_REASONS, SHARE_ITEMS, SHARE_OPTIONAL, SHARE_SYSTEM, WHAT_MATTERS_EXTENSION,
  type Priority, type ShareItem,
} from './referral.vocabulary.js';
import { consentOf, readService, readServices } from './referral.write-rule.js';
import { serviceRefusal } from './service-acceptance.js';

/** What a referrer sends: from the form, the API or a BaRS message. */
export interface NewReferral {
  patientId: string;
  serviceId: string;
  reason: string;
  priority?: string;
  whatMatters?: string;
  healthInfo?: string;
  /** The person agreed to the referral and to sharing `share` (contact is always shared). */
  consentGiven: boolean;
  share: string[];
  /** One per submission (a hidden field of the form, a client's key): a repeat returns the first referral. */
  idempotencyKey: string;
}

/**
 * Run inside the referral's transaction, under the idempotency key's lock, once its ServiceRequest
 * and Task are written (`created`): what the caller keeps about the submission (`$process-message`'s
 * receipt) commits with the referral, or neither does. When the key's earlier ServiceRequest is found
 * instead (`created` false: found before the transaction, or inside it once a concurrent submission
 * with the key committed), it runs then, and may refuse (throw) to answer the repeat.
 */
export type WithinSend = (tx: Queryable, made: { created: true; sr: ServiceRequest; task: Task } | { created: false }) => Promise<void>;

/** A referral as the pages read it. */
export interface Referral {
  id: string;
  srVersion: number;
  sr: ServiceRequest;
  task?: Task;
  taskVersion?: number;
  status: TaskStatus;
  statusText: string;
  statusReason?: string;
  patientId?: string;
  personName: string;
  serviceId?: string;
  serviceName: string;
  requester: string;
  reason: string;
  priority: Priority;
  authoredOn?: string;
  whatMatters?: string;
  healthInfo?: string;
  share: ShareItem[];
  outcome?: { code?: string; text?: string; note?: string };
  clocks: SlaClock[];
  /** Any clock past due. */
  breached: boolean;
  lastChanged?: string;
}

/** What a receiver may do now, and the requester. */
export type ReferralAction = 'acknowledge' | 'accept' | 'reject' | 'start' | 'hold' | 'resume' | 'complete' | 'fail' | 'reroute' | 'cancel';

const FROM: Record<Exclude<ReferralAction, 'reroute' | 'cancel' | 'resume'>, TaskStatus[]> = {
  acknowledge: ['requested'],
  accept: ['requested', 'received'],
  reject: ['requested', 'received'],
  start: ['accepted'],
  hold: ['received', 'in-progress'],
  complete: ['in-progress'],
  // Not from accepted: the Task state machine ends only work that started (accepted → failed is not an arrow).
  fail: ['in-progress', 'on-hold'],
};
const OPEN: TaskStatus[] = ['requested', 'received', 'accepted', 'in-progress', 'on-hold'];
const ACTION_WORDS: Record<ReferralAction, string> = {
  acknowledge: 'acknowledged', accept: 'accepted', reject: 'rejected', start: 'started', hold: 'put on hold', resume: 'resumed',
  complete: 'completed', fail: 'closed as not given', reroute: 're-routed', cancel: 'cancelled',
};
const KEY = /^[A-Za-z0-9_-]{8,80}$/;

/** The referral's consent extensions with the agreement dated now (the person agreed again, to a new service). */
function consentRenewed(sr: ServiceRequest, now: Date): Extension[] {
  return (sr.extension ?? []).map((e) => e.url === CONSENT_EXTENSION
    ? { ...e, extension: (e.extension ?? []).map((x) => (x.url === 'date' ? { url: 'date', valueDateTime: now.toISOString() } : x)) } : e);
}

/** Escalations of a referral's clocks: `Task.identifier` value `<task id>|acknowledge` or `|decide`, each raised once. */
export const SLA_ESCALATION_SYSTEM = 'https://onestory.example/fhir/Id/referral-sla-breach';

/**
 * Referrals between partners: a ServiceRequest to a service and the Task its provider works
 * (referral.vocabulary.ts). Every command takes the caller's Principal, is decided by the referral
 * verbs (referral.policy.ts), and writes through the record with `accessContext(principal, now)`, so
 * the same row restriction, write remit, Task state machine and referral write rule apply as on the
 * FHIR API. A command names the version of the Task it acts on: a change since is a 409.
 */
export class ReferralService {
  private readonly repo: ReferralRepository;

  constructor(private readonly resources: ResourceService, private readonly clock: Clock, private readonly opts: { baseUrl?: string } = {}) {
    this.repo = new ReferralRepository(resources.db);
  }

  private get db(): Database {
    return this.resources.db;
  }

  private ctx(p: Principal, now: Date): RequestContext {
    return { baseUrl: this.opts.baseUrl ?? '', ...accessContext(p, now) };
  }

  /**
   * Sends a referral: the ServiceRequest (made once per idempotency key: a repeated submission
   * returns the first referral, `created` false) and the Task owned by the service's organisation,
   * in one transaction. Refused, with nothing written: a service that does not take referrals, no
   * consent, shared text the consent does not cover, a person the referrer cannot see (404), or a
   * person who objects to sharing (the service could not see the referral).
   */
  async send(p: Principal, n: NewReferral, within?: WithinSend): Promise<{ referral: Referral; created: boolean }> {
    const now = this.clock.now();
    const d = can(p, 'referral.send');
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    if (!n || typeof n !== 'object') throw badRequest('A referral is needed');
    if (typeof n.idempotencyKey !== 'string' || !KEY.test(n.idempotencyKey)) throw badRequest('The form has no submission key: reload the page and try again', 'key');
    const earlier = await this.repo.byKey(IDEMPOTENCY_SYSTEM, n.idempotencyKey);
    if (earlier) {
      await within?.(this.db, { created: false });
      return { referral: await this.get(p, earlier), created: false };
    }
    if (!isValidId(n.patientId)) throw badRequest('Choose the person to refer', 'patient');
    if (!isValidId(n.serviceId)) throw badRequest('Choose the service to refer to', 'service');
    const reason = cleanText(n.reason, 'reason', 'The reason for the referral');
    const priority = (n.priority ?? 'routine') as Priority;
    if (!PRIORITIES.includes(priority)) throw badRequest('Choose how urgent the referral is', 'priority');
    if (n.consentGiven !== true) throw invalidResource([issue('business-rule', 'The person must agree to the referral and to their details being shared with the service', 'consent')]);
    const share = [...new Set(Array.isArray(n.share) ? n.share : [])];
    const unknown = share.find((s) => !(s in SHARE_ITEMS));
    if (unknown) throw badRequest(`"${unknown}" is not something a referral shares`, 'share');
    const whatMatters = n.whatMatters?.trim() ? cleanText(n.whatMatters, 'whatMatters', 'What matters to the person') : undefined;
    const healthInfo = n.healthInfo?.trim() ? cleanText(n.healthInfo, 'healthInfo', 'The health information') : undefined;
    if (whatMatters && !share.includes('what-matters')) throw invalidResource([issue('business-rule', 'You have written what matters to the person, but they have not agreed to share it: tick it, or leave it out', 'whatMatters')]);
    if (healthInfo && !share.includes('health')) throw invalidResource([issue('business-rule', 'You have written health information, but the person has not agreed to share it: tick it, or leave it out', 'healthInfo')]);
    const service = await readService(this.db, n.serviceId);
    const refusal = serviceRefusal(service, now);
    if (refusal) throw invalidResource([issue('business-rule', refusal, 'service')]);
    const providerId = localReference(service!.providedBy?.reference)?.id;
    if (!providerId) throw invalidResource([issue('business-rule', `${service!.name ?? 'The service'} names no organisation to receive referrals`, 'service')]);
    const ctx = this.ctx(p, now);
    const patient = JSON.parse((await this.resources.read('Patient', n.patientId, this.db, ctx)).content!) as Patient;
    if (await this.objects(n.patientId)) {
      throw invalidResource([issue('business-rule', 'This person has asked that their record is not shared between organisations, so a referral cannot be sent through OneStory: contact the service by phone with the person’s agreement', 'patient')]);
    }
    const personName = humanName(patient.name) || 'Name not recorded';
    const requester = p.kind === 'staff' && p.practitionerId ? { reference: `Practitioner/${p.practitionerId}`, display: p.displayName } : { reference: `Organization/${(p as { organizationId: string }).organizationId}` };
    const consent: Extension = {
      url: CONSENT_EXTENSION,
      extension: [
        { url: 'given', valueBoolean: true },
        { url: 'date', valueDateTime: now.toISOString() },
        ...(['contact', ...share.filter((s) => SHARE_OPTIONAL.includes(s as ShareItem))] as ShareItem[]).map((code) => ({ url: 'share', valueCoding: { system: SHARE_SYSTEM, code, display: SHARE_ITEMS[code] } })),
      ],
    };
    const sr: ServiceRequest = {
      resourceType: 'ServiceRequest',
      identifier: [{ system: IDEMPOTENCY_SYSTEM, value: n.idempotencyKey }],
      status: 'active', intent: 'order', priority,
      category: [{ coding: [{ ...REFERRAL_CATEGORY }], text: 'Referral' }],
      code: { text: `Referral to ${service!.name ?? 'a service'}` },
      subject: { reference: `Patient/${patient.id}`, display: personName },
      authoredOn: now.toISOString(), requester,
      performer: [{ reference: `HealthcareService/${service!.id}`, display: service!.name }],
      reasonCode: [{ text: reason }],
      extension: [
        consent,
        ...(whatMatters ? [{ url: WHAT_MATTERS_EXTENSION, valueString: whatMatters }] : []),
        ...(healthInfo ? [{ url: HEALTH_INFO_EXTENSION, valueString: healthInfo }] : []),
      ],
    };
    const made = await this.db.transaction(async (tx) => {
      const srDone = await this.resources.create('ServiceRequest', sr, { ifNoneExist: `identifier=${encodeURIComponent(`${IDEMPOTENCY_SYSTEM}|${n.idempotencyKey}`)}`, tx, ctx });
      if (!srDone.created) {
        await within?.(tx, { created: false });
        return { id: srDone.id, created: false };
      }
      const stored = JSON.parse(srDone.content!) as ServiceRequest;
      const taskDone = await this.resources.create('Task', this.taskFor(stored, service!, providerId, now), { tx, ctx });
      await within?.(tx, { created: true, sr: stored, task: JSON.parse(taskDone.content!) as Task });
      return { id: srDone.id, created: true };
    });
    return { referral: await this.get(p, made.id), created: made.created };
  }

  /** The Task answering a referral: owned by the service's organisation, due when the referral must be acknowledged. */
  private taskFor(sr: ServiceRequest, service: HealthcareService, providerId: string, now: Date): Task {
    const sla = slaFor(service, (sr.priority ?? 'routine') as Priority);
    return {
      resourceType: 'Task', status: 'requested', intent: 'order', priority: sr.priority,
      code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'referral', display: TASK_KINDS.referral }], text: TASK_KINDS.referral },
      description: `Referral to ${service.name ?? 'the service'}: ${sr.reasonCode?.[0]?.text ?? ''}`.trim(),
      focus: { reference: `ServiceRequest/${sr.id}` },
      for: sr.subject,
      requester: sr.requester,
      owner: { reference: `Organization/${providerId}`, display: service.name },
      authoredOn: now.toISOString(), lastModified: now.toISOString(),
      restriction: { period: { end: addWorkingDays(now, sla.acknowledge).toISOString() } },
    };
  }

  /** Whether a sharing objection is in force for the person (the policy's own table). */
  private async objects(patientId: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM sharing_objection WHERE patient_id = $1 LIMIT 1', [patientId]);
    return r.rows.length > 0;
  }

  /** One referral as the principal may see it; 404 when hidden or missing alike. */
  async get(p: Principal, id: string): Promise<Referral> {
    if (!isValidId(id)) throw notFound('There is no referral at this address');
    const now = this.clock.now();
    const row = await this.repo.one(id, restrictionFor(p, now));
    if (!row) throw notFound('There is no referral at this address');
    return (await this.views([row], now))[0];
  }

  /** Referrals the principal's organisation (or they) made, the latest change first; `patientId` narrows to one person. */
  async sent(p: Principal, patientId?: string): Promise<Referral[]> {
    if (p.kind !== 'staff') return [];
    const now = this.clock.now();
    return this.views(await this.repo.sent(p.organizationId, p.practitionerId, restrictionFor(p, now), patientId), now);
  }

  /** Referrals addressed to the principal's organisation, its services, or them. */
  async received(p: Principal, patientId?: string): Promise<Referral[]> {
    if (p.kind !== 'staff') return [];
    const now = this.clock.now();
    const performers = [`Organization/${p.organizationId}`, ...(p.practitionerId ? [`Practitioner/${p.practitionerId}`] : []), ...(await this.servicesOf(p.organizationId)).map((s) => `HealthcareService/${s}`)];
    return this.views(await this.repo.received(performers, restrictionFor(p, now), patientId), now);
  }

  /** A person's own referrals (the portal): the resident's, or a carer's person's as their grant allows. */
  async forPerson(p: Principal, patientId: string): Promise<Referral[]> {
    const now = this.clock.now();
    return this.views(await this.repo.forPatient(patientId, restrictionFor(p, now)), now);
  }

  private async servicesOf(org: string): Promise<string[]> {
    const res = await this.db.query<{ id: string }>(
      `SELECT h.id FROM sp_reference s JOIN resource h ON h.rid = s.rid AND NOT h.deleted
        WHERE s.resource_type = 'HealthcareService' AND s.code = 'organization' AND s.target_type = 'Organization' AND s.target_id = $1`,
      [org],
    );
    return res.rows.map((r) => r.id);
  }

  /** Referrals as the pages read them: their services and their Tasks' histories (the clocks) in one statement each, however many rows. */
  private async views(rows: ReferralRow[], now: Date): Promise<Referral[]> {
    const parsed = rows.map((row) => {
      const sr = JSON.parse(row.sr) as ServiceRequest;
      const task = row.task ? (JSON.parse(row.task) as Task) : undefined;
      const serviceId = (sr.performer ?? []).map((x) => localReference(x.reference)).find((k) => k?.type === 'HealthcareService')?.id;
      return { sr, task, serviceId };
    });
    const [services, histories] = await Promise.all([
      readServices(this.db, parsed.flatMap((x) => (x.serviceId ? [x.serviceId] : []))),
      this.repo.statusHistories(parsed.flatMap((x) => (x.task?.id ? [x.task.id] : []))),
    ]);
    const out: Referral[] = [];
    for (const { sr, task, serviceId } of parsed) {
      const service = serviceId ? services.get(serviceId) : undefined;
      const priority = (PRIORITIES.includes(sr.priority as Priority) ? sr.priority : 'routine') as Priority;
      const status = (task?.status ?? (sr.status === 'active' ? 'requested' : sr.status === 'completed' ? 'completed' : 'cancelled')) as TaskStatus;
      const authored = sr.authoredOn ? new Date(sr.authoredOn) : undefined;
      const clocks = task && authored ? slaClocks(authored, histories.get(task.id!) ?? [], slaFor(service, priority), now) : [];
      const consent = consentOf(sr);
      const ext = (url: string) => sr.extension?.find((e) => e.url === url)?.valueString;
      const outcomeCode = task?.output?.find((o) => o.type?.coding?.some((c) => c.code === OUTCOME_OUTPUT.code))?.valueCodeableConcept;
      const note = task?.output?.find((o) => o.type?.coding?.some((c) => c.code === OUTCOME_NOTE.code))?.valueString;
      out.push({
        id: sr.id!, srVersion: Number(sr.meta?.versionId ?? 1), sr, task, taskVersion: task ? Number(task.meta?.versionId ?? 1) : undefined,
        status, statusText: TASK_STATUS_TEXT[status] ?? status,
        statusReason: task?.statusReason?.text ?? task?.statusReason?.coding?.[0]?.display,
        patientId: localReference(sr.subject?.reference)?.id,
        personName: sr.subject?.display ?? 'Name not recorded',
        serviceId, serviceName: service?.name ?? sr.performer?.[0]?.display ?? 'Service not recorded',
        requester: sr.requester?.display ?? sr.requester?.reference ?? 'Not recorded',
        reason: sr.reasonCode?.[0]?.text ?? '', priority, authoredOn: sr.authoredOn,
        whatMatters: ext(WHAT_MATTERS_EXTENSION), healthInfo: ext(HEALTH_INFO_EXTENSION), share: consent?.share ?? [],
        ...(outcomeCode || note ? { outcome: { code: outcomeCode?.coding?.[0]?.code, text: outcomeCode?.text ?? outcomeCode?.coding?.[0]?.display, note } } : {}),
        clocks, breached: clocks.some((c) => c.breached),
        lastChanged: task?.lastModified ?? sr.meta?.lastUpdated,
      });
    }
    return out;
  }

  /** The subject of the referral verbs: the ServiceRequest with its services' organisations resolved. */
  private async subject(sr: ServiceRequest): Promise<ReferralSubject> {
    const serviceOrganizations: Record<string, string> = {};
    for (const x of sr.performer ?? []) {
      const k = localReference(x.reference);
      if (k?.type !== 'HealthcareService') continue;
      const org = localReference((await readService(this.db, k.id))?.providedBy?.reference);
      if (org?.type === 'Organization') serviceOrganizations[k.id] = org.id;
    }
    return { serviceRequest: sr, serviceOrganizations, teamIds: [] };
  }

  /** Whether the referral is addressed to the principal: their organisation, one of its services, or them (referral.policy.ts). */
  async isAddressedTo(p: Principal, r: Referral): Promise<boolean> {
    return isReceiver(p, await this.subject(r.sr));
  }

  /** What the principal may do with the referral now (the pages show these forms only). */
  async actionsFor(p: Principal, r: Referral): Promise<ReferralAction[]> {
    if (!r.task || !OPEN.includes(r.status) || r.sr.status !== 'active') return [];
    const s = await this.subject(r.sr);
    const out: ReferralAction[] = [];
    if (isReceiver(p, s) && can(p, 'referral.accept', s).allowed) {
      for (const [a, from] of Object.entries(FROM) as [ReferralAction, TaskStatus[]][]) if (from.includes(r.status)) out.push(a);
      if (r.status === 'on-hold') out.push('resume');
      if (r.status === 'requested' || r.status === 'received') out.push('reroute');
    }
    if (isReferrer(p, r.sr) && can(p, 'referral.cancel', s).allowed) out.push('cancel');
    return out;
  }

  /**
   * A step of the referral's lifecycle by its receiver (or, cancel, its requester), on the Task
   * version the page showed. The Task and, when the referral ends, the ServiceRequest are written in
   * one transaction: completed → ServiceRequest completed; rejected, failed or cancelled → revoked
   * (which ends the relationship the access policy derived from it). `input` carries the form's
   * fields: `reason` (code) and `note` for reject, hold, fail and cancel; `outcome` (code) and `note`
   * for complete; `service` and `consent` for reroute. Returns the referral as the actor now sees it
   * (undefined when the step took it out of their sight).
   */
  async act(p: Principal, id: string, action: ReferralAction, taskVersion: number, input: Record<string, string | undefined> = {}): Promise<Referral | undefined> {
    const now = this.clock.now();
    const r = await this.atVersion(p, id, taskVersion);
    const s = await this.subject(r.sr);
    const verb: ReferralVerb = action === 'cancel' ? 'referral.cancel' : action === 'accept' || action === 'acknowledge' ? 'referral.accept'
      : action === 'reject' ? 'referral.reject' : action === 'reroute' ? 'referral.reroute' : 'referral.progress';
    const d = can(p, verb, s);
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    const task: Task = { ...r.task, lastModified: now.toISOString() };
    let sr: ServiceRequest | undefined;
    let to: TaskStatus;
    let newTask: Task | undefined;
    const note = input.note?.trim() ? cleanText(input.note, 'note', 'The note') : undefined;
    switch (action) {
      case 'acknowledge': to = 'received'; break;
      case 'accept': to = 'accepted'; break;
      case 'start': to = 'in-progress'; break;
      case 'resume': {
        // Back to where it was put on hold: deciding (received) or being worked (in progress).
        const h = await this.repo.statusHistory(r.task.id!);
        const before = [...h].reverse().find((x) => x.status !== 'on-hold')?.status;
        to = before === 'received' ? 'received' : 'in-progress';
        break;
      }
      case 'hold': {
        const why = cleanText(input.reason ?? input.note, 'reason', 'Why it is on hold');
        to = 'on-hold';
        task.statusReason = { text: why };
        break;
      }
      case 'reject': {
        const code = input.reason as keyof typeof REJECT_REASONS;
        if (!code || !(code in REJECT_REASONS)) throw badRequest('Choose why the referral is not accepted', 'reason');
        to = 'rejected';
        task.statusReason = { coding: [{ system: REJECT_REASON_SYSTEM, code, display: REJECT_REASONS[code] }], text: note ? `${REJECT_REASONS[code]}: ${note}` : REJECT_REASONS[code] };
        sr = { ...r.sr, status: 'revoked' };
        break;
      }
      case 'fail': {
        const code = input.reason as keyof typeof FAIL_REASONS;
        if (!code || !(code in FAIL_REASONS)) throw badRequest('Choose why the referral ended without support', 'reason');
        to = 'failed';
        task.statusReason = { coding: [{ system: `${OUTCOME_SYSTEM}-failure`, code, display: FAIL_REASONS[code] }], text: note ? `${FAIL_REASONS[code]}: ${note}` : FAIL_REASONS[code] };
        sr = { ...r.sr, status: 'revoked' };
        break;
      }
      case 'complete': {
        const code = input.outcome as keyof typeof OUTCOMES;
        if (!code || !(code in OUTCOMES)) throw badRequest('Choose the outcome of the referral', 'outcome');
        const text = cleanText(input.note, 'note', 'The outcome note');
        to = 'completed';
        task.output = [
          ...(task.output ?? []),
          { type: { coding: [{ ...OUTCOME_OUTPUT }] }, valueCodeableConcept: { coding: [{ system: OUTCOME_SYSTEM, code, display: OUTCOMES[code] }], text: OUTCOMES[code] } },
          { type: { coding: [{ ...OUTCOME_NOTE }], text: OUTCOME_NOTE.display }, valueString: text },
        ];
        sr = { ...r.sr, status: 'completed' };
        break;
      }
      case 'cancel': {
        const why = cleanText(input.reason ?? input.note, 'reason', 'Why the referral is cancelled');
        to = 'cancelled';
        task.statusReason = { text: why };
        sr = { ...r.sr, status: 'revoked' };
        break;
      }
      case 'reroute': {
        const { target, providerId } = await this.rerouteTarget(r, input, now);
        to = 'rejected';
        task.statusReason = { coding: [{ system: REJECT_REASON_SYSTEM, code: 'better-elsewhere', display: REJECT_REASONS['better-elsewhere'] }], text: `Re-routed to ${target.name}${note ? `: ${note}` : ''}` };
        sr = { ...r.sr, performer: [{ reference: `HealthcareService/${target.id}`, display: target.name }], extension: consentRenewed(r.sr, now) };
        newTask = { ...this.taskFor({ ...sr, id: r.id }, target, providerId, now), authoredOn: now.toISOString() };
        break;
      }
    }
    const allowedFrom = action === 'resume' ? ['on-hold'] : action === 'cancel' ? OPEN : action === 'reroute' ? ['requested', 'received'] : FROM[action];
    if (!allowedFrom.includes(r.status)) {
      throw invalidResource([issue('business-rule', `This referral is ${r.statusText.toLowerCase()}: it cannot be ${ACTION_WORDS[action]} now`, 'status')]);
    }
    task.status = to;
    if (!['on-hold', 'rejected', 'failed', 'cancelled'].includes(to)) delete task.statusReason;
    if (note && action !== 'reject' && action !== 'fail' && action !== 'reroute') task.note = [...(task.note ?? []), { text: note, time: now.toISOString(), ...(p.kind === 'staff' && p.practitionerId ? { authorReference: { reference: `Practitioner/${p.practitionerId}`, display: p.displayName } } : { authorString: p.displayName }) }];
    if (to === 'in-progress' && !task.executionPeriod?.start) task.executionPeriod = { start: now.toISOString() };
    if (['completed', 'failed', 'cancelled'].includes(to) && task.executionPeriod?.start) task.executionPeriod = { ...task.executionPeriod, end: now.toISOString() };
    // Once acknowledged, the work is due by the decision; once decided, no clock runs.
    const sla = slaFor(await readService(this.db, r.serviceId ?? ''), r.priority);
    if (to === 'received' && r.authoredOn) task.restriction = { period: { end: addWorkingDays(new Date(r.authoredOn), sla.decide).toISOString() } };
    if (['accepted', 'in-progress', 'completed', 'rejected', 'failed', 'cancelled'].includes(to)) delete task.restriction;
    const ctx = this.ctx(p, now);
    try {
      await this.db.transaction(async (tx) => {
        // The new receiver's Task first: the writer must still see the person while it is written.
        if (newTask) await this.resources.create('Task', newTask, { tx, ctx });
        await this.resources.update('Task', task.id!, task, { ifMatch: taskVersion, tx, ctx });
        if (sr) await this.resources.update('ServiceRequest', r.id, sr, { ifMatch: r.srVersion, tx, ctx });
      });
    } catch (err) {
      if (err instanceof FhirError && err.status === 412) throw conflict('This referral was changed by someone else since you opened it; reload it and try again');
      throw err;
    }
    // A referral that has ended (rejected, completed…) no longer relates a VCSE organisation to the
    // person: it may leave their sight, and then there is nothing more to show them.
    return this.get(p, id).catch((err) => {
      if (err instanceof FhirError && err.status === 404) return undefined;
      throw err;
    });
  }

  /** The referral as the caller sees it, if its Task is still at the version their page showed (else a 409 naming what it is now). */
  private async atVersion(p: Principal, id: string, taskVersion: number): Promise<Referral & { task: Task }> {
    const r = await this.get(p, id);
    if (!r.task) throw notFound('There is no referral at this address');
    if (!Number.isInteger(taskVersion) || taskVersion < 1) throw badRequest('The form has no version of the referral: reload the page and try again', 'versionId');
    if (r.taskVersion !== taskVersion) {
      const e = conflict(`This referral was changed by someone else since you opened it (it is now ${r.statusText.toLowerCase()}); reload it and try again`);
      e.outcome.issue![0].expression = ['versionId'];
      throw e;
    }
    return r as Referral & { task: Task };
  }

  /** The service a referral is re-routed to, checked: another service, the person's agreement, one that takes referrals and names its organisation. */
  private async rerouteTarget(r: Referral, input: Record<string, string | undefined>, now: Date): Promise<{ target: HealthcareService; providerId: string }> {
    if (!isValidId(input.service)) throw badRequest('Choose the service to send the referral to', 'service');
    if (input.service === r.serviceId) throw badRequest('Choose a different service from the one it was sent to', 'service');
    if (input.consent !== 'yes') throw invalidResource([issue('business-rule', 'The person must agree to their referral going to the new service', 'consent')]);
    const target = await readService(this.db, input.service!);
    const refusal = serviceRefusal(target, now);
    if (refusal) throw invalidResource([issue('business-rule', refusal, 'service')]);
    const providerId = localReference(target!.providedBy?.reference)?.id;
    if (!providerId) throw invalidResource([issue('business-rule', `${target!.name ?? 'The service'} names no organisation to receive referrals`, 'service')]);
    return { target: target!, providerId };
  }

  /** Whether the principal, the referral's requester, may now send it on to another service (the service declined it). */
  async canRedirect(p: Principal, r: Referral): Promise<boolean> {
    if (!r.task || r.status !== 'rejected') return false;
    return can(p, 'referral.redirect', { ...(await this.subject(r.sr)), declined: true }).allowed;
  }

  /**
   * Services a declined referral could go to instead, for the re-route page: active services that
   * take referrals, of the same kind as the one that declined first, then by name (the directory is
   * public: no row restriction). The directory search (/services) finds any other.
   */
  async rerouteChoices(r: Referral, limit = 20): Promise<{ id: string; name: string }[]> {
    const declined = r.serviceId ? await readService(this.db, r.serviceId) : undefined;
    const kind = declined?.type?.[0]?.coding?.[0]?.code ?? '';
    const res = await this.db.query<{ content: string }>(
      `SELECT content FROM resource WHERE resource_type = 'HealthcareService' AND NOT deleted AND id <> $1
        ORDER BY (content::jsonb -> 'type' -> 0 -> 'coding' -> 0 ->> 'code' = $2) DESC, content::jsonb ->> 'name', id LIMIT $3`,
      [r.serviceId ?? '', kind, limit * 3],
    );
    const now = this.clock.now();
    return res.rows.map((x) => JSON.parse(x.content) as HealthcareService)
      .filter((h) => !serviceRefusal(h, now) && localReference(h.providedBy?.reference)?.id)
      .slice(0, limit).map((h) => ({ id: h.id!, name: h.name ?? 'A service' }));
  }

  /**
   * Re-routes a referral the service declined, by its requester: the same ServiceRequest, active again,
   * now addressed to the chosen service (with the person's renewed agreement and a note of where it
   * went before and why), and a new Task owned by that service's organisation, with fresh clocks; the
   * declined Task stays as it was, so the history shows both. One transaction, on the Task version the
   * page showed (a second re-route of the same decline is a 409). Refused, nothing written: not the
   * requester, not declined, the same service, no agreement, a service that takes no referrals.
   */
  async redirect(p: Principal, id: string, taskVersion: number, input: Record<string, string | undefined>): Promise<Referral> {
    const now = this.clock.now();
    const r = await this.atVersion(p, id, taskVersion);
    const d = can(p, 'referral.redirect', { ...(await this.subject(r.sr)), declined: r.status === 'rejected' });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    const note = input.note?.trim() ? cleanText(input.note, 'note', 'The note') : undefined;
    const { target, providerId } = await this.rerouteTarget(r, input, now);
    const author = p.kind === 'staff' && p.practitionerId ? { authorReference: { reference: `Practitioner/${p.practitionerId}`, display: p.displayName } } : { authorString: p.displayName };
    const sr: ServiceRequest = {
      ...r.sr, status: 'active',
      performer: [{ reference: `HealthcareService/${target.id}`, display: target.name }],
      extension: consentRenewed(r.sr, now),
      note: [...(r.sr.note ?? []), { ...author, time: now.toISOString(), text: `Re-routed to ${target.name ?? 'another service'} after ${r.serviceName} declined it (${r.statusReason ?? 'no reason given'})${note ? `: ${note}` : ''}` }],
    };
    const ctx = this.ctx(p, now);
    try {
      await this.db.transaction(async (tx) => {
        await this.resources.update('ServiceRequest', r.id, sr, { ifMatch: r.srVersion, tx, ctx });
        await this.resources.create('Task', this.taskFor({ ...sr, id: r.id }, target, providerId, now), { tx, ctx });
      });
    } catch (err) {
      if (err instanceof FhirError && err.status === 412) throw conflict('This referral was changed by someone else since you opened it; reload it and try again');
      throw err;
    }
    return this.get(p, id);
  }

  /**
   * Raises an escalation for each referral clock past due (acknowledge while requested, decide while
   * undecided and not on hold): a Task of kind `escalation`, `partOf` the referral's Task, owned by the
   * receiving organisation, made by conditional create on `<task id>|<clock>` so each is raised once
   * however often this runs (the overdue-task pattern of TaskService.escalateOverdue). The
   * platform's own work: no principal, no row restriction. Returns how many were raised now.
   */
  async escalateBreaches(): Promise<number> {
    const now = this.clock.now();
    let raised = 0;
    for (const row of await this.repo.awaitingDecision()) {
      const t = JSON.parse(row.content) as Task;
      const srId = localReference(t.focus?.reference)?.id;
      const org = localReference(t.owner?.reference);
      if (!srId || org?.type !== 'Organization' || !t.authoredOn) continue;
      const srRow = await this.resources.repo.readCurrent(this.db, 'ServiceRequest', srId);
      if (!srRow?.content || srRow.deleted) continue;
      const sr = JSON.parse(srRow.content) as ServiceRequest;
      const serviceId = (sr.performer ?? []).map((x) => localReference(x.reference)).find((k) => k?.type === 'HealthcareService')?.id;
      const priority = (PRIORITIES.includes(sr.priority as Priority) ? sr.priority : 'routine') as Priority;
      const authored = new Date(sr.authoredOn ?? t.authoredOn);
      const service = serviceId ? await readService(this.db, serviceId) : undefined;
      const clocks = slaClocks(authored, await this.repo.statusHistory(t.id!), slaFor(service, priority), now);
      const serviceName = service?.name ?? sr.performer?.[0]?.display ?? 'the service';
      for (const c of clocks) {
        if (c.stoppedAt || !c.breached || c.paused) continue;
        const key = `${t.id}|${c.kind}`;
        const escalation: Task = {
          resourceType: 'Task', meta: { tag: [recordedByTag(org.id)], source: ESCALATION_SOURCE },
          identifier: [{ system: SLA_ESCALATION_SYSTEM, value: key }],
          status: 'requested', intent: 'order', priority: 'urgent',
          code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'escalation', display: TASK_KINDS.escalation }] },
          // Read by staff and by the person on their record: the service by name and the day in words.
          description: `Referral to ${serviceName} not ${c.kind === 'acknowledge' ? 'acknowledged' : 'decided'} in time: it was due by ${dueInWords(c.due)}`,
          partOf: [{ reference: `Task/${t.id}` }], focus: { reference: `Task/${t.id}` }, ...(t.for ? { for: t.for } : {}),
          owner: { reference: `Organization/${org.id}` }, authoredOn: now.toISOString(), lastModified: now.toISOString(),
        };
        const done = await this.resources.create('Task', escalation, { ifNoneExist: `identifier=${encodeURIComponent(`${SLA_ESCALATION_SYSTEM}|${key}`)}` });
        if (done.created) raised++;
      }
    }
    return raised;
  }
}

/** "20 October 2026" for a clock due at midnight, else "20 October 2026, 14:00" (UTC, as recorded). */
function dueInWords(due: Date): string {
  const iso = due.toISOString();
  return iso.slice(11, 16) === '00:00' ? formatDate(iso) : formatDateTime(iso);
}
