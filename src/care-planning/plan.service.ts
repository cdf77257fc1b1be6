import type { Annotation, CarePlan, Extension, Goal, Reference, RelatedPerson, Task } from '@medplum/fhirtypes';

type Ref = Reference<any>;
import { can } from '../access/policy/policy.js';
import { recordedByTag, recordedByTags } from '../access/policy/policy-codes.js';
import { sourceOf, stamp } from '../access/policy/record-access.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import { VisibilityRepository } from '../access/policy/visibility.repository.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/database.js';
import { badRequest, conflict, FhirError, forbidden, notFound } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { cleanText, type TaskService } from '../workflow/task.service.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import {
  GOAL_CONFIDENCE, isPersonalisedPlan, PCSP_EXT, PLAN_ACTION_KIND, PLAN_CATEGORY, PLAN_REVIEW_KIND, taskKindCode, type PlanStatus,
} from './care-planning.vocabulary.js';
import { lockPerson, personalisedPlanRule } from './care-planning.write-rules.js';
import { PlanRepository } from './plan.repository.js';
import { hashOfView, planViewOf, type Contingency, type PlanView } from './plan.view.js';
import { nameUnnamed } from '../workflow/reference-names.js';
import { formatDate } from '../record-view/fhir-text.js';

/** A plan as a command returns it, with the version to send back with the next command. */
export interface LoadedPlan {
  plan: CarePlan;
  versionId: number;
  view: PlanView;
  goals: Map<string, Goal>;
  tasks: Map<string, Task>;
}

export interface PlanSections {
  title?: string;
  aboutMe?: string;
  whatMatters?: string;
  /** One need a line. */
  needs?: string;
  contingency?: Contingency[];
  /** `RelatedPerson/id`s of carers involved in making the plan. */
  involvedCarers?: string[];
}

const MAX_NEEDS = 20;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const OWNER = /^(Practitioner|Organization|CareTeam)\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * The personalised care and support plan's commands (PRSB standard), for the workspace, the portal
 * and the CLI. A plan is made by the professionals caring for the person, whichever organisation
 * first recorded it, with the person and their carer: so each command decides with the plan verbs
 * (plan.policy.ts) on the relationship resolved here through the caller's row restriction (a plan
 * the caller may not see is "not found", like a missing one), then writes in one transaction under
 * the person's lock with the version the page showed (a stale version is a 409), through the same
 * write rule as the FHIR API (one active plan; an agreement names the person or their
 * representative). Every write names its writer (`meta.source`, the recording organisation's tag
 * kept) and adds a note saying who contributed what and when.
 */
export class PlanService {
  private readonly repo = new PlanRepository();
  private readonly visibility = new VisibilityRepository();

  constructor(
    private readonly resources: ResourceService,
    private readonly tasks: TaskService,
    private readonly clock: Clock,
  ) {}

  private get db() {
    return this.resources.db;
  }

  /** The person's current plan (active, else the newest draft) and their earlier ones, as the caller may see them; 404 for a person they may not see. */
  async forPerson(p: Principal, patientId: string): Promise<{ current?: LoadedPlan; earlier: { id: string; title: string; status: PlanStatus }[] }> {
    const now = this.clock.now();
    await this.mustSeePerson(p, patientId, now);
    const rows = await this.repo.plansOf(this.db, restrictionFor(p, now), patientId);
    const plans = rows.map((r) => ({ row: r, plan: JSON.parse(r.content) as CarePlan }));
    const cur = plans.find((x) => x.plan.status === 'active') ?? plans.find((x) => x.plan.status === 'draft');
    const earlier = plans.filter((x) => x !== cur).map((x) => ({ id: x.plan.id!, title: x.plan.title ?? 'Care plan', status: x.plan.status as PlanStatus }));
    return { ...(cur ? { current: await this.loaded(p, now, cur.plan, cur.row.versionId) } : {}), earlier };
  }

  /** One plan by id, as the caller may see it (404 alike for missing and hidden). */
  async get(p: Principal, planId: string): Promise<LoadedPlan> {
    if (!isValidId(planId)) throw notFound('There is no plan at this address');
    const now = this.clock.now();
    const row = (await this.repo.visible(this.db, restrictionFor(p, now), 'CarePlan', [planId])).get(planId);
    const plan = row ? (JSON.parse(row.content) as CarePlan) : undefined;
    if (!row || !plan || !isPersonalisedPlan(plan)) throw notFound('There is no plan at this address');
    return this.loaded(p, now, plan, row.versionId);
  }

