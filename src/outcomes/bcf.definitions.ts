import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_DATA_DIR } from '../paths.js';
import { OUTCOMES_SD, SQL_PARTS, type RecordComputation } from './indicator.definitions.js';
import type { Indicator } from './indicator.registry.js';

/**
 * The Better Care Fund view (issue 14 part 7): the metrics Kent's 2014 Better Care Fund plan is
 * measured by (seed 003: avoided emergency admissions, admissions to care homes, delayed transfers
 * of care, older people still at home 91 days after discharge into reablement), each computed from
 * the record per financial year in the same shape as the strategy's indicators (one SQL row per
 * counted unit: pid, num, den), so the same evaluation protects them (small-numbers.ts) and the
 * same table stores them (`outcome_report`, measure ids `BCF.1`…). The plan's own figures and
 * savings come from `data/strategy/indicators.json` (`better_care_fund_kent_2014`).
 */

const { day, inPeriod, subjectId, codeOf, ageAtEnd, hasExt, admissions } = SQL_PARTS;

/**
 * Ambulatory care sensitive conditions (SNOMED CT), the admissions timely care in the community
 * should avoid: the chronic ones of NHS Outcomes Framework 2.3.i (COPD, asthma, heart failure,
 * angina, diabetes, epilepsy, hypertension, atrial fibrillation, iron-deficiency anaemia, dementia)
 * and the acute ones of 3a (pneumonia, urinary tract infection, cellulitis, gastroenteritis,
 * dehydration). Matched on the admission's first reason code.
 */
export const ACSC_CODES = [
  '195951007', '13645005', '195967001', '84114007', '194828000', '73211009', '84757009', '38341003', '49436004', '87522002', '52448006',
  '233604007', '68566005', '128045006', '25374005', '34095006',
] as const;

/** What the plan said about a metric, for the comparison beside the record's figures. */
export type PlanAim =
  /** Kent's plan: this many fewer a year, worth this much (the A&E admissions). */
  | { kind: 'fewer'; count: number; savingGbpMillions: number }
  /** Kent's plan: this per cent fewer (care home admissions). */
  | { kind: 'percent-fewer'; percent: number }
  /** Kent's plan gives no figure; the national plans' aim, in words, for context. */
  | { kind: 'national-only'; national: string };

export interface BcfMetric {
  /** As an indicator (id `BCF.n`), so the strategy's evaluation, protection, storage and CSV apply unchanged. */
  indicator: Indicator;
  /** The plan's words for what it counts. */
  planWords: string;
  aim: PlanAim;
  /**
   * `financial-year`: 1 April to 31 March. `oct-dec`: ASCOF 2B(1) counts the discharges of 1 October
   * to 31 December of the financial year, each followed to day 91 (the strategy's O5.2, the same quarter).
   */
  window: 'financial-year' | 'oct-dec';
}

/** Kent's Better Care Fund plan, 2014, as transcribed in data/strategy/indicators.json. */
export interface BcfPlan {
  source: string;
  localSavingsGbpMillions: number;
  aeAdmissionsFewer: number;
  aeSavingGbpMillions: number;
  careHomeAdmissionsFewerPercent: number;
  national: {
    fewerAeStays: number; aeReductionPercent: number; aeSavingGbpMillions: number; totalSavingsGbpMillions: number;
    fewerDelayedDays: number; moreAtHome91Days: number; fewerCareHomeAdmissions: number;
  };
  /** Kent County Council's area (the plan's Health and Wellbeing Board): residents, from places.json (ONS Census 2021). */
  kentPopulation: number;
}

