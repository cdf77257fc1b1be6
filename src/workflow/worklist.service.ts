import type { Task } from '@medplum/fhirtypes';
import { restrictionFor } from '../access/policy/index.js';
import type { Principal } from '../access/principal.js';
import type { Queryable } from '../db/database.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { badRequest } from '../fhir/outcome.js';
import { isValidId } from '../fhir/reference.js';
import { Params } from '../fhir/search.repository.js';
import { ageOn, nameOf } from '../record-view/fhir-text.js';
import { referenceNames } from './reference-names.js';
import { OUTCOME_NOTE, TASK_KIND_SYSTEM, TASK_KINDS, TASK_STATUSES, type TaskStatus } from './task.vocabulary.js';
import { WORK_VIEWS, WorklistRepository, type WorkCounts, type WorklistFilter, type WorkOwners, type WorkView } from './worklist.repository.js';

/** One row of a worklist, as a page shows it. */
export interface WorkItem {
  id: string;
  versionId: string;
  status: TaskStatus;
  businessStatus?: string;
  kind?: string;
  kindText: string;
  description: string;
  /** Undefined when the person is hidden from the caller (the row still shows that there is work). */
  person?: { id: string; name: string; nhsNumber?: string; age?: number };
  requester?: string;
  authoredOn?: string;
  due?: string;
  overdue: boolean;
  owner?: string;
  ownerName?: string;
  /** Owned by the caller themselves (not a pool). */
  mine: boolean;
  outcome?: string;
}

export interface Worklist {
  view: WorkView;
  filter: WorklistFilter;
  counts: WorkCounts;
  items: WorkItem[];
  next?: string;
  /** Organisations that set work in this list, for the filter. */
}

export const WORKLIST_PAGE_SIZE = 25;

/**
 * "My work": the open Tasks a member of staff owns, and the pools (their organisation's, their
 * teams') they may claim from, read through their row restriction (WorklistRepository).
 */
export class WorklistService {
  private readonly repo: WorklistRepository;

  constructor(private readonly db: Queryable) {
    this.repo = new WorklistRepository(db);
  }

  /** Whose work the caller sees: their Practitioner's, and their organisation's and teams' pools. */
  async ownersOf(p: Principal): Promise<WorkOwners> {
    if (p.kind !== 'staff') return { mine: [], pools: [] };
    const mine = p.practitionerId ? [`Practitioner/${p.practitionerId}`] : [];
    // Teams through named membership only: an organisation is a participant of thousands of care
    // teams (every patient's), and its own pool already covers work given to it.
    const teams = await this.repo.teamsOf(mine);
    return { mine, pools: [`Organization/${p.organizationId}`, ...teams] };
  }

  /** Reads and checks a worklist's query parameters; an invalid one is a 400 naming it. */
  parseFilter(q: Record<string, unknown>): WorklistFilter {
    const one = (k: string) => {
      const v = q[k];
      if (v === undefined || v === '') return undefined;
      if (typeof v !== 'string' || v.length > 200) throw badRequest(`The ${k} filter is not valid`, k);
      return v;
    };
    const view = one('view') ?? 'all';
    if (!(WORK_VIEWS as readonly string[]).includes(view)) throw badRequest('Choose a list: yours, your team’s, overdue, due this week or all', 'view');
    const status = one('status');
    if (status && !(TASK_STATUSES as readonly string[]).includes(status)) throw badRequest('Choose a status from the list', 'status');
    const kind = one('kind');
    if (kind && !(kind in TASK_KINDS)) throw badRequest('Choose a kind of work from the list', 'kind');
    const person = one('person');
    if (person && !isValidId(person)) throw badRequest('The person filter is not valid', 'person');
    const from = one('from');
    if (from && !isValidId(from)) throw badRequest('The organisation filter is not valid', 'from');
    const sort = one('sort') ?? 'due';
    if (sort !== 'due' && sort !== '-due') throw badRequest('Sort by due date, soonest or latest first', 'sort');
    return { view: view as WorkView, status: status as TaskStatus | undefined, kind, patientId: person, fromOrg: from, sort, cursor: one('cursor'), count: WORKLIST_PAGE_SIZE };
  }

