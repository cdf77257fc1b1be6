import { depFactor, type Demography, type PopulationModel } from './population.model.js';

/**
 * The calibrated parts of residents' histories: each rate the strategy states is hit on average
 * by scaling a person-level weight (age, sex, deprivation) by its exact expectation over the
 * population model. Where the strategy gives no number, the comments say where ours comes from.
 */

// The indicator year and the extract (as-of) day are the population's timeline: see timeline.ts.
// Ages are taken at the as-of day.

export const TARGETS = {
  /** Adults smoking, by district (per cent). Swale and west Kent from the strategy; others illustrative (ONS APS ranges). */
  smokingByDistrict: {
    swale: 21, sevenoaks: 12, maidstone: 12, 'tonbridge-and-malling': 12, 'tunbridge-wells': 12,
    dartford: 14, gravesham: 15, medway: 16, ashford: 13, canterbury: 14, thanet: 19, dover: 16, 'folkestone-and-hythe': 16,
  } as Record<string, number>,
  overweightOrObese: 64.1,
  physicallyInactive: 22.3,
  alcoholAdmissionsPer100k: 418.7,
  smokingAtDelivery: 10.2,
  year6Healthy: 63,
  year6SeverelyObese: 5,
  year6Obese: 16,
  year6Overweight: 14.5,
  year6Underweight: 1.5,
  /** 170,000 adult unpaid carers in 1.9 million residents. */
  carersPerResident: 170000 / 1900000,
  mentalHealthEmployed: 8,
  lonelyOftenAlways: 7.3,
  gpAppointmentGood: 49,
  carersVerySatisfied: 32.3,
  /** Discharge pathways 0/1/2/3: at least 50%, about 45%, at most 4%, at most 1%. */
  dischargePathways: [51, 44.8, 3.4, 0.8],
  /** No Kent baseline in the strategy (target 85%): national outturn is about 82%. */
  atHome91Days: 82,
} as const;

export const isAdult = (p: Demography) => p.age >= 18;

function smokingWeight(p: Demography): number {
  const a = p.age;
  const ageF = a < 25 ? 1.0 : a < 35 ? 1.3 : a < 45 ? 1.2 : a < 55 ? 1.1 : a < 65 ? 1.0 : a < 75 ? 0.6 : 0.35;
  return ageF * (p.sex === 'male' ? 1.15 : 0.87) * depFactor(p.quintile, 0.5);
}

function overweightWeight(p: Demography): number {
  const a = p.age;
  const ageF = a < 25 ? 0.65 : a < 35 ? 0.9 : a < 45 ? 1.0 : a < 75 ? 1.15 : 1.0;
  return ageF * (p.sex === 'male' ? 1.08 : 0.93) * depFactor(p.quintile, 0.12);
}

function inactiveWeight(p: Demography): number {
  const a = p.age;
  const ageF = a < 35 ? 0.7 : a < 55 ? 0.85 : a < 65 ? 1.0 : a < 75 ? 1.2 : 2.2;
  return ageF * (p.sex === 'female' ? 1.05 : 0.95) * depFactor(p.quintile, 0.4);
}

function alcoholWeight(p: Demography): number {
  const a = p.age;
  if (a < 16) return 0;
  const ageF = a < 35 ? 0.6 : a < 55 ? 1.2 : a < 75 ? 1.3 : 0.6;
  return ageF * (p.sex === 'male' ? 1.6 : 0.6) * depFactor(p.quintile, 0.5);
}

/** Chance of a birth in the three years before the extract, by the woman's age at extract. */
export function birthChance(p: Demography): number {
  if (p.sex !== 'female' || p.age < 16 || p.age > 46) return 0;
  const a = p.age;
  const base = a < 20 ? 0.03 : a < 25 ? 0.12 : a < 30 ? 0.2 : a < 35 ? 0.26 : a < 40 ? 0.16 : a < 45 ? 0.04 : 0.005;
  return base * depFactor(p.quintile, 0.15);
}

function satodWeight(p: Demography): number {
  return (p.age < 25 ? 1.8 : p.age < 35 ? 0.9 : 0.7) * depFactor(p.quintile, 0.7);
}

export const isYear6Cohort = (p: Demography) => p.age >= 11 && p.age <= 17;