  /** Starts a plan (a draft) for the person: refused when they already have one in use or being written. */
  async start(p: Principal, patientId: string, title: string): Promise<LoadedPlan> {
    const now = this.clock.now();
    const rel = await this.relationship(p, patientId, now);
    const words = cleanText(title || 'My care and support plan', 'title', 'The title');
    const draft: CarePlan = {
      resourceType: 'CarePlan', status: 'draft', intent: 'plan', category: [PLAN_CATEGORY], title: words,
      subject: { reference: `Patient/${patientId}` }, created: now.toISOString(), period: { start: now.toISOString().slice(0, 10) },
      ...(this.actorRef(p) ? { author: this.actorRef(p), contributor: [this.actorRef(p)!] } : {}),
      note: [this.note(p, now, 'Started the plan')],
    };
    this.decide(p, 'plan.edit', draft, rel);
    const id = await this.db.transaction(async (tx) => {
      await lockPerson(tx, 'plan', patientId);
      const open = (await this.repo.plansOf(tx, restrictionFor(p, now), patientId)).map((r) => JSON.parse(r.content) as CarePlan).find((x) => x.status === 'active' || x.status === 'draft');
      if (open) throw conflict(`This person already has a plan (${open.status === 'active' ? 'in use' : 'being written'}): change that one`);
      const body = this.attributed(p, draft);
      await personalisedPlanRule.check({ action: 'create', type: 'CarePlan', resource: body }, tx);
      const made = await this.resources.create('CarePlan', body, { tx });
      return made.id;
    });
    return this.get(p, id);
  }

  /** The plan's sections (staff): title, about me, what matters, needs, the contingency and crisis plan, carers involved. */
  async saveSections(p: Principal, planId: string, versionId: number, s: PlanSections): Promise<LoadedPlan> {
    const title = cleanText(s.title ?? '', 'title', 'The title');
    const aboutMe = optionalText(s.aboutMe, 'about-me', 'About me');
    const whatMatters = optionalText(s.whatMatters, 'what-matters', 'What matters to the person');
    const needs = (s.needs ?? '').split(/\r?\n/).map((x) => x.trim()).filter(Boolean);
    if (needs.length > MAX_NEEDS) throw badRequest(`List at most ${MAX_NEEDS} needs`, 'needs');
    needs.forEach((n) => cleanText(n, 'needs', 'A need'));
    const contingency = (s.contingency ?? []).filter((c) => c.trigger.trim() || c.action.trim()).map((c, i) => ({
      trigger: cleanText(c.trigger, `trigger-${i + 1}`, 'What to look out for'), action: cleanText(c.action, `action-${i + 1}`, 'What to do'),
    }));
    return this.change(p, planId, versionId, 'plan.edit', 'Changed the plan\'s sections', async (plan) => {
      const keep = (plan.extension ?? []).filter((x) => ![PCSP_EXT.aboutMe, PCSP_EXT.whatMatters, PCSP_EXT.need, PCSP_EXT.contingency].includes(x.url as never));
      const ext: Extension[] = [
        ...keep,
        ...(aboutMe ? [{ url: PCSP_EXT.aboutMe, valueString: aboutMe }] : []),
        ...(whatMatters ? [{ url: PCSP_EXT.whatMatters, valueString: whatMatters }] : []),
        ...needs.map((n) => ({ url: PCSP_EXT.need, valueString: n })),
        ...contingency.map((c) => ({ url: PCSP_EXT.contingency, extension: [{ url: 'trigger', valueString: c.trigger }, { url: 'action', valueString: c.action }] })),
      ];
      let contributor = plan.contributor ?? [];
      for (const ref of s.involvedCarers ?? []) {
        const carer = await this.carerOf(plan, ref);
        if (!contributor.some((c) => c.reference === ref)) contributor = [...contributor, { reference: ref, display: carer.name }];
      }
      return { ...plan, title, extension: ext, contributor };
    });
  }

