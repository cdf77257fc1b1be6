import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { RECORDED_BY_SYSTEM } from '../access/policy/policy-codes.js';
import { OPEN_TASK_STATUSES } from '../workflow/task.vocabulary.js';
import { MH_PATHWAY_SYSTEM, OUT_OF_AREA } from './pathway.vocabulary.js';

const OPEN_SQL = OPEN_TASK_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The pathway board's SQL, every row under the caller's row restriction: open pathway referrals
 * (task_work by owner, the Task carrying a pathway coding), the organisation's out-of-area
 * placements (Encounters it recorded with the placement extension), and the people in its care
 * nearing their 18th birthday (care relationships of its active episodes).
 */
/**
 * How many rows of each list the board shows. Each query reads one more, so the board can say when
 * a list is cut rather than hide the rest (the soonest due, the latest placements, the next birthdays).
 */
export const BOARD_LIMIT = { waiting: 500, placements: 200, transitions: 200 } as const;

export class PathwayBoardRepository {
  async waiting(db: Queryable, restriction: RowRestriction, owners: string[]): Promise<{ content: string; patient: string | null }[]> {
    const p = new Params();
    const rt = restriction('r', 'Task', p);
    const rp = restriction('pt', 'Patient', p);
    const res = await db.query<{ content: string; patient: string | null }>(
      `SELECT r.content, pt.content AS patient
         FROM task_work w JOIN resource r ON r.rid = w.rid AND NOT r.deleted
         LEFT JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = w.patient_id AND NOT pt.deleted${rp ? ` AND ${rp}` : ''}
        WHERE w.status IN (${OPEN_SQL}) AND w.kind = 'referral' AND w.owner = ANY(${p.add(owners, 'text[]')})
          AND EXISTS (SELECT 1 FROM sp_token k WHERE k.rid = r.rid AND k.code = 'code' AND k.system = ${p.add(MH_PATHWAY_SYSTEM)})
          ${rt ? `AND ${rt}` : ''}
        ORDER BY w.due NULLS LAST, r.rid LIMIT ${p.add(BOARD_LIMIT.waiting + 1, 'int')}`,
      p.values,
    );
    return res.rows;
  }

  async placements(db: Queryable, restriction: RowRestriction, org: string): Promise<{ content: string; patient: string | null }[]> {
    const p = new Params();
    const re = restriction('r', 'Encounter', p);
    const rp = restriction('pt', 'Patient', p);
    const res = await db.query<{ content: string; patient: string | null }>(
      `SELECT r.content, pt.content AS patient FROM resource r
         LEFT JOIN resource pt ON pt.resource_type = 'Patient' AND NOT pt.deleted
              AND pt.id = substring(r.content::jsonb #>> '{subject,reference}' from '^Patient/(.+)$')${rp ? ` AND ${rp}` : ''}
        WHERE r.resource_type = 'Encounter' AND NOT r.deleted
          AND r.rid IN (SELECT s.rid FROM sp_token s WHERE s.resource_type = 'Encounter' AND s.code = '_tag' AND s.system = ${p.add(RECORDED_BY_SYSTEM)} AND s.value = ${p.add(org)})
          AND r.content::jsonb -> 'extension' @> ${p.add(JSON.stringify([{ url: OUT_OF_AREA.placement }]), 'jsonb')}
          ${re ? `AND ${re}` : ''}
        ORDER BY r.last_updated DESC LIMIT ${p.add(BOARD_LIMIT.placements + 1, 'int')}`,
      p.values,
    );
    return res.rows;
  }

  /** People with an active episode of the organisation's whose 18th birthday falls within `days` from `today` (or passed in the last month). */
  async nearing18(db: Queryable, restriction: RowRestriction, org: string, today: string, days: number): Promise<string[]> {
    const p = new Params();
    const rp = restriction('pt', 'Patient', p);
    const res = await db.query<{ content: string }>(
      `SELECT pt.content FROM resource pt
        WHERE pt.resource_type = 'Patient' AND NOT pt.deleted
          AND pt.id IN (SELECT cr.patient_id FROM care_relationship cr WHERE cr.party = ${p.add(`Organization/${org}`)} AND cr.kind = 'EpisodeOfCare')
          AND (pt.content::jsonb ->> 'birthDate') ~ '^\\d{4}-\\d{2}-\\d{2}$'
          AND ((pt.content::jsonb ->> 'birthDate')::date + interval '18 years') BETWEEN ${p.add(today, 'date')} - interval '30 days' AND ${p.add(today, 'date')} + ${p.add(days, 'int')} * interval '1 day'
          ${rp ? `AND ${rp}` : ''}
        ORDER BY pt.content::jsonb ->> 'birthDate' LIMIT ${p.add(BOARD_LIMIT.transitions + 1, 'int')}`,
      p.values,
    );
    return res.rows.map((r) => r.content);
  }
}
