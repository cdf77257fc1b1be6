import type { Queryable } from '../db/database.js';
import { decodeCursor, encodeCursor } from '../fhir/cursor.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { OPEN_TASK_STATUSES, type TaskStatus } from './task.vocabulary.js';

/** Which slice of the caller's work a worklist shows. */
export const WORK_VIEWS = ['mine', 'pool', 'overdue', 'week', 'all'] as const;
export type WorkView = (typeof WORK_VIEWS)[number];

/** Whose work it is: the caller's own owner reference(s), and the pools (organisation, teams) they draw from. */
export interface WorkOwners {
  mine: string[];
  pools: string[];
}

export interface WorklistFilter {
  view: WorkView;
  status?: TaskStatus;
  kind?: string;
  patientId?: string;
  /** The organisation that set the work (the Task's recorded-by organisation). */
  fromOrg?: string;
  /** 'due' (soonest first, undated last) or '-due' (latest first). */
  sort: 'due' | '-due';
  cursor?: string;
  count: number;
}

export interface WorkRow {
  rid: string;
  id: string;
  task: string;
  /** The Patient's JSON when the caller may see them (the worklist never names a hidden person). */
  patient: string | null;
}

export interface WorkCounts {
  mine: number;
  pool: number;
  overdue: number;
  week: number;
  all: number;
}

const DAY = 86_400_000;
// Trusted constants, written into the SQL so the planner can use the partial indexes of migration 008.
const OPEN_SQL = OPEN_TASK_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The worklist's SQL: open Tasks by owner from task_work (migration 008), each Task row under the
 * caller's row restriction, so a worklist never shows, counts or pages past a Task the FHIR API
 * would hide from the same caller; the person each names is joined under the same restriction.
 */
export class WorklistRepository {
  constructor(private readonly db: Queryable) {}

  /** The conditions every worklist query shares: open, owned by the caller or their pools, visible, filtered. */
  private base(owners: WorkOwners, f: Omit<WorklistFilter, 'view' | 'sort' | 'cursor' | 'count'>, restriction: RowRestriction, p: Params): string {
    const conds = [
      `w.status IN (${OPEN_SQL})`,
      `w.owner = ANY(${p.add([...owners.mine, ...owners.pools], 'text[]')})`,
      'NOT r.deleted',
    ];
    const r = restriction('r', 'Task', p);
    if (r) conds.push(r);
    if (f.status) conds.push(`w.status = ${p.add(f.status)}`);
    if (f.kind) conds.push(`w.kind = ${p.add(f.kind)}`);
    if (f.patientId) conds.push(`w.patient_id = ${p.add(f.patientId)}`);
    if (f.fromOrg) conds.push(`w.from_org = ${p.add(f.fromOrg)}`);
    return conds.join(' AND ');
  }

  private view(owners: WorkOwners, view: WorkView, now: Date, p: Params): string | undefined {
    switch (view) {
      case 'mine':
        return `w.owner = ANY(${p.add(owners.mine, 'text[]')})`;
      case 'pool':
        return `w.owner = ANY(${p.add(owners.pools, 'text[]')})`;
      case 'overdue':
        return `w.due < ${p.add(now.toISOString(), 'timestamptz')}`;
      case 'week':
        return `w.due >= ${p.add(now.toISOString(), 'timestamptz')} AND w.due < ${p.add(new Date(now.getTime() + 7 * DAY).toISOString(), 'timestamptz')}`;
      case 'all':
        return undefined;
    }
  }