  /** A goal in the person's words (staff write it down with them), optionally with their confidence. */
  async addGoal(p: Principal, planId: string, versionId: number, text: string, confidence?: string): Promise<LoadedPlan> {
    const words = cleanText(text, 'goal', 'The goal');
    const c = confidence === undefined || confidence === '' ? undefined : confidenceOf(confidence);
    const cur = await this.get(p, planId);
    this.checkVersion(cur, versionId);
    const now = this.clock.now();
    this.decide(p, 'plan.edit', cur.plan, await this.relationship(p, cur.view.patientId, now));
    const goal: Goal = {
      resourceType: 'Goal', lifecycleStatus: 'active', description: { text: words }, subject: cur.plan.subject!, startDate: now.toISOString().slice(0, 10),
      expressedBy: cur.plan.subject as Ref, ...(c !== undefined ? { extension: [{ url: GOAL_CONFIDENCE, valueInteger: c }] } : {}),
    };
    return this.change(p, planId, versionId, 'plan.edit', `Added the goal "${words}"`, async (plan, tx) => {
      const made = await this.resources.create('Goal', this.attributed(p, goal as Goal & { meta?: never }, undefined, plan), { tx });
      return { ...plan, goal: [...(plan.goal ?? []), { reference: `Goal/${made.id}` }] };
    });
  }

  /** An action of the plan: who (a person or an organisation), what, by when, as a Task on the owner's work list. */
  async addAction(p: Principal, planId: string, versionId: number, a: { what?: string; owner?: string; ownerName?: string; due?: string }): Promise<LoadedPlan> {
    const what = cleanText(a.what ?? '', 'what', 'What is to be done');
    if (!a.owner || !OWNER.test(a.owner)) throw badRequest('Choose who will do it: a person or an organisation', 'owner');
    if (!a.due || !ISO_DATE.test(a.due)) throw badRequest('Enter the date it is due by', 'due-day');
    const cur = await this.get(p, planId);
    this.checkVersion(cur, versionId);
    const made = await this.tasks.create(p, {
      code: taskKindCode(PLAN_ACTION_KIND), description: what, for: cur.plan.subject, basedOn: [{ reference: `CarePlan/${planId}` }],
      owner: { reference: a.owner, ...(a.ownerName ? { display: a.ownerName } : {}) }, restriction: { period: { end: a.due } },
    });
    return this.change(p, planId, versionId, 'plan.edit', `Added the action "${what}"`, (plan) => ({
      ...plan, activity: [...(plan.activity ?? []), { reference: { reference: `Task/${made.task.id}`, display: what } }],
    }));
  }

  /** The next review: when, and who leads it. */
  async setReview(p: Principal, planId: string, versionId: number, date: string | undefined, owner: string | undefined, ownerName?: string): Promise<LoadedPlan> {
    if (!date || !ISO_DATE.test(date)) throw badRequest('Enter the date of the next review', 'review-day');
    if (!owner || !OWNER.test(owner)) throw badRequest('Choose who leads the review', 'review-owner');
    return this.change(p, planId, versionId, 'plan.edit', `Set the next review for ${formatDate(date)}`, (plan) => ({
      ...plan,
      extension: [...(plan.extension ?? []).filter((x) => x.url !== PCSP_EXT.review && x.url !== PCSP_EXT.reviewRequested), {
        url: PCSP_EXT.review, extension: [{ url: 'date', valueDate: date }, { url: 'owner', valueReference: { reference: owner, ...(ownerName ? { display: ownerName } : {}) } }],
      }],
    }));
  }

  /** Puts a draft plan in use (the one-active-plan rule decides), or ends one in use. */
  async setStatus(p: Principal, planId: string, versionId: number, to: 'active' | 'revoked' | 'completed'): Promise<LoadedPlan> {
    const words = { active: 'Put the plan in use', revoked: 'Stopped the plan', completed: 'Finished the plan' }[to];
    return this.change(p, planId, versionId, 'plan.edit', words, (plan) => {
      if (to === 'active' && plan.status !== 'draft') throw conflict('Only a plan being written can be put in use');
      if (to !== 'active' && plan.status !== 'active' && plan.status !== 'draft') throw conflict('This plan has already ended');
      return { ...plan, status: to, ...(to !== 'active' ? { period: { ...plan.period, end: this.clock.now().toISOString().slice(0, 10) } } : {}) };
    });
  }

