import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AT_HOME_91, REABLEMENT_EPISODE } from '../discharge/discharge.vocabulary.js';
import { reablement91 } from '../discharge/reablement-91.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';

// O5.2 (still at home 91 days after discharge into reablement) is computed from the record by the
// councils' rules (reablement91() in src/discharge): the indicator's exact counts for Kent and for
// Medway equal that figure's, on a world worked out by hand. Kent (October–December 2025, 65+ at
// discharge): at home; at home; a care home (after an outcome entered in error as at home); no outcome
// (not at home); died in hospital after discharge (not at home) → 2 of 5. Not counted: 64 at discharge
// (65 by the quarter's end), a discharge on 30 September. Medway: 1 of 1.
let t: TestPlatform;
const NOW = new Date('2026-05-01T09:00:00Z');
const SD = 'https://onestory.example/fhir/StructureDefinition';

const people: [string, string, string, string?][] = [
  ['k1', '1940-01-01', 'maidstone'], ['k2', '1950-01-01', 'swale'], ['k3', '1945-01-01', 'thanet'], ['k4', '1930-01-01', 'dover'],
  ['k5', '1935-01-01', 'ashford', '2026-01-20'], ['k-young', '1960-11-15', 'maidstone'], ['k-sept', '1940-01-01', 'maidstone'], ['m1', '1944-01-01', 'medway'],
];
const episodes: [string, string, string, string][] = [
  ['ep-k1', 'k1', 'org-kcc', '2025-10-01'], ['ep-k2', 'k2', 'org-kcc', '2025-11-15'], ['ep-k3', 'k3', 'org-kcc', '2025-12-31'], ['ep-k4', 'k4', 'org-kcc', '2025-12-01'],
  ['ep-k5', 'k5', 'org-kcc', '2025-11-20'], ['ep-young', 'k-young', 'org-kcc', '2025-11-01'], ['ep-sept', 'k-sept', 'org-kcc', '2025-09-30'], ['ep-m1', 'm1', 'org-medway', '2025-10-20'],
];
const outcome = (id: string, ep: string, person: string, atHome: boolean, status = 'final'): Resource => ({
  resourceType: 'Observation', id, status, code: { coding: [AT_HOME_91] }, subject: { reference: `Patient/${person}` }, focus: [{ reference: `EpisodeOfCare/${ep}` }],
  effectiveDateTime: '2026-03-01', valueBoolean: atHome,
} as Resource);

beforeAll(async () => {
  t = await createTestPlatform();
  const world: Resource[] = [
    { resourceType: 'Organization', id: 'org-kcc', name: 'Kent County Council' } as Resource,
    { resourceType: 'Organization', id: 'org-medway', name: 'Medway Council' } as Resource,
    ...people.map(([id, birthDate, district, died]) => ({
      resourceType: 'Patient', id, birthDate, ...(died ? { deceasedDateTime: died } : {}), extension: [{ url: `${SD}/district`, valueString: district }],
    }) as Resource),
    ...episodes.map(([id, person, council, start]) => ({
      resourceType: 'EpisodeOfCare', id, status: 'finished', type: [{ coding: [REABLEMENT_EPISODE] }], patient: { reference: `Patient/${person}` },
      managingOrganization: { reference: `Organization/${council}` }, period: { start, end: '2026-01-31' },
    }) as Resource),
    outcome('o1', 'ep-k1', 'k1', true), outcome('o2', 'ep-k2', 'k2', true), outcome('o3-wrong', 'ep-k3', 'k3', true, 'entered-in-error'),
    outcome('o3', 'ep-k3', 'k3', false), outcome('o5', 'ep-k5', 'k5', false), outcome('o-young', 'ep-young', 'k-young', true),
    outcome('o-sept', 'ep-sept', 'k-sept', true), outcome('o-m1', 'ep-m1', 'm1', true),
  ];
  for (const r of world) await t.platform.resources.update(r.resourceType, r.id!, r);
}, 60_000);
afterAll(async () => t?.close());

describe('O5.2 from the record, by the councils\' rules', () => {
  it('the indicator\'s exact counts for Kent and for Medway equal reablement91()\'s', async () => {
    const indicator = t.platform.outcomes.service.registry.get('O5.2')!;
    const cube = await t.platform.outcomes.service.evaluation.cube(indicator, { start: '2025-10-01', end: '2025-12-31' });
    const sum = (medway: boolean) => cube.filter((r) => (r.district === 'medway') === medway).reduce((a, r) => ({ num: a.num + r.num, den: a.den + r.den }), { num: 0, den: 0 });
    const r = await reablement91(t.platform.db, { now: NOW, year: 2025 });
    const kcc = r.authorities.find((a) => a.authority.id === 'org-kcc')!;
    const mc = r.authorities.find((a) => a.authority.id === 'org-medway')!;
    expect(sum(false)).toEqual({ num: kcc.atHome, den: kcc.discharges });
    expect(sum(true)).toEqual({ num: mc.atHome, den: mc.discharges });
    expect(sum(false)).toEqual({ num: 2, den: 5 });
    expect(sum(true)).toEqual({ num: 1, den: 1 });
  });
});
