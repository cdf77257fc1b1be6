import { describe, expect, it } from 'vitest';
import { hashString, Prng } from '../synth/prng.js';
import type { Database } from '../db/database.js';
import { IndicatorRegistry, STRATIFIER_IDS, STRATIFIERS, type StratifierId } from './indicator.registry.js';
import { MeasureEvaluationService, type CubeRow, type Figure } from './measure-evaluation.service.js';
import { loadGeography, residencePlaces, type Place } from './place.directory.js';
import { roundCount } from './small-numbers.js';

/**
 * The places' figures from a cube (protectAll), checked against sums written here row by row: every
 * published count of every place (system, councils, partnerships, districts, networks, practices) and
 * of every stratum equals its rows' sum, rounded. protectAll looks up the cells a row reaches once (by
 * district, practice and stratum value) rather than building each cell's key for every row; this holds
 * that lookup to the plain definition, on random cubes with residents of no known district, practices
 * outside the directory and outside any network, and a stratum value no stratifier lists.
 * protectAll reads no database (the practices' places are handed to it), so none is opened.
 */
const g = loadGeography();
const registry = new IndicatorRegistry();
const svc = new MeasureEvaluationService(undefined as unknown as Database, registry, g);
const period = { start: '2025-01-01', end: '2025-03-31' };

function randomCube(rng: Prng) {
  const pcns = ['n1', 'n2', 'n3'];
  const practices = Array.from({ length: 8 }, (_, i) => `g${i}`);
  const places: Place[] = [
    ...residencePlaces(g),
    ...pcns.map((n): Place => ({ id: `pcn:${n}`, level: 'pcn', name: n, parent: 'system' })),
    // g6 belongs to no network; g7 is left out of the directory (its rows count as "no practice recorded").
    ...practices.slice(0, 7).map((p, i): Place => ({ id: `practice:${p}`, level: 'practice', name: p, parent: i < 6 ? `pcn:${pcns[i % 3]}` : 'system' })),
  ];
  const districts = [...g.districts.map((d) => d.id), 'unknown', 'atlantis'];
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
  const rows: CubeRow[] = [];
  const n = 200 + rng.int(600);
  for (let i = 0; i < n; i++) {
    rows.push({
      district: pick(districts), practice: pick([...practices, 'unknown']), sex: pick(STRATIFIERS.sex.values),
      ageBand: pick(STRATIFIERS['age-band'].values), quintile: rng.chance(0.01) ? '0' : pick(STRATIFIERS['deprivation-quintile'].values),
      ethnicity: pick(STRATIFIERS.ethnicity.values), num: rng.int(30), den: 30 + rng.int(60),
    });
  }
  return { rows, places };
}

const valueOf = (r: CubeRow, s: StratifierId) => (s === 'age-band' ? r.ageBand : s === 'sex' ? r.sex : s === 'deprivation-quintile' ? r.quintile : r.ethnicity);

describe('places and protection from a cube', () => {
  it('on 6 random cubes, every published count of every place and stratum is its rows\' sum, rounded', () => {
    const rng = new Prng(2024, hashString('outcomes-places-sums'), 0);
    const inGeo = new Set(g.districts.map((d) => d.id));
    const districtsOf = (placeId: string): ((d: string) => boolean) => {
      if (placeId === 'system') return () => true;
      if (placeId === 'county:kent') return (d) => inGeo.has(d) && d !== 'medway';
      if (placeId === 'county:medway') return (d) => d === 'medway';
      if (placeId.startsWith('hcp:')) return (d) => g.districts.some((x) => x.id === d && `hcp:${x.hcp}` === placeId);
      if (placeId === 'district:unknown') return (d) => !inGeo.has(d);
      return (d) => `district:${d}` === placeId;
    };
    let checked = 0;
    let published = 0;
    for (let k = 0; k < 6; k++) {
      const { rows, places } = randomCube(rng);
      const indicator = registry.get(['O1.1', 'O3.3', 'O4.2'][k % 3])!;
      const out = svc.protectAll(indicator, period, rows, places);
      const listed = new Set(places.filter((p) => p.level === 'practice').map((p) => p.id.slice('practice:'.length)));
      const practiceOf = (r: CubeRow) => (listed.has(r.practice) ? r.practice : 'unknown');
      const expectSum = (f: Figure, of: CubeRow[], what: string) => {
        // Numerator and denominator are protected apart: either may be published while the other is not.
        checked++;
        if (f.numerator !== null) { published++; expect(f.numerator, `${what} numerator`).toBe(roundCount(of.reduce((a, r) => a + r.num, 0))); }
        if (f.denominator !== null) expect(f.denominator, `${what} denominator`).toBe(roundCount(of.reduce((a, r) => a + r.den, 0)));
      };
      for (const p of out) {
        const of = p.place.level === 'practice'
          ? rows.filter((r) => `practice:${practiceOf(r)}` === p.place.id)
          : p.place.level === 'pcn'
            ? rows.filter((r) => places.some((x) => x.id === `practice:${practiceOf(r)}` && x.parent === p.place.id))
            : rows.filter((r) => districtsOf(p.place.id)(r.district));
        expectSum(p.total, of, `cube ${k} ${p.place.id}`);
        if (!p.strata) continue;
        for (const s of STRATIFIER_IDS) for (const [v, f] of Object.entries(p.strata[s])) expectSum(f, of.filter((r) => valueOf(r, s) === v), `cube ${k} ${p.place.id} ${s}=${v}`);
      }
      // Every place was given: the 13 districts, the groupings, the unknown residence, the networks, the practices.
      expect(out.map((p) => p.place.id)).toEqual(expect.arrayContaining(['system', 'district:unknown', 'pcn:n1', 'practice:g6', 'practice:unknown']));
    }
    // Enough published figures were compared (the secondary suppression hides many cells of such small cubes).
    expect(published).toBeGreaterThan(checked / 5);
  });
});