function carerWeight(p: Demography): number {
  const a = p.age;
  const ageF = a < 18 ? 0.25 : a < 50 ? 0.35 : a < 65 ? 0.6 : a < 75 ? 1.4 : a < 85 ? 2.8 : 4.5;
  return ageF * depFactor(p.quintile, 0.2);
}

function lonelyWeight(p: Demography): number {
  const a = p.age;
  const ageF = a < 25 ? 1.6 : a < 35 ? 1.2 : a < 65 ? 0.85 : a < 75 ? 0.7 : 1.2;
  return ageF * depFactor(p.quintile, 0.4);
}

function gpGoodWeight(p: Demography): number {
  const a = p.age;
  return (a < 35 ? 0.85 : a < 65 ? 0.95 : 1.2) * depFactor(p.quintile, -0.1);
}

export const isSurveyAge = (p: Demography) => p.age >= 16;

/** Person-level probabilities, each normalised so the population mean equals its target. */
export class HistoryModel {
  private readonly smokingNorm = new Map<string, number>();
  private readonly overweightNorm: number;
  private readonly inactiveNorm: number;
  private readonly alcoholNorm: number;
  private readonly satodNorm: number;
  private readonly y6Norm: number[];
  private readonly carerNorm: number;
  private readonly lonelyNorm: number;
  private readonly gpGoodNorm: number;

  constructor(model: PopulationModel) {
    for (const d of model.districts) {
      this.smokingNorm.set(d.district.id, model.expectation('smoking', smokingWeight, isAdult, d.district.id));
    }
    this.overweightNorm = model.expectation('overweight', overweightWeight, isAdult);
    this.inactiveNorm = model.expectation('inactive', inactiveWeight, isAdult);
    this.alcoholNorm = model.expectation('alcohol', alcoholWeight, () => true);
    // Over births, not women: E[birth x w] / E[birth].
    this.satodNorm = model.expectation('satod-bw', (p) => birthChance(p) * satodWeight(p), () => true)
      / model.expectation('birth', birthChance, () => true);
    this.y6Norm = [0.6, 0.4, 0.25].map((g, i) => model.expectation(`y6-${i}`, (p) => depFactor(p.quintile, g), isYear6Cohort));
    this.carerNorm = model.expectation('carer', carerWeight, () => true);
    this.lonelyNorm = model.expectation('lonely', lonelyWeight, isSurveyAge);
    this.gpGoodNorm = model.expectation('gp-good', gpGoodWeight, isSurveyAge);
  }

  smoking(p: Demography): number {
    return ((TARGETS.smokingByDistrict[p.district] ?? 14) / 100) * smokingWeight(p) / this.smokingNorm.get(p.district)!;
  }

  overweightOrObese(p: Demography): number {
    return Math.min(0.97, (TARGETS.overweightOrObese / 100) * overweightWeight(p) / this.overweightNorm);
  }

  inactive(p: Demography): number {
    return Math.min(0.95, (TARGETS.physicallyInactive / 100) * inactiveWeight(p) / this.inactiveNorm);
  }

  /** Expected alcohol-specific admissions in the year (Poisson mean). */
  alcoholAdmissions(p: Demography): number {
    return (TARGETS.alcoholAdmissionsPer100k / 100000) * alcoholWeight(p) / this.alcoholNorm;
  }

  smokingAtDelivery(p: Demography): number {
    return (TARGETS.smokingAtDelivery / 100) * satodWeight(p) / this.satodNorm;
  }

  /** [severely obese, obese, overweight, underweight]; healthy is the rest, 63% on average. */
  year6(p: Demography): [number, number, number, number] {
    return [
      (TARGETS.year6SeverelyObese / 100) * depFactor(p.quintile, 0.6) / this.y6Norm[0],
      (TARGETS.year6Obese / 100) * depFactor(p.quintile, 0.4) / this.y6Norm[1],
      (TARGETS.year6Overweight / 100) * depFactor(p.quintile, 0.25) / this.y6Norm[2],
      TARGETS.year6Underweight / 100,
    ];
  }

  hasCarer(p: Demography): number {
    return TARGETS.carersPerResident * carerWeight(p) / this.carerNorm;
  }

  lonely(p: Demography): number {
    return (TARGETS.lonelyOftenAlways / 100) * lonelyWeight(p) / this.lonelyNorm;
  }

  gpGood(p: Demography): number {
    return Math.min(0.95, (TARGETS.gpAppointmentGood / 100) * gpGoodWeight(p) / this.gpGoodNorm);
  }
}
