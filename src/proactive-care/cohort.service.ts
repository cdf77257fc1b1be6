import type { Group, Patient } from '@medplum/fhirtypes';
import { can } from '../access/policy/index.js';
import { SMALL_NUMBER_THRESHOLD } from '../access/policy/aggregate.service.js';
import { accessContext } from '../access/policy/record-access.js';
import { restrictionFor } from '../access/policy/row-restriction.js';
import type { Principal } from '../access/principal.js';
import type { Queryable } from '../db/database.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { FhirError, forbidden, issue, outcome, tooCostly } from '../fhir/outcome.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { ageOn, humanName } from '../record-view/fhir-text.js';
import { loadReferenceData } from '../synth/reference-data.js';
import { criterionText, criterionWords, CriterionError, parseCriteria, type Criterion } from './cohort.criteria.js';
import { CohortRepository, type MemberRow } from './cohort.repository.js';
import { EFI_CATEGORY_WORDS, efiCodeSets, isEfiCategory } from './efi.vocabulary.js';

const BASE = 'https://onestory.example/fhir';
export const COHORT_CRITERION_SYSTEM = `${BASE}/CodeSystem/cohort-criterion`;
/** The day a saved cohort was evaluated as of, and the eFI computation it read. */
export const COHORT_AS_OF_EXTENSION = `${BASE}/StructureDefinition/cohort-as-of`;
export const COHORT_EFI_COMPUTED_EXTENSION = `${BASE}/StructureDefinition/cohort-efi-computed`;
/** The criteria as written (`age=65-&efi=moderate`): evaluating them again as of the same day gives the same cohort. */
export const COHORT_CRITERIA_EXTENSION = `${BASE}/StructureDefinition/cohort-criteria`;

/** People listed by name on a page; a saved Group holds at most MAX_GROUP_MEMBERS. */
export const MEMBERS_SHOWN = 100;
export const MAX_GROUP_MEMBERS = 5000;

/** A count as it may be shown: from 1 to 4 it is suppressed (the aggregate rule for small numbers). */
export interface ShownCount {
  count: number | null;
  suppressed: boolean;
}
const shown = (n: number): ShownCount => (n > 0 && n < SMALL_NUMBER_THRESHOLD ? { count: null, suppressed: true } : { count: n, suppressed: false });

export interface CohortMember {
  id: string;
  name: string;
  nhsNumber?: string;
  age?: number;
  /** Why they are in the cohort: one line per criterion, from their own facts. */
  why: string[];
  efiCategory?: string;
}

export interface CohortResult {
  criteria: Criterion[];
  /** The count after each criterion in turn (first: everyone on the record). */
  steps: { words: string; count: ShownCount }[];
  total: ShownCount;
  /** Named members: only people the reader sees under the row restriction. */
  members: CohortMember[];
  /** How many members the reader sees by name (all of them, beyond the page shown). */
  named: number;
  /** Matching people the reader may not see by name (suppressed when small). */
  notNamed: ShownCount;
  asOf: string;
  /** When the eFI and the other computed facts were last computed (undefined: never). */
  computedAt?: Date;
}

/**
 * The cohort builder: criteria → the count left after each, the members the reader may see by name
 * with why each qualifies, and a saved FHIR Group. Counts cover everyone (with small numbers
 * suppressed); names follow the reader's row restriction, the same rule as the FHIR API.
 */
export class CohortService {
  private readonly repo: CohortRepository;

  constructor(private readonly db: Queryable, private readonly resources: ResourceService) {
    this.repo = new CohortRepository(db);
  }

  /** Parses criteria pairs; a criterion that does not parse is a 400 naming it, and nothing is read or written. */
  parse(pairs: [string, string][]): Criterion[] {
    try {
      return parseCriteria(pairs);
    } catch (err) {
      if (err instanceof CriterionError) throw new FhirError(400, outcome([issue('invalid', err.message, err.field)]));
      throw err;
    }
  }

  async evaluate(p: Principal, criteria: Criterion[], now: Date, limit = MEMBERS_SHOWN): Promise<CohortResult> {
    const may = can(p, 'cohort.build');
    if (!may.allowed) throw forbidden(`Not allowed: ${may.reason}`);
    const asOf = now.toISOString().slice(0, 10);
    const [counts, m, computed] = await Promise.all([
      this.repo.stepCounts(criteria, asOf),
      this.repo.members(criteria, asOf, restrictionFor(p, now), limit),
      this.db.query<{ at: Date | null }>('SELECT max(computed_at) AS at FROM person_risk'),
    ]);
    const names = await this.names(criteria, m.rows);
    // Everyone left is someone the reader sees by name: the count tells them nothing the list does not.
    const last = (n: number, i: number) => (i === criteria.length && m.total === m.visible ? { count: n, suppressed: false } : shown(n));
    return {
      criteria,
      steps: [{ words: 'Everyone on the record', count: last(counts[0], 0) }, ...criteria.map((c, i) => ({ words: criterionWords(c, names), count: last(counts[i + 1], i + 1) }))],
      total: last(counts[counts.length - 1], criteria.length),
      members: m.rows.map((r) => this.member(r, criteria, now, names)),
      named: m.visible,
      notNamed: shown(m.total - m.visible),
      asOf,
      computedAt: computed.rows[0]?.at ?? undefined,
    };
  }

