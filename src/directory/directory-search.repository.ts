import type { Location } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import { Params } from '../fhir/search.repository.js';
import type { Point } from './postcode-geography.js';

/** A directory search, already checked (directory-query.ts): every value here is safe to bind. */
export interface DirectoryQuery {
  /** Words to match (PostgreSQL websearch syntax: quotes, or, -not). */
  text?: string;
  /** Taxonomy term ids (UUIDs): a service matches when it has any of them. */
  termIds?: string[];
  /** A taxonomy id (UUID): services with any term of it. */
  taxonomyId?: string;
  /** From a point: ordered by distance; only services with a location within `within` metres when given. */
  near?: { point: Point; within?: number };
  /** Changed on or after this instant (ISO). */
  modifiedAfter?: string;
  /** Open at this minute of the week. */
  openAt?: number;
  /** Open at some time in each of these windows (int4multirange literals): evenings, weekends, a day. */
  openDuring?: string[];
  /** Open for the whole of this window (an int4multirange literal of one range). */
  openThroughout?: string;
  free?: boolean;
  selfReferral?: boolean;
  /** Open Referral's minimum_age: services whose minimum age is at least this. */
  minimumAge?: number;
  /** Open Referral's maximum_age: services whose maximum age is at most this. */
  maximumAge?: number;
  /** Only these services (Open Referral ids), for a shortlist. */
  orukIds?: string[];
  /** One row per service and location (Open Referral's service_at_location) instead of one per service. */
  perLocation?: boolean;
  limit: number;
  offset: number;
}

export interface DirectoryHit {
  rid: string;
  serviceId: string;
  orukId: string;
  content: string;
  /** The Location of the row, with `perLocation`. */
  locationId?: string;
  /** Metres from the query's point to the service's nearest location; undefined when not asked or not located. */
  distance?: number;
  /** With `details`: the providing Organization's stored JSON (null when none is recorded or it is gone). */
  organization?: string | null;
  /** With `details`: the service's Locations in the directory, each with its Open Referral id (any order). */
  locations?: { id: string; oruk: string; content: Location }[];
}

/**
 * A search's text depends only on which filters it has (a few shapes, whatever the values), so it is
 * prepared: planning was 0.3-1.2 ms of a 2-7 ms statement. After five runs PostgreSQL may keep a
 * generic plan; for every filter it uses the same index as a custom plan does (a rare word, a term,
 * the locations' box), and words matching every service use the words' index too, at about the
 * cost of the custom plan's sequential scan (bench/PROFILE.md, "The service directory").
 */
const PREPARED = { prepare: true } as const;

const EARTH_RADIUS_M = 6_371_008.8;
const METRES_PER_DEGREE = 111_320;

/** Haversine in SQL, the same formula as distanceMetres (postcode-geography.ts). */
function distanceSql(lat: string, lon: string, pLat: string, pLon: string): string {
  return `(2 * ${EARTH_RADIUS_M} * asin(least(1, sqrt(power(sin(radians(${lat} - ${pLat}) / 2), 2)
    + cos(radians(${pLat})) * cos(radians(${lat})) * power(sin(radians(${lon} - ${pLon}) / 2), 2)))))`;
}

/**
 * The directory's search SQL: one statement over directory_service (migrations 011 and 030), joined
 * to the locations only when a distance is asked for, counted, then the page's stored JSON by rid
 * (and, with `details`, each page row's organisation and locations). Only active services are listed. The directory is public, so there is no row
 * restriction: its rows name services, never people.
 */
export class DirectorySearchRepository {
  constructor(private readonly db: Database) {}

