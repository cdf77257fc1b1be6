import type { Queryable } from '../db/database.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';
import { SNOMED_SYSTEM } from '../record-view/uk-terms.js';
import type { Criterion } from './cohort.criteria.js';

export interface MemberRow {
  patient_id: string;
  content: string;
  birth_date: string | null;
  district: string | null;
  practice_id: string | null;
  pcn_id: string | null;
  deprivation_quintile: number | null;
  efi_deficits: number | null;
  efi_score: string | null;
  efi_category: string | null;
  emergency_admissions: number;
  has_carer: boolean;
  computed_at: Date;
}

const ofPerson = (type: string, code: string) =>
  `ref.resource_type = '${type}' AND ref.code = '${code}' AND ref.target_type = 'Patient' AND ref.target_id = pr.patient_id`;

/**
 * The SQL of one criterion on person_risk (alias `pr`), every value a parameter. The facts that the
 * computation copies (age, place, practice, eFI, admissions, carer) are columns; whether the person
 * has an active care plan, a named professional or a coded condition is read live from the record's
 * index, so a plan written a minute ago takes the person off case finding at once.
 */
export function criterionSql(c: Criterion, p: Params, asOf: string): string {
  switch (c.name) {
    case 'age': {
      const parts: string[] = [];
      // Aged at least min on the as-of day: born on or before as-of minus min years.
      if (c.min !== undefined) parts.push(`pr.birth_date <= (${p.add(asOf, 'date')} - make_interval(years => ${p.add(c.min, 'int')}))::date`);
      // Aged at most max: born after as-of minus (max + 1) years.
      if (c.max !== undefined) parts.push(`pr.birth_date > (${p.add(asOf, 'date')} - make_interval(years => ${p.add(c.max + 1, 'int')}))::date`);
      return `(${parts.join(' AND ')})`;
    }
    case 'district': return `pr.district = ANY(${p.add(c.values, 'text[]')})`;
    case 'practice': return `pr.practice_id = ANY(${p.add(c.values, 'text[]')})`;
    case 'pcn': return `pr.pcn_id = ANY(${p.add(c.values, 'text[]')})`;
    case 'efi': return `pr.efi_category = ANY(${p.add(c.values, 'text[]')})`;
    case 'admissions': return `pr.emergency_admissions >= ${p.add(c.min, 'int')}`;
    case 'quintile': return `pr.deprivation_quintile = ANY(${p.add(c.values, 'smallint[]')})`;
    case 'carer': return c.has ? 'pr.has_carer' : 'NOT pr.has_carer';
    case 'condition':
      return `EXISTS (SELECT 1 FROM sp_reference ref
        JOIN sp_token t ON t.rid = ref.rid AND t.code = 'code' AND t.system = ${p.add(SNOMED_SYSTEM)} AND t.value IN (SELECT unnest(${p.add(c.codes, 'text[]')}))
        JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
        WHERE ${ofPerson('Condition', 'subject')}
          AND NOT EXISTS (SELECT 1 FROM sp_token s WHERE s.rid = ref.rid AND s.code = 'verification-status' AND s.value IN ('entered-in-error', 'refuted')))`;
    case 'care-plan': return `NOT ${HAS_CARE_PLAN}`;
    case 'named-professional': return `NOT ${HAS_NAMED_PROFESSIONAL}`;
  }
}

/** An active CarePlan for the person (any category: the plans of issue 12 and the synthetic population's alike). */
export const HAS_CARE_PLAN = `EXISTS (SELECT 1 FROM sp_reference ref
  JOIN sp_token s ON s.rid = ref.rid AND s.code = 'status' AND s.value = 'active'
  JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
  WHERE ${ofPerson('CarePlan', 'subject')})`;

/** An active EpisodeOfCare with a care manager: where the named professional (care coordinator) is recorded. */
export const HAS_NAMED_PROFESSIONAL = `EXISTS (SELECT 1 FROM sp_reference ref
  JOIN sp_token s ON s.rid = ref.rid AND s.code = 'status' AND s.value = 'active'
  JOIN sp_reference cm ON cm.rid = ref.rid AND cm.code = 'care-manager'
  JOIN resource r ON r.rid = ref.rid AND NOT r.deleted
  WHERE ${ofPerson('EpisodeOfCare', 'patient')})`;

/** Reads person_risk with the criteria: the count after each, and the members a reader may see by name. */
export class CohortRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * How many people remain after the first 1, 2, … n criteria (index 0: everyone), in one statement:
   * each criterion filters the survivors of the one before (a chain of materialised steps), so a
   * costly criterion (a live EXISTS over the index) is asked only about the people still in the cohort.
   */
  async stepCounts(criteria: Criterion[], asOf: string): Promise<number[]> {
    const p = new Params();
    const steps = criteria.map((c, i) => `s${i + 1} AS MATERIALIZED (SELECT pr.* FROM ${i === 0 ? 'person_risk' : `s${i}`} pr WHERE ${criterionSql(c, p, asOf)})`);
    const cols = ['(SELECT count(*) FROM person_risk)::int AS n0', ...criteria.map((_, i) => `(SELECT count(*) FROM s${i + 1})::int AS n${i + 1}`)];
    const r = await this.db.query<Record<string, number>>(`${steps.length ? `WITH ${steps.join(', ')} ` : ''}SELECT ${cols.join(', ')}`, p.values);
    return [r.rows[0].n0, ...criteria.map((_, i) => r.rows[0][`n${i + 1}`])];
  }

  /**
   * The people matching every criterion whom the reader sees by name (their Patient row passes the
   * reader's row restriction: a care relationship, the same rule as the FHIR API), highest eFI
   * first, up to `limit`; and how many match in all, seen or not.
   */
  async members(criteria: Criterion[], asOf: string, restriction: RowRestriction, limit: number): Promise<{ rows: MemberRow[]; visible: number; total: number }> {
    const p = new Params();
    const where = criteria.map((c) => criterionSql(c, p, asOf));
    const seen = restriction('pt', 'Patient', p) ?? 'true';
    const matching = `FROM person_risk pr JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = pr.patient_id AND NOT pt.deleted
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const r = await this.db.query<MemberRow & { visible: number; total: number }>(
      `WITH m AS (SELECT pr.*, pt.content, ${seen} AS seen ${matching})
       SELECT m.*, (SELECT count(*) FILTER (WHERE seen) FROM m)::int AS visible, (SELECT count(*) FROM m)::int AS total
         FROM m WHERE seen ORDER BY efi_score DESC NULLS LAST, emergency_admissions DESC, patient_id LIMIT ${p.add(limit, 'int')}`,
      p.values,
    );
    if (r.rows.length > 0) return { rows: r.rows, visible: r.rows[0].visible, total: r.rows[0].total };
    // Nobody seen by name: how many match at all (its own parameters; the restriction's are not in it).
    const q = new Params();
    const all = criteria.map((c) => criterionSql(c, q, asOf));
    const c = await this.db.query<{ total: number }>(
      `SELECT count(*)::int AS total FROM person_risk pr JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = pr.patient_id AND NOT pt.deleted
        ${all.length ? `WHERE ${all.join(' AND ')}` : ''}`,
      q.values,
    );
    return { rows: [], visible: 0, total: c.rows[0].total };
  }

  /** Display names of organisations (practices, networks) for the page. */
  async organisationNames(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ id: string; name: string | null }>(
      `SELECT id, content::jsonb ->> 'name' AS name FROM resource WHERE resource_type = 'Organization' AND id = ANY($1::text[]) AND NOT deleted`,
      [ids],
    );
    return new Map(r.rows.map((x) => [x.id, x.name ?? x.id]));
  }
}
