import type { CarePlan, Patient, Task } from '@medplum/fhirtypes';
import { restrictionFor } from '../access/policy/index.js';
import type { Principal } from '../access/principal.js';
import type { Database } from '../db/database.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { badRequest } from '../fhir/outcome.js';
import { isValidId } from '../fhir/reference.js';
import { ageOn, nameOf } from '../record-view/fhir-text.js';
import type { WorklistService } from '../workflow/worklist.service.js';
import { OPEN_TASK_STATUSES, TASK_STATUS_TEXT, type TaskStatus } from '../workflow/task.vocabulary.js';
import { DischargeBoardRepository, type DischargeTaskRow, type StayRow } from './discharge-board.repository.js';
import { dayNumber, delayDays, isoDay, lengthOfStay, leavingTime, losBand, planNotice, type PlanNotice } from './discharge.rules.js';
import {
  DELAY_REASONS, DISCHARGE_PLAN_CATEGORY, DISCHARGE_TASK_SYSTEM, DISCHARGE_TASKS, isDelayReason, isDischargeTaskType, isPathway, LOS_BANDS, PATHWAYS,
  type DelayReason, type DischargeTaskType, type Pathway,
} from './discharge.vocabulary.js';

/** The board reads at most this many stays of a trust (a trust's whole bed base fits): its counts are over all of them. */
export const BOARD_LIMIT = 2000;
/**
 * The people listed on one page of the board. The counts and delay days are over every stay the
 * filters keep; only the page's people are listed (their tasks read, their rows rendered and their
 * ids audited as shown): a ward's list is a page or two, a whole trust's twenty.
 */
export const BOARD_PAGE_SIZE = 50;

export const READINESS = ['ready', 'not-ready', 'not-reviewed'] as const;
export type Readiness = (typeof READINESS)[number];
export const BOARD_SORTS = ['los', 'ready', 'expected', 'name'] as const;
export type BoardSort = (typeof BOARD_SORTS)[number];

export interface BoardFilter {
  org?: string;
  ward?: string;
  /** Only stays of at least this many days (7, 14 or 21). */
  band?: (typeof LOS_BANDS)[number];
  readiness?: Readiness;
  pathway?: Pathway | 'none';
  sort: BoardSort;
  /** The page of the list (1 when not given; past the last page, the last). */
  page?: number;
}

export interface BoardTask {
  id: string;
  type?: DischargeTaskType;
  what: string;
  status: TaskStatus;
  statusText: string;
  owner?: string;
  ownerName: string;
  due?: string;
  overdue: boolean;
  open: boolean;
}

export interface BoardStay {
  id: string;
  versionId: number;
  person: { id: string; name: string; nhsNumber?: string; age?: number };
  ward?: string;
  admitted?: string;
  /** The calendar date in Kent of the admission: day 0 of the length of stay. */
  admittedOn?: string;
  los: number;
  band?: number;
  /** Reviewed today; `meets` undefined when not reviewed today. */
  reviewedToday: boolean;
  meets?: boolean;
  readyDate?: string;
  delayDays: number;
  expectedDate?: string;
  pathway?: Pathway;
  delayReason?: DelayReason;
  planShared?: string;
  planNotice: PlanNotice;
  tasks: BoardTask[];
  /** Open tasks nobody owns: a hazard (DIS-2), shown on the board. */
  unowned: number;
  providerOrg?: string;
}

export interface Board {
  filter: BoardFilter;
  org?: string;
  trusts: string[];
  wards: { id: string; name: string }[];
  /** The people on this page of the list, in the filter's order. */
  stays: BoardStay[];
  /** Which page `stays` is, of how many (the counts below are over all of them). */
  page: { number: number; pages: number; size: number };
  counts: { total: number; band7: number; band14: number; band21: number; ready: number; ready21: number; notReviewed: number; planOverdue: number };
  delayDaysByReason: { reason: DelayReason | 'not-recorded'; text: string; people: number; days: number }[];
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);
/** The calendar date in Kent of a stored instant (a date is stored as its UTC midnight, which is that date in Kent too). */
const isoDate = (d: Date | null | undefined) => (d ? isoDay(dayNumber(d)) : undefined);

/**
 * The discharge board and the transfer of care hub, read under the caller's row restriction
 * (DischargeBoardRepository): every number on the board counts only people the caller may see.
 */
export class DischargeBoardService {
  private readonly repo = new DischargeBoardRepository();

  private readonly pageSize: number;

  /** `pageSize`: people listed a page (BOARD_PAGE_SIZE; tests page a small world with less). */
  constructor(private readonly db: Database, private readonly worklist: WorklistService, opts: { pageSize?: number } = {}) {
    this.pageSize = opts.pageSize ?? BOARD_PAGE_SIZE;
  }

