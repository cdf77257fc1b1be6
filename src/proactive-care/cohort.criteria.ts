import { EFI_CATEGORY_WORDS, efiCodeSets, isEfiCategory, type EfiCategory } from './efi.vocabulary.js';

/**
 * The cohort builder's criteria: what each means, how it is written (`name=value`, as a query string,
 * a form or a saved Group's characteristic), and how a value that does not parse is reported. A
 * criterion either parses completely or the whole cohort is refused with the criterion named.
 *
 * | name | value | means |
 * |---|---|---|
 * | age | `65-`, `65-79`, `-17` | age in whole years on the as-of day, inclusive bounds |
 * | district | district ids, comma-separated | lives in one of them |
 * | practice | Organization ids | registered with one of them |
 * | pcn | Organization ids | registered with a practice of one of these primary care networks |
 * | condition | `efi:<deficit>` (an eFI code set) or `snomed:<code>,<code>` | a coded problem from the set |
 * | efi | fit, mild, moderate, severe | eFI category |
 * | admissions | `1-` or a whole number | at least this many emergency admissions in the last 12 months |
 * | quintile | 1–5 (1 most deprived) | deprivation quintile of where they live |
 * | care-plan | `none` | no active care plan |
 * | named-professional | `none` | no active episode of care with a care manager (the named professional) |
 * | carer | `has-carer`, `no-carer` | an unpaid carer (a RelatedPerson) is on record, or not |
 */
export type Criterion =
  | { name: 'age'; min?: number; max?: number }
  | { name: 'district' | 'practice' | 'pcn'; values: string[] }
  | { name: 'condition'; set: string; codes: string[] }
  | { name: 'efi'; values: EfiCategory[] }
  | { name: 'admissions'; min: number }
  | { name: 'quintile'; values: number[] }
  | { name: 'care-plan'; none: true }
  | { name: 'named-professional'; none: true }
  | { name: 'carer'; has: boolean };

export const CRITERION_NAMES = ['age', 'district', 'practice', 'pcn', 'condition', 'efi', 'admissions', 'quintile', 'care-plan', 'named-professional', 'carer'] as const;
export type CriterionName = (typeof CRITERION_NAMES)[number];

export const CRITERION_LABELS: Record<CriterionName, string> = {
  age: 'Age', district: 'District', practice: 'GP practice', pcn: 'Primary care network', condition: 'Condition',
  efi: 'Frailty (eFI category)', admissions: 'Emergency admissions in the last 12 months', quintile: 'Deprivation quintile',
  'care-plan': 'Care plan', 'named-professional': 'Named professional', carer: 'Carer',
};

