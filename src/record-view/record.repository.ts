import type { Queryable } from '../db/database.js';
import { RECORDED_BY_SYSTEM } from '../access/policy/index.js';
import { CLOSED_STATUSES } from '../fhir/statuses.js';
import { patientCompartment } from '../fhir/everything.service.js';
import { Params, type RowRestriction } from '../fhir/search.repository.js';

/** A row of a person's record as the summary reads it. */
export interface RecordRow {
  rid: string;
  resource_type: string;
  id: string;
  content: string;
}

/** A timeline row: the row, its date (null when it has none) and the organisation that recorded it. */
export interface TimelineRow extends RecordRow {
  at: string | null;
  org_id: string | null;
}

/** Per organisation and type: how many rows of a person's record this principal sees, and how many it does not. */
export interface FacetRow {
  org_id: string | null;
  resource_type: string;
  visible: number;
  hidden: number;
}

export interface TimelineFilter {
  types: string[];
  organisationId?: string;
  /** Inclusive lower bound (ISO instant). */
  from?: string;
  /** Exclusive upper bound (ISO instant). */
  before?: string;
  cursor?: { at: string | null; rid: string };
  limit: number;
}

/** The search parameter that dates each timeline type (sp_date codes). */
export const TIMELINE_DATE_CODES: Record<string, string[]> = {
  Encounter: ['date'],
  EpisodeOfCare: ['date'],
  ServiceRequest: ['authored'],
  Condition: ['recorded-date', 'onset-date'],
  Observation: ['date'],
  MedicationRequest: ['authoredon'],
  MedicationStatement: ['effective'],
  QuestionnaireResponse: ['authored'],
  Communication: ['sent'],
  DocumentReference: ['date'],
  Composition: ['date'],
  CarePlan: ['date'],
  Appointment: ['date'],
  RiskAssessment: ['date'],
  Task: ['modified', 'authored-on'],
};

/**
 * Where a row says which organisation it came from, when it carries no recorded-by tag: the first of
 * these (type.search-parameter) that it has, in this order. A PractitionerRole or HealthcareService is
 * followed to its organisation.
 */
const ORGANISATION_PATHS = [
  'Encounter.service-provider', 'EpisodeOfCare.organization', 'ServiceRequest.requester', 'MedicationRequest.requester',
  'MedicationStatement.source', 'Observation.performer', 'Condition.asserter', 'QuestionnaireResponse.author',
  'DocumentReference.custodian', 'DocumentReference.author', 'Composition.author', 'Communication.sender',
  'CarePlan.performer', 'RiskAssessment.performer', 'EpisodeOfCare.care-manager', 'Appointment.actor', 'ServiceRequest.performer',
];

/**
 * The SQL that reads one person's record for the summary page. Every statement applies the
 * principal's row restriction (the same SQL the FHIR API applies), so nothing is read here that
 * the API would not return to the same principal.
 */
export class RecordRepository {
  /** The Patient row, and whether the restriction lets this principal see it (absent: no such person). */
  async patient(db: Queryable, restriction: RowRestriction, patientId: string): Promise<{ content: string | null; visible: boolean } | undefined> {
    const p = new Params();
    const id = p.add(patientId);
    const cond = restriction('r', 'Patient', p) ?? 'true';
    const res = await db.query<{ content: string | null; visible: boolean }>(
      `SELECT CASE WHEN v THEN content END AS content, v AS visible FROM (
         SELECT r.content, (${cond}) AS v FROM resource r WHERE r.resource_type = 'Patient' AND r.id = ${id} AND NOT r.deleted) x`,
      p.values,
    );
    return res.rows[0];
  }

