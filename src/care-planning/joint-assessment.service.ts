import type { Coding, QuestionnaireResponse, QuestionnaireResponseItem, Reference, RelatedPerson, Task } from '@medplum/fhirtypes';
import { can } from '../access/policy/policy.js';
import { recordedByOf, recordedByTag } from '../access/policy/policy-codes.js';
import { sourceOf } from '../access/policy/record-access.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import { VisibilityRepository } from '../access/policy/visibility.repository.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/database.js';
import { badRequest, conflict, FhirError, forbidden, notFound } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { checkAnswer, checkAssessmentTask, partsOf } from './joint-assessment.rules.js';
import {
  isTaskKind, JOINT_ASSESSMENT_KIND, JOINT_ASSESSMENT_PART_KIND, PART_CODES, PART_EXTENSION, PART_SYSTEM, PARTS, partCodeOf, QUESTIONNAIRE_INPUT, RESPONSE_OUTPUT,
  type PartCode,
} from './joint-assessment.vocabulary.js';
import { PlanRepository } from './plan.repository.js';
import { nameOf, type PlanService } from './plan.service.js';

type Ref = Reference<any>;

/** One part of the assessment as the pages show it. */
export interface PartView {
  id: string;
  versionId: number;
  code: PartCode;
  title: string;
  plainTitle: string;
  owner: { reference: string; name: string };
  /** The carer a carer's assessment is about. */
  carer?: { reference: string; name: string };
  status: string;
  due?: string;
  answered?: { by: string; organisation?: string; at: string; responseId: string; answers: { linkId: string; question: string; answer: string; code?: string }[] };
  /** The caller is the one it is assigned to, and it is still open. */
  mine: boolean;
}

export interface AssessmentView {
  id: string;
  versionId: number;
  patientId: string;
  status: string;
  startedBy: string;
  startedAt?: string;
  parts: PartView[];
  /** Parts this reader may not see (said, never dropped silently). */
  partsNotShown: number;
  /** The reader is not shown the assessment itself, only the parts given to them (see JointAssessmentService.get). */
  limited?: boolean;
  /** Every part is answered: the assessment may be completed. */
  allAnswered: boolean;
  canComplete: boolean;
}

/** What the assessment's answers would add to the person's plan. */
export interface PlanOffer {
  aboutMe?: string;
  whatMatters?: string;
  needs: string[];
  carers: { reference: string; name: string }[];
}

export interface PartChoice {
  code: PartCode;
  /** `Organization/id` for a part staff answer; the person's own part is always theirs. */
  owner?: string;
  /** `RelatedPerson/id` of the carer a carer's assessment is about. */
  carer?: string;
}

const DAY = 86_400_000;
const lines = (s: string | undefined) => (s ?? '').split(/\r?\n/).map((x) => x.trim()).filter(Boolean);

/** How many open parts the "Assessments to answer" list shows; the rest are on the team's work list. */
export const TO_ANSWER_LIMIT = 50;

/**
 * A joint assessment (issue 12 part 4): one assessment Task whose parts (Tasks `partOf` it) are each
 * answered, as a QuestionnaireResponse, by whoever the part is assigned to: health and social care
 * organisations, a carers' organisation, and the person themself in the portal. Each command decides
 * with the assessment verbs (assessment.policy.ts) on what the caller's row restriction shows, checks
 * what it writes with the record's own rules (joint-assessment.rules.ts: the same checks the FHIR API
 * applies), and writes in one transaction under the assessment's lock, attributed to the writer. The
 * answers feed the person's plan through PlanService.
 */
export class JointAssessmentService {
  private readonly repo = new PlanRepository();
  private readonly visibility = new VisibilityRepository();

  constructor(
    private readonly resources: ResourceService,
    private readonly plans: PlanService,
    private readonly clock: Clock,
  ) {}

  private get db() {
    return this.resources.db;
  }

