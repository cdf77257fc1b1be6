import type { Encounter, Resource } from '@medplum/fhirtypes';
import type { Platform } from '../platform.js';
import { financialYearOf } from './bcf.definitions.js';

/** Marks the demo's repeated admissions, so they can be told from generated ones. */
export const REPEATED_TAG = { system: 'https://onestory.example/fhir/CodeSystem/demo', code: 'repeated-a-year-earlier', display: 'Demo: repeated a year earlier' };

const yearEarlier = (s: string) => {
  const shifted = `${Number(s.slice(0, 4)) - 1}${s.slice(4)}`;
  // 29 February a year earlier is 28 February.
  return shifted.slice(5, 10) === '02-29' ? `${shifted.slice(0, 8)}28${shifted.slice(10)}` : shifted;
};
const DATE = /^\d{4}-\d{2}-\d{2}/;

/** Every date (and date-time) in a resource, a year earlier. */
function shiftDates(x: unknown): unknown {
  if (typeof x === 'string') return DATE.test(x) ? yearEarlier(x) : x;
  if (Array.isArray(x)) return x.map(shiftDates);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shiftDates(v)]));
  return x;
}

/**
 * The demo's record holds a year of emergency admissions (src/synth: the 365 days ending 92 days
 * before the as-of day), which on any day but 1 July starts inside a financial year: the Better Care
 * Fund view would have no complete year to show. So the first start repeats, a year earlier, the
 * admissions of the months that year lacks (those from the same months of the following year, every
 * date a year earlier, ids `<id>-pyr`, tagged `repeated-a-year-earlier`): the year the record starts
 * in becomes complete for every metric. Demo only, written once (nothing to do when the record
 * starts on a financial year's first month); returns how many admissions were written.
 */
export async function seedDemoBcfHistory(platform: Platform): Promise<number> {
  const first = await platform.db.query<{ first: string | null }>(
    `SELECT min(left(r.content::jsonb#>>'{period,start}', 10)) AS first FROM resource r
      WHERE r.resource_type = 'Encounter' AND NOT r.deleted
        AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Encounter' AND t.code = 'type' AND t.value = 'emergency-admission')`);
  const from = first.rows[0]?.first;
  if (!from) return 0;
  const fy = financialYearOf(from);
  if (from.slice(0, 7) === fy.start.slice(0, 7)) return 0;
  // The missing months [fy.start, from), a year later: the admissions to repeat.
  const later = (s: string) => `${Number(s.slice(0, 4)) + 1}${s.slice(4)}`;
  const rows = await platform.db.query<{ content: string; birth: string | null }>(
    `SELECT r.content, p.content::jsonb->>'birthDate' AS birth FROM resource r
       LEFT JOIN resource p ON p.resource_type = 'Patient' AND NOT p.deleted AND p.id = substr(r.content::jsonb#>>'{subject,reference}', 9)
      WHERE r.resource_type = 'Encounter' AND NOT r.deleted
        AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Encounter' AND t.code = 'type' AND t.value = 'emergency-admission')
        AND left(r.content::jsonb#>>'{period,start}', 10) >= $1 AND left(r.content::jsonb#>>'{period,start}', 10) < $2
        AND r.content::jsonb->>'status' = 'finished'
      ORDER BY r.id`,
    [later(fy.start), later(from)]);
  const copies: Resource[] = [];
  for (const r of rows.rows) {
    const e = JSON.parse(r.content) as Encounter;
    const copy = shiftDates(e) as Encounter;
    if (r.birth && (copy.period?.start ?? '').slice(0, 10) < r.birth) continue; // not born yet a year earlier
    copy.id = `${e.id}-pyr`;
    copy.meta = { tag: [...(e.meta?.tag ?? []), REPEATED_TAG], ...(e.meta?.security ? { security: e.meta.security } : {}) };
    copies.push(copy);
  }
  if (copies.length) await platform.db.transaction((tx) => platform.resources.createMany(tx, copies));
  return copies.length;
}
