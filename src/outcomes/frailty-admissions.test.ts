import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';

// O3.4 (frailty-related emergency admissions of over-65s, per 100,000 a year) on a world worked out by
// hand, so a join or a repeated code that counted an admission twice would show. October–December 2025:
// a (85): two flagged admissions — one with two reasons and the flag written twice — plus one flagged
// false, one not flagged, and one flagged in September (none of those three counts); b (75): one
// flagged admission; c (55): a flagged admission, but under 65; d (80): none. So 3 admissions over
// a, b and d (3 residents of 65 and over).
let t: TestPlatform;
const SD = 'https://onestory.example/fhir/StructureDefinition';
const Q4 = { start: '2025-10-01', end: '2025-12-31' };

const patient = (id: string, birthDate: string): Resource => ({
  resourceType: 'Patient', id, birthDate, extension: [{ url: `${SD}/district`, valueString: 'maidstone' }],
} as Resource);
const flag = (value: boolean) => ({ url: `${SD}/frailty-related`, valueBoolean: value });
const admission = (id: string, person: string, start: string, extension: object[], reasons = ['217082002']): Resource => ({
  resourceType: 'Encounter', id, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/encounter-type', code: 'emergency-admission' }] }],
  subject: { reference: `Patient/${person}` }, period: { start: `${start}T10:00:00Z`, end: `${start}T18:00:00Z` }, extension,
  reasonCode: reasons.map((code) => ({ coding: [{ system: 'http://snomed.info/sct', code }] })),
} as Resource);

beforeAll(async () => {
  t = await createTestPlatform();
  const world: Resource[] = [
    patient('a', '1940-06-01'), patient('b', '1950-06-01'), patient('c', '1970-06-01'), patient('d', '1945-06-01'),
    admission('a1', 'a', '2025-10-05', [flag(true), flag(true)], ['217082002', '5913000']),
    admission('a2', 'a', '2025-12-20', [flag(true)]),
    admission('a3', 'a', '2025-11-01', [flag(false)]),
    admission('a4', 'a', '2025-11-02', []),
    admission('a5', 'a', '2025-09-30', [flag(true)]),
    admission('b1', 'b', '2025-11-11', [flag(true), { url: `${SD}/alcohol-related`, valueBoolean: false }], ['217082002', '5913000', '71620000']),
    admission('c1', 'c', '2025-10-10', [flag(true)]),
  ];
  for (const r of world) await t.platform.resources.update(r.resourceType, r.id!, r);
}, 60_000);
afterAll(async () => t?.close());

describe('O3.4 frailty-related admissions of over-65s', () => {
  it('counts each flagged admission once, over residents of 65 and over only', async () => {
    const indicator = t.platform.outcomes.service.registry.get('O3.4')!;
    const cube = await t.platform.outcomes.service.evaluation.cube(indicator, Q4);
    const sum = cube.reduce((a, r) => ({ num: a.num + r.num, den: a.den + r.den }), { num: 0, den: 0 });
    expect(sum).toEqual({ num: 3, den: 3 });
  });
});
