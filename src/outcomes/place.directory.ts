import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Queryable } from '../db/database.js';
import { REFERENCE_DATA_DIR } from '../paths.js';

/**
 * The places figures are reported for: the whole system, the two councils' areas (Kent, Medway),
 * the four health and care partnerships and the 13 districts (by the resident's district of
 * residence), and each GP practice and primary care network (by registration). Place ids:
 * `system`, `county:kent`, `county:medway`, `hcp:EK`, `district:swale`, `pcn:<Organization id>`,
 * `practice:<Organization id>`; `district:unknown` and `practice:unknown` hold anyone whose
 * residence or practice is not recorded, so the districts (and the practices) add up to the whole.
 */

export type PlaceLevel = 'system' | 'county' | 'hcp' | 'district' | 'pcn' | 'practice';

export interface Place {
  id: string;
  level: PlaceLevel;
  name: string;
  /** The place one level up in the drill-down (system → partnership → district; network → practice). */
  parent?: string;
}

export interface DistrictInfo { id: string; name: string; hcp: string; centroid: [number, number] }

export interface Geography {
  districts: DistrictInfo[];
  hcps: { id: string; name: string }[];
}

export function loadGeography(dir = REFERENCE_DATA_DIR): Geography {
  const raw = JSON.parse(readFileSync(join(dir, 'strategy', 'places.json'), 'utf8')) as {
    districts: { id: string; name: string; hcp: string; centroid: [number, number] }[];
    health_and_care_partnerships: { id: string; name: string }[];
  };
  return {
    districts: raw.districts.map((d) => ({ id: d.id, name: d.name, hcp: d.hcp, centroid: d.centroid })),
    hcps: raw.health_and_care_partnerships.map((h) => ({ id: h.id, name: h.name })),
  };
}

/** Residence-based places (fixed by the reference data). */
export function residencePlaces(g: Geography): Place[] {
  return [
    { id: 'system', level: 'system', name: 'Kent and Medway' },
    { id: 'county:kent', level: 'county', name: 'Kent (county council area)', parent: 'system' },
    { id: 'county:medway', level: 'county', name: 'Medway (council area)', parent: 'system' },
    ...g.hcps.map((h): Place => ({ id: `hcp:${h.id}`, level: 'hcp', name: `${h.name} partnership`, parent: 'system' })),
    ...g.districts.map((d): Place => ({ id: `district:${d.id}`, level: 'district', name: d.name, parent: `hcp:${d.hcp}` })),
  ];
}

/** GP practices (by Organization id) with their network and names, from the record's directory. */
export async function practicePlaces(db: Queryable, practiceIds: string[]): Promise<Place[]> {
  if (practiceIds.length === 0) return [];
  const res = await db.query<{ id: string; name: string | null; pcn: string | null; pcn_name: string | null }>(
    `SELECT o.id, o.content::jsonb->>'name' AS name, p.id AS pcn, p.content::jsonb->>'name' AS pcn_name
       FROM resource o
       LEFT JOIN resource p ON p.resource_type = 'Organization' AND NOT p.deleted AND p.id = substr(o.content::jsonb#>>'{partOf,reference}', 14)
      WHERE o.resource_type = 'Organization' AND NOT o.deleted AND o.id = ANY($1::text[])
      ORDER BY o.id`,
    [practiceIds],
  );
  const out: Place[] = [];
  const pcns = new Map<string, string>();
  for (const r of res.rows) {
    if (r.pcn) pcns.set(r.pcn, r.pcn_name ?? r.pcn);
    out.push({ id: `practice:${r.id}`, level: 'practice', name: r.name ?? r.id, parent: r.pcn ? `pcn:${r.pcn}` : 'system' });
  }
  return [...[...pcns].map(([id, name]): Place => ({ id: `pcn:${id}`, level: 'pcn', name, parent: 'system' })), ...out];
}

/** The district each practice (Organization id) is in, from the directory's district extension. */
export async function practiceDistricts(db: Queryable, practiceIds: string[]): Promise<Map<string, string>> {
  if (practiceIds.length === 0) return new Map();
  const res = await db.query<{ id: string; district: string | null }>(
    `SELECT o.id, (SELECT x->>'valueString' FROM jsonb_array_elements(o.content::jsonb->'extension') x
                    WHERE x->>'url' = 'https://onestory.example/fhir/StructureDefinition/district' LIMIT 1) AS district
       FROM resource o WHERE o.resource_type = 'Organization' AND NOT o.deleted AND o.id = ANY($1::text[])`,
    [practiceIds],
  );
  return new Map(res.rows.filter((r) => r.district).map((r) => [r.id, r.district!]));
}
