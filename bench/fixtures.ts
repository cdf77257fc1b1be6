import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NHS_NUMBER_SYSTEM, nhsCheckDigit } from '../src/fhir/nhs-number.js';

/**
 * Benchmark fixtures. Every resource is a pure function of its patient index, so the load
 * generator (in another thread) can rebuild any patient, its NHS number or its name without
 * the fixture files being passed across.
 */

/** Per patient: the shape of the record the issue asks for (encounters, conditions, observations). */
export const PER_PATIENT = { Encounter: 2, Condition: 2, Observation: 3 } as const;
export const RESOURCES_PER_PATIENT = 1 + PER_PATIENT.Encounter + PER_PATIENT.Condition + PER_PATIENT.Observation;

/**
 * The GP practice every bench patient is registered with (Patient.generalPractitioner), and its GP:
 * the signed-in staff user of the bench acts for this organisation, so every fixture patient is in
 * a legitimate relationship with them (one care_relationship row per patient, derived on import).
 */
export const BENCH_PRACTICE_ID = 'bench-practice';
export const BENCH_GP_ID = 'bench-gp';
export const BENCH_PRACTICE_ODS = 'B99999';
/** The directory entries the fixture adds besides its patients: the practice and its GP. */
export const DIRECTORY_RESOURCES = 2;

/** Fixture NHS numbers use prefixes from 999 000 000 upwards; creates during the run use 999 500 000+. */
export const CREATE_PREFIX_START = 500_000;

const FAMILY_A = ['Ash', 'Brook', 'Carr', 'Dale', 'Eld', 'Fair', 'Gold', 'Hart', 'Iver', 'Kings', 'Lang', 'Mead', 'North', 'Oak', 'Pen', 'Rad', 'Stan', 'Thorn', 'Wake', 'York'];
const FAMILY_B = ['ford', 'well', 'by', 'ton', 'worth', 'ley', 'field', 'wood', 'ham', 'stone', 'more', 'gate', 'ridge', 'croft', 'wick', 'bury', 'hurst', 'land', 'ward', 'shaw'];
/** 400 family names: a family search at 100k patients matches ~250 people, at 10k ~25. */
export const FAMILIES = FAMILY_A.flatMap((a) => FAMILY_B.map((b) => a + b));
const GIVEN = ['Amelia', 'Oliver', 'Isla', 'George', 'Ava', 'Harry', 'Mia', 'Noah', 'Ivy', 'Leo', 'Grace', 'Jack', 'Freya', 'Oscar', 'Lily', 'Arthur', 'Emily', 'Alfie', 'Ella', 'Charlie'];
const CONDITIONS = [
  ['44054006', 'Diabetes mellitus type 2'], ['38341003', 'Hypertensive disorder'], ['195967001', 'Asthma'],
  ['13645005', 'Chronic obstructive lung disease'], ['35489007', 'Depressive disorder'], ['49436004', 'Atrial fibrillation'],
];
const OBSERVATIONS = [
  ['8867-4', 'Heart rate', '/min', 50, 110], ['8310-5', 'Body temperature', 'Cel', 35, 39], ['29463-7', 'Body weight', 'kg', 40, 120],
] as const;

const BIRTH_FROM = Date.UTC(1930, 0, 1);
const BIRTH_DAYS = 90 * 365;
const DAY = 86_400_000;

/** A small, fast, seedable hash of an integer: independent per index, stable across runs. */
export function hash32(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The NHS number for a nine-digit prefix 999xxxxxx, or undefined when that prefix has no valid check digit. */
export function nhsNumberForPrefix(prefix: number): string | undefined {
  const nine = `999${String(prefix).padStart(6, '0')}`;
  const check = nhsCheckDigit(nine);
  return check === undefined ? undefined : `${nine}${check}`;
}

/** n distinct valid NHS numbers from the 999 range, starting at `fromPrefix`. */
export function nhsNumbers(n: number, fromPrefix = 0): string[] {
  const out: string[] = [];
  for (let p = fromPrefix; out.length < n; p++) {
    if (p > 999_999) throw new Error('Ran out of 999-range NHS numbers');
    const v = nhsNumberForPrefix(p);
    if (v) out.push(v);
  }
  return out;
}

export function patientId(i: number): string {
  return `bp-${i}`;
}

export function birthDate(i: number): string {
  return new Date(BIRTH_FROM + (hash32(i) % BIRTH_DAYS) * DAY).toISOString().slice(0, 10);
}

export function familyName(i: number): string {
  return FAMILIES[hash32(i + 7) % FAMILIES.length];
}

export function patient(i: number, nhs: string, id: string | null = patientId(i)): Record<string, unknown> {
  const h = hash32(i + 13);
  return {
    resourceType: 'Patient',
    ...(id ? { id } : {}),
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
    name: [{ use: 'official', family: familyName(i), given: [GIVEN[h % GIVEN.length]] }],
    gender: h % 2 === 0 ? 'female' : 'male',
    birthDate: birthDate(i),
    address: [{ postalCode: `ME${(h % 20) + 1} ${h % 9}AB` }],
    generalPractitioner: [{ reference: `Organization/${BENCH_PRACTICE_ID}` }],
  };
}

export function practice(): Record<string, unknown> {
  return {
    resourceType: 'Organization', id: BENCH_PRACTICE_ID, active: true, name: 'Bench Surgery',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: BENCH_PRACTICE_ODS }],
  };
}

