import { createHash } from 'node:crypto';
import type { CarePlan, Extension, Goal, Task } from '@medplum/fhirtypes';
import { localReference } from '../fhir/reference.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import { agreementOf, GOAL_CONFIDENCE, PCSP_EXT, sub, type Agreement, type PlanStatus } from './care-planning.vocabulary.js';

/** A reference as the pages show it: `Type/id` and a name. */
export interface Named {
  reference: string;
  name: string;
}

export interface PlanGoal {
  id: string;
  text: string;
  /** 0 (not at all confident) to 10 (completely), as the person said. */
  confidence?: number;
  status: string;
}

export interface PlanAction {
  id: string;
  what: string;
  who?: Named;
  due?: string;
  status: string;
  open: boolean;
}

export interface Contingency {
  trigger: string;
  action: string;
}

/** What the person or a professional added, and when: the plan's notes. */
export interface Contribution {
  by: string;
  byReference?: string;
  time: string;
  text: string;
}

/**
 * A personalised care and support plan as every part reads it (the pages, the portal, the
 * Composition export and its read-back): the PRSB standard's sections, from the CarePlan and the
 * Goals and Tasks it points at.
 */
export interface PlanView {
  id: string;
  versionId: number;
  patientId: string;
  status: PlanStatus;
  title: string;
  created?: string;
  aboutMe?: string;
  whatMatters?: string;
  needs: string[];
  goals: PlanGoal[];
  /** Goals the plan names that this reader may not see (said, never silently dropped). */
  goalsNotShown: number;
  actions: PlanAction[];
  actionsNotShown: number;
  contingency: Contingency[];
  involved: Named[];
  agreement?: Agreement;
  /** The agreement is about the plan as it is now: nothing that was agreed has changed since. */
  agreedAsItIs: boolean;
  review?: { date: string; owner?: Named };
  reviewRequested?: { by: string; date: string };
  contributions: Contribution[];
}

const str = (e: Extension[] | undefined, url: string) => (e ?? []).find((x) => x.url === url)?.valueString;
const named = (r: { reference?: string; display?: string } | undefined): Named | undefined =>
  r?.reference ? { reference: r.reference, name: r.display ?? r.reference } : undefined;

export function goalOf(g: Goal): PlanGoal {
  const c = (g.extension ?? []).find((x) => x.url === GOAL_CONFIDENCE)?.valueInteger;
  return { id: g.id!, text: g.description?.text ?? '', ...(c !== undefined ? { confidence: c } : {}), status: g.lifecycleStatus };
}

export function actionOf(t: Task): PlanAction {
  const who = named(t.owner);
  const due = t.restriction?.period?.end;
  return {
    id: t.id!, what: t.description ?? '', ...(who ? { who } : {}), ...(due ? { due: due.slice(0, 10) } : {}), status: t.status,
    open: (OPEN_TASK_STATUSES as readonly string[]).includes(t.status),
  };
}

/** The plan's content that an agreement is about (not its status, review date or the person's confidence ratings). */
export function agreedContentHash(v: Pick<PlanView, 'title' | 'aboutMe' | 'whatMatters' | 'needs' | 'contingency'>, goalTexts: string[], actions: { id: string; what: string; who?: string; due?: string }[]): string {
  const content = { t: v.title, a: v.aboutMe ?? '', w: v.whatMatters ?? '', n: v.needs, c: v.contingency, g: [...goalTexts].sort(), x: [...actions].sort((a, b) => a.id.localeCompare(b.id)) };
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 32);
}

/**
 * Builds the view. `goals` and `tasks` hold the referenced resources the reader may see; the rest
 * are counted as not shown.
 */