  /**
   * Saves the cohort as a FHIR Group (type person, actual), recorded by the user's organisation: the
   * criteria as characteristics and as written, the as-of day, and every member by reference. Refused
   * (403, nothing written) when any member is someone the user may not see by name; the record's
   * write rules check the same again (every person a write names must be visible to the writer).
   */
  async save(p: Principal, criteria: Criterion[], name: string, now: Date): Promise<{ id: string; members: number }> {
    if (criteria.length === 0) throw new FhirError(400, outcome([issue('required', 'Add at least one criterion before saving a cohort', 'criteria')]));
    const title = name.trim();
    if (!title || title.length > 200) throw new FhirError(400, outcome([issue('required', 'Give the cohort a name (up to 200 characters)', 'name')]));
    const may = can(p, 'cohort.build');
    if (!may.allowed) throw forbidden(`Not allowed: ${may.reason}`);
    const asOf = now.toISOString().slice(0, 10);
    const m = await this.repo.members(criteria, asOf, restrictionFor(p, now), MAX_GROUP_MEMBERS + 1);
    if (m.total > m.visible) {
      throw forbidden('This cohort includes people you may not see by name, so it cannot be saved as a list of people. Narrow it to people in your care (for example by your practice), or use the counts.');
    }
    if (m.visible > MAX_GROUP_MEMBERS) throw tooCostly(`A saved cohort holds at most ${MAX_GROUP_MEMBERS} people; add a criterion to narrow it`);
    const names = await this.names(criteria, []);
    const computed = await this.db.query<{ at: Date | null }>('SELECT max(computed_at) AS at FROM person_risk');
    const at = computed.rows[0]?.at;
    const text = criteria.map((c) => criterionText(c)).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const group: Group = {
      resourceType: 'Group', type: 'person', actual: true, name: title, quantity: m.visible,
      extension: [
        { url: COHORT_AS_OF_EXTENSION, valueDate: asOf },
        { url: COHORT_CRITERIA_EXTENSION, valueString: text },
        ...(at ? [{ url: COHORT_EFI_COMPUTED_EXTENSION, valueDateTime: new Date(at).toISOString() }] : []),
      ],
      characteristic: criteria.map((c) => ({
        code: { coding: [{ system: COHORT_CRITERION_SYSTEM, code: criterionText(c)[0] }], text: criterionWords(c, names) },
        valueCodeableConcept: { text: criterionText(c)[1] }, exclude: false,
      })),
      member: m.rows.map((r) => ({ entity: { reference: `Patient/${r.patient_id}` }, period: { start: asOf } })),
    };
    const written = await this.resources.create('Group', group, { ctx: { baseUrl: '', ...accessContext(p, now) } });
    return { id: written.id, members: m.visible };
  }

  private member(r: MemberRow, criteria: Criterion[], now: Date, names: (id: string) => string): CohortMember {
    const pt = JSON.parse(r.content) as Patient;
    const age = ageOn(pt.birthDate, now);
    const why = criteria.map((c): string => {
      switch (c.name) {
        case 'age': return `Aged ${age ?? 'unknown'}`;
        case 'district': return `Lives in ${names(r.district ?? '')}`;
        case 'practice': return `Registered with ${names(r.practice_id ?? '')}`;
        case 'pcn': return `Registered in ${names(r.pcn_id ?? '')}`;
        case 'condition': return criterionWords(c);
        case 'efi': return r.efi_category && isEfiCategory(r.efi_category)
          ? `${EFI_CATEGORY_WORDS[r.efi_category]}: eFI ${Number(r.efi_score).toFixed(2)} (${r.efi_deficits} of 36 deficits)` : 'eFI not computed';
        case 'admissions': return `${r.emergency_admissions} emergency admission${r.emergency_admissions === 1 ? '' : 's'} in the last 12 months`;
        case 'quintile': return `Deprivation quintile ${r.deprivation_quintile}`;
        case 'care-plan': return 'No active care plan';
        case 'named-professional': return 'No named professional';
        case 'carer': return r.has_carer ? 'Unpaid carer on record' : 'No unpaid carer on record';
      }
    });
    return {
      id: pt.id!, name: humanName(pt.name) || 'Name not recorded', age, why, efiCategory: r.efi_category ?? undefined,
      nhsNumber: pt.identifier?.find((i) => i.system === NHS_NUMBER_SYSTEM)?.value,
    };
  }

  /** Names of the districts and organisations the criteria and members mention. */
  private async names(criteria: Criterion[], rows: MemberRow[]): Promise<(id: string) => string> {
    const ids = new Set<string>();
    for (const c of criteria) if (c.name === 'practice' || c.name === 'pcn') c.values.forEach((v) => ids.add(v));
    for (const r of rows) [r.practice_id, r.pcn_id].forEach((v) => v && ids.add(v));
    const orgs = await this.repo.organisationNames([...ids]);
    const districts = new Map(loadReferenceData().places.districts.map((d) => [d.id, d.name]));
    return (id: string) => orgs.get(id) ?? districts.get(id) ?? id;
  }
}

/** The eFI code sets a condition criterion may name, for the builder's form. */
export function conditionSets(): { value: string; text: string }[] {
  return efiCodeSets().deficits.filter((d) => d.codes.length > 0).map((d) => ({ value: `efi:${d.key}`, text: d.name }));
}