export function loadBcfPlan(dir = REFERENCE_DATA_DIR): BcfPlan {
  const ind = JSON.parse(readFileSync(join(dir, 'strategy', 'indicators.json'), 'utf8')) as {
    better_care_fund_kent_2014: {
      source: string; local_savings_gbp_millions: number; ae_admissions_reduction_next_year: number; ae_admissions_reduction_saving_gbp_millions: number;
      care_home_admissions_reduction_percent: number;
      national: { fewer_ae_stays: number; ae_admissions_reduction_percent: number; ae_saving_gbp_millions: number; total_savings_gbp_millions: number;
        fewer_delayed_days: number; more_older_people_at_home_91_days: number; fewer_care_home_admissions: number };
    };
  };
  const places = JSON.parse(readFileSync(join(dir, 'strategy', 'places.json'), 'utf8')) as { districts: { id: string; population: number }[] };
  const b = ind.better_care_fund_kent_2014;
  const n = b.national;
  return {
    source: b.source,
    localSavingsGbpMillions: b.local_savings_gbp_millions,
    aeAdmissionsFewer: b.ae_admissions_reduction_next_year,
    aeSavingGbpMillions: b.ae_admissions_reduction_saving_gbp_millions,
    careHomeAdmissionsFewerPercent: b.care_home_admissions_reduction_percent,
    national: {
      fewerAeStays: n.fewer_ae_stays, aeReductionPercent: n.ae_admissions_reduction_percent, aeSavingGbpMillions: n.ae_saving_gbp_millions,
      totalSavingsGbpMillions: n.total_savings_gbp_millions, fewerDelayedDays: n.fewer_delayed_days, moreAtHome91Days: n.more_older_people_at_home_91_days,
      fewerCareHomeAdmissions: n.fewer_care_home_admissions,
    },
    kentPopulation: places.districts.filter((d) => d.id !== 'medway').reduce((s, d) => s + d.population, 0),
  };
}

const BCF = { id: 'BCF', title: 'Better Care Fund (Kent, 2014 plan)' };
const indicator = (id: string, name: string, unit: Indicator['unit'], direction: Indicator['direction'], computation: RecordComputation): Indicator => ({
  id, name, unit, direction, computation, baseline: null, target: null, targetText: 'See the plan\'s aim', by: null, outcome: BCF,
});

const emergencyAdmissionsIn = (extra = 'true') => `SELECT p.pid, coalesce(a.n, 0) AS num, 1 AS den FROM person p LEFT JOIN (
    SELECT ${subjectId()} AS pid, count(*) AS n FROM ${admissions} a
     WHERE ${inPeriod("c#>>'{period,start}'")} AND ${extra} GROUP BY 1) a ON a.pid = p.pid`;