  /**
   * Visible rows of the given types that link to the person (their compartment), leaving out those
   * whose status says they are over (completed prescriptions, finished episodes, resolved problems…):
   * a long record holds hundreds of those, and the summary shows only what is current.
   */
  async rows(db: Queryable, restriction: RowRestriction, patientId: string, types: string[]): Promise<RecordRow[]> {
    const p = new Params();
    const linked = linkedRids(p, patientId, types);
    const cond = restriction('r', '', p);
    const over = `NOT EXISTS (SELECT 1 FROM sp_token st WHERE st.rid = r.rid AND st.code IN ('status', 'clinical-status', 'lifecycle-status')
      AND st.value = ANY(${p.add(CLOSED_STATUSES, 'text[]')}))`;
    // Materialised first, so the restriction is evaluated only on current entries, not on every old one.
    const res = await db.query<RecordRow>(
      `WITH current AS MATERIALIZED (SELECT r.rid FROM resource r
         WHERE r.rid = ANY(ARRAY(${linked})) AND NOT r.deleted AND r.resource_type = ANY(${p.add(types, 'text[]')}) AND ${over})
       SELECT r.rid::text AS rid, r.resource_type, r.id, r.content FROM resource r
        WHERE r.rid IN (SELECT rid FROM current)${cond ? ` AND ${cond}` : ''}
        ORDER BY r.rid`,
      p.values,
    );
    return res.rows;
  }

  /**
   * Every row of the person's record of the given types, counted by recording organisation and type:
   * how many this principal sees and how many it does not (the organisation only for those it sees).
   */
  async facets(db: Queryable, restriction: RowRestriction, patientId: string, types: string[]): Promise<FacetRow[]> {
    const p = new Params();
    const linked = linkedRids(p, patientId, types);
    const cond = restriction('r', '', p) ?? 'true';
    const org = organisationOf(p, 'r');
    const res = await db.query<{ org_id: string | null; resource_type: string; visible: string; hidden: string }>(
      `SELECT CASE WHEN v THEN org_id END AS org_id, resource_type, count(*) FILTER (WHERE v)::text AS visible, count(*) FILTER (WHERE NOT v)::text AS hidden
         FROM (SELECT r.resource_type, (${cond}) AS v, ${org} AS org_id FROM resource r
                WHERE r.rid = ANY(ARRAY(${linked})) AND NOT r.deleted) x
        GROUP BY 1, 2`,
      p.values,
    );
    return res.rows.map((r) => ({ org_id: r.org_id, resource_type: r.resource_type, visible: Number(r.visible), hidden: Number(r.hidden) }));
  }

  /** One page of the person's timeline, newest first (undated entries last), keyset-paged on (date, rid). */
  async timeline(db: Queryable, restriction: RowRestriction, patientId: string, f: TimelineFilter): Promise<TimelineRow[]> {
    const p = new Params();
    const linked = linkedRids(p, patientId, f.types);
    const cond = restriction('r', '', p);
    const pairs = f.types.flatMap((t) => (TIMELINE_DATE_CODES[t] ?? []).map((c) => `${t}.${c}`));
    const at = `COALESCE((SELECT max(d.low) FROM sp_date d WHERE d.rid = r.rid AND (d.resource_type || '.' || d.code) = ANY(${p.add(pairs, 'text[]')})
      AND d.low > '-infinity'), '-infinity'::timestamptz)`;
    const org = organisationOf(p, 'r');
    const outer: string[] = [];
    if (f.organisationId) outer.push(`org_id = ${p.add(f.organisationId)}`);
    if (f.from) outer.push(`at >= ${p.add(f.from, 'timestamptz')}`);
    if (f.before) outer.push(`at < ${p.add(f.before, 'timestamptz')}`);
    // An undated row's cursor has no date: it stands for -infinity, where undated rows sort.
    if (f.cursor) outer.push(`(at, rid) < (${p.add(f.cursor.at ?? '-infinity', 'timestamptz')}, ${p.add(f.cursor.rid, 'bigint')})`);
    const res = await db.query<TimelineRow>(
      `SELECT rid::text AS rid, resource_type, id, content, org_id,
              CASE WHEN at = '-infinity' THEN NULL ELSE to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END AS at FROM (
         SELECT r.rid, r.resource_type, r.id, r.content, ${at} AS at, ${org} AS org_id FROM resource r
          WHERE r.rid = ANY(ARRAY(${linked})) AND NOT r.deleted AND r.resource_type = ANY(${p.add(f.types, 'text[]')})${cond ? ` AND ${cond}` : ''}) x
        ${outer.length ? `WHERE ${outer.join(' AND ')}` : ''}
        ORDER BY at DESC, rid DESC LIMIT ${p.add(f.limit, 'int')}`,
      p.values,
    );
    return res.rows;
  }

