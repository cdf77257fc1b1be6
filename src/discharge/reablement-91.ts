import type { Queryable } from '../db/database.js';
import { ageOn } from '../record-view/fhir-text.js';
import { dayNumber, isoDay, lengthOfStay } from './discharge.rules.js';
import { AT_HOME_91, EPISODE_TYPE_SYSTEM, FOLLOW_UP_DAY, PLACE_SYSTEM, PLACES_ON_DAY_91, REABLEMENT_EPISODE, REABLEMENT_MIN_AGE, isPlaceOnDay91 } from './discharge.vocabulary.js';

/**
 * The strategy's discharge figures, computed from the record over the whole database (no row
 * restriction: these are aggregates for the ICB and the councils; callers decide who sees them,
 * e.g. `aggregate.read`). Issue 14 (outcomes) calls these.
 *
 * ASCOF 2B(1): of the people aged 65 and over discharged from hospital into reablement between
 * 1 October and 31 December, the share still at home 91 days after discharge. A discharge into
 * reablement is a reablement episode (EpisodeOfCare, type reablement) starting on the day of
 * discharge; the status on day 91 is the episode's AT_HOME_91 Observation (valueBoolean; its
 * component says the place). At home includes extra care housing. An episode with no outcome
 * recorded counts as not at home, and is listed separately so it can be chased. The figure is given
 * for each council (Kent County Council, Medway Council: the episode's managing organisation).
 */
export interface Reablement91Figure {
  authority: { id: string; name: string };
  discharges: number;
  atHome: number;
  /** Recorded as not at home (hospital, care home, died). */
  notAtHome: number;
  /** No outcome recorded: counted as not at home, and listed. */
  unknown: number;
  /** atHome / discharges × 100, one decimal; undefined with no discharges. */
  percent?: number;
  notAtHomeBy: Record<string, number>;
  unknownEpisodes: { episodeId: string; patientId: string; discharged: string }[];
}

export interface Reablement91Result {
  /** The discharges counted: 1 October to 31 December of `year`. */
  from: string;
  to: string;
  /** Whether day 91 of the last discharge in the period has passed (otherwise the figure is provisional). */
  complete: boolean;
  authorities: Reablement91Figure[];
  total: Omit<Reablement91Figure, 'authority' | 'unknownEpisodes'>;
}

/** The latest year whose October–December discharges have all reached day 91 by `now`. */
export function latestCompleteYear(now: Date): number {
  const y = now.getUTCFullYear();
  // Day 91 of 31 December falls on 1 April (31 March in a leap year) of the next year.
  return dayNumber(now) >= dayNumber(`${y - 1}-12-31`) + FOLLOW_UP_DAY ? y - 1 : y - 2;
}