  /** The statement of a search, for EXPLAIN (bench, docs/queries) as well as for running. */
  build(q: DirectoryQuery, o: { details?: boolean } = {}): { sql: string; params: unknown[] } {
    const p = new Params();
    const where: string[] = [`s.status = 'active'`];
    // The words' tsquery is a one-row function in FROM, not an expression repeated in WHERE and in
    // the rank: a custom plan folds either to a constant, but a generic plan (the statement is
    // prepared, below) would parse the words again for every row it ranks (friendly support's 10,000).
    let words: string | undefined;
    if (q.text) {
      words = `websearch_to_tsquery('english', ${p.add(q.text, 'text')}) AS w(q)`;
      where.push(`s.document @@ w.q`);
    }
    if (q.termIds?.length) where.push(`s.terms && ${p.add(q.termIds, 'text[]')}`);
    if (q.taxonomyId) where.push(`s.taxonomies @> ARRAY[${p.add(q.taxonomyId, 'text')}]`);
    if (q.modifiedAfter) where.push(`s.modified >= ${p.add(q.modifiedAfter, 'timestamptz')}`);
    if (q.openAt !== undefined) where.push(`s.open_week @> ${p.add(q.openAt, 'int4')}`);
    for (const w of q.openDuring ?? []) where.push(`s.open_week && ${p.add(w, 'int4multirange')}`);
    if (q.openThroughout) where.push(`s.open_week @> ${p.add(q.openThroughout, 'int4multirange')}`);
    if (q.free !== undefined) where.push(`s.free = ${p.add(q.free, 'bool')}`);
    if (q.selfReferral !== undefined) where.push(`s.self_referral = ${p.add(q.selfReferral, 'bool')}`);
    if (q.minimumAge !== undefined) where.push(`s.min_age >= ${p.add(q.minimumAge, 'numeric')}`);
    if (q.maximumAge !== undefined) where.push(`s.max_age <= ${p.add(q.maximumAge, 'numeric')}`);
    if (q.orukIds) where.push(`s.oruk_id = ANY(${p.add(q.orukIds, 'text[]')})`);

    const perLocation = q.perLocation === true;
    let from = perLocation ? 'directory_service s CROSS JOIN LATERAL unnest(s.locations) AS n(location_id)' : 'directory_service s';
    let distance = 'NULL::float8';
    if (q.near) {
      const lat = p.add(q.near.point.lat, 'float8'), lon = p.add(q.near.point.lon, 'float8');
      const dist = distanceSql('l.lat', 'l.lon', lat, lon);
      if (q.near.within !== undefined) {
        // Bounded: the locations in a box around the point (index on lat, lon); for a service, its nearest location counts.
        const dLat = q.near.within / METRES_PER_DEGREE;
        const dLon = q.near.within / (METRES_PER_DEGREE * Math.max(0.01, Math.cos((q.near.point.lat * Math.PI) / 180)));
        const box = `l.lat BETWEEN ${p.add(q.near.point.lat - dLat, 'float8')} AND ${p.add(q.near.point.lat + dLat, 'float8')}
                    AND l.lon BETWEEN ${p.add(q.near.point.lon - dLon, 'float8')} AND ${p.add(q.near.point.lon + dLon, 'float8')}`;
        // The locations in the box and within the distance first (the (lat, lon) btree), then the
        // services offered at each, by the record's own reference index (sp_reference: HealthcareService
        // .location, kept in step with every write). The lateral's OFFSET 0 keeps that order whatever the
        // planner's statistics say (PGlite never analyses sp_reference): one index probe per location
        // found, instead of a GIN probe of every service's location list (6,956 buffers for a 5 km
        // search at 10,000 services before, 3,611 after; a 200 km one 84,143 before, 60,219 after).
        const near = `${box} AND ${dist} <= ${p.add(q.near.within, 'float8')}`;
        const offered = `CROSS JOIN LATERAL (SELECT m.rid FROM sp_reference m WHERE m.resource_type = 'HealthcareService' AND m.code = 'location'
                           AND m.target_type = 'Location' AND m.target_id = l.location_id OFFSET 0) m`;
        from = perLocation
          ? `(SELECT m.rid, l.location_id, ${dist} AS distance FROM directory_location l ${offered} WHERE ${near}) n JOIN directory_service s ON s.rid = n.rid`
          : `(SELECT m.rid, min(${dist}) AS distance FROM directory_location l ${offered} WHERE ${near} GROUP BY m.rid) n JOIN directory_service s ON s.rid = n.rid`;
      } else {
        from = perLocation
          ? `directory_service s CROSS JOIN LATERAL unnest(s.locations) AS u(location_id)
               CROSS JOIN LATERAL (SELECT u.location_id, (SELECT ${dist} FROM directory_location l WHERE l.location_id = u.location_id AND l.lat IS NOT NULL LIMIT 1) AS distance) n`
          : `directory_service s LEFT JOIN LATERAL (SELECT min(${dist}) AS distance
               FROM directory_location l WHERE l.location_id = ANY(s.locations) AND l.lat IS NOT NULL) n ON true`;
      }
      distance = 'n.distance';
    }
    // The matches first, each by its own index (MATERIALIZED), then counted and, apart, the page:
    // left to itself the planner walked the name index in order and filtered every service (a
    // taxonomy term over 10,000 services) for the sake of a LIMIT that cannot stop early. The page is
    // a top-N sort of the matches (ORDER BY … LIMIT keeps only the best rows), not a sort of them all
    // under window functions: words that match all 10,000 services took 243 ms that way, 70 ms this.
    if (words) from = `${from} CROSS JOIN ${words}`;
    const rank = words ? 'ts_rank(s.document, w.q)' : '0::real';
    const tie = perLocation ? 'name, service_id, location_id' : 'name, service_id';
    const orderOf = (t: string) => (q.near ? `distance ASC NULLS LAST, ${tie}` : words ? `rank DESC, ${tie}` : tie).split(', ').map((c) => `${t}.${c}`).join(', ');
    // With `details`, each page row also carries its organisation and its locations (the same rows
    // DirectoryService.detailsOf reads), so that a page of results is one statement, not three: on
    // this machine each statement's round trip (the socket writes on both sides) cost more than the
    // lookups themselves (bench/PROFILE.md, "The service directory").
    const details = o.details ? `,
        (SELECT o.content FROM resource o WHERE o.resource_type = 'Organization' AND o.id = d.org_id AND NOT o.deleted) AS organization,
        (SELECT json_agg(json_build_object('id', lr.id, 'oruk', dl.oruk_id, 'content', lr.content::json))
           FROM resource lr JOIN directory_location dl ON dl.rid = lr.rid
          WHERE lr.resource_type = 'Location' AND lr.id = ANY(d.locations) AND NOT lr.deleted) AS locations` : '';
    // The matches carry only what orders them (and the row's rid); the page's rows get the rest from
    // directory_service again by rid (one row per rid: a write replaces its rows). Every match is
    // written to the CTE and read back twice, so its width is paid per match: words matching all
    // 10,000 services of the bench cost 26-27 ms of server CPU with the Open Referral id, the
    // organisation and the location list in it, 10 ms without (bench/PROFILE.md, "The service directory").
    const sql = `WITH hits AS MATERIALIZED (
        SELECT s.rid, s.service_id, s.name, ${perLocation ? 'n.location_id' : 'NULL::text'} AS location_id, ${distance} AS distance, ${rank} AS rank
          FROM ${from} WHERE ${where.join(' AND ')})
      SELECT page.rid::text AS rid, page.service_id, d.oruk_id, page.location_id, page.distance, (SELECT count(*) FROM hits) AS total, r.content${details}
      FROM (SELECT h.* FROM hits h ORDER BY ${orderOf('h')} LIMIT ${p.add(q.limit, 'int')} OFFSET ${p.add(q.offset, 'int')}) page
      JOIN directory_service d ON d.rid = page.rid
      JOIN resource r ON r.rid = page.rid AND NOT r.deleted
      ORDER BY ${orderOf('page')}`;
    return { sql, params: p.values };
  }