  /**
   * Directory entries the record refers to, for names and contacts: the given references
   * ("Type/id") and, for PractitionerRoles, their Practitioner and Organization too. Directory types
   * are visible to every user; the restriction is applied all the same.
   */
  async directory(db: Queryable, restriction: RowRestriction, refs: string[]): Promise<RecordRow[]> {
    if (refs.length === 0) return [];
    const p = new Params();
    const types: string[] = [];
    const ids: string[] = [];
    for (const ref of new Set(refs)) {
      const [t, id] = ref.split('/');
      if (t && id) {
        types.push(t);
        ids.push(id);
      }
    }
    const wanted = `(SELECT * FROM unnest(${p.add(types, 'text[]')}, ${p.add(ids, 'text[]')}))`;
    const c1 = restriction('r', '', p);
    const c2 = restriction('t', '', p);
    const res = await db.query<RecordRow>(
      `WITH d AS (SELECT r.rid, r.resource_type, r.id, r.content FROM resource r
                   WHERE (r.resource_type, r.id) IN ${wanted} AND NOT r.deleted${c1 ? ` AND ${c1}` : ''})
       SELECT rid::text AS rid, resource_type, id, content FROM d
       UNION
       SELECT t.rid::text, t.resource_type, t.id, t.content FROM d
         JOIN sp_reference x ON x.rid = d.rid AND d.resource_type IN ('PractitionerRole', 'HealthcareService')
          AND x.code IN ('practitioner', 'organization') AND x.target_type IN ('Practitioner', 'Organization')
         JOIN resource t ON t.resource_type = x.target_type AND t.id = x.target_id AND NOT t.deleted${c2 ? ` AND ${c2}` : ''}`,
      p.values,
    );
    return res.rows;
  }
}

/**
 * rids of rows of `types` that link to the patient through a Patient compartment parameter. Used as
 * `rid = ANY(ARRAY(…))`, so the planner computes this small set first (one probe of the reference
 * index) and then fetches the rows by primary key, however large the tables are.
 */
function linkedRids(p: Params, patientId: string, types: string[]): string {
  const wanted = new Set(types);
  const pairs: string[] = [];
  for (const c of patientCompartment()) {
    if (!wanted.has(c.type)) continue;
    for (const code of c.params) pairs.push(`${c.type}.${code}`);
  }
  return `SELECT DISTINCT ref.rid FROM sp_reference ref WHERE ref.target_id = ${p.add(patientId)} AND ref.target_type = 'Patient'
    AND ref.resource_type = ANY(${p.add(types, 'text[]')}) AND (ref.resource_type || '.' || ref.code) = ANY(${p.add(pairs, 'text[]')})`;
}

/** SQL for the organisation that recorded row `a`: its recorded-by tag, else the first organisation it names (see ORGANISATION_PATHS). */
function organisationOf(p: Params, a: string): string {
  const paths = p.add(ORGANISATION_PATHS, 'text[]');
  return `COALESCE(
    (SELECT s.value FROM sp_token s WHERE s.rid = ${a}.rid AND s.code = '_tag' AND s.system = ${p.add(RECORDED_BY_SYSTEM)} LIMIT 1),
    (SELECT CASE WHEN x.target_type = 'Organization' THEN x.target_id ELSE po.target_id END FROM sp_reference x
       LEFT JOIN resource pr ON x.target_type IN ('PractitionerRole', 'HealthcareService') AND pr.resource_type = x.target_type AND pr.id = x.target_id AND NOT pr.deleted
       LEFT JOIN sp_reference po ON po.rid = pr.rid AND po.code = 'organization' AND po.target_type = 'Organization'
      WHERE x.rid = ${a}.rid AND (x.resource_type || '.' || x.code) = ANY(${paths})
        AND (x.target_type = 'Organization' OR po.target_id IS NOT NULL)
      ORDER BY array_position(${paths}, x.resource_type || '.' || x.code) LIMIT 1))`;
}