export async function reablement91(db: Queryable, opts: { now: Date; year?: number }): Promise<Reablement91Result> {
  const year = opts.year ?? latestCompleteYear(opts.now);
  const from = `${year}-10-01`;
  const to = `${year}-12-31`;
  const res = await db.query<{ id: string; start: string | null; org: string | null; org_name: string | null; patient_id: string | null; birth_date: string | null; at_home: string | null; place: string | null }>(
    `WITH ep AS (
       SELECT r.id, r.content::jsonb AS c FROM resource r
        WHERE r.resource_type = 'EpisodeOfCare' AND NOT r.deleted
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'EpisodeOfCare' AND t.code = 'type' AND t.system = $1 AND t.value = $2)
          AND r.rid IN (SELECT d.rid FROM sp_date d WHERE d.resource_type = 'EpisodeOfCare' AND d.code = 'date' AND d.low >= $3::timestamptz AND d.low < $4::timestamptz)
     )
     SELECT ep.id, ep.c#>>'{period,start}' AS start,
            substring(ep.c#>>'{managingOrganization,reference}' from '^Organization/(.+)$') AS org, o.content::jsonb->>'name' AS org_name,
            substring(ep.c#>>'{patient,reference}' from '^Patient/(.+)$') AS patient_id, pt.content::jsonb->>'birthDate' AS birth_date,
            x.at_home, x.place
       FROM ep
       LEFT JOIN resource o ON o.resource_type = 'Organization' AND o.id = substring(ep.c#>>'{managingOrganization,reference}' from '^Organization/(.+)$') AND NOT o.deleted
       LEFT JOIN resource pt ON pt.resource_type = 'Patient' AND pt.id = substring(ep.c#>>'{patient,reference}' from '^Patient/(.+)$') AND NOT pt.deleted
       LEFT JOIN LATERAL (
         SELECT ob.content::jsonb->>'valueBoolean' AS at_home,
                (SELECT cc->>'code' FROM jsonb_array_elements(coalesce(ob.content::jsonb->'component', '[]')) comp,
                        jsonb_array_elements(coalesce(comp#>'{valueCodeableConcept,coding}', '[]')) cc
                  WHERE cc->>'system' = $5 LIMIT 1) AS place
           FROM sp_reference f JOIN resource ob ON ob.rid = f.rid AND NOT ob.deleted
          WHERE f.resource_type = 'Observation' AND f.code = 'focus' AND f.target_type = 'EpisodeOfCare' AND f.target_id = ep.id
            AND EXISTS (SELECT 1 FROM sp_token k WHERE k.rid = f.rid AND k.code = 'code' AND k.value = $6)
            AND coalesce(ob.content::jsonb->>'status', '') NOT IN ('entered-in-error', 'cancelled')
          ORDER BY ob.last_updated DESC LIMIT 1) x ON true`,
    [EPISODE_TYPE_SYSTEM, REABLEMENT_EPISODE.code, `${from}T00:00:00Z`, `${year + 1}-01-01T00:00:00Z`, PLACE_SYSTEM, AT_HOME_91.code],
  );
  const byOrg = new Map<string, Reablement91Figure>();
  for (const r of res.rows) {
    if (!r.start || !r.birth_date) continue;
    const age = ageOn(r.birth_date, new Date(`${r.start.slice(0, 10)}T00:00:00Z`));
    if (age === undefined || age < REABLEMENT_MIN_AGE) continue;
    const key = r.org ?? 'unknown';
    let f = byOrg.get(key);
    if (!f) {
      f = { authority: { id: key, name: r.org_name ?? 'Council not recorded' }, discharges: 0, atHome: 0, notAtHome: 0, unknown: 0, notAtHomeBy: {}, unknownEpisodes: [] };
      byOrg.set(key, f);
    }
    f.discharges++;
    if (r.at_home === 'true') f.atHome++;
    else if (r.at_home === 'false') {
      f.notAtHome++;
      const place = isPlaceOnDay91(r.place) ? PLACES_ON_DAY_91[r.place].text : 'Not at home (place not recorded)';
      f.notAtHomeBy[place] = (f.notAtHomeBy[place] ?? 0) + 1;
    } else {
      f.unknown++;
      f.unknownEpisodes.push({ episodeId: r.id, patientId: r.patient_id ?? '', discharged: r.start.slice(0, 10) });
    }
  }
  const authorities = [...byOrg.values()].sort((a, b) => a.authority.name.localeCompare(b.authority.name));
  for (const f of authorities) f.percent = pct(f.atHome, f.discharges);
  const total = authorities.reduce((t, f) => ({
    discharges: t.discharges + f.discharges, atHome: t.atHome + f.atHome, notAtHome: t.notAtHome + f.notAtHome, unknown: t.unknown + f.unknown,
    notAtHomeBy: Object.fromEntries([...new Set([...Object.keys(t.notAtHomeBy), ...Object.keys(f.notAtHomeBy)])].map((k) => [k, (t.notAtHomeBy[k] ?? 0) + (f.notAtHomeBy[k] ?? 0)])),
  }), { discharges: 0, atHome: 0, notAtHome: 0, unknown: 0, notAtHomeBy: {} as Record<string, number> });
  return {
    from, to, complete: dayNumber(opts.now) >= dayNumber(to) + FOLLOW_UP_DAY, authorities,
    total: { ...total, percent: pct(total.atHome, total.discharges) },
  };
}

const pct = (n: number, d: number) => (d > 0 ? Math.round((1000 * n) / d) / 10 : undefined);

/**
 * People in hospital 21 days or more who no longer meet the criteria to reside, on `now`, by trust
 * and for all of Kent and Medway: a snapshot of the stays in progress (discharge_stay).
 */
export interface LongStayFigure {
  trust: { id: string; name: string };
  inpatients: number;
  los21: number;
  los21NotMeetingCriteria: number;
}

export async function longStays(db: Queryable, opts: { now: Date }): Promise<{ on: string; trusts: LongStayFigure[]; total: Omit<LongStayFigure, 'trust'> }> {
  const res = await db.query<{ org: string; name: string | null; admitted: Date | null; ready: boolean }>(
    `SELECT d.provider_org AS org, o.content::jsonb->>'name' AS name, d.admitted, d.ready_date IS NOT NULL AS ready
       FROM discharge_stay d
       JOIN resource r ON r.rid = d.rid AND NOT r.deleted
       LEFT JOIN resource o ON o.resource_type = 'Organization' AND o.id = d.provider_org AND NOT o.deleted
      WHERE d.status = 'in-progress' AND d.provider_org IS NOT NULL`,
  );
  const m = new Map<string, LongStayFigure>();
  for (const r of res.rows) {
    let f = m.get(r.org);
    if (!f) m.set(r.org, (f = { trust: { id: r.org, name: r.name ?? r.org }, inpatients: 0, los21: 0, los21NotMeetingCriteria: 0 }));
    f.inpatients++;
    if (r.admitted && lengthOfStay(r.admitted, opts.now) >= 21) {
      f.los21++;
      if (r.ready) f.los21NotMeetingCriteria++;
    }
  }
  const trusts = [...m.values()].sort((a, b) => a.trust.name.localeCompare(b.trust.name));
  const total = trusts.reduce((t, f) => ({ inpatients: t.inpatients + f.inpatients, los21: t.los21 + f.los21, los21NotMeetingCriteria: t.los21NotMeetingCriteria + f.los21NotMeetingCriteria }),
    { inpatients: 0, los21: 0, los21NotMeetingCriteria: 0 });
  return { on: isoDay(dayNumber(opts.now)), trusts, total };
}