export function practitioner(): Record<string, unknown> {
  return { resourceType: 'Practitioner', id: BENCH_GP_ID, active: true, name: [{ family: 'Bench', given: ['Gwen'], prefix: ['Dr'] }] };
}

function isoAt(i: number, k: number): string {
  return new Date(Date.UTC(2015, 0, 1) + (hash32(i * 31 + k) % (3000 * 24)) * 3_600_000).toISOString();
}

export function encounter(i: number, k: number, subject: string, id?: string): Record<string, unknown> {
  const start = isoAt(i, k);
  return {
    resourceType: 'Encounter',
    ...(id ? { id } : {}),
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    subject: { reference: subject },
    period: { start, end: new Date(Date.parse(start) + 1_800_000).toISOString() },
  };
}

export function condition(i: number, k: number, subject: string, id?: string): Record<string, unknown> {
  const [code, display] = CONDITIONS[hash32(i * 17 + k) % CONDITIONS.length];
  return {
    resourceType: 'Condition',
    ...(id ? { id } : {}),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code, display }] },
    subject: { reference: subject },
    onsetDateTime: isoAt(i, 100 + k),
  };
}

export function observation(i: number, k: number, subject: string, id?: string): Record<string, unknown> {
  const [code, display, unit, lo, hi] = OBSERVATIONS[k % OBSERVATIONS.length];
  return {
    resourceType: 'Observation',
    ...(id ? { id } : {}),
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code, display }] },
    subject: { reference: subject },
    effectiveDateTime: isoAt(i, 200 + k),
    valueQuantity: { value: lo + (hash32(i * 7 + k) % ((hi - lo) * 10)) / 10, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

export interface FixtureFiles {
  dir: string;
  patients: number;
  resources: number;
  /** The NHS numbers of patients 0..n-1, in order (the load generator rebuilds them itself). */
  nhs: string[];
}

/**
 * Writes the practice and its GP, then patients [0, n) (each registered with the practice) and
 * their clinical resources, as one NDJSON file per type. Files are
 * written in large synchronous chunks: the writer is not what is measured, only the import.
 */
export function writeFixtures(dir: string, n: number): FixtureFiles {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const nhs = nhsNumbers(n);
  const types = ['Organization', 'Practitioner', 'Patient', 'Encounter', 'Condition', 'Observation'] as const;
  const fds = Object.fromEntries(types.map((t) => [t, openSync(join(dir, `${t}.ndjson`), 'w')])) as Record<(typeof types)[number], number>;
  const buffers = Object.fromEntries(types.map((t) => [t, [] as string[]])) as Record<(typeof types)[number], string[]>;
  const flush = (t: (typeof types)[number], force = false) => {
    if (buffers[t].length === 0 || (!force && buffers[t].length < 5000)) return;
    writeSync(fds[t], buffers[t].join('\n') + '\n');
    buffers[t] = [];
  };
  buffers.Organization.push(JSON.stringify(practice()));
  buffers.Practitioner.push(JSON.stringify(practitioner()));
  let resources = DIRECTORY_RESOURCES;
  for (let i = 0; i < n; i++) {
    const pid = patientId(i);
    const subject = `Patient/${pid}`;
    buffers.Patient.push(JSON.stringify(patient(i, nhs[i])));
    for (let k = 0; k < PER_PATIENT.Encounter; k++) buffers.Encounter.push(JSON.stringify(encounter(i, k, subject, `be-${i}-${k}`)));
    for (let k = 0; k < PER_PATIENT.Condition; k++) buffers.Condition.push(JSON.stringify(condition(i, k, subject, `bc-${i}-${k}`)));
    for (let k = 0; k < PER_PATIENT.Observation; k++) buffers.Observation.push(JSON.stringify(observation(i, k, subject, `bo-${i}-${k}`)));
    resources += RESOURCES_PER_PATIENT;
    for (const t of types) flush(t);
  }
  for (const t of types) {
    flush(t, true);
    closeSync(fds[t]);
  }
  return { dir, patients: n, resources, nhs };
}