  async search(q: DirectoryQuery, o: { details?: boolean } = {}): Promise<{ total: number; hits: DirectoryHit[] }> {
    const { sql, params } = this.build(q, o);
    const res = await this.db.query<{
      rid: string; service_id: string; oruk_id: string; location_id: string | null; distance: number | null; total: string; content: string;
      organization?: string | null; locations?: DirectoryHit['locations'] | null;
    }>(sql, params, PREPARED);
    return {
      total: res.rows.length ? Number(res.rows[0].total) : await this.countBeyond(q),
      hits: res.rows.map((r) => ({
        rid: r.rid, serviceId: r.service_id, orukId: r.oruk_id, content: r.content, ...(r.location_id ? { locationId: r.location_id } : {}), ...(r.distance !== null ? { distance: Number(r.distance) } : {}),
        // json arrives parsed (node-postgres and PGlite alike); json_agg of no rows is null.
        ...(o.details ? { organization: r.organization ?? null, locations: r.locations ?? [] } : {}),
      })),
    };
  }

  /** A page past the end has no rows to carry the count: count once more without the page. */
  private async countBeyond(q: DirectoryQuery): Promise<number> {
    if (q.offset === 0) return 0;
    const { sql, params } = this.build({ ...q, limit: 1, offset: 0 });
    const res = await this.db.query<{ total: string }>(sql, params, PREPARED);
    return res.rows.length ? Number(res.rows[0].total) : 0;
  }
}