  /** Reads and checks the board's query; an invalid value is a 400 naming it. */
  parseFilter(q: Record<string, unknown>): BoardFilter {
    const one = (k: string): string | undefined => {
      const v = q[k];
      if (v === undefined || v === '') return undefined;
      if (typeof v !== 'string') throw badRequest(`${k} may be given once`, k);
      return v;
    };
    const f: BoardFilter = { sort: 'los' };
    const org = one('trust');
    if (org !== undefined) {
      if (!isValidId(org)) throw badRequest('There is no such trust', 'trust');
      f.org = org;
    }
    const ward = one('ward');
    if (ward !== undefined) {
      if (!isValidId(ward)) throw badRequest('There is no such ward', 'ward');
      f.ward = ward;
    }
    const band = one('band');
    if (band !== undefined) {
      const n = Number(band);
      if (!(LOS_BANDS as readonly number[]).includes(n)) throw badRequest('Length of stay must be 7, 14 or 21 days or more', 'band');
      f.band = n as BoardFilter['band'];
    }
    const readiness = one('readiness');
    if (readiness !== undefined) {
      if (!(READINESS as readonly string[]).includes(readiness)) throw badRequest('Choose ready, not ready or not reviewed today', 'readiness');
      f.readiness = readiness as Readiness;
    }
    const pathway = one('pathway');
    if (pathway !== undefined) {
      if (pathway !== 'none' && !isPathway(pathway)) throw badRequest('The discharge pathway must be 0, 1, 2 or 3', 'pathway');
      f.pathway = pathway as BoardFilter['pathway'];
    }
    const sort = one('sort');
    if (sort !== undefined) {
      if (!(BOARD_SORTS as readonly string[]).includes(sort)) throw badRequest('Sort by length of stay, ready date, expected date or name', 'sort');
      f.sort = sort as BoardSort;
    }
    const page = one('page');
    if (page !== undefined) {
      if (!/^[1-9]\d{0,4}$/.test(page)) throw badRequest('The page must be a whole number from 1', 'page');
      f.page = Number(page);
    }
    return f;
  }