  async list(p: Principal, filter: WorklistFilter, now: Date): Promise<Worklist> {
    const owners = await this.ownersOf(p);
    const restriction = restrictionFor(p, now);
    const { view: _v, sort: _s, cursor: _c, count: _n, ...filters } = filter;
    const [page, counts] = await Promise.all([
      this.repo.list(owners, filter, now, restriction),
      this.repo.counts(owners, filters, now, restriction),
    ]);
    const tasks = page.rows.map((r) => ({ task: JSON.parse(r.task) as Task, patient: r.patient ? JSON.parse(r.patient) : undefined }));
    const names = await this.displayNames(p, now, tasks.flatMap(({ task }) => [task.requester?.reference, task.owner?.reference]));
    const mine = new Set(owners.mine);
    const items = tasks.map(({ task, patient }) => workItem(task, patient, names, mine, now));
    return { view: filter.view, filter, counts, items, next: page.next };
  }

  /**
   * The people a task can be handed to within an organisation: all its practitioners (through their
   * PractitionerRoles), by name. (It was any 200 of them, unordered before sorting: a community trust
   * of the demo has 309, so a nurse could not hand work to a third of her colleagues, and nothing said so.)
   */
  async colleagues(organizationId: string): Promise<{ ref: string; name: string }[]> {
    const res = await this.db.query<{ id: string; content: string }>(
      `SELECT DISTINCT p.id, p.content FROM sp_reference o
        JOIN sp_reference pr ON pr.rid = o.rid AND pr.resource_type = 'PractitionerRole' AND pr.code = 'practitioner'
        JOIN resource p ON p.resource_type = 'Practitioner' AND p.id = pr.target_id AND NOT p.deleted
        WHERE o.resource_type = 'PractitionerRole' AND o.code = 'organization' AND o.target_type = 'Organization' AND o.target_id = $1`,
      [organizationId],
    );
    return res.rows.map((r) => ({ ref: `Practitioner/${r.id}`, name: nameOf(JSON.parse(r.content)) || r.id })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A Patient as the caller may see it (JSON), or undefined when hidden or missing: for naming the person of one task. */
  async patient(p: Principal, now: Date, id: string): Promise<unknown | undefined> {
    if (!isValidId(id)) return undefined;
    const params = new Params();
    const r = restrictionFor(p, now)('pt', 'Patient', params);
    const res = await this.db.query<{ content: string }>(
      `SELECT pt.content FROM resource pt WHERE pt.resource_type = 'Patient' AND pt.id = ${params.add(id)} AND NOT pt.deleted${r ? ` AND ${r}` : ''}`,
      params.values,
    );
    return res.rows[0] ? JSON.parse(res.rows[0].content) : undefined;
  }

  /** Display names of the practitioners, organisations and teams named, as far as the caller may see them. */
  async displayNames(p: Principal, now: Date, refs: (string | undefined)[]): Promise<Map<string, string>> {
    return referenceNames(this.db, p, now, refs, ['Practitioner', 'PractitionerRole', 'Organization', 'CareTeam', 'HealthcareService']);
  }
}

/** A Task as a worklist row shows it. */
export function workItem(task: Task, patient: any, names: Map<string, string>, mine: Set<string>, now: Date): WorkItem {
  const kind = task.code?.coding?.find((c) => c.system === TASK_KIND_SYSTEM)?.code;
  const due = task.restriction?.period?.end;
  const dueTime = due ? Date.parse(due.length === 10 ? `${due}T00:00:00Z` : due) : NaN;
  const nhs = patient?.identifier?.find((i: any) => i?.system === NHS_NUMBER_SYSTEM)?.value;
  const owner = task.owner?.reference;
  const requester = task.requester?.reference;
  return {
    id: task.id!,
    versionId: task.meta?.versionId ?? '1',
    status: task.status as TaskStatus,
    businessStatus: task.businessStatus?.text ?? task.businessStatus?.coding?.[0]?.display,
    kind,
    kindText: (kind && TASK_KINDS[kind as keyof typeof TASK_KINDS]) || task.code?.text || task.code?.coding?.[0]?.display || 'Task',
    description: task.description ?? task.code?.text ?? '',
    person: patient ? { id: patient.id, name: nameOf(patient), nhsNumber: nhs, age: ageOn(patient.birthDate, now) } : undefined,
    requester: task.requester?.display ?? (requester ? names.get(requester) : undefined),
    authoredOn: task.authoredOn,
    due,
    overdue: !Number.isNaN(dueTime) && dueTime < now.getTime(),
    owner,
    ownerName: task.owner?.display ?? (owner ? names.get(owner) : undefined),
    mine: !!owner && mine.has(owner),
    outcome: task.output?.find((o) => o.type?.coding?.some((c) => c.system === OUTCOME_NOTE.system && c.code === OUTCOME_NOTE.code))?.valueString,
  };
}