export function planViewOf(plan: CarePlan, versionId: number, goals: Map<string, Goal>, tasks: Map<string, Task>): PlanView {
  const ext = plan.extension;
  const goalIds = (plan.goal ?? []).flatMap((r) => { const k = localReference(r.reference); return k?.type === 'Goal' ? [k.id] : []; });
  const taskIds = (plan.activity ?? []).flatMap((a) => { const k = localReference(a.reference?.reference); return k?.type === 'Task' ? [k.id] : []; });
  const contingency = (ext ?? []).filter((x) => x.url === PCSP_EXT.contingency)
    .map((x) => ({ trigger: sub(x, 'trigger')?.valueString ?? '', action: sub(x, 'action')?.valueString ?? '' }));
  const reviewExt = (ext ?? []).find((x) => x.url === PCSP_EXT.review);
  const reviewDate = sub(reviewExt, 'date')?.valueDate;
  const reviewOwner = named(sub(reviewExt, 'owner')?.valueReference);
  const req = (ext ?? []).find((x) => x.url === PCSP_EXT.reviewRequested);
  const reqBy = sub(req, 'by')?.valueReference;
  const reqDate = sub(req, 'date')?.valueDateTime;
  const view: PlanView = {
    id: plan.id!, versionId, patientId: localReference(plan.subject?.reference)?.id ?? '',
    status: plan.status as PlanStatus, title: plan.title ?? 'Personalised care and support plan',
    ...(plan.created ? { created: plan.created } : {}),
    ...(str(ext, PCSP_EXT.aboutMe) !== undefined ? { aboutMe: str(ext, PCSP_EXT.aboutMe) } : {}),
    ...(str(ext, PCSP_EXT.whatMatters) !== undefined ? { whatMatters: str(ext, PCSP_EXT.whatMatters) } : {}),
    needs: (ext ?? []).filter((x) => x.url === PCSP_EXT.need).map((x) => x.valueString ?? ''),
    goals: goalIds.flatMap((id) => (goals.has(id) ? [goalOf(goals.get(id)!)] : [])),
    goalsNotShown: goalIds.filter((id) => !goals.has(id)).length,
    actions: [
      ...taskIds.flatMap((id) => (tasks.has(id) ? [actionOf(tasks.get(id)!)] : [])),
      // Activities written into the plan itself (plans made elsewhere, such as the synthetic population's): what, and its status; no owner or date.
      ...(plan.activity ?? []).flatMap((a, i) => (a.detail?.description ? [{
        id: `activity-${i + 1}`, what: a.detail.description, status: a.detail.status ?? 'unknown',
        ...(a.detail.scheduledPeriod?.start ? { due: a.detail.scheduledPeriod.start.slice(0, 10) } : {}),
        open: !['completed', 'cancelled', 'stopped', 'entered-in-error'].includes(a.detail.status ?? ''),
      }] : [])),
    ],
    actionsNotShown: taskIds.filter((id) => !tasks.has(id)).length,
    contingency,
    involved: (plan.contributor ?? []).flatMap((r) => { const n = named(r); return n ? [n] : []; }),
    agreedAsItIs: false,
    ...(reviewDate ? { review: { date: reviewDate, ...(reviewOwner ? { owner: reviewOwner } : {}) } } : {}),
    ...(reqBy?.reference && reqDate ? { reviewRequested: { by: reqBy.display ?? reqBy.reference, date: reqDate } } : {}),
    contributions: (plan.note ?? []).map((n) => ({
      by: n.authorReference?.display ?? n.authorString ?? 'Someone', ...(n.authorReference?.reference ? { byReference: n.authorReference.reference } : {}),
      time: n.time ?? '', text: n.text,
    })),
  };
  const agreement = agreementOf(plan);
  if (agreement) {
    view.agreement = agreement;
    const hash = sub((ext ?? []).find((x) => x.url === PCSP_EXT.agreement), 'contentHash')?.valueString;
    // Only when every goal and action is visible can the reader's view be compared with what was agreed.
    view.agreedAsItIs = !!hash && view.goalsNotShown === 0 && view.actionsNotShown === 0 && hash === hashOfView(view);
  }
  return view;
}

export function hashOfView(v: PlanView): string {
  return agreedContentHash(v, v.goals.map((g) => g.text), v.actions.map((a) => ({ id: a.id, what: a.what, ...(a.who ? { who: a.who.reference } : {}), ...(a.due ? { due: a.due } : {}) })));
}