  /**
   * The plan agreed: by the person or their carer in the portal (themselves), or recorded by staff
   * with whom it was agreed (`agreedWith`: the Patient or a RelatedPerson of theirs) and the date.
   * Anyone else is refused (the write rule says so on the FHIR API too).
   */
  async agree(p: Principal, planId: string, versionId: number, o: { agreedWith?: string; date?: string } = {}): Promise<LoadedPlan> {
    const now = this.clock.now();
    const cur = await this.get(p, planId);
    let who: Ref | undefined;
    let date = now.toISOString();
    if (p.kind === 'resident') who = { reference: `Patient/${p.patientId}`, display: p.displayName };
    else if (p.kind === 'proxy') who = await this.proxyRef(p, cur.view.patientId);
    else {
      if (!o.agreedWith) throw badRequest('Say who agreed the plan: the person or their representative', 'agreed-with');
      if (o.agreedWith === `Patient/${cur.view.patientId}`) who = { reference: o.agreedWith, display: 'the person' };
      else if (/^RelatedPerson\//.test(o.agreedWith)) who = { reference: o.agreedWith, display: (await this.carerOf(cur.plan, o.agreedWith)).name };
      else throw badRequest('A plan is agreed with the person or their representative: choose one of them', 'agreed-with');
      if (!o.date || !ISO_DATE.test(o.date)) throw badRequest('Enter the date the plan was agreed', 'agreed-day');
      if (o.date > now.toISOString().slice(0, 10)) throw badRequest('The date the plan was agreed cannot be in the future', 'agreed-day');
      date = o.date;
    }
    if (cur.view.goalsNotShown > 0 || cur.view.actionsNotShown > 0) throw forbidden('Part of this plan is not shared with you, so you cannot agree all of it');
    return this.change(p, planId, versionId, 'plan.agree', `Agreed the plan${p.kind === 'staff' ? ` with ${who!.display}` : ''}`, (plan) => ({
      ...plan,
      extension: [...(plan.extension ?? []).filter((x) => x.url !== PCSP_EXT.agreement), {
        url: PCSP_EXT.agreement, extension: [
          { url: 'agreedBy', valueReference: who! }, { url: 'date', valueDateTime: date },
          ...(this.actorRef(p) ? [{ url: 'recordedBy', valueReference: this.actorRef(p)! }] : []),
          { url: 'version', valueInteger: cur.versionId + 1 }, { url: 'contentHash', valueString: hashOfView(cur.view) },
        ],
      }],
    }));
  }

  /** What matters to me, in the person's (or their carer's) words. */
  async setWhatMatters(p: Principal, planId: string, versionId: number, text: string): Promise<LoadedPlan> {
    const words = cleanText(text, 'what-matters', 'What matters to you');
    return this.change(p, planId, versionId, 'plan.contribute', 'Changed what matters to me', (plan) => ({
      ...plan, extension: [...(plan.extension ?? []).filter((x) => x.url !== PCSP_EXT.whatMatters), { url: PCSP_EXT.whatMatters, valueString: words }],
    }));
  }

  /** How confident the person feels about a goal of their plan, 0 to 10. */
  async rateConfidence(p: Principal, planId: string, goalId: string, value: string): Promise<LoadedPlan> {
    const c = confidenceOf(value, `confidence-${goalId}`);
    const now = this.clock.now();
    const cur = await this.get(p, planId);
    const goal = cur.goals.get(goalId);
    if (!goal) throw notFound('That goal is not part of this plan');
    this.decide(p, 'plan.contribute', cur.plan, await this.relationship(p, cur.view.patientId, now));
    await this.db.transaction(async (tx) => {
      const row = (await this.repo.visible(tx, restrictionFor(p, now), 'Goal', [goalId])).get(goalId)!;
      const g = JSON.parse(row.content) as Goal;
      const next: Goal = { ...g, extension: [...(g.extension ?? []).filter((x) => x.url !== GOAL_CONFIDENCE), { url: GOAL_CONFIDENCE, valueInteger: c }] };
      await this.resources.update('Goal', goalId, this.attributed(p, next, g), { tx, ifMatch: row.versionId });
    });
    return this.change(p, planId, cur.versionId, 'plan.contribute', `Rated confidence in "${goal.description?.text}" as ${c} out of 10`, (plan) => plan);
  }

  /**
   * Asks for a review of the plan: a Task for whoever leads the next review (else the plan's author,
   * else the recording organisation), requested by the person or their carer. Someone without the
   * right (a carer the person has not shared the plan with) is refused and nothing is written.
   */
  async requestReview(p: Principal, planId: string, reason: string): Promise<LoadedPlan> {
    const why = cleanText(reason, 'reason', 'Why you would like a review');
    const now = this.clock.now();
    const cur = await this.get(p, planId);
    this.decide(p, 'plan.review.request', cur.plan, await this.relationship(p, cur.view.patientId, now));
    const me = p.kind === 'proxy' ? await this.proxyRef(p, cur.view.patientId) : this.actorRef(p);
    const org = recordedByTags(cur.plan)[0]?.code;
    const owner = cur.view.review?.owner?.reference ?? (localReference(cur.plan.author?.reference)?.type === 'Practitioner' ? cur.plan.author!.reference : org ? `Organization/${org}` : undefined);
    if (!owner) throw conflict('This plan names nobody to review it; call the GP practice');
    const due = new Date(now.getTime() + 14 * 86_400_000).toISOString().slice(0, 10);
    await this.db.transaction(async (tx) => {
      await lockPerson(tx, 'plan', cur.view.patientId);
      const task: Task = {
        resourceType: 'Task', status: 'requested', intent: 'order', code: taskKindCode(PLAN_REVIEW_KIND),
        description: `Review the care plan: ${why}`, for: cur.plan.subject, focus: { reference: `CarePlan/${planId}` },
        ...(me ? { requester: me } : {}), owner: { reference: owner, ...(cur.view.review?.owner ? { display: cur.view.review.owner.name } : {}) },
        authoredOn: now.toISOString(), restriction: { period: { end: due } },
        // The work belongs to the plan's organisation, so its staff see it on their list.
        meta: { tag: recordedByTags(cur.plan), source: sourceOf(p) },
      };
      await this.resources.create('Task', task, { tx });
    });
    return this.change(p, planId, cur.versionId, 'plan.review.request', `Asked for a review: ${why}`, (plan) => ({
      ...plan,
      extension: [...(plan.extension ?? []).filter((x) => x.url !== PCSP_EXT.reviewRequested), {
        url: PCSP_EXT.reviewRequested, extension: [{ url: 'by', valueReference: me ?? { display: p.displayName } }, { url: 'date', valueDateTime: now.toISOString() }],
      }],
    }), true);
  }

  /** Whether the caller may take each part in this person's plan (for showing only the forms they may use). */
  async rights(p: Principal, plan: CarePlan): Promise<{ edit: boolean; agree: boolean; contribute: boolean; review: boolean }> {
    const patient = localReference(plan.subject?.reference)?.id ?? '';
    const rel = await this.relationship(p, patient, this.clock.now());
    const s = { plan, ...rel };
    return {
      edit: can(p, 'plan.edit', s).allowed, agree: can(p, 'plan.agree', s).allowed,
      contribute: can(p, 'plan.contribute', s).allowed, review: can(p, 'plan.review.request', s).allowed,
    };
  }

  /** The person's carers (RelatedPersons) the caller may see: for "involved" and "agreed with". */
  async carers(p: Principal, patientId: string): Promise<{ reference: string; name: string }[]> {
    const now = this.clock.now();
    const res = await this.db.query<{ id: string; content: string }>(
      `SELECT r.id, r.content FROM resource r WHERE r.resource_type = 'RelatedPerson' AND NOT r.deleted
        AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'RelatedPerson' AND x.code = 'patient' AND x.target_type = 'Patient' AND x.target_id = $1)
        ORDER BY r.id LIMIT 20`,
      [patientId],
    );
    const seen = await this.repo.visible(this.db, restrictionFor(p, now), 'RelatedPerson', res.rows.map((r) => r.id));
    return res.rows.filter((r) => seen.has(r.id)).map((r) => ({ reference: `RelatedPerson/${r.id}`, name: nameOf(JSON.parse(r.content)) }));
  }

  /**
   * A carer's own support, in the portal: what the person has agreed to share with them (their
   * proxy grant, as the row restriction reads it), carers' support services to contact (the shared
   * directory), and whether they have asked for a carer's assessment.
   */
  async carerSupport(p: Principal, patientId: string): Promise<{ shared: string[] | null; services: { name: string; phone?: string; description?: string }[]; assessmentAsked: boolean }> {
    if (p.kind !== 'proxy') return { shared: [], services: [], assessmentAsked: false };
    const now = this.clock.now();
    const shared = p.patientIds.includes(patientId) ? await this.visibility.proxyGrantedTypes(this.db, p.relatedPersonIds, patientId, now) : [];
    const res = await this.db.query<{ content: string }>(
      `SELECT content FROM resource WHERE resource_type = 'HealthcareService' AND NOT deleted AND content ILIKE '%carers%' ORDER BY id LIMIT 3`,
    );
    const services = res.rows.map((r) => JSON.parse(r.content)).map((h) => ({
      name: h.name as string, ...(h.telecom?.find((x: { system?: string }) => x.system === 'phone')?.value ? { phone: h.telecom.find((x: { system?: string }) => x.system === 'phone').value } : {}),
      ...(h.comment || h.extraDetails ? { description: (h.comment ?? h.extraDetails) as string } : {}),
    }));
    const me = await this.proxyRef(p, patientId).catch(() => undefined);
    const asked = me ? await this.db.query(
      `SELECT 1 FROM resource r JOIN task_work w ON w.rid = r.rid WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.kind = 'carer-support' AND w.patient_id = $1
        AND r.content::jsonb -> 'requester' ->> 'reference' = $2 LIMIT 1`, [patientId, me.reference]) : { rows: [] };
    return { shared, services, assessmentAsked: asked.rows.length > 0 };
  }

  /** A carer asks for a carer's assessment: a Task for the team that holds the person's plan (else their GP practice). */
  async askForCarerAssessment(p: Principal, patientId: string): Promise<void> {
    if (p.kind !== 'proxy' || !p.patientIds.includes(patientId)) throw forbidden('Only a carer can ask for a carer\'s assessment here');
    const me = await this.proxyRef(p, patientId);
    const now = this.clock.now();
    const { current } = await this.forPerson(p, patientId).catch(() => ({ current: undefined }));
    const row = await this.db.query<{ content: string }>("SELECT content FROM resource WHERE resource_type = 'Patient' AND id = $1 AND NOT deleted", [patientId]);
    const gp = row.rows[0] ? localReference(JSON.parse(row.rows[0].content).generalPractitioner?.[0]?.reference) : undefined;
    const org = current ? recordedByTags(current.plan)[0]?.code : gp?.type === 'Organization' ? gp.id : undefined;
    if (!org) throw conflict('There is nobody to send this to: call the GP practice');
    await this.db.transaction(async (tx) => {
      await lockPerson(tx, 'plan', patientId);
      const asked = await tx.query(
        `SELECT 1 FROM resource r JOIN task_work w ON w.rid = r.rid WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.kind = 'carer-support' AND w.patient_id = $1
          AND w.status = ANY($3::text[]) AND r.content::jsonb -> 'requester' ->> 'reference' = $2 LIMIT 1`, [patientId, me.reference, [...OPEN_TASK_STATUSES]]);
      if (asked.rows.length) throw conflict('You have already asked for a carer\'s assessment: the team will be in touch');
      await this.resources.create('Task', {
        resourceType: 'Task', status: 'requested', intent: 'order', code: taskKindCode('carer-support'),
        description: `Carer's assessment asked for by ${me.display}`, for: { reference: `Patient/${patientId}` }, requester: me,
        owner: { reference: `Organization/${org}` }, authoredOn: now.toISOString(), restriction: { period: { end: new Date(now.getTime() + 28 * 86_400_000).toISOString().slice(0, 10) } },
        meta: { tag: [recordedByTag(org)], source: sourceOf(p) },
      } as Task, { tx });
    });
  }

  // --- internals -------------------------------------------------------------------------------

  /**
   * Reads the plan under the caller's restriction, decides the verb, applies `edit`, and writes
   * version n+1 over version n in one transaction under the person's lock, with a note attributing it.
   */
  private async change(
    p: Principal, planId: string, versionId: number, verb: 'plan.edit' | 'plan.agree' | 'plan.contribute' | 'plan.review.request', what: string,
    edit: (plan: CarePlan, tx: Queryable) => CarePlan | Promise<CarePlan>, skipVersionCheck = false,
  ): Promise<LoadedPlan> {
    const now = this.clock.now();
    const cur = await this.get(p, planId);
    if (!skipVersionCheck) this.checkVersion(cur, versionId);
    this.decide(p, verb, cur.plan, await this.relationship(p, cur.view.patientId, now));
    await this.db.transaction(async (tx) => {
      await lockPerson(tx, 'plan', cur.view.patientId);
      const edited = await edit(structuredClone(cur.plan), tx);
      const me = p.kind === 'proxy' ? await this.proxyRef(p, cur.view.patientId) : this.actorRef(p);
      const contributor = me && !(edited.contributor ?? []).some((c) => c.reference === me.reference) ? [...(edited.contributor ?? []), me] : edited.contributor;
      const next = this.attributed(p, { ...edited, ...(contributor ? { contributor } : {}), note: [...(edited.note ?? []), this.note(p, now, what, me)] }, cur.plan);
      await personalisedPlanRule.check({ action: 'update', type: 'CarePlan', resource: next, current: cur.plan }, tx);
      try {
        await this.resources.update('CarePlan', planId, next, { tx, ifMatch: cur.versionId });
      } catch (err) {
        if (err instanceof FhirError && err.status === 412) throw changedSince();
        throw err;
      }
    });
    return this.get(p, planId);
  }

  private checkVersion(cur: LoadedPlan, versionId: number): void {
    if (!Number.isInteger(versionId) || versionId < 1) throw badRequest('The form has no version of the plan: reload the page and try again', 'versionId');
    if (cur.versionId !== versionId) throw changedSince();
  }

  private decide(p: Principal, verb: 'plan.edit' | 'plan.agree' | 'plan.contribute' | 'plan.review.request', plan: CarePlan, rel: { careRelationship: boolean; proxyGrantCoversPlan: boolean }): void {
    const d = can(p, verb, { plan, ...rel });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
  }

  /** The relationship the plan verbs decide on, through the caller's own restriction and grants. */
  private async relationship(p: Principal, patientId: string, now: Date): Promise<{ careRelationship: boolean; proxyGrantCoversPlan: boolean }> {
    if (p.kind === 'proxy') {
      const types = p.patientIds.includes(patientId) ? await this.visibility.proxyGrantedTypes(this.db, p.relatedPersonIds, patientId, now) : [];
      return { careRelationship: false, proxyGrantCoversPlan: types === null || types.includes('CarePlan') };
    }
    if (p.kind !== 'staff') return { careRelationship: false, proxyGrantCoversPlan: false };
    const seen = await this.visibility.visiblePatients(this.db, restrictionFor(p, now), [patientId]);
    return { careRelationship: seen.has(patientId), proxyGrantCoversPlan: false };
  }

  private async mustSeePerson(p: Principal, patientId: string, now: Date): Promise<void> {
    if (!isValidId(patientId)) throw notFound('There is no person at this address');
    const seen = await this.visibility.visiblePatients(this.db, restrictionFor(p, now), [patientId]);
    if (!seen.has(patientId)) throw notFound('There is no person at this address');
  }

  private async loaded(p: Principal, now: Date, plan: CarePlan, versionId: number): Promise<LoadedPlan> {
    const restriction = restrictionFor(p, now);
    const goalIds = (plan.goal ?? []).flatMap((r) => { const k = localReference(r.reference); return k?.type === 'Goal' ? [k.id] : []; });
    const taskIds = (plan.activity ?? []).flatMap((a) => { const k = localReference(a.reference?.reference); return k?.type === 'Task' ? [k.id] : []; });
    const goals = new Map([...(await this.repo.visible(this.db, restriction, 'Goal', goalIds))].map(([id, r]) => [id, JSON.parse(r.content) as Goal]));
    const tasks = new Map([...(await this.repo.visible(this.db, restriction, 'Task', taskIds))].map(([id, r]) => [id, JSON.parse(r.content) as Task]));
    const view = planViewOf(plan, versionId, goals, tasks);
    await this.nameUnnamed(p, now, view);
    return { plan, versionId, view, goals, tasks };
  }

  /**
   * Names whoever the plan refers to without a name (a reference written with no display, as a
   * partner's or the synthetic population's may be), as far as the caller may see them: a resident
   * was shown "Organization/org-pcn-u82010" as who will do an action, and "Patient/pat-1065" as who was involved.
   */
  private async nameUnnamed(p: Principal, now: Date, view: PlanView): Promise<void> {
    await nameUnnamed(this.db, p, now, [...view.involved, ...view.actions.flatMap((a) => (a.who ? [a.who] : [])), ...(view.review?.owner ? [view.review.owner] : [])]);
  }

  /** Who the caller is, as a reference a plan can name (staff: their Practitioner; the person: their Patient). */
  private actorRef(p: Principal): Ref | undefined {
    if (p.kind === 'staff' && p.practitionerId) return { reference: `Practitioner/${p.practitionerId}`, display: p.displayName };
    if (p.kind === 'resident') return { reference: `Patient/${p.patientId}`, display: p.displayName };
    return undefined;
  }

  /** The carer's RelatedPerson for this person (a carer may care for several people). */
  private async proxyRef(p: Principal, patientId: string): Promise<Ref> {
    if (p.kind !== 'proxy') throw forbidden('Not a carer');
    const rows = await this.repo.visible(this.db, undefined, 'RelatedPerson', p.relatedPersonIds);
    for (const [id, r] of rows) {
      const rp = JSON.parse(r.content) as RelatedPerson;
      if (rp.patient?.reference === `Patient/${patientId}`) return { reference: `RelatedPerson/${id}`, display: nameOf(rp) || p.displayName };
    }
    throw forbidden('You are not recorded as this person\'s carer');
  }

  private async carerOf(plan: CarePlan, ref: string): Promise<{ name: string }> {
    const k = localReference(ref);
    const row = k?.type === 'RelatedPerson' ? (await this.repo.visible(this.db, undefined, 'RelatedPerson', [k.id])).get(k.id) : undefined;
    const rp = row ? (JSON.parse(row.content) as RelatedPerson) : undefined;
    if (!rp || rp.patient?.reference !== plan.subject?.reference) throw badRequest('Choose a carer or representative recorded for this person', 'involved');
    return { name: nameOf(rp) };
  }

  private note(p: Principal, now: Date, text: string, who?: Ref): Annotation {
    const me = who ?? this.actorRef(p);
    return { ...(me ? { authorReference: me } : { authorString: p.displayName }), time: now.toISOString(), text };
  }

  /**
   * Who wrote this version: staff as the record stamps them (their organisation's tag on what they
   * create; the original recorder's kept on what they change), the person and their carer by
   * `meta.source` only, keeping the recording organisation's tags so the plan stays with its team.
   */
  private attributed<T extends CarePlan | Goal>(p: Principal, next: T, current?: T, from?: CarePlan): T {
    if (p.kind === 'staff' || p.kind === 'client') return stamp(p, from && !current ? { ...next, meta: { tag: recordedByTags(from) } } : next, current ?? (from as never)) as T;
    return { ...next, meta: { ...(current?.meta?.tag ? { tag: current.meta.tag } : from ? { tag: recordedByTags(from) } : {}), source: sourceOf(p) } } as T;
  }
}

function changedSince(): FhirError {
  const e = conflict('This plan was changed by someone else since you opened it; reload it and try again');
  e.outcome.issue![0].expression = ['versionId'];
  return e;
}

function optionalText(v: string | undefined, field: string, what: string): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : cleanText(v, field, what);
}

function confidenceOf(v: string, field = 'confidence'): number {
  if (!/^(10|[0-9])$/.test(String(v).trim())) throw badRequest('Choose how confident you feel, from 0 (not at all) to 10 (completely)', field);
  return Number(String(v).trim());
}

export function nameOf(r: { name?: { text?: string; given?: string[]; family?: string }[] } | undefined): string {
  const n = r?.name?.[0];
  return n?.text ?? [...(n?.given ?? []), n?.family].filter(Boolean).join(' ');
}