  /** The person's joint assessments the caller may see, newest first; 404 for a person they may not see. */
  async forPerson(p: Principal, patientId: string): Promise<AssessmentView[]> {
    const now = this.clock.now();
    await this.mustSeePerson(p, patientId, now);
    const r = await this.db.query<{ id: string }>(
      `SELECT r.id FROM resource r JOIN task_work w ON w.rid = r.rid
        WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.patient_id = $1 AND w.kind = $2 ORDER BY w.authored_on DESC NULLS LAST, r.rid DESC LIMIT 20`,
      [patientId, JOINT_ASSESSMENT_KIND],
    );
    const seen = await this.repo.visible(this.db, restrictionFor(p, now), 'Task', r.rows.map((x) => x.id));
    const out: AssessmentView[] = [];
    for (const x of r.rows) if (seen.has(x.id)) out.push(await this.view(p, now, JSON.parse(seen.get(x.id)!.content) as Task, seen.get(x.id)!.versionId));
    return out;
  }

  /**
   * One assessment, as the caller may see it (404 alike for missing and hidden). Someone given a part
   * but not shown the assessment itself (a voluntary organisation sees only the tasks addressed to it:
   * row-restriction.ts `addressedOnly`) gets the parts they may see, marked `limited`, the rest counted
   * in `partsNotShown`: the page their own list links to opens, and says what it does not show.
   */
  async get(p: Principal, id: string): Promise<AssessmentView> {
    if (!isValidId(id)) throw notFound('There is no assessment at this address');
    const now = this.clock.now();
    const row = (await this.repo.visible(this.db, restrictionFor(p, now), 'Task', [id])).get(id);
    const task = row ? (JSON.parse(row.content) as Task) : undefined;
    if (row && task && isTaskKind(task, JOINT_ASSESSMENT_KIND)) return this.view(p, now, task, row.versionId);
    const whole = (await this.repo.visible(this.db, undefined, 'Task', [id])).get(id);
    const wholeTask = whole ? (JSON.parse(whole.content) as Task) : undefined;
    if (!whole || !wholeTask || !isTaskKind(wholeTask, JOINT_ASSESSMENT_KIND)) throw notFound('There is no assessment at this address');
    const v = await this.view(p, now, wholeTask, whole.versionId);
    if (v.parts.length === 0) throw notFound('There is no assessment at this address');
    return { ...v, limited: true, canComplete: false };
  }

  /**
   * Writes the four parts' Questionnaires (joint-assessment.vocabulary.ts) into the record under their
   * own ids, so the canonical URL every answer and part names resolves on /fhir/R4/Questionnaire: at the
   * server's start and before an assessment is started (an unchanged one is not re-versioned).
   */
  private published?: Promise<void>;

  async publishQuestionnaires(): Promise<void> {
    for (const code of PART_CODES) await this.resources.update('Questionnaire', PARTS[code].questionnaire.id!, PARTS[code].questionnaire);
  }

