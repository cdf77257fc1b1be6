import type { CarePlan, Patient, Task } from '@medplum/fhirtypes';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { localReference } from '../fhir/reference.js';
import { PCSP_EXT, sub } from './care-planning.vocabulary.js';
import { PlanRepository } from './plan.repository.js';
import { nameOf } from './plan.service.js';
import { actionOf, type PlanAction } from './plan.view.js';

export interface ListedPerson {
  id: string;
  name: string;
}
export interface DueReview extends ListedPerson {
  planId: string;
  title: string;
  date: string;
  overdue: boolean;
}
export interface DueAction extends PlanAction {
  patientId?: string;
  /** The person's name when this user may see them; otherwise the list says "a person". */
  patientName?: string;
}

/** Days ahead a review counts as due. */
export const REVIEW_WINDOW_DAYS = 28;
const LIST_SIZE = 50;

/**
 * The care coordinator's and GP's lists: people in their care without a plan, plans due for review
 * (within four weeks, or overdue), and MDT actions due, for them or their organisation. Each is read
 * under the caller's row restriction from the care relationships of their organisation and of
 * themselves (the same table "My people" reads).
 */
export class CarePlanningListsService {
  private readonly repo = new PlanRepository();

  constructor(private readonly db: Database, private readonly clock: Clock) {}

  private parties(p: Principal): string[] {
    return p.kind === 'staff' ? [`Organization/${p.organizationId}`, ...(p.practitionerId ? [`Practitioner/${p.practitionerId}`] : [])] : [];
  }

  async withoutPlan(p: Principal): Promise<{ people: ListedPerson[]; more: boolean }> {
    const { rows, more } = await this.repo.withoutPlan(this.db, restrictionFor(p, this.clock.now()), this.parties(p), LIST_SIZE);
    return { people: rows.map((r) => ({ id: r.id, name: nameOf(JSON.parse(r.content) as Patient) || 'Unnamed person' })), more };
  }

  async dueForReview(p: Principal): Promise<DueReview[]> {
    const now = this.clock.now();
    const restriction = restrictionFor(p, now);
    const plans = await this.repo.activePlansInCare(this.db, restriction, this.parties(p), 2000);
    const today = now.toISOString().slice(0, 10);
    const horizon = new Date(now.getTime() + REVIEW_WINDOW_DAYS * 86_400_000).toISOString().slice(0, 10);
    const due = plans.map((r) => JSON.parse(r.content) as CarePlan).flatMap((plan) => {
      const date = reviewDateOf(plan);
      return date && date <= horizon ? [{ plan, date }] : [];
    }).sort((a, b) => a.date.localeCompare(b.date)).slice(0, LIST_SIZE);
    const people = await this.repo.visible(this.db, restriction, 'Patient', due.map((d) => localReference(d.plan.subject?.reference)?.id ?? ''));
    return due.map(({ plan, date }) => {
      const id = localReference(plan.subject?.reference)?.id ?? '';
      const pat = people.get(id);
      return { id, name: pat ? nameOf(JSON.parse(pat.content)) || 'Unnamed person' : 'Unnamed person', planId: plan.id!, title: plan.title ?? 'Care plan', date, overdue: date < today };
    });
  }

  async mdtActionsDue(p: Principal): Promise<DueAction[]> {
    const owners = [...this.parties(p)];
    const restriction = restrictionFor(p, this.clock.now());
    const tasks = (await this.repo.openMdtActions(this.db, restriction, owners, LIST_SIZE)).map((r) => JSON.parse(r.content) as Task);
    const ids = tasks.flatMap((t) => { const k = localReference(t.for?.reference); return k?.type === 'Patient' ? [k.id] : []; });
    const people = await this.repo.visible(this.db, restriction, 'Patient', [...new Set(ids)]);
    return tasks.map((t) => {
      const id = localReference(t.for?.reference)?.id;
      const pat = id ? people.get(id) : undefined;
      return { ...actionOf(t), ...(id ? { patientId: id } : {}), ...(pat ? { patientName: nameOf(JSON.parse(pat.content)) || 'Unnamed person' } : {}) };
    });
  }
}

/**
 * A plan's next review: the review extension this module writes, else (plans from elsewhere, such as
 * the synthetic population's) the scheduled activity whose words say review.
 */
export function reviewDateOf(plan: CarePlan): string | undefined {
  const e = (plan.extension ?? []).find((x) => x.url === PCSP_EXT.review);
  const d = sub(e, 'date')?.valueDate;
  if (d) return d;
  const act = (plan.activity ?? []).find((a) => /review/i.test(a.detail?.description ?? '') && a.detail?.scheduledPeriod?.start);
  return act?.detail?.scheduledPeriod?.start?.slice(0, 10);
}
