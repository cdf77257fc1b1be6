import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import type { ActionableList } from './actionable-list.definitions.js';

export interface ActionableRow {
  patient_id: string;
  content: string;
  evidence_date: string;
  detail: string;
}

/**
 * The SQL of the lists behind the indicators. One statement: the people matching the list at the
 * chosen practices, each marked seen when both their Patient row and the evidence row pass the
 * reader's row restriction (the same rule as the FHIR API), so a person is named only on evidence the
 * reader may see; how many match in all is counted alongside, so the page can say that others exist.
 */
export class ActionableListRepository {
  constructor(private readonly db: Queryable) {}

  async members(list: ActionableList, asOf: string, practices: string[] | undefined, restriction: RowRestriction, limit: number): Promise<{ rows: ActionableRow[]; visible: number; total: number }> {
    const p = new Params();
    const q = list.sql(p, asOf);
    // Registered at one of the practices (Patient.generalPractitioner, through the reference index).
    const scope = practices
      ? `EXISTS (SELECT 1 FROM sp_reference g WHERE g.rid = pt.rid AND g.resource_type = 'Patient' AND g.code = 'general-practitioner'
                  AND g.target_type = 'Organization' AND g.target_id = ANY(${p.add(practices, 'text[]')}))`
      : 'true';
    const seen = `(${restriction('pt', 'Patient', p) ?? 'true'}) AND (${restriction('ev', list.evidenceType, p) ?? 'true'})`;
    const res = await this.db.query<ActionableRow & { visible: number; total: number }>(
      `WITH m AS MATERIALIZED (
         SELECT DISTINCT ON (pt.id) pt.id AS patient_id, pt.content, (${q.date})::text AS evidence_date, ${q.detail} AS detail, ${seen} AS seen
           FROM ${q.from} WHERE ${q.where} AND ${scope}
          ORDER BY pt.id, ${seen} DESC, ${q.date} DESC),
       c AS (SELECT (count(*) FILTER (WHERE seen))::int AS visible, count(*)::int AS total FROM m)
       SELECT c.visible, c.total, v.patient_id, v.content, v.evidence_date, v.detail
         FROM c LEFT JOIN LATERAL (SELECT * FROM m WHERE seen ORDER BY evidence_date DESC, patient_id LIMIT ${p.add(limit, 'int')}) v ON true`,
      p.values,
    );
    const first = res.rows[0];
    return { rows: res.rows.filter((r) => r.patient_id !== null), visible: first?.visible ?? 0, total: first?.total ?? 0 };
  }

  /** The user's organisation: its name, the network it is part of, and whether people are registered with it (a practice). */
  async organisation(id: string): Promise<{ name: string; partOf?: { id: string; name: string }; registers: boolean; members: { id: string; name: string }[] } | undefined> {
    const res = await this.db.query<{ name: string | null; part_of: string | null; part_of_name: string | null; registers: boolean; members: { id: string; name: string | null }[] | null }>(
      `SELECT o.content::jsonb->>'name' AS name, pcn.id AS part_of, pcn.content::jsonb->>'name' AS part_of_name,
              EXISTS (SELECT 1 FROM sp_reference g WHERE g.resource_type = 'Patient' AND g.code = 'general-practitioner' AND g.target_type = 'Organization' AND g.target_id = o.id) AS registers,
              (SELECT json_agg(json_build_object('id', m.id, 'name', m.content::jsonb->>'name') ORDER BY m.id)
                 FROM sp_reference x JOIN resource m ON m.rid = x.rid AND NOT m.deleted
                WHERE x.resource_type = 'Organization' AND x.code = 'partof' AND x.target_type = 'Organization' AND x.target_id = o.id) AS members
         FROM resource o
         LEFT JOIN resource pcn ON pcn.resource_type = 'Organization' AND NOT pcn.deleted AND pcn.id = substring(o.content::jsonb#>>'{partOf,reference}' from '^Organization/(.+)$')
        WHERE o.resource_type = 'Organization' AND o.id = $1 AND NOT o.deleted`,
      [id],
    );
    const r = res.rows[0];
    if (!r) return undefined;
    return {
      name: r.name ?? id, registers: r.registers, members: (r.members ?? []).map((m) => ({ id: m.id, name: m.name ?? m.id })),
      ...(r.part_of ? { partOf: { id: r.part_of, name: r.part_of_name ?? r.part_of } } : {}),
    };
  }

  /** The practices of a network (Organizations partOf it). */
  async practicesOf(pcnId: string): Promise<string[]> {
    const res = await this.db.query<{ id: string }>(
      `SELECT m.id FROM sp_reference x JOIN resource m ON m.rid = x.rid AND NOT m.deleted
        WHERE x.resource_type = 'Organization' AND x.code = 'partof' AND x.target_type = 'Organization' AND x.target_id = $1 ORDER BY m.id`,
      [pcnId],
    );
    return res.rows.map((r) => r.id);
  }
}