/** A criterion that does not parse: the field it came from and what is wrong, in words. */
export class CriterionError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const ID = /^[A-Za-z0-9.-]{1,64}$/;
const SNOMED_CODE = /^\d{6,18}$/;
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Parses one `name=value`; throws CriterionError naming the criterion when it does not parse. */
export function parseCriterion(name: string, raw: string): Criterion {
  const value = raw.trim();
  const fail = (why: string): never => {
    throw new CriterionError(name, `${CRITERION_LABELS[name as CriterionName] ?? name}: ${why}`);
  };
  if (value === '') fail('enter a value or remove the criterion');
  switch (name) {
    case 'age': {
      const m = /^(\d{1,3})?\s*(-)?\s*(\d{1,3})?$/.exec(value);
      if (!m || (!m[1] && !m[3])) return fail(`"${value}" is not an age range: write 65- (65 and over), 65-79, or -17`);
      const min = m[1] ? Number(m[1]) : undefined;
      const max = m[3] ? Number(m[3]) : m[2] ? undefined : min;
      if (min !== undefined && max !== undefined && min > max) fail(`the lower age ${min} is above the upper age ${max}`);
      if ((max ?? 0) > 130) fail('ages run to 130');
      return { name, min, max };
    }
    case 'district': case 'practice': case 'pcn': {
      const values = list(value);
      const bad = values.find((v) => !ID.test(v));
      if (bad !== undefined || values.length === 0) fail(`"${bad ?? value}" is not an identifier`);
      return { name, values };
    }
    case 'condition': {
      const m = /^(efi|snomed):(.+)$/.exec(value);
      if (!m) return fail(`"${value}" is not a code set: write efi:<deficit> (such as efi:falls) or snomed:<code>,<code>`);
      if (m[1] === 'efi') {
        const d = efiCodeSets().byKey.get(m[2]);
        if (!d || d.codes.length === 0) return fail(`"${m[2]}" is not one of the eFI code sets`);
        return { name, set: value, codes: d.codes };
      }
      const codes = list(m[2]);
      const bad = codes.find((c) => !SNOMED_CODE.test(c));
      if (bad !== undefined || codes.length === 0) fail(`"${bad ?? m[2]}" is not a SNOMED CT code`);
      return { name, set: value, codes };
    }
    case 'efi': {
      const values = list(value);
      const bad = values.find((v) => !isEfiCategory(v));
      if (bad !== undefined || values.length === 0) fail(`"${bad ?? value}" is not an eFI category (fit, mild, moderate, severe)`);
      return { name, values: values as EfiCategory[] };
    }
    case 'admissions': {
      const m = /^(\d{1,3})-?$/.exec(value);
      if (!m) return fail(`"${value}" is not a number of admissions: write 1- for one or more`);
      return { name, min: Number(m[1]) };
    }
    case 'quintile': {
      const values = list(value).map(Number);
      if (values.length === 0 || values.some((q) => !Number.isInteger(q) || q < 1 || q > 5)) fail(`"${value}" is not a list of quintiles from 1 to 5`);
      return { name, values };
    }
    case 'care-plan': case 'named-professional':
      if (value !== 'none') fail(`"${value}" is not understood: the only value is none`);
      return { name, none: true };
    case 'carer':
      if (value !== 'has-carer' && value !== 'no-carer') fail(`"${value}" is not understood: has-carer or no-carer`);
      return { name, has: value === 'has-carer' };
    default:
      return fail(`"${name}" is not a criterion (${CRITERION_NAMES.join(', ')})`);
  }
}

/** Parses every pair in order; the first that does not parse refuses the cohort. */
export function parseCriteria(pairs: [string, string][]): Criterion[] {
  return pairs.map(([k, v]) => parseCriterion(k, v));
}

/** The criterion as written (`name=value`): what a saved Group records and a link carries. */
export function criterionText(c: Criterion): [CriterionName, string] {
  switch (c.name) {
    case 'age': return ['age', c.min === c.max ? `${c.min}` : `${c.min ?? ''}-${c.max ?? ''}`];
    case 'district': case 'practice': case 'pcn': return [c.name, c.values.join(',')];
    case 'condition': return ['condition', c.set];
    case 'efi': return ['efi', c.values.join(',')];
    case 'admissions': return ['admissions', `${c.min}-`];
    case 'quintile': return ['quintile', c.values.join(',')];
    case 'care-plan': case 'named-professional': return [c.name, 'none'];
    case 'carer': return ['carer', c.has ? 'has-carer' : 'no-carer'];
  }
}

/** The criterion in words, for the count after each step and the Group's characteristic. */
export function criterionWords(c: Criterion, names: (id: string) => string = (id) => id): string {
  switch (c.name) {
    case 'age': return c.max === undefined ? `Aged ${c.min} or over` : c.min === undefined ? `Aged ${c.max} or under` : c.min === c.max ? `Aged ${c.min}` : `Aged ${c.min} to ${c.max}`;
    case 'district': return `Lives in ${c.values.map(names).join(' or ')}`;
    case 'practice': return `Registered with ${c.values.map(names).join(' or ')}`;
    case 'pcn': return `Registered in ${c.values.map(names).join(' or ')}`;
    case 'condition': {
      const key = c.set.startsWith('efi:') ? c.set.slice(4) : undefined;
      return key ? `Has a coded problem from the eFI code set "${efiCodeSets().byKey.get(key)!.name}"` : `Has a coded problem ${c.codes.join(' or ')} (SNOMED CT)`;
    }
    case 'efi': return `eFI category ${c.values.map((v) => EFI_CATEGORY_WORDS[v].toLowerCase()).join(' or ')}`;
    case 'admissions': return `${c.min} or more emergency admissions in the last 12 months`;
    case 'quintile': return `Deprivation quintile ${c.values.join(' or ')} (1 most deprived)`;
    case 'care-plan': return 'No active care plan';
    case 'named-professional': return 'No named professional';
    case 'carer': return c.has ? 'Has an unpaid carer on record' : 'No unpaid carer on record';
  }
}