  /** The board for a trust (the caller's own organisation unless `filter.org` names another). */
  async board(p: Principal, filter: BoardFilter, now: Date): Promise<Board> {
    const restriction = restrictionFor(p, now);
    // Staff of a trust open their own trust's board: its stays and wards are read beside the list of
    // trusts, not after it (an organisation that is not a trust has no stays in progress: both come back empty).
    const likely = filter.org ?? (p.kind === 'staff' ? p.organizationId : undefined);
    const [trusts, likelyRows, likelyWards] = await Promise.all([
      this.repo.trusts(this.db),
      likely ? this.repo.currentStays(this.db, restriction, { org: likely, ward: filter.ward, limit: BOARD_LIMIT }) : Promise.resolve([]),
      likely ? this.repo.wards(this.db, likely) : Promise.resolve([]),
    ]);
    const own = p.kind === 'staff' && trusts.includes(p.organizationId) ? p.organizationId : undefined;
    // Others (community, council) open the trust where they see most people in.
    let seen: StayRow[] | undefined;
    let org = filter.org ?? own;
    if (!org) {
      seen = await this.repo.currentStays(this.db, restriction, { ward: filter.ward, limit: BOARD_LIMIT });
      const n = new Map<string, number>();
      for (const r of seen) if (r.provider_org) n.set(r.provider_org, (n.get(r.provider_org) ?? 0) + 1);
      org = [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? trusts[0];
    }
    const empty: Board = {
      filter, org, trusts, wards: [], stays: [], delayDaysByReason: [], page: { number: 1, pages: 1, size: this.pageSize },
      counts: { total: 0, band7: 0, band14: 0, band21: 0, ready: 0, ready21: 0, notReviewed: 0, planOverdue: 0 },
    };
    if (!org) return empty;
    const [rows, wards] = org === likely ? [likelyRows, likelyWards] : await Promise.all([
      seen ? Promise.resolve(seen.filter((r) => r.provider_org === org)) : this.repo.currentStays(this.db, restriction, { org, ward: filter.ward, limit: BOARD_LIMIT }),
      this.repo.wards(this.db, org),
    ]);
    // Filters, order and counts need no tasks; the tasks are read for the page's people only.
    const kept = rows.map((r) => ({ row: r, stay: boardStay(r, now) })).filter((x) => keep(x.stay, filter));
    kept.sort((a, b) => SORTERS[filter.sort](a.stay, b.stay));
    const stays = kept.map((x) => x.stay);
    const size = this.pageSize;
    const pages = Math.max(1, Math.ceil(stays.length / size));
    const number = Math.min(filter.page ?? 1, pages);
    const onPage = kept.slice((number - 1) * size, number * size);
    const tasks = await this.repo.tasksFor(this.db, restriction, [...new Set(onPage.map((x) => x.row.patient_id))]);
    const names = await this.worklist.displayNames(p, now, tasks.map((t) => t.owner ?? undefined));
    const byPatient = new Map<string, BoardTask[]>();
    for (const t of tasks) {
      const list = byPatient.get(t.patient_id) ?? [];
      list.push(boardTask(t, names, now));
      byPatient.set(t.patient_id, list);
    }
    return {
      ...empty, wards, page: { number, pages, size },
      stays: onPage.map((x) => withTasks(x.stay, byPatient.get(x.row.patient_id) ?? [])),
      counts: countsOf(stays), delayDaysByReason: delaysOf(stays),
    };
  }

  /** One stay in progress as the board shows it, or undefined when it has ended, is hidden or is missing (alike). */
  async stay(p: Principal, id: string, now: Date): Promise<BoardStay | undefined> {
    if (!isValidId(id)) return undefined;
    const restriction = restrictionFor(p, now);
    const [row] = await this.repo.currentStays(this.db, restriction, { stayId: id, limit: 1 });
    if (!row) return undefined;
    const tasks = await this.repo.tasksFor(this.db, restriction, [row.patient_id]);
    const names = await this.worklist.displayNames(p, now, tasks.map((t) => t.owner ?? undefined));
    return { ...withTasks(boardStay(row, now), tasks.map((t) => boardTask(t, names, now))), providerOrg: row.provider_org ?? undefined };
  }

  /** The plans for leaving hospital shared with a person, as the caller (the person, or their carer by consent) may see them. */
  async plansFor(p: Principal, patientId: string, now: Date): Promise<CarePlan[]> {
    const rows = await this.repo.plansFor(this.db, restrictionFor(p, now), patientId, { system: DISCHARGE_PLAN_CATEGORY.system!, code: DISCHARGE_PLAN_CATEGORY.code! });
    return rows.map((r) => JSON.parse(r) as CarePlan);
  }

  /** The hub: discharge work for the caller's organisation (and them), and what their organisation asked of others. */
  async hub(p: Principal, now: Date): Promise<{ mine: HubItem[]; asked: HubItem[] }> {
    const owners = await this.worklist.ownersOf(p);
    const all = [...owners.mine, ...owners.pools];
    const restriction = restrictionFor(p, now);
    const fromOrg = p.kind === 'staff' ? p.organizationId : undefined;
    const [mine, asked] = await Promise.all([
      this.repo.hubTasks(this.db, restriction, { owners: all, view: 'mine', limit: 200 }),
      fromOrg ? this.repo.hubTasks(this.db, restriction, { owners: all, fromOrg, view: 'asked', limit: 200 }) : Promise.resolve([]),
    ]);
    const patients = await this.repo.patients(this.db, restriction, [...new Set([...mine, ...asked].map((t) => t.patient_id))]);
    const names = await this.worklist.displayNames(p, now, [...mine, ...asked].flatMap((t) => [t.owner ?? undefined, (JSON.parse(t.content) as Task).requester?.reference]));
    const item = (t: DischargeTaskRow): HubItem => {
      const task = JSON.parse(t.content) as Task;
      const pt = patients.get(t.patient_id);
      return {
        ...boardTask(t, names, now),
        versionId: task.meta?.versionId ?? '1',
        person: pt ? personOf(JSON.parse(pt) as Patient, now) : undefined,
        requester: task.requester?.reference ? names.get(task.requester.reference) ?? task.requester.reference : undefined,
        description: task.description,
        escalated: false,
      };
    };
    return { mine: mine.map(item), asked: asked.map(item) };
  }
}

export interface HubItem extends BoardTask {
  versionId: string;
  person?: { id: string; name: string; nhsNumber?: string; age?: number };
  requester?: string;
  description?: string;
  escalated: boolean;
}

function personOf(pt: Patient, now: Date): BoardStay['person'] {
  return {
    id: pt.id!, name: nameOf(pt) || 'Name not recorded',
    nhsNumber: pt.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value, age: ageOn(pt.birthDate, now),
  };
}

function boardTask(t: DischargeTaskRow, names: Map<string, string>, now: Date): BoardTask {
  const task = JSON.parse(t.content) as Task;
  const code = task.code?.coding?.find((c) => c.system === DISCHARGE_TASK_SYSTEM)?.code;
  const type = isDischargeTaskType(code) ? code : undefined;
  const status = t.status as TaskStatus;
  const open = (OPEN_TASK_STATUSES as readonly string[]).includes(status);
  return {
    id: t.id, type, what: type ? DISCHARGE_TASKS[type] : task.description ?? 'Discharge task', status, statusText: TASK_STATUS_TEXT[status] ?? status,
    owner: t.owner ?? undefined, ownerName: t.owner ? names.get(t.owner) ?? task.owner?.display ?? t.owner : 'Nobody',
    due: iso(t.due), overdue: open && !!t.due && t.due.getTime() < now.getTime(), open,
  };
}

/** A stay with its discharge tasks, and how many of the open ones nobody owns. */
function withTasks(s: BoardStay, tasks: BoardTask[]): BoardStay {
  return { ...s, tasks, unowned: tasks.filter((t) => t.open && !t.owner).length };
}

/** A stay as the board shows it, before its tasks are read (`withTasks`). */
function boardStay(r: StayRow, now: Date): BoardStay {
  const pt = JSON.parse(r.patient) as Patient;
  const los = r.admitted ? lengthOfStay(r.admitted, now) : 0;
  const reviewedToday = !!r.criteria_reviewed && dayNumber(r.criteria_reviewed) === dayNumber(now);
  const pathway = isPathway(r.pathway) ? r.pathway : undefined;
  const delayReason = isDelayReason(r.delay_reason) ? r.delay_reason : undefined;
  return {
    id: r.id, versionId: r.version_id, person: personOf(pt, now), ward: r.ward_name ?? undefined, admitted: iso(r.admitted), admittedOn: isoDate(r.admitted), los, band: losBand(los),
    reviewedToday, meets: r.ready_date ? false : reviewedToday ? true : undefined,
    readyDate: isoDate(r.ready_date), delayDays: delayDays(r.ready_date ?? undefined, now), expectedDate: isoDate(r.expected_date),
    pathway, delayReason, planShared: iso(r.plan_shared),
    planNotice: planNotice(r.plan_shared ?? undefined, r.expected_date ? leavingTime(r.expected_date) : undefined, now),
    tasks: [], unowned: 0,
  };
}

function keep(s: BoardStay, f: BoardFilter): boolean {
  if (f.band && s.los < f.band) return false;
  if (f.readiness === 'ready' && !s.readyDate) return false;
  if (f.readiness === 'not-ready' && (s.readyDate || !s.reviewedToday)) return false;
  if (f.readiness === 'not-reviewed' && (s.reviewedToday || s.readyDate)) return false;
  if (f.pathway === 'none' && s.pathway) return false;
  if (f.pathway && f.pathway !== 'none' && s.pathway !== f.pathway) return false;
  return true;
}

// One collator each, made once: \`localeCompare(x, 'en-GB')\` makes one a call, and ordering a trust's
// 1,000 stays (ties of length of stay broken by name) took 40 ms of the board's CPU that way.
const NAME_ORDER = new Intl.Collator('en-GB');
const ID_ORDER = new Intl.Collator();
const byName = (a: BoardStay, b: BoardStay) => NAME_ORDER.compare(a.person.name, b.person.name) || ID_ORDER.compare(a.id, b.id);
const SORTERS: Record<BoardSort, (a: BoardStay, b: BoardStay) => number> = {
  los: (a, b) => b.los - a.los || byName(a, b),
  ready: (a, b) => (a.readyDate ?? '9999').localeCompare(b.readyDate ?? '9999') || b.los - a.los,
  expected: (a, b) => (a.expectedDate ?? '9999').localeCompare(b.expectedDate ?? '9999') || b.los - a.los,
  name: byName,
};

function countsOf(stays: BoardStay[]): Board['counts'] {
  return {
    total: stays.length,
    band7: stays.filter((s) => s.los >= 7).length,
    band14: stays.filter((s) => s.los >= 14).length,
    band21: stays.filter((s) => s.los >= 21).length,
    ready: stays.filter((s) => s.readyDate).length,
    ready21: stays.filter((s) => s.readyDate && s.los >= 21).length,
    notReviewed: stays.filter((s) => !s.reviewedToday && !s.readyDate).length,
    planOverdue: stays.filter((s) => s.planNotice === 'overdue').length,
  };
}

/** Delay days (from the Discharge Ready Date to today) summed by reason; reasons not recorded are counted as such. */
function delaysOf(stays: BoardStay[]): Board['delayDaysByReason'] {
  const m = new Map<DelayReason | 'not-recorded', { people: number; days: number }>();
  for (const s of stays) {
    if (!s.readyDate) continue;
    const k = s.delayReason ?? 'not-recorded';
    const v = m.get(k) ?? { people: 0, days: 0 };
    v.people++;
    v.days += s.delayDays;
    m.set(k, v);
  }
  return [...m].map(([reason, v]) => ({ reason, text: reason === 'not-recorded' ? 'Reason not recorded' : DELAY_REASONS[reason], ...v }))
    .sort((a, b) => b.days - a.days || a.text.localeCompare(b.text));
}

export { PATHWAYS };
