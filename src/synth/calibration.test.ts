import type { Encounter, EpisodeOfCare, Observation, Patient, QuestionnaireResponse, Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { synthesizeResidents } from './index.js';
import { loadReferenceData } from './reference-data.js';
import { REFERENCE_AS_OF } from './timeline.js';

/**
 * Computes the strategy's figures from the generated FHIR, the way the platform will, and checks
 * each against its target. 100,000 residents keeps rare events (alcohol admissions, births,
 * pathway 2/3 discharges) in the hundreds; each tolerance below is about three standard errors
 * of sampling at this size or tighter, and is written next to its check.
 */
const RESIDENTS = 100_000;
// SYNTH_CALIBRATION_SEED re-runs the same checks on another population, to see the tolerances are not tuned to one seed.
const SEED = Number(process.env.SYNTH_CALIBRATION_SEED ?? 2024);
// The as-of day the figures were written for: its indicator year is financial year 2024/25.
const AS_OF = REFERENCE_AS_OF;
const YEAR_START = '2024-04-01';
const YEAR_END = '2025-03-31';

const places = loadReferenceData().places;
const WEST_KENT = places.districts.filter((d) => d.hcp === 'WK').map((d) => d.id);

class Ratio {
  num = 0;
  den = 0;
  add(hit: boolean): void {
    this.den++;
    if (hit) this.num++;
  }
  get pct(): number {
    return (100 * this.num) / this.den;
  }
}
const ratios = () => new Map<string, Ratio>();
function tally(map: Map<string, Ratio>, key: string, hit: boolean): void {
  let r = map.get(key);
  if (!r) map.set(key, (r = new Ratio()));
  r.add(hit);
}

const ext = (r: { extension?: { url: string }[] }, name: string) => r.extension?.find((e) => e.url.endsWith(`/${name}`)) as
  | { url: string; valueString?: string; valueInteger?: number; valueBoolean?: boolean; valueCodeableConcept?: { coding?: { code?: string }[] } }
  | undefined;
const code = (c?: { coding?: { code?: string }[] }) => c?.coding?.[0]?.code;
const inYear = (iso?: string) => !!iso && iso.slice(0, 10) >= YEAR_START && iso.slice(0, 10) <= YEAR_END;
const ageAt = (birthDate: string, on = '2025-07-01') => Math.floor((Date.parse(on) - Date.parse(birthDate)) / (365.2425 * 86_400_000));

const s = {
  residents: 0,
  smoking: ratios(), overweight: new Ratio(), inactive: new Ratio(), alcoholAdmissions: 0,
  satod: new Ratio(), y6Healthy: new Ratio(), y6Severe: new Ratio(), carers: 0,
  mhEmployed: new Ratio(), mhContacts: 0, crisis: 0, fepReferrals: 0,
  lonely: new Ratio(), gpGood: new Ratio(), carersVerySatisfied: new Ratio(),
  pathways: [0, 0, 0, 0], admissions: 0, longStayNoCriteria: 0, longStays: 0, atHome91: new Ratio(),
  admissionsByFrailty: new Map<string, { people: number; admissions: number; frailtyRelated: number }>(),
  ltsHomeOrFamily: new Ratio(), ldLtsHomeOrFamily: new Ratio(), ldLtsEmployed: new Ratio(),
  polypharmacy65: new Ratio(), quintileByTier: new Map<string, Ratio & { sum: number }>(),
  olderShare: ratios(), efiCodes: [] as string[],
};

function analyse(batch: Resource[]): void {
  const patient = batch[0] as Patient;
  const district = ext(patient, 'district')!.valueString!;
  const quintile = ext(patient, 'deprivation-quintile')!.valueInteger!;
  const age = ageAt(patient.birthDate!);
  s.residents++;
  tally(s.olderShare, district, age >= 65);
  const tier = places.districts.find((d) => d.id === district)!.deprivation_tier;
  let qt = s.quintileByTier.get(tier);
  if (!qt) s.quintileByTier.set(tier, (qt = Object.assign(new Ratio(), { sum: 0 })));
  qt.add(quintile <= 2);
  qt.sum += quintile;

  const episodes = batch.filter((r): r is EpisodeOfCare => r.resourceType === 'EpisodeOfCare');
  const mh = episodes.find((e) => code(e.type?.[0]) === 'secondary-mental-health');
  const lts = episodes.find((e) => code(e.type?.[0]) === 'long-term-support');
  const ld = batch.some((r) => r.resourceType === 'Condition' && code(r.code) === '110359009');
  if (mh) s.mhContacts++;
  let efiCategory = 'n/a';
  let medicines = 0;
  for (const r of batch) {
    if (r.resourceType === 'Observation') {
      const o = r as Observation;
      switch (code(o.code)) {
        case '72166-2': tally(s.smoking, district, code(o.valueCodeableConcept) === '77176002'); break;
        case '39156-5': s.overweight.add(o.valueQuantity!.value! >= 25); break;
        case 'activity-minutes-per-week': s.inactive.add(o.valueQuantity!.value! < 30); break;
        case 'smoking-at-delivery': s.satod.add(code(o.valueCodeableConcept) === '77176002'); break;
        case 'ncmp-year6-weight-category':
          s.y6Healthy.add(code(o.valueCodeableConcept) === 'healthy');
          s.y6Severe.add(code(o.valueCodeableConcept) === 'severely-obese');
          break;
        case 'employment-status':
          if (mh && age >= 18 && age <= 69) s.mhEmployed.add(code(o.valueCodeableConcept) === 'paid-employment');
          else if (ld && lts) s.ldLtsEmployed.add(code(o.valueCodeableConcept) === 'paid-employment');
          break;
        case 'at-home-91-days-after-discharge': s.atHome91.add(o.valueBoolean === true); break;
        case 'accommodation-status': {
          const home = ['own-home', 'with-family'].includes(code(o.valueCodeableConcept)!);
          s.ltsHomeOrFamily.add(home);
          if (ld) s.ldLtsHomeOrFamily.add(home);
          break;
        }
        case 'efi-score': efiCategory = code(o.interpretation?.[0])!; break;
      }
    } else if (r.resourceType === 'Encounter') {
      const e = r as Encounter;
      const type = code(e.type?.[0]);
      if (type === 'emergency-admission' && inYear(e.period?.start)) {
        s.admissions++;
        if (ext(e, 'alcohol-related')?.valueBoolean) s.alcoholAdmissions++;
        s.pathways[Number(code(ext(e, 'discharge-pathway')!.valueCodeableConcept))]++;
        if (e.length!.value! >= 21) {
          s.longStays++;
          if (ext(e, 'no-longer-meets-criteria-to-reside')) s.longStayNoCriteria++;
        }
      }
      if (type === 'mental-health-crisis') s.crisis++;
    } else if (r.resourceType === 'RelatedPerson') {
      if (r.relationship?.some((c) => code(c) === 'unpaid-carer')) s.carers++;
    } else if (r.resourceType === 'QuestionnaireResponse') {
      const q = r as QuestionnaireResponse;
      const answer = q.item![0].answer![0].valueCoding!.code;
      if (q.questionnaire!.endsWith('/loneliness')) s.lonely.add(answer === 'often-always');
      if (q.questionnaire!.endsWith('/gp-appointment-experience')) s.gpGood.add(answer === 'very-good' || answer === 'fairly-good');
      if (q.questionnaire!.endsWith('/carers-satisfaction')) s.carersVerySatisfied.add(answer === 'very-satisfied');
    } else if (r.resourceType === 'ServiceRequest') {
      if (code(r.code) === 'early-intervention-psychosis') s.fepReferrals++;
    } else if (r.resourceType === 'MedicationRequest') medicines++;
    else if (r.resourceType === 'Condition' && r.extension?.some((x) => x.url.endsWith('/efi-deficit'))) {
      if (s.efiCodes.length < 5000) s.efiCodes.push(`${ext(r, 'efi-deficit')!.valueString}|${code(r.code)}`);
    }
  }
  if (age >= 65) {
    s.polypharmacy65.add(medicines >= 5);
    // In the indicator year: a stay going on at the as-of day (current-care.ts) is not one of the year's.
    const admissions = batch.filter((r) => r.resourceType === 'Encounter' && code((r as Encounter).type?.[0]) === 'emergency-admission' && inYear((r as Encounter).period?.start));
    const entry = s.admissionsByFrailty.get(efiCategory) ?? { people: 0, admissions: 0, frailtyRelated: 0 };
    entry.people++;
    entry.admissions += admissions.filter((e) => !ext(e as Encounter, 'alcohol-related')).length;
    entry.frailtyRelated += admissions.filter((e) => ext(e as Encounter, 'frailty-related')).length;
    s.admissionsByFrailty.set(efiCategory, entry);
  }
}

let first = true;
for (const batch of synthesizeResidents({ residents: RESIDENTS, seed: SEED, asOf: AS_OF })) {
  if (first) { first = false; continue; } // organisations
  analyse(batch);
}

describe(`calibration against the strategy's baselines (${RESIDENTS.toLocaleString('en-GB')} residents, seed ${SEED})`, () => {
  it('generates every resident', () => {
    expect(s.residents).toBe(RESIDENTS);
  });

  it('smoking: Swale about 21%, west Kent about 12% (each ±1.5 points), and every district near its own rate', () => {
    const swale = s.smoking.get('swale')!.pct;
    const wk = WEST_KENT.map((d) => s.smoking.get(d)!).reduce((a, r) => ({ num: a.num + r.num, den: a.den + r.den }), { num: 0, den: 0 });
    expect(swale).toBeGreaterThan(21 - 1.5);
    expect(swale).toBeLessThan(21 + 1.5);
    expect((100 * wk.num) / wk.den).toBeGreaterThan(12 - 1.5);
    expect((100 * wk.num) / wk.den).toBeLessThan(12 + 1.5);
    // Districts without a strategy figure use illustrative rates (history.model.ts); ±2 points.
    const illustrative: Record<string, number> = { dartford: 14, gravesham: 15, medway: 16, ashford: 13, canterbury: 14, thanet: 19, dover: 16, 'folkestone-and-hythe': 16 };
    for (const [d, target] of Object.entries(illustrative)) expect(Math.abs(s.smoking.get(d)!.pct - target), d).toBeLessThan(2);
  });

  it('adults overweight or obese 64.1% (±1.5 points)', () => {
    expect(Math.abs(s.overweight.pct - 64.1)).toBeLessThan(1.5);
    expect(s.overweight.den).toBeGreaterThan(0.7 * RESIDENTS);
  });

  it('adults physically inactive 22.3% (±1.5 points)', () => {
    expect(Math.abs(s.inactive.pct - 22.3)).toBeLessThan(1.5);
  });

  it('alcohol-related admissions 418.7 per 100,000 a year (±60, about three standard errors at ~420 events)', () => {
    const rate = (s.alcoholAdmissions / s.residents) * 100000;
    expect(Math.abs(rate - 418.7)).toBeLessThan(60);
  });

  it('discharge pathways 0/1/2/3: at least ~50%, about 45% (±2), at most 4%, at most 1%', () => {
    const total = s.pathways.reduce((a, b) => a + b, 0);
    const pct = s.pathways.map((n) => (100 * n) / total);
    expect(total).toBe(s.admissions);
    expect(pct[0]).toBeGreaterThanOrEqual(49.5);
    expect(Math.abs(pct[1] - 45)).toBeLessThan(2);
    expect(pct[2]).toBeLessThanOrEqual(4);
    expect(pct[2]).toBeGreaterThan(1.5);
    expect(pct[3]).toBeLessThanOrEqual(1);
    expect(pct[3]).toBeGreaterThan(0.3);
  });

  it('long stays (21+ days) exist, and some of them no longer meet the criteria to reside', () => {
    expect(s.longStays).toBeGreaterThan(0.02 * s.admissions);
    expect(s.longStayNoCriteria).toBeGreaterThan(0.2 * s.longStays);
    expect(s.longStayNoCriteria).toBeLessThan(s.longStays);
  });

  it('65+ still at home 91 days after discharge into reablement: about 82% (±3.5 points; no Kent baseline, national ~82%)', () => {
    expect(s.atHome91.den).toBeGreaterThan(300);
    expect(Math.abs(s.atHome91.pct - 82)).toBeLessThan(3.5);
  });

  it('frail older people are admitted more often, and frailty-related admissions are recorded', () => {
    const rate = (k: string) => s.admissionsByFrailty.get(k)!.admissions / s.admissionsByFrailty.get(k)!.people;
    expect(rate('moderate')).toBeGreaterThan(1.8 * rate('fit'));
    expect(rate('severe')).toBeGreaterThan(rate('moderate'));
    const frailtyRelated = [...s.admissionsByFrailty.values()].reduce((a, e) => a + e.frailtyRelated, 0);
    expect(frailtyRelated).toBeGreaterThan(100);
    // O3.4: near OHID's ~2,000 falls admissions per 100,000 over-65s a year (±700: ~400 admissions at this size,
    // and the model's share is a round 1 in 10); it was ~10,000 before the share was cut from a half.
    const olderPeople = [...s.admissionsByFrailty.values()].reduce((a, e) => a + e.people, 0);
    expect(Math.abs((frailtyRelated / olderPeople) * 100_000 - 2_100)).toBeLessThan(700);
    // eFI categories among over-65s: most fit or mildly frail, a tail of moderate and severe.
    const people = (k: string) => s.admissionsByFrailty.get(k)?.people ?? 0;
    const older = ['fit', 'mild', 'moderate', 'severe'].reduce((a, k) => a + people(k), 0);
    expect(people('fit') / older).toBeGreaterThan(0.3);
    expect((people('moderate') + people('severe')) / older).toBeGreaterThan(0.08);
    expect((people('moderate') + people('severe')) / older).toBeLessThan(0.4);
  });

  it('mothers smoking at delivery 10.2% (±1.5 points)', () => {
    expect(s.satod.den).toBeGreaterThan(2000);
    expect(Math.abs(s.satod.pct - 10.2)).toBeLessThan(1.5);
  });

  it('Year 6: 63% healthy weight (±1.5 points), 5% severely obese (±1 point)', () => {
    expect(s.y6Healthy.den).toBeGreaterThan(5000);
    expect(Math.abs(s.y6Healthy.pct - 63)).toBeLessThan(1.5);
    expect(Math.abs(s.y6Severe.pct - 5)).toBeLessThan(1);
  });

  it('unpaid carers: about 170,000 in 1.9 million (±10,000 when scaled)', () => {
    const scaled = (s.carers / s.residents) * 1_900_000;
    expect(Math.abs(scaled - 170_000)).toBeLessThan(10_000);
  });

  it('people aged 18-69 in contact with secondary mental health services: 8% in paid employment (±2 points)', () => {
    expect(s.mhEmployed.den).toBeGreaterThan(1000);
    expect(Math.abs(s.mhEmployed.pct - 8)).toBeLessThan(2);
    expect(s.crisis).toBeGreaterThan(0.05 * s.mhContacts);
    expect(s.fepReferrals).toBeGreaterThan(0);
  });

  it('long-term support: most people live at home or with family; people with a learning disability more so', () => {
    expect(s.ltsHomeOrFamily.den).toBeGreaterThan(500);
    expect(s.ltsHomeOrFamily.pct).toBeGreaterThan(55);
    expect(s.ltsHomeOrFamily.pct).toBeLessThan(80);
    expect(s.ldLtsHomeOrFamily.den).toBeGreaterThan(100);
    // About 140 people at this size, so a wide band: the model's share is 78%.
    expect(s.ldLtsHomeOrFamily.pct).toBeGreaterThan(65);
    expect(s.ldLtsHomeOrFamily.pct).toBeLessThan(92);
    expect(s.ldLtsEmployed.den).toBeGreaterThan(50);
    expect(s.ldLtsEmployed.pct).toBeLessThan(15);
  });

  it('surveys: lonely often or always 7.3% (±1.5), GP appointment experience good 49% (±1.5), carers very satisfied 32.3% (±2.5)', () => {
    expect(Math.abs(s.lonely.pct - 7.3)).toBeLessThan(1.5);
    expect(Math.abs(s.gpGood.pct - 49)).toBeLessThan(1.5);
    expect(s.carersVerySatisfied.den).toBeGreaterThan(2000);
    expect(Math.abs(s.carersVerySatisfied.pct - 32.3)).toBeLessThan(2.5);
  });

  it('polypharmacy arises from conditions: 5+ medicines in a plausible share of over-65s', () => {
    expect(s.polypharmacy65.pct).toBeGreaterThan(10);
    expect(s.polypharmacy65.pct).toBeLessThan(50);
  });

  it('frailty deficits are coded from the eFI code sets in data/efi', () => {
    const efi = loadReferenceData().efi;
    expect(s.efiCodes.length).toBeGreaterThan(1000);
    for (const entry of new Set(s.efiCodes)) {
      const [name, snomed] = entry.split('|');
      const set = efi.find((d) => d.name === name);
      expect(set?.codes.some((c) => c.code === snomed), entry).toBe(true);
    }
  });

  it('deprivation follows the district tiers, and coastal east Kent is older than the Thames-side towns', () => {
    const mean = (t: string) => s.quintileByTier.get(t)!.sum / s.quintileByTier.get(t)!.den;
    expect(mean('most')).toBeLessThan(mean('more'));
    expect(mean('more')).toBeLessThan(mean('middle'));
    expect(mean('middle')).toBeLessThan(mean('least'));
    expect(s.olderShare.get('thanet')!.pct).toBeGreaterThan(s.olderShare.get('dartford')!.pct + 4);
  });
});
if (process.env.SYNTH_CALIBRATION_REPORT) {
  const pctOf = (r: Ratio) => `${r.pct.toFixed(2)}% (n=${r.den})`;
  console.log({
    smoking: Object.fromEntries([...s.smoking].map(([k, r]) => [k, pctOf(r)])), overweight: pctOf(s.overweight), inactive: pctOf(s.inactive),
    alcoholPer100k: (s.alcoholAdmissions / s.residents) * 100000, satod: pctOf(s.satod), y6Healthy: pctOf(s.y6Healthy), y6Severe: pctOf(s.y6Severe),
    carersPer1_9M: (s.carers / s.residents) * 1_900_000, mhEmployed: pctOf(s.mhEmployed), crisis: s.crisis, fep: s.fepReferrals, mhContacts: s.mhContacts,
    lonely: pctOf(s.lonely), gpGood: pctOf(s.gpGood), carersVery: pctOf(s.carersVerySatisfied), admissions: s.admissions,
    pathways: s.pathways.map((n) => ((100 * n) / s.admissions).toFixed(2)), longStays: s.longStays, longStayNoCriteria: s.longStayNoCriteria,
    atHome91: pctOf(s.atHome91), frailty: Object.fromEntries(s.admissionsByFrailty), lts: pctOf(s.ltsHomeOrFamily), ldLts: pctOf(s.ldLtsHomeOrFamily),
    ldEmployed: pctOf(s.ldLtsEmployed), poly65: pctOf(s.polypharmacy65),
    olderShare: Object.fromEntries([...s.olderShare].map(([k, r]) => [k, r.pct.toFixed(1)])),
  });
}
