import type { Measure } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_DATA_DIR } from '../paths.js';
import { COMPUTATIONS, OUTCOMES_SD, type Computation } from './indicator.definitions.js';

/**
 * The strategy's indicators (data/strategy/indicators.json), each with how it is computed and as
 * a FHIR Measure whose identifier is the indicator's id (O1.1 …). Loaded once at start.
 */

export type Direction = 'up' | 'down' | 'maintain';
export type Unit = 'percent' | 'rate_per_100k' | 'count' | 'score' | 'qualitative';

export interface Indicator {
  id: string;
  name: string;
  unit: Unit;
  baseline: number | null;
  baselineText?: string;
  target: number | null;
  targetText: string;
  /** The strategy's words: "2028", "2028/29", or null. */
  by: string | null;
  direction: Direction;
  outcome: { id: string; title: string };
  computation: Computation;
}

export const INDICATOR_ID_SYSTEM = 'https://onestory.example/fhir/Id/strategy-indicator';
export const MEASURE_BASE = 'https://onestory.example/fhir/Measure';

/** The stratifiers every record indicator offers (for the system, counties, partnerships and districts). */
export const STRATIFIERS = {
  'age-band': { title: 'Age band', values: ['0-17', '18-34', '35-49', '50-64', '65-74', '75-84', '85+'] },
  sex: { title: 'Sex', values: ['female', 'male', 'other', 'unknown'] },
  'deprivation-quintile': { title: 'Deprivation quintile (IMD, 1 most deprived)', values: ['1', '2', '3', '4', '5', 'unknown'] },
  ethnicity: { title: 'Ethnic group', values: ['White', 'Mixed', 'Asian', 'Black', 'Other', 'Not stated'] },
} as const;
export type StratifierId = keyof typeof STRATIFIERS;
export const STRATIFIER_IDS = Object.keys(STRATIFIERS) as StratifierId[];

interface RawIndicator {
  id: string; name: string; unit: Unit; baseline: number | null; baseline_text?: string; target: number | null;
  target_text: string; by: string | null; direction: Direction;
}

export class IndicatorRegistry {
  readonly indicators: Indicator[];
  private readonly byId = new Map<string, Indicator>();

  constructor(dir = REFERENCE_DATA_DIR) {
    const file = JSON.parse(readFileSync(join(dir, 'strategy', 'indicators.json'), 'utf8')) as {
      outcomes: { id: string; title: string; indicators: RawIndicator[] }[];
    };
    this.indicators = [];
    for (const o of file.outcomes) {
      for (const i of o.indicators) {
        const computation = COMPUTATIONS[i.id];
        if (!computation) throw new Error(`indicator ${i.id} has no computation in indicator.definitions.ts`);
        const ind: Indicator = {
          id: i.id, name: i.name, unit: i.unit, baseline: i.baseline, baselineText: i.baseline_text, target: i.target,
          targetText: i.target_text, by: i.by, direction: i.direction, outcome: { id: o.id, title: o.title }, computation,
        };
        this.indicators.push(ind);
        this.byId.set(i.id, ind);
      }
    }
  }

  get(id: string): Indicator | undefined {
    return this.byId.get(id);
  }

  outcomes(): { id: string; title: string; indicators: Indicator[] }[] {
    const out = new Map<string, { id: string; title: string; indicators: Indicator[] }>();
    for (const i of this.indicators) {
      let o = out.get(i.outcome.id);
      if (!o) out.set(i.outcome.id, (o = { ...i.outcome, indicators: [] }));
      o.indicators.push(i);
    }
    return [...out.values()];
  }

  /** The indicator as a FHIR R4 Measure. */
  measure(i: Indicator): Measure & { id: string } {
    const c = i.computation;
    const scoring = c.kind !== 'record' ? (i.unit === 'count' ? 'cohort' : i.unit === 'rate_per_100k' ? 'ratio' : 'proportion')
      : c.scoring === 'rate' ? 'ratio' : c.scoring === 'count' ? 'cohort' : 'proportion';
    const ext: NonNullable<Measure['extension']> = [
      { url: `${OUTCOMES_SD}/indicator-direction`, valueCode: i.direction },
      { url: `${OUTCOMES_SD}/indicator-unit`, valueCode: i.unit },
      { url: `${OUTCOMES_SD}/indicator-computation`, valueCode: c.kind },
      { url: `${OUTCOMES_SD}/indicator-target-text`, valueString: i.targetText },
    ];
    if (i.baseline !== null) ext.push({ url: `${OUTCOMES_SD}/indicator-baseline`, valueDecimal: i.baseline });
    if (i.baselineText) ext.push({ url: `${OUTCOMES_SD}/indicator-baseline-text`, valueString: i.baselineText });
    if (i.target !== null) ext.push({ url: `${OUTCOMES_SD}/indicator-target`, valueDecimal: i.target });
    if (i.by) ext.push({ url: `${OUTCOMES_SD}/indicator-target-year`, valueString: i.by });
    const measure: Measure & { id: string } = {
      resourceType: 'Measure', id: i.id, url: `${MEASURE_BASE}/${i.id}`,
      identifier: [{ system: INDICATOR_ID_SYSTEM, value: i.id }],
      name: `Indicator_${i.id.replace('.', '_')}`, title: i.name, status: 'active', experimental: false,
      extension: ext,
      description: `${i.outcome.title}: ${i.name}. Target: ${i.targetText}${i.by ? ` by ${i.by}` : ''}.`,
      scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: scoring }] },
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-type', code: 'outcome' }] }],
      topic: [{ text: i.outcome.title }],
      guidance: c.kind === 'record' ? c.basis : `${c.kind === 'submitted' ? `Submitted by ${c.owner}` : 'Not yet computable'}: ${c.why}`,
    };
    if (i.direction !== 'maintain') {
      measure.improvementNotation = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-improvement-notation', code: i.direction === 'up' ? 'increase' : 'decrease' }] };
    } else {
      measure.improvementNotation = { text: 'Maintain: held at the target level' };
    }
    if (c.kind === 'record') {
      // The SQL (one row per counted unit: pid, num, den) is the criteria of every population: den > 0 is the
      // denominator, num its numerator (indicator.definitions.ts).
      const pop = (code: string, description: string) => ({
        code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code }] }, description,
        criteria: { language: 'application/sql' as 'text/cql', description, expression: c.sql.replace(/\s+/g, ' ') },
      });
      measure.group = [{
        population: [
          pop('initial-population', c.population),
          ...(c.denominator ? [pop('denominator', c.denominator)] : []),
          pop(c.scoring === 'count' ? 'measure-population' : 'numerator', c.numerator),
        ],
        stratifier: STRATIFIER_IDS.map((s) => ({ code: { coding: [{ system: `${OUTCOMES_SD}/stratifier`, code: s }], text: STRATIFIERS[s].title } })),
      }];
    }
    return measure;
  }
}