/** The five metrics, in the order the view shows them. */
export function bcfMetrics(plan: BcfPlan, reablement: RecordComputation | undefined): BcfMetric[] {
  const metrics: BcfMetric[] = [
    {
      indicator: indicator('BCF.1', 'Emergency admissions', 'rate_per_100k', 'down', {
        kind: 'record', scoring: 'rate', per: 100_000,
        population: 'All residents', denominator: 'Person-years of residents in the year', numerator: 'Emergency admissions starting in the year',
        basis: 'Better Care Fund 2014 metric "total non-elective admissions into hospital (general and acute), all ages, per 100,000 population": the measure the plan\'s avoided A&E admissions are counted in',
        sql: emergencyAdmissionsIn(),
      }),
      planWords: `Reducing A&E admissions by ${plan.aeAdmissionsFewer.toLocaleString('en-GB')} next year, saving the county £${plan.aeSavingGbpMillions} million`,
      aim: { kind: 'fewer', count: plan.aeAdmissionsFewer, savingGbpMillions: plan.aeSavingGbpMillions },
      window: 'financial-year',
    },
    {
      indicator: indicator('BCF.2', 'Avoidable emergency admissions (ambulatory care sensitive conditions)', 'rate_per_100k', 'down', {
        kind: 'record', scoring: 'rate', per: 100_000,
        population: 'All residents', denominator: 'Person-years of residents in the year',
        numerator: 'Emergency admissions starting in the year whose reason is an ambulatory care sensitive condition',
        basis: 'NHS Outcomes Framework 2.3.i (chronic) and 3a (acute) ambulatory care sensitive conditions, the Better Care Fund\'s later "avoidable admissions" metric; matched on the admission\'s reason (SNOMED CT)',
        sql: emergencyAdmissionsIn(`${codeOf('reasonCode,0')} IN (${ACSC_CODES.map((c) => `'${c}'`).join(', ')})`),
      }),
      planWords: 'The admissions the plan\'s schemes set out to avoid (care closer to home, seven-day services, a named professional); the plan counts them within its A&E admissions',
      aim: { kind: 'national-only', national: `Nationally, ${plan.national.fewerAeStays.toLocaleString('en-GB')} fewer A&E admissions (${plan.national.aeReductionPercent}%)` },
      window: 'financial-year',
    },
    {
      indicator: indicator('BCF.3', 'Admissions to care homes, aged 65 and over', 'rate_per_100k', 'down', {
        kind: 'record', scoring: 'rate', per: 100_000,
        population: 'Residents aged 65 and over', denominator: 'Person-years of residents aged 65 and over',
        numerator: 'Discharges from an emergency admission in the year to a new residential or nursing home placement (discharge pathway 3)',
        basis: 'ASCOF 2A(2), permanent admissions of people aged 65 and over to residential and nursing care homes per 100,000; the record holds them as hospital discharges on pathway 3, so admissions straight from the community are not yet counted',
        sql: `SELECT p.pid, coalesce(a.n, 0) AS num, 1 AS den FROM person p LEFT JOIN (
                SELECT ${subjectId()} AS pid, count(*) AS n FROM ${admissions} a
                 WHERE ${inPeriod("c#>>'{period,end}'")}
                   AND EXISTS (SELECT 1 FROM jsonb_array_elements(c->'extension') x
                                WHERE x->>'url' = '${OUTCOMES_SD}/discharge-pathway' AND x#>>'{valueCodeableConcept,coding,0,code}' = '3')
                 GROUP BY 1) a ON a.pid = p.pid
              WHERE ${ageAtEnd} >= 65`,
      }),
      planWords: `Reducing admissions to care homes by ${plan.careHomeAdmissionsFewerPercent}%`,
      aim: { kind: 'percent-fewer', percent: plan.careHomeAdmissionsFewerPercent },
      window: 'financial-year',
    },
    {
      indicator: indicator('BCF.4', 'Delayed transfers of care: delayed days, aged 18 and over', 'rate_per_100k', 'down', {
        kind: 'record', scoring: 'rate', per: 100_000,
        population: 'Residents aged 18 and over', denominator: 'Person-years of residents aged 18 and over',
        numerator: 'Days from no longer meeting the criteria to reside to discharge, of emergency admissions discharged in the year',
        basis: 'Better Care Fund 2014 metric "delayed transfers of care (delayed days) from hospital per 100,000 population aged 18+", per year; a delay runs from the Discharge Ready Date (no longer meets the criteria to reside) to discharge',
        sql: `SELECT p.pid, coalesce(a.n, 0) AS num, 1 AS den FROM person p LEFT JOIN (
                SELECT ${subjectId()} AS pid,
                       sum(greatest(0, ${day("c#>>'{period,end}'")} - ${day(`(SELECT x->>'valueDateTime' FROM jsonb_array_elements(c->'extension') x WHERE x->>'url' = '${OUTCOMES_SD}/no-longer-meets-criteria-to-reside' LIMIT 1)`)})) AS n
                  FROM ${admissions} a
                 WHERE ${inPeriod("c#>>'{period,end}'")} AND ${hasExt('no-longer-meets-criteria-to-reside')}
                 GROUP BY 1) a ON a.pid = p.pid
              WHERE ${ageAtEnd} >= 18`,
      }),
      planWords: 'Kent\'s published plan gives no figure for delayed transfers of care',
      aim: { kind: 'national-only', national: `Nationally, ${plan.national.fewerDelayedDays.toLocaleString('en-GB')} fewer days spent in hospital by reducing delayed transfers of care` },
      window: 'financial-year',
    },
  ];
  if (reablement) {
    metrics.push({
      // The strategy's O5.2 is the same figure: evaluated for the same quarter, it is the same protected table.
      indicator: { ...indicator('O5.2', 'Aged 65 and over still at home 91 days after discharge into reablement', 'percent', 'up', reablement) },
      planWords: 'Kent\'s published plan gives no figure for older people at home 91 days after discharge',
      aim: { kind: 'national-only', national: `Nationally, ${plan.national.moreAtHome91Days.toLocaleString('en-GB')} more older people still at home three months after discharge` },
      window: 'oct-dec',
    });
  }
  return metrics;
}

/** A financial year as the view counts it. */
export interface BcfYear {
  /** "2024/25". */
  label: string;
  start: string;
  end: string;
}

export function financialYear(startYear: number): BcfYear {
  return { label: `${startYear}/${String((startYear + 1) % 100).padStart(2, '0')}`, start: `${startYear}-04-01`, end: `${startYear + 1}-03-31` };
}

/** The financial year containing a day (YYYY-MM-DD). */
export function financialYearOf(dayIso: string): BcfYear {
  const y = Number(dayIso.slice(0, 4));
  return financialYear(dayIso.slice(5) >= '04-01' ? y : y - 1);
}

/** The period a metric counts for a financial year. */
export function windowOf(m: BcfMetric, y: BcfYear): { start: string; end: string } {
  return m.window === 'oct-dec' ? { start: `${y.start.slice(0, 4)}-10-01`, end: `${y.start.slice(0, 4)}-12-31` } : { start: y.start, end: y.end };
}
