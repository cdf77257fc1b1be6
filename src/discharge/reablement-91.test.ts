import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { latestCompleteYear, longStays, reablement91 } from './reablement-91.js';
import { AT_HOME_91, EXT, PLACE_ON_DAY_91, PLACE_SYSTEM, REABLEMENT_EPISODE } from './discharge.vocabulary.js';

// The 91-day figure (ASCOF 2B) and the 21+ day figure on a fixture whose answers are worked out by hand:
// Kent: 4 people 65+ discharged into reablement in October–December 2025 — at home (synthetic style,
// valueBoolean only), at home in extra care housing, in a care home, and no outcome recorded
// (unknown: counted as not at home, listed) → 2 of 4 = 50.0%. Not counted: a 64-year-old, and a
// discharge on 30 September. Medway: 1 at home → 100.0%.
let t: TestPlatform;
const NOW = new Date('2026-05-01T09:00:00Z');

const people: [string, string][] = [['k1', '1940-01-01'], ['k2', '1950-01-01'], ['k3', '1945-01-01'], ['k4', '1930-01-01'], ['k-young', '1961-06-01'], ['k-sept', '1940-01-01'], ['m1', '1944-01-01']];
const episodes: [string, string, string, string | undefined][] = [
  // id, person, council, start
  ['ep-k1', 'k1', 'org-kcc', '2025-10-01'], ['ep-k2', 'k2', 'org-kcc', '2025-11-15'], ['ep-k3', 'k3', 'org-kcc', '2025-12-31'], ['ep-k4', 'k4', 'org-kcc', '2025-12-01'],
  ['ep-young', 'k-young', 'org-kcc', '2025-11-01'], ['ep-sept', 'k-sept', 'org-kcc', '2025-09-30'], ['ep-m1', 'm1', 'org-medway', '2025-10-20'],
];
const outcome = (id: string, ep: string, person: string, atHome: boolean, place?: string): Resource => ({
  resourceType: 'Observation', id, status: 'final', code: { coding: [AT_HOME_91] }, subject: { reference: `Patient/${person}` }, focus: [{ reference: `EpisodeOfCare/${ep}` }],
  effectiveDateTime: '2026-03-01', valueBoolean: atHome,
  ...(place ? { component: [{ code: { coding: [PLACE_ON_DAY_91] }, valueCodeableConcept: { coding: [{ system: PLACE_SYSTEM, code: place }] } }] } : {}),
} as Resource);
const stay = (id: string, trust: string, admitted: string, ready?: string): Resource => ({
  resourceType: 'Encounter', id, status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/k1' }, serviceProvider: { reference: `Organization/${trust}` },
  period: { start: admitted }, ...(ready ? { extension: [{ url: EXT.readyDate, valueDateTime: ready }] } : {}),
} as Resource);

beforeAll(async () => {
  t = await createTestPlatform();
  const world: Resource[] = [
    { resourceType: 'Organization', id: 'org-kcc', name: 'Kent County Council' } as Resource,
    { resourceType: 'Organization', id: 'org-medway', name: 'Medway Council' } as Resource,
    { resourceType: 'Organization', id: 'org-t1', name: 'Trust One' } as Resource,
    ...people.map(([id, birthDate]) => ({ resourceType: 'Patient', id, birthDate }) as Resource),
    ...episodes.map(([id, person, council, start]) => ({
      resourceType: 'EpisodeOfCare', id, status: 'finished', type: [{ coding: [REABLEMENT_EPISODE] }], patient: { reference: `Patient/${person}` },
      managingOrganization: { reference: `Organization/${council}` }, period: { start, end: '2026-01-31' },
    }) as Resource),
    outcome('o1', 'ep-k1', 'k1', true),
    outcome('o2', 'ep-k2', 'k2', true, 'extra-care'),
    outcome('o3', 'ep-k3', 'k3', false, 'care-home'),
    outcome('o-young', 'ep-young', 'k-young', true),
    outcome('o-sept', 'ep-sept', 'k-sept', true),
    outcome('o-m1', 'ep-m1', 'm1', true, 'home'),
    // 21+ days: four in hospital at Trust One on 1 May 2026 — 30 days and ready; 21 days (admitted 23:30 BST on 10 April) and still
    // meeting the criteria; 20 days (admitted 00:30 BST on 11 April, which is still 10 April in UTC: days are Kent's); 5 days and ready.
    stay('s1', 'org-t1', '2026-04-01T10:00:00Z', '2026-04-20'), stay('s2', 'org-t1', '2026-04-10T22:30:00Z'), stay('s2b', 'org-t1', '2026-04-10T23:30:00Z'),
    stay('s3', 'org-t1', '2026-04-26T10:00:00Z', '2026-04-30'),
  ];
  for (const r of world) await t.platform.resources.update(r.resourceType, r.id!, r);
}, 60_000);
afterAll(async () => t?.close());

describe('the 91-day figure (ASCOF 2B), from the record', () => {
  it('counts people 65+ discharged into reablement from 1 October to 31 December, by council, unknown as not at home and listed', async () => {
    const r = await reablement91(t.platform.db, { now: NOW, year: 2025 });
    expect(r).toMatchObject({ from: '2025-10-01', to: '2025-12-31', complete: true });
    expect(r.authorities.map((a) => [a.authority.name, a.discharges, a.atHome, a.notAtHome, a.unknown, a.percent])).toEqual([
      ['Kent County Council', 4, 2, 1, 1, 50],
      ['Medway Council', 1, 1, 0, 0, 100],
    ]);
    expect(r.authorities[0].unknownEpisodes).toEqual([{ episodeId: 'ep-k4', patientId: 'k4', discharged: '2025-12-01' }]);
    expect(r.authorities[0].notAtHomeBy).toEqual({ 'In a care home': 1 });
    expect(r.total).toMatchObject({ discharges: 5, atHome: 3, percent: 60 });
  });

  it('defaults to the latest year whose discharges have all reached day 91', () => {
    expect(latestCompleteYear(new Date('2026-03-31T12:00:00Z'))).toBe(2024);
    expect(latestCompleteYear(new Date('2026-04-01T12:00:00Z'))).toBe(2025);
  });
});

describe('the 21+ day figure', () => {
  it('counts the people in hospital 21 days or more, and of them those no longer meeting the criteria to reside', async () => {
    const r = await longStays(t.platform.db, { now: NOW });
    expect(r.trusts).toEqual([{ trust: { id: 'org-t1', name: 'Trust One' }, inpatients: 4, los21: 2, los21NotMeetingCriteria: 1 }]);
  });
});
