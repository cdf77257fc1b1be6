import { randomUUID } from 'node:crypto';
import { NHS_NUMBER_SYSTEM } from '../src/fhir/nhs-number.js';
import {
  birthDate, CREATE_PREFIX_START, condition, encounter, familyName, hash32, nhsNumberForPrefix, nhsNumbers, observation, patient, patientId,
} from './fixtures.js';

/**
 * The HTTP scenarios, in the order they run: reads before writes, so reads see only the fixture.
 * Every FHIR scenario runs signed in (the bench's GP, session cookie); the read and the searches
 * also run `open-` (the same answer from bench-only routes with no principal, no row restriction
 * and no audit: the record as it was before the access layer), immediately before the signed-in run.
 */
export const HTTP_SCENARIOS = [
  'ceiling', 'read', 'search-identifier', 'search-name', 'search-birthdate', 'search-include', 'update', 'create', 'transaction',
] as const;
/** The scenarios measured both ways, open and signed in (issue 4: within 15%). */
export const ACCESS_PAIRED = ['read', 'search-identifier', 'search-name', 'search-birthdate', 'search-include'] as const;
export type AccessPaired = (typeof ACCESS_PAIRED)[number];
export type OpenScenario = `open-${AccessPaired}`;
export type HttpScenario = (typeof HTTP_SCENARIOS)[number] | OpenScenario;

/** Where the bench's unauthorised twins of the FHIR read and search routes live (bench/run.ts registers them). */
export const OPEN_PREFIX = '/bench/open';
export const FHIR_PREFIX = '/fhir/R4';

export function openOf(s: AccessPaired): OpenScenario {
  return `open-${s}`;
}

export function isOpen(s: HttpScenario): s is OpenScenario {
  return s.startsWith('open-');
}

export const TRANSACTION_PATIENTS = 20;
/** One transaction: 20 new patients, each with 2 encounters, a condition and an observation = 100 entries. */
export const TRANSACTION_ENTRIES = TRANSACTION_PATIENTS * 5;

export interface ScenarioData {
  patients: number;
  /** Primary keys of the fixture's rows, for the ceiling route. */
  rids: string[];
  /** Where the create scenario's NHS numbers start, so repeated runs in one process stay distinct. */
  createOffset: number;
}

export interface BuiltRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: string;
}

/**
 * Returns a function giving the n-th request of a scenario. Ids are spread over the whole
 * fixture by a hash of n (not n itself), so consecutive requests do not hit neighbouring rows.
 */
export function requestBuilder(scenario: HttpScenario, data: ScenarioData): (n: number) => BuiltRequest {
  if (isOpen(scenario)) {
    // The same requests, sent to the open twin of the route: only the prefix differs.
    const signed = requestBuilder(scenario.slice('open-'.length) as AccessPaired, data);
    return (n) => {
      const r = signed(n);
      return { ...r, path: OPEN_PREFIX + r.path.slice(FHIR_PREFIX.length) };
    };
  }
  const pick = (n: number) => hash32(n) % data.patients;
  switch (scenario) {
    case 'ceiling':
      return (n) => ({ method: 'GET', path: `/bench/ceiling/${data.rids[hash32(n) % data.rids.length]}` });
    case 'read':
      return (n) => ({ method: 'GET', path: `/fhir/R4/Patient/${patientId(pick(n))}` });
    case 'search-identifier': {
      // Rebuilt here rather than shipped from the main thread: the same pure function made the fixture.
      const nhs = nhsNumbers(data.patients);
      return (n) => ({ method: 'GET', path: `/fhir/R4/Patient?identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${nhs[pick(n)]}`)}` });
    }
    case 'search-name':
      return (n) => ({ method: 'GET', path: `/fhir/R4/Patient?name=${familyName(pick(n))}` });
    case 'search-birthdate':
      // A one-week window around a real birth date: ~1 match per 1,300 patients per day of window.
      return (n) => {
        const from = birthDate(pick(n));
        const to = new Date(Date.parse(from) + 7 * 86_400_000).toISOString().slice(0, 10);
        return { method: 'GET', path: `/fhir/R4/Patient?birthdate=ge${from}&birthdate=lt${to}` };
      };
    case 'search-include':
      return (n) => ({ method: 'GET', path: `/fhir/R4/Encounter?subject=Patient/${patientId(pick(n))}&_include=Encounter:subject` });
    case 'update': {
      // Sequential ids (n mod patients) so that 16 connections almost never update the same patient at once.
      const nhs = nhsNumbers(data.patients);
      return (n) => {
        const i = n % data.patients;
        const body = patient(i, nhs[i], patientId(i));
        (body as { telecom?: unknown }).telecom = [{ system: 'phone', value: `07700 ${String(900000 + (n % 100000)).slice(0, 6)}` }];
        return { method: 'PUT', path: `/fhir/R4/Patient/${patientId(i)}`, body: JSON.stringify(body) };
      };
    }
    case 'create':
      return (n) => ({ method: 'POST', path: '/fhir/R4/Patient', body: JSON.stringify(patient(n, createNhs(data.createOffset + n), null)) });
    case 'transaction':
      return (n) => ({ method: 'POST', path: '/fhir/R4', body: JSON.stringify(transactionBundle(n, data.createOffset)) });
  }
}

/** NHS numbers for created patients, from the upper half of the 999 range (never a fixture's). */
export function createNhs(k: number): string {
  const span = 1_000_000 - CREATE_PREFIX_START;
  for (let p = Math.abs(k); ; p++) {
    const v = nhsNumberForPrefix(CREATE_PREFIX_START + (p % span));
    if (v) return v;
  }
}

export function transactionBundle(n: number, offset: number): Record<string, unknown> {
  const entry: Record<string, unknown>[] = [];
  for (let j = 0; j < TRANSACTION_PATIENTS; j++) {
    const i = n * TRANSACTION_PATIENTS + j;
    const full = `urn:uuid:${randomUUID()}`;
    const post = (resource: Record<string, unknown>, fullUrl = `urn:uuid:${randomUUID()}`) =>
      entry.push({ fullUrl, resource, request: { method: 'POST', url: resource.resourceType } });
    post(patient(i, createNhs(offset + 250_000 + i), null), full);
    post(encounter(i, 0, full));
    post(encounter(i, 1, full));
    post(condition(i, 0, full));
    post(observation(i, 0, full));
  }
  return { resourceType: 'Bundle', type: 'transaction', entry };
}