  /**
   * Starts a joint assessment and gives out its parts: health and social care each to an
   * organisation (two different ones: it is joint), the person's own "about me" to them, and a
   * carer's assessment for each carer named. Refused, with nothing written, when the person already
   * has one open, when a part names nobody or a carer who is not theirs.
   */
  async start(p: Principal, patientId: string, choices: PartChoice[]): Promise<AssessmentView> {
    const now = this.clock.now();
    await this.mustSeePerson(p, patientId, now);
    const d = can(p, 'assessment.start', { patientId, careRelationship: true });
    if (!d.allowed || p.kind !== 'staff') throw forbidden(`Not allowed: ${d.reason}`);
    // Once per process (the start command publishes them too): not four reads and writes per assessment.
    this.published ??= this.publishQuestionnaires().catch((err: unknown) => { this.published = undefined; throw err; });
    await this.published;
    const health = choices.find((c) => c.code === 'health');
    const social = choices.find((c) => c.code === 'social-care');
    if (!health?.owner) throw badRequest('Choose who answers the health part', 'health-owner');
    if (!social?.owner) throw badRequest('Choose who answers the social care part', 'social-care-owner');
    if (health.owner === social.owner) throw badRequest('A joint assessment is answered by health and social care together: choose two different organisations', 'social-care-owner');
    const owners = new Map<string, string>();
    for (const c of choices.filter((x) => x.code !== 'about-me')) {
      const field = c.code === 'carer' ? `carer-owner-${c.carer ?? ''}` : `${c.code}-owner`;
      const k = localReference(c.owner);
      if (k?.type !== 'Organization') throw badRequest(`Choose the organisation that answers ${PARTS[c.code].title.toLowerCase()}`, field);
      const org = (await this.repo.visible(this.db, undefined, 'Organization', [k.id])).get(k.id);
      if (!org) throw badRequest('There is no such organisation', field);
      owners.set(c.owner!, (JSON.parse(org.content) as { name?: string }).name ?? k.id);
    }
    const carers = new Map<string, string>();
    for (const c of choices.filter((x) => x.code === 'carer')) {
      const k = localReference(c.carer);
      const row = k?.type === 'RelatedPerson' ? (await this.repo.visible(this.db, restrictionFor(p, now), 'RelatedPerson', [k.id])).get(k.id) : undefined;
      const rp = row ? (JSON.parse(row.content) as RelatedPerson) : undefined;
      if (!rp || rp.patient?.reference !== `Patient/${patientId}`) throw badRequest('Choose a carer recorded for this person', 'carers');
      carers.set(c.carer!, nameOf(rp) || 'their carer');
    }
    const me: Ref = p.practitionerId ? { reference: `Practitioner/${p.practitionerId}`, display: p.displayName } : { reference: `Organization/${p.organizationId}` };
    const meta = { tag: [recordedByTag(p.organizationId)], source: sourceOf(p) };
    const due = new Date(now.getTime() + 14 * DAY).toISOString().slice(0, 10);
    const kind = (k: string, part?: PartCode): Task['code'] => ({
      coding: [{ system: TASK_KIND_SYSTEM, code: k, display: TASK_KINDS[k as keyof typeof TASK_KINDS] }, ...(part ? [{ system: PART_SYSTEM, code: part, display: PARTS[part].title }] : [])],
      text: part ? PARTS[part].title : TASK_KINDS[k as keyof typeof TASK_KINDS],
    });
    const id = await this.db.transaction(async (tx) => {
      await lock(tx, patientId);
      const open = await tx.query(
        "SELECT 1 FROM task_work WHERE patient_id = $1 AND kind = $2 AND status IN ('requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold') LIMIT 1",
        [patientId, JOINT_ASSESSMENT_KIND],
      );
      if (open.rows.length) throw conflict('This person already has a joint assessment in progress: add to that one');
      const main = await this.resources.create('Task', {
        resourceType: 'Task', meta, status: 'in-progress', intent: 'order', code: kind(JOINT_ASSESSMENT_KIND),
        description: 'Joint assessment: health and social care, the person and their carer', for: { reference: `Patient/${patientId}` },
        requester: me, owner: me, authoredOn: now.toISOString(), lastModified: now.toISOString(), restriction: { period: { end: due } },
      } as Task, { tx });
      const part = (code: PartCode, owner: Ref, carer?: Ref): Task => ({
        resourceType: 'Task', meta, status: 'ready', intent: 'order', code: kind(JOINT_ASSESSMENT_PART_KIND, code),
        description: `${PARTS[code].title}${carer ? ` for ${carer.display}` : ''}: part of a joint assessment`,
        partOf: [{ reference: `Task/${main.id}` }], for: { reference: `Patient/${patientId}` }, requester: me, owner,
        ...(carer ? { focus: carer } : {}), authoredOn: now.toISOString(), lastModified: now.toISOString(), restriction: { period: { end: due } },
        input: [{ type: { coding: [QUESTIONNAIRE_INPUT], text: QUESTIONNAIRE_INPUT.display }, valueCanonical: PARTS[code].questionnaire.url! }],
      });
      await this.resources.create('Task', part('health', { reference: health.owner!, display: owners.get(health.owner!) }), { tx });
      await this.resources.create('Task', part('social-care', { reference: social.owner!, display: owners.get(social.owner!) }), { tx });
      for (const c of choices.filter((x) => x.code === 'carer')) {
        await this.resources.create('Task', part('carer', { reference: c.owner!, display: owners.get(c.owner!) }, { reference: c.carer!, display: carers.get(c.carer!) }), { tx });
      }
      await this.resources.create('Task', part('about-me', { reference: `Patient/${patientId}`, display: 'The person' }), { tx });
      return main.id;
    });
    return this.get(p, id);
  }

