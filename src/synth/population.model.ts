import type { District, ReferenceData } from './reference-data.js';

/**
 * The demographic model: who lives where, by age, sex and deprivation. Every prevalence in the
 * history model is written as target x weight(person) / E[weight], with E[] taken over this
 * model's exact joint distribution, so that the population-level figure lands on the
 * strategy's baseline whatever gradients by age, sex and deprivation are layered on top.
 */

export type Sex = 'male' | 'female';

export interface Demography {
  district: string;
  age: number;
  sex: Sex;
  /** IMD quintile: 1 = most deprived fifth of England, 5 = least. */
  quintile: number;
}

export const MAX_AGE = 100;

/** England 2021 census, per cent in five-year bands 0-4 ... 85-89, 90+ (approximate). */
const ENGLAND_BANDS = [5.4, 5.9, 6.0, 5.6, 5.8, 6.5, 6.9, 6.6, 6.3, 6.3, 6.9, 6.7, 5.9, 5.0, 5.0, 3.7, 2.5, 1.5, 0.8];

/**
 * Coastal east Kent is older than the county, the Thames-side towns younger, Canterbury has
 * its students. These shapes are coarse public knowledge, enough for services to see the right
 * mix, not census-exact.
 */
function districtAgeFactor(d: District, age: number): number {
  let f = 1;
  if (['thanet', 'dover', 'folkestone-and-hythe'].includes(d.id)) {
    if (age >= 65) f *= 1.3;
    else if (age >= 20 && age < 40) f *= 0.88;
  }
  if (['dartford', 'medway', 'gravesham'].includes(d.id)) {
    if (age < 15 || (age >= 25 && age < 45)) f *= 1.1;
    else if (age >= 65) f *= 0.85;
  }
  if (d.id === 'canterbury' && age >= 18 && age < 23) f *= 1.9;
  if (d.deprivation_tier === 'least' && age >= 45 && age < 75) f *= 1.06;
  return f;
}

function singleYearAgeWeights(d: District): number[] {
  const w: number[] = [];
  for (let age = 0; age <= MAX_AGE; age++) {
    let base: number;
    if (age < 90) base = ENGLAND_BANDS[Math.floor(age / 5)] / 5;
    else base = (ENGLAND_BANDS[18] * Math.pow(0.72, age - 90)) / 3.5;
    w.push(base * districtAgeFactor(d, age));
  }
  return w;
}

/** P(female | age): women outlive men. */
export function femaleShare(age: number): number {
  if (age < 60) return 0.495;
  if (age < 75) return 0.515;
  if (age < 85) return 0.56;
  return 0.64;
}

/** IMD quintile mix (Q1..Q5) by the districts' deprivation tier. */
const QUINTILES_BY_TIER: Record<District['deprivation_tier'], number[]> = {
  least: [0.04, 0.1, 0.2, 0.3, 0.36],
  middle: [0.12, 0.2, 0.26, 0.24, 0.18],
  more: [0.3, 0.26, 0.2, 0.14, 0.1],
  most: [0.42, 0.24, 0.16, 0.1, 0.08],
};

export interface DistrictModel {
  district: District;
  share: number;
  ageWeights: number[];
  ageCumulative: number[];
  quintileWeights: number[];
  quintileCumulative: number[];
}

export class PopulationModel {
  readonly districts: DistrictModel[];
  readonly districtCumulative: number[];
  private readonly expectations = new Map<string, number>();

  constructor(readonly data: ReferenceData) {
    const total = data.places.districts.reduce((s, d) => s + d.population, 0);
    let acc = 0;
    this.districtCumulative = [];
    this.districts = data.places.districts.map((d) => {
      const ageWeights = singleYearAgeWeights(d);
      const ageTotal = ageWeights.reduce((s, x) => s + x, 0);
      const quintileWeights = QUINTILES_BY_TIER[d.deprivation_tier];
      acc += d.population / total;
      this.districtCumulative.push(acc);
      return {
        district: d,
        share: d.population / total,
        ageWeights: ageWeights.map((x) => x / ageTotal),
        ageCumulative: running(ageWeights.map((x) => x / ageTotal)),
        quintileWeights,
        quintileCumulative: running(quintileWeights),
      };
    });
  }

  /**
   * E[weight | filter] over the model's exact distribution, optionally within one district.
   * Cached by key: each is computed once per process from about 13 x 101 x 2 x 5 cells.
   */
  expectation(key: string, weight: (p: Demography) => number, filter: (p: Demography) => boolean, districtId?: string): number {
    const cacheKey = `${key}|${districtId ?? '*'}`;
    const hit = this.expectations.get(cacheKey);
    if (hit !== undefined) return hit;
    let num = 0, den = 0;
    const p: Demography = { district: '', age: 0, sex: 'male', quintile: 1 };
    for (const dm of this.districts) {
      if (districtId && dm.district.id !== districtId) continue;
      p.district = dm.district.id;
      for (let age = 0; age <= MAX_AGE; age++) {
        p.age = age;
        const fs = femaleShare(age);
        for (const sex of ['male', 'female'] as const) {
          p.sex = sex;
          for (let q = 1; q <= 5; q++) {
            p.quintile = q;
            if (!filter(p)) continue;
            const mass = dm.share * dm.ageWeights[age] * (sex === 'female' ? fs : 1 - fs) * dm.quintileWeights[q - 1];
            num += mass * weight(p);
            den += mass;
          }
        }
      }
    }
    const e = den > 0 ? num / den : 1;
    this.expectations.set(cacheKey, e);
    return e;
  }

  /** Share of the population passing a filter (e.g. adults), for turning rates into counts. */
  share(key: string, filter: (p: Demography) => boolean): number {
    return this.expectation(`share:${key}`, (p) => (filter(p) ? 1 : 0), () => true);
  }
}

function running(w: number[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const x of w) out.push((s += x));
  return out;
}

/** A linear deprivation gradient: 1 + g at Q1 (most deprived) down to 1 - g at Q5. */
export function depFactor(q: number, g: number): number {
  return 1 + (g * (3 - q)) / 2;
}