  /**
   * One page of work. Each owner the view draws from (the caller, their organisation's pool, their
   * teams) is read by its own branch, with the owner as a value the planner can see (so it knows a
   * pool of thousands from a person with a handful): an ordered walk of task_work_owner_due that stops
   * once it has a page of rows the caller may see. The branches are merged in due order and cut to one
   * page, and only then is the person each row names joined. A page costs about (owners × page) row
   * checks, whatever the size of the organisation's work or of the database (docs/queries/worklist-plans.md).
   */
  async list(owners: WorkOwners, f: WorklistFilter, now: Date, restriction: RowRestriction): Promise<{ rows: WorkRow[]; next?: string }> {
    if (owners.mine.length + owners.pools.length === 0) return { rows: [] };
    // The view's owners: 'mine' and 'pool' narrow the owners walked rather than filter the rows walked.
    const walked = [...new Set(f.view === 'mine' ? owners.mine : f.view === 'pool' ? owners.pools : [...owners.mine, ...owners.pools])];
    if (walked.length === 0) return { rows: [] };
    const p = new Params();
    const desc = f.sort === '-due';
    const order = (a: string) => `${a}due ${desc ? 'DESC' : 'ASC'} NULLS LAST, ${a}rid ASC`;
    const limit = p.add(f.count + 1, 'int');
    const cursor = f.cursor ? decodeCursor(f.cursor, ['timestamptz'], 'cursor') : undefined;
    const branch = (owner: string) => {
      const conds = [this.base(owners, f, restriction, p), `w.owner = ${p.add(owner)}`];
      const v = f.view === 'mine' || f.view === 'pool' ? undefined : this.view(owners, f.view, now, p);
      if (v) conds.push(v);
      if (cursor) {
        const rid = p.add(cursor.r, 'bigint');
        const cmp = desc ? '<' : '>';
        // Undated work sorts last either way (NULLS LAST), so the keyset walks the dated rows, then the undated.
        conds.push(cursor.v[0] === null
          ? `(w.due IS NULL AND w.rid > ${rid})`
          : `(w.due ${cmp} ${p.add(cursor.v[0], 'timestamptz')} OR (w.due = ${p.add(cursor.v[0], 'timestamptz')} AND w.rid > ${rid}) OR w.due IS NULL)`);
      }
      return `(SELECT w.rid, r.id, r.content AS task, w.due, w.patient_id
          FROM task_work w
          JOIN resource r ON r.rid = w.rid
          WHERE ${conds.join(' AND ')}
          ORDER BY ${order('w.')}
          LIMIT ${limit})`;
    };
    const branches = walked.map(branch).join('\n        UNION ALL\n        ');
    const patientRestriction = restriction('pt', 'Patient', p);
    const sql = `SELECT page.rid::text AS rid, page.id, page.task, page.due, pt.content AS patient
      FROM (
        SELECT * FROM (
        ${branches}
        ) walked
        ORDER BY ${order('walked.')}
        LIMIT ${limit}
      ) page
      LEFT JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = page.patient_id AND NOT pt.deleted${patientRestriction ? ` AND ${patientRestriction}` : ''}
      ORDER BY ${order('page.')}`;
    const res = await this.db.query<WorkRow & { due: Date | null }>(sql, p.values);
    const rows = res.rows.slice(0, f.count);
    let next: string | undefined;
    if (res.rows.length > f.count) {
      const last = rows[rows.length - 1];
      next = encodeCursor({ v: [last.due ? last.due.toISOString() : null], r: last.rid });
    }
    return { rows: rows.map(({ rid, id, task, patient }) => ({ rid, id, task, patient })), next };
  }

  /** How much work each view holds, under the same filters and restriction (one statement). */
  async counts(owners: WorkOwners, f: Omit<WorklistFilter, 'view' | 'sort' | 'cursor' | 'count'>, now: Date, restriction: RowRestriction): Promise<WorkCounts> {
    if (owners.mine.length + owners.pools.length === 0) return { mine: 0, pool: 0, overdue: 0, week: 0, all: 0 };
    const p = new Params();
    const base = this.base(owners, f, restriction, p);
    const sql = `SELECT
        count(*) FILTER (WHERE ${this.view(owners, 'mine', now, p)})::int AS mine,
        count(*) FILTER (WHERE ${this.view(owners, 'pool', now, p)})::int AS pool,
        count(*) FILTER (WHERE ${this.view(owners, 'overdue', now, p)})::int AS overdue,
        count(*) FILTER (WHERE ${this.view(owners, 'week', now, p)})::int AS week,
        count(*)::int AS "all"
      FROM task_work w JOIN resource r ON r.rid = w.rid
      WHERE ${base}`;
    const res = await this.db.query<WorkCounts>(sql, p.values);
    return res.rows[0];
  }

  /** The CareTeams whose participants name one of `parties` (`Practitioner/x`, `Organization/y`): the caller's teams. */
  async teamsOf(parties: string[]): Promise<string[]> {
    if (parties.length === 0) return [];
    const split = parties.map((x) => x.split('/'));
    const res = await this.db.query<{ id: string }>(
      `SELECT DISTINCT r.id FROM sp_reference s JOIN resource r ON r.rid = s.rid AND NOT r.deleted
        WHERE s.resource_type = 'CareTeam' AND s.code = 'participant'
          AND (s.target_type, s.target_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          AND coalesce(r.content::jsonb->>'status', 'active') = 'active'`,
      [split.map((x) => x[0]), split.map((x) => x[1])],
    );
    return res.rows.map((r) => `CareTeam/${r.id}`);
  }
}