  /**
   * Answers a part: `answers` by question (linkId; a choice by its code). Only whoever the part is
   * assigned to; every answer one the Questionnaire allows and every required question answered, or
   * a 422 naming each problem and nothing written. The response and the part's completion are one transaction.
   */
  async answer(p: Principal, partId: string, answers: Record<string, string | undefined>): Promise<AssessmentView | undefined> {
    if (!isValidId(partId)) throw notFound('There is no such part of an assessment');
    const now = this.clock.now();
    const row = (await this.repo.visible(this.db, restrictionFor(p, now), 'Task', [partId])).get(partId);
    const part = row ? (JSON.parse(row.content) as Task) : undefined;
    const code = part ? partCodeOf(part) : undefined;
    if (!row || !part || !code || !isTaskKind(part, JOINT_ASSESSMENT_PART_KIND)) throw notFound('There is no such part of an assessment');
    const patientId = localReference(part.for?.reference)?.id ?? '';
    const d = can(p, 'assessment.answer', { owner: part.owner?.reference, patientId });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    const def = PARTS[code];
    const item: QuestionnaireResponseItem[] = [];
    for (const q of def.questionnaire.item ?? []) {
      const v = (answers[q.linkId] ?? '').trim();
      if (!v) continue;
      if (q.type === 'choice') {
        const opt = (q.answerOption ?? []).find((o) => o.valueCoding?.code === v)?.valueCoding;
        const coding: Coding = opt ?? { system: q.answerOption?.[0]?.valueCoding?.system, code: v };
        item.push({ linkId: q.linkId, text: q.text, answer: [{ valueCoding: coding }] });
      } else {
        item.push({ linkId: q.linkId, text: q.text, answer: [{ valueString: v }] });
      }
    }
    const author: Ref | undefined = p.kind === 'staff' && p.practitionerId ? { reference: `Practitioner/${p.practitionerId}`, display: p.displayName }
      : p.kind === 'resident' ? { reference: `Patient/${p.patientId}`, display: p.displayName } : p.kind === 'staff' ? { reference: `Organization/${p.organizationId}`, display: p.displayName } : undefined;
    const source = code === 'carer' && part.focus?.reference ? part.focus : code === 'about-me' ? part.for : author;
    const qr: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse',
      meta: { ...(p.kind === 'staff' ? { tag: [recordedByTag(p.organizationId)] } : { tag: recordedByOf(part).map(recordedByTag) }), source: sourceOf(p) },
      extension: [{ url: PART_EXTENSION, valueReference: { reference: `Task/${partId}`, display: def.title } }],
      questionnaire: def.questionnaire.url, status: 'completed', subject: part.for, authored: now.toISOString(),
      ...(author ? { author } : {}), ...(source ? { source } : {}), item,
    };
    const writer = p.kind === 'staff' ? { organizationIds: [p.organizationId] } : p.kind === 'resident' ? { patientId: p.patientId } : { organizationIds: [] };
    const main = localReference(part.partOf?.[0]?.reference)?.id ?? '';
    await this.db.transaction(async (tx) => {
      await lock(tx, patientId);
      const cur = (await this.repo.visible(tx, undefined, 'Task', [partId])).get(partId);
      if (!cur || cur.versionId !== row.versionId) throw conflict('This part was changed by someone else since you opened it; reload it and try again');
      await checkAnswer(qr, tx, writer);
      const made = await this.resources.create('QuestionnaireResponse', qr, { tx });
      const done: Task = {
        ...part, status: 'completed', lastModified: now.toISOString(),
        output: [{ type: { coding: [RESPONSE_OUTPUT], text: RESPONSE_OUTPUT.display }, valueReference: { reference: `QuestionnaireResponse/${made.id}` } }],
        meta: { ...part.meta, source: sourceOf(p) },
      };
      await checkAssessmentTask(done, tx);
      await this.resources.update('Task', partId, done, { tx, ifMatch: row.versionId });
    });
    // The person reads their own part without the main task's page; staff see the whole assessment, or
    // nothing more when they were shown only this part (its answer ends their organisation's relationship).
    if (p.kind === 'resident') return this.ownView(p, main);
    return this.get(p, main).catch((err: unknown) => {
      if (err instanceof FhirError && err.status === 404) return undefined;
      throw err;
    });
  }

  /** Completes the assessment: refused (422, naming them) while any part is unanswered. */
  async complete(p: Principal, id: string, versionId: number): Promise<AssessmentView> {
    const cur = await this.get(p, id);
    if (cur.versionId !== versionId) throw conflict('This assessment was changed by someone else since you opened it; reload it and try again');
    const d = can(p, 'assessment.complete', { patientId: cur.patientId, careRelationship: true });
    if (!d.allowed) throw forbidden(`Not allowed: ${d.reason}`);
    if (cur.status === 'completed') throw conflict('This assessment is complete already');
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await lock(tx, cur.patientId);
      const row = (await this.repo.visible(tx, undefined, 'Task', [id])).get(id)!;
      const task = JSON.parse(row.content) as Task;
      const done: Task = { ...task, status: 'completed', lastModified: now.toISOString(), meta: { ...task.meta, source: sourceOf(p) } };
      await checkAssessmentTask(done, tx);
      await this.resources.update('Task', id, done, { tx, ifMatch: row.versionId });
    });
    return this.get(p, id);
  }

  /**
   * Open parts assigned to the caller: their organisation's (staff), or their own (the person), the
   * soonest due first, at most TO_ANSWER_LIMIT; `more` when there are others (the page says so).
   */
  async toAnswer(p: Principal): Promise<{ parts: { assessmentId: string; part: PartView; personId: string }[]; more: boolean }> {
    const owner = p.kind === 'staff' ? `Organization/${p.organizationId}` : p.kind === 'resident' ? `Patient/${p.patientId}` : undefined;
    if (!owner) return { parts: [], more: false };
    const now = this.clock.now();
    const r = await this.db.query<{ id: string }>(
      `SELECT r.id FROM resource r JOIN task_work w ON w.rid = r.rid
        WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.owner = $1 AND w.kind = $2
          AND w.status IN ('requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold')
        ORDER BY w.due NULLS LAST, r.rid LIMIT $3`,
      [owner, JOINT_ASSESSMENT_PART_KIND, TO_ANSWER_LIMIT + 1],
    );
    const rows = r.rows.slice(0, TO_ANSWER_LIMIT);
    const seen = await this.repo.visible(this.db, restrictionFor(p, now), 'Task', rows.map((x) => x.id));
    const out: { assessmentId: string; part: PartView; personId: string }[] = [];
    for (const x of rows) {
      const row = seen.get(x.id);
      if (!row) continue;
      const t = JSON.parse(row.content) as Task;
      out.push({ assessmentId: localReference(t.partOf?.[0]?.reference)?.id ?? '', personId: localReference(t.for?.reference)?.id ?? '', part: await this.partView(p, t, row.versionId, new Map()) });
    }
    return { parts: out, more: r.rows.length > TO_ANSWER_LIMIT };
  }

  /** The person's own view (portal): their own parts of their assessments, open first. */
  async ownParts(p: Principal): Promise<{ assessmentId: string; part: PartView }[]> {
    if (p.kind !== 'resident') return [];
    const r = await this.db.query<{ id: string; version_id: number; content: string }>(
      `SELECT r.id, r.version_id, r.content FROM resource r JOIN task_work w ON w.rid = r.rid
        WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.owner = $1 AND w.kind = $2 ORDER BY w.authored_on DESC NULLS LAST LIMIT 10`,
      [`Patient/${p.patientId}`, JOINT_ASSESSMENT_PART_KIND],
    );
    const out: { assessmentId: string; part: PartView }[] = [];
    for (const x of r.rows) {
      const t = JSON.parse(x.content) as Task;
      out.push({ assessmentId: localReference(t.partOf?.[0]?.reference)?.id ?? '', part: await this.partView(p, t, Number(x.version_id), await this.responsesFor(p, [t])) });
    }
    return out.sort((a, b) => Number(b.part.mine) - Number(a.part.mine));
  }

  /** A carer's own assessments (portal): the carer's assessment parts about them, with their status and who does them. */
  async carersOwn(p: Principal, patientId: string): Promise<PartView[]> {
    if (p.kind !== 'proxy' || !p.patientIds.includes(patientId)) return [];
    const r = await this.db.query<{ version_id: number; content: string }>(
      `SELECT r.version_id, r.content FROM resource r JOIN task_work w ON w.rid = r.rid
        WHERE r.resource_type = 'Task' AND NOT r.deleted AND w.patient_id = $1 AND w.kind = $2
          AND r.content::jsonb -> 'focus' ->> 'reference' = ANY($3::text[]) ORDER BY w.authored_on DESC NULLS LAST LIMIT 5`,
      [patientId, JOINT_ASSESSMENT_PART_KIND, p.relatedPersonIds.map((x) => `RelatedPerson/${x}`)],
    );
    const out: PartView[] = [];
    for (const x of r.rows) out.push(await this.partView(p, JSON.parse(x.content) as Task, Number(x.version_id), new Map()));
    return out;
  }

  /** What the answers so far would add to the person's plan: the person's own words, needs, carers involved. */
  offer(a: AssessmentView): PlanOffer {
    const answer = (code: PartCode, linkId: string) => a.parts.filter((x) => x.code === code).map((x) => x.answered?.answers.find((y) => y.linkId === linkId)?.answer).find(Boolean);
    const needs = [
      ...lines(answer('health', 'health-needs')), ...lines(answer('social-care', 'social-care-needs')),
      ...a.parts.filter((x) => x.code === 'carer' && x.answered).flatMap((x) => lines(x.answered!.answers.find((y) => y.linkId === 'carer-needs')?.answer).map((n) => `For ${x.carer?.name ?? 'the carer'}: ${n}`)),
    ];
    const aboutMe = answer('about-me', 'about-me');
    const whatMatters = answer('about-me', 'what-matters');
    return {
      ...(aboutMe ? { aboutMe } : {}), ...(whatMatters ? { whatMatters } : {}), needs: [...new Set(needs)],
      carers: a.parts.flatMap((x) => (x.code === 'carer' && x.carer ? [x.carer] : [])),
    };
  }

  /**
   * The answers into the person's plan (starting one when they have none): about me and what
   * matters where the plan says nothing yet, needs not already listed, and the carers assessed as
   * involved. Through PlanService, so the plan's own rules, verbs and attribution hold.
   */
  async feedPlan(p: Principal, id: string): Promise<{ planPatientId: string; added: string[] }> {
    const a = await this.get(p, id);
    const o = this.offer(a);
    const { current } = await this.plans.forPerson(p, a.patientId);
    const plan = current ?? await this.plans.start(p, a.patientId, 'My care and support plan');
    const v = plan.view;
    const added: string[] = [];
    const aboutMe = v.aboutMe ?? o.aboutMe;
    if (!v.aboutMe && o.aboutMe) added.push('about me');
    const whatMatters = v.whatMatters ?? o.whatMatters;
    if (!v.whatMatters && o.whatMatters) added.push('what matters');
    const newNeeds = o.needs.filter((n) => !v.needs.includes(n));
    if (newNeeds.length) added.push(`${newNeeds.length} need${newNeeds.length === 1 ? '' : 's'}`);
    const newCarers = o.carers.filter((c) => !v.involved.some((x) => x.reference === c.reference));
    if (newCarers.length) added.push('the carer involved');
    if (added.length === 0) return { planPatientId: a.patientId, added };
    await this.plans.saveSections(p, v.id, plan.versionId, {
      title: v.title, ...(aboutMe ? { aboutMe } : {}), ...(whatMatters ? { whatMatters } : {}), needs: [...v.needs, ...newNeeds].slice(0, 20).join('\n'),
      contingency: v.contingency, involvedCarers: [...v.involved.filter((x) => x.reference.startsWith('RelatedPerson/')).map((x) => x.reference), ...newCarers.map((c) => c.reference)],
    });
    return { planPatientId: a.patientId, added };
  }

  /**
   * Who may be given a part: the organisations with a care relationship with the person (their GP
   * practice, community and social care teams, a carers' organisation working with them) and the
   * caller's own, by name; and the person's carers the caller may see.
   */
  async choices(p: Principal, patientId: string): Promise<{ organisations: { reference: string; name: string }[]; carers: { reference: string; name: string }[] }> {
    const now = this.clock.now();
    await this.mustSeePerson(p, patientId, now);
    const r = await this.db.query<{ party: string }>("SELECT DISTINCT party FROM care_relationship WHERE patient_id = $1 AND party LIKE 'Organization/%'", [patientId]);
    const refs = [...new Set([...r.rows.map((x) => x.party), ...(p.kind === 'staff' ? [`Organization/${p.organizationId}`] : [])])];
    const rows = await this.repo.visible(this.db, undefined, 'Organization', refs.map((x) => x.slice('Organization/'.length)));
    const organisations = [...rows.values()].map((x) => ({ reference: `Organization/${x.id}`, name: (JSON.parse(x.content) as { name?: string }).name ?? x.id }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { organisations, carers: await this.plans.carers(p, patientId) };
  }

  /** The outward code of the person's postcode (for signposting to services near them), if recorded. */
  async postcodeDistrict(patientId: string): Promise<string | undefined> {
    const row = (await this.repo.visible(this.db, undefined, 'Patient', [patientId])).get(patientId);
    const pc = row ? (JSON.parse(row.content) as { address?: { postalCode?: string }[] }).address?.[0]?.postalCode : undefined;
    return pc?.trim().split(/\s+/)[0]?.toUpperCase();
  }

  // --- internals -------------------------------------------------------------------------------

  private async view(p: Principal, now: Date, task: Task, versionId: number): Promise<AssessmentView> {
    const all = await partsOf(this.db, task.id!);
    const seen = await this.repo.visible(this.db, restrictionFor(p, now), 'Task', all.map((t) => t.id!));
    const shown = all.filter((t) => seen.has(t.id!)).map((t) => JSON.parse(seen.get(t.id!)!.content) as Task);
    const responses = await this.responsesFor(p, shown);
    const parts: PartView[] = [];
    for (const t of shown) parts.push(await this.partView(p, t, seen.get(t.id!)!.versionId, responses));
    const patientId = localReference(task.for?.reference)?.id ?? '';
    const live = all.filter((t) => t.status !== 'cancelled' && t.status !== 'entered-in-error');
    const allAnswered = live.length > 0 && live.every((t) => t.status === 'completed');
    return {
      id: task.id!, versionId, patientId, status: task.status, startedBy: task.requester?.display ?? task.requester?.reference ?? 'Someone',
      ...(task.authoredOn ? { startedAt: task.authoredOn } : {}), parts, partsNotShown: all.length - shown.length, allAnswered,
      canComplete: task.status !== 'completed' && can(p, 'assessment.complete', { patientId, careRelationship: true }).allowed,
    };
  }

  /** The responses of these parts the caller may see, by part id. */
  private async responsesFor(p: Principal, parts: Task[]): Promise<Map<string, QuestionnaireResponse>> {
    const ids = parts.flatMap((t) => (t.output ?? []).flatMap((o) => { const k = localReference(o.valueReference?.reference); return k?.type === 'QuestionnaireResponse' ? [k.id] : []; }));
    const rows = await this.repo.visible(this.db, restrictionFor(p, this.clock.now()), 'QuestionnaireResponse', ids);
    const out = new Map<string, QuestionnaireResponse>();
    for (const r of rows.values()) {
      const qr = JSON.parse(r.content) as QuestionnaireResponse;
      const part = localReference((qr.extension ?? []).find((x) => x.url === PART_EXTENSION)?.valueReference?.reference)?.id;
      if (part) out.set(part, qr);
    }
    return out;
  }

  private async partView(p: Principal, t: Task, versionId: number, responses: Map<string, QuestionnaireResponse>): Promise<PartView> {
    const code = partCodeOf(t) ?? 'health';
    const def = PARTS[code];
    const qr = responses.get(t.id!);
    const open = t.status !== 'completed' && t.status !== 'cancelled' && t.status !== 'entered-in-error';
    const owner = t.owner?.reference ?? '';
    let organisation: string | undefined;
    const rec = qr ? recordedByOf(qr)[0] : undefined;
    if (qr && rec && localReference(owner)?.type === 'Organization') organisation = t.owner?.display;
    return {
      id: t.id!, versionId, code, title: def.title, plainTitle: def.plainTitle,
      owner: { reference: owner, name: t.owner?.display ?? owner }, ...(t.focus?.reference ? { carer: { reference: t.focus.reference, name: t.focus.display ?? 'their carer' } } : {}),
      status: t.status, ...(t.restriction?.period?.end ? { due: t.restriction.period.end } : {}),
      ...(qr ? {
        answered: {
          by: qr.author?.display ?? qr.author?.reference ?? 'Someone', ...(organisation ? { organisation } : {}), at: qr.authored ?? '', responseId: qr.id!,
          answers: (qr.item ?? []).map((i) => {
            const q = def.questionnaire.item?.find((x) => x.linkId === i.linkId);
            const a = i.answer?.[0];
            return { linkId: i.linkId, question: q?.text ?? i.text ?? i.linkId, answer: a?.valueCoding?.display ?? a?.valueCoding?.code ?? a?.valueString ?? '', ...(a?.valueCoding?.code ? { code: a.valueCoding.code } : {}) };
          }),
        },
      } : {}),
      mine: open && can(p, 'assessment.answer', { owner, patientId: localReference(t.for?.reference)?.id ?? '' }).allowed,
    };
  }

  /** The person's view of the assessment, from their own part (they may not read other organisations' work lists). */
  private async ownView(p: Principal, assessmentId: string): Promise<AssessmentView> {
    const mine = (await this.ownParts(p)).filter((x) => x.assessmentId === assessmentId).map((x) => x.part);
    return {
      id: assessmentId, versionId: 0, patientId: p.kind === 'resident' ? p.patientId : '', status: 'in-progress', startedBy: '', parts: mine, partsNotShown: 0,
      allAnswered: mine.every((x) => x.status === 'completed'), canComplete: false,
    };
  }

  private async mustSeePerson(p: Principal, patientId: string, now: Date): Promise<void> {
    if (!isValidId(patientId)) throw notFound('There is no person at this address');
    const seen = await this.visibility.visiblePatients(this.db, restrictionFor(p, now), [patientId]);
    if (!seen.has(patientId)) throw notFound('There is no person at this address');
  }
}

/** Serialises the joint assessment writes about one person (within the caller's transaction). */
async function lock(q: Queryable, patientId: string): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`care-planning:joint-assessment:${patientId}`]);
}
