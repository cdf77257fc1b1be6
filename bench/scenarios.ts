import { randomUUID } from 'node:crypto';
import { NHS_NUMBER_SYSTEM } from '../src/fhir/nhs-number.js';
import { BARS_EVENT_SYSTEM } from '../src/referrals/process-message.service.js';
import { CONSENT_EXTENSION, SHARE_SYSTEM } from '../src/referrals/referral.vocabulary.js';
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
  'ceiling', 'read', 'search-identifier', 'search-name', 'search-birthdate', 'search-include',
  'directory-text', 'directory-taxonomy', 'directory-proximity', 'update', 'create', 'transaction', 'process-message',
] as const;
/** The directory's searches: the public Open Referral API, asked with no sign-in as any feed reader would. */
export const PUBLIC_SCENARIOS = ['directory-text', 'directory-taxonomy', 'directory-proximity'] as const;
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
  /** The directory imported beside the patients (bench/directory.feed.ts): its size, term ids and the postcode districts searched from. */
  directory?: { services: number; termIds: string[]; postcodes: string[] };
  /** Primary keys of the fixture's rows, for the ceiling route. */
  rids: string[];
  /** Where the create scenario's NHS numbers start, so repeated runs in one process stay distinct. */
  createOffset: number;
}

export interface BuiltRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: string;
  /** Headers of this request only (a message's X-Request-Id). */
  headers?: Record<string, string>;
}

const DIRECTORY_WORDS = ['befriending', 'friendly support', 'dementia', 'carers', 'debt advice', 'stop smoking', 'veterans', 'family hubs'];

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
    case 'directory-text':
      return (n) => ({ method: 'GET', path: `/openreferral/services?search=${encodeURIComponent(DIRECTORY_WORDS[n % DIRECTORY_WORDS.length])}` });
    case 'directory-taxonomy': {
      const terms = data.directory?.termIds ?? [];
      return (n) => ({ method: 'GET', path: `/openreferral/services?taxonomy_term_id=${terms[n % terms.length]}` });
    }
    case 'directory-proximity': {
      const postcodes = data.directory?.postcodes ?? [];
      return (n) => ({ method: 'GET', path: `/openreferral/services?postcode=${postcodes[hash32(n) % postcodes.length]}&proximity=5000` });
    }
    case 'process-message': {
      // A referral of a fixture patient to a directory service, each with its own X-Request-Id.
      const nhs = nhsNumbers(data.patients);
      const services = data.directory?.services ?? 1;
      return (n) => ({
        method: 'POST', path: '/fhir/R4/$process-message', headers: { 'x-request-id': `bench-${data.createOffset}-${n}-${randomUUID()}` },
        body: JSON.stringify(referralMessage(nhs[pick(n)], `oruk-svc-bench-${hash32(n + 7) % services}`)),
      });
    }
  }
}

/** A BaRS-style referral message (MessageHeader, ServiceRequest, Patient by NHS number), as src/referrals/process-message.test.ts sends. */
export function referralMessage(nhsNumber: string, serviceId: string): Record<string, unknown> {
  const [header, request, person] = [randomUUID(), randomUUID(), randomUUID()];
  return {
    resourceType: 'Bundle', type: 'message',
    entry: [
      { fullUrl: `urn:uuid:${header}`, resource: {
        resourceType: 'MessageHeader', id: header, eventCoding: { system: BARS_EVENT_SYSTEM, code: 'servicerequest-request' },
        source: { endpoint: 'https://referrer.example/bars' }, focus: [{ reference: `urn:uuid:${request}` }],
      } },
      { fullUrl: `urn:uuid:${request}`, resource: {
        resourceType: 'ServiceRequest', status: 'active', intent: 'order', priority: 'routine', subject: { reference: `urn:uuid:${person}` },
        performer: [{ reference: `HealthcareService/${serviceId}` }], reasonCode: [{ text: 'Isolated after a fall; would like a befriender' }],
        extension: [{ url: CONSENT_EXTENSION, extension: [{ url: 'given', valueBoolean: true }, { url: 'share', valueCoding: { system: SHARE_SYSTEM, code: 'contact' } }] }],
      } },
      { fullUrl: `urn:uuid:${person}`, resource: { resourceType: 'Patient', identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }] } },
    ],
  };
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
