import type { HealthcareService, Location, Organization, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { distanceMetres, postcodeDistrictCentroids } from '../directory/postcode-geography.js';
import { freshnessOf } from '../directory/service-freshness.js';
import { createContext } from './index.js';
import { loadReferenceData } from './reference-data.js';

const KINDS = ['carers-support', 'befriending', 'weight-management', 'stop-smoking', 'debt-housing-advice', 'family-hub', 'domestic-abuse',
  'veterans', 'dementia-support', 'crisis-cafe', 'street-triage'];

describe('the synthetic service directory', () => {
  let all: Resource[];
  let services: HealthcareService[];
  const byId = new Map<string, Resource>();
  beforeAll(() => {
    all = createContext({ residents: 0, seed: 1, asOf: '2026-12-01' }).organisations;
    for (const r of all) byId.set(`${r.resourceType}/${r.id}`, r);
    services = all.filter((r): r is HealthcareService => r.resourceType === 'HealthcareService');
  });
  const districtOf = (s: HealthcareService) => s.extension?.find((e) => e.url.endsWith('/district'))?.valueString;
  const kindOf = (s: HealthcareService) => s.type![0].coding![0].code!;

  it('has every kind of service the strategy names in every district', () => {
    for (const d of loadReferenceData().places.districts) {
      const here = new Set(services.filter((s) => districtOf(s) === d.id).map(kindOf));
      for (const k of KINDS) expect(here.has(k), `${k} in ${d.id}`).toBe(true);
    }
  });

  it('has services run by voluntary groups, councils and the NHS', () => {
    const orgType = (s: HealthcareService) => (byId.get(s.providedBy!.reference!) as Organization).type![0].coding![0].code;
    const types = new Set(services.filter((s) => KINDS.includes(kindOf(s))).map(orgType));
    expect([...types].sort()).toEqual(['cg', 'govt', 'prov']);
  });

  it('records when every entry was last checked, spread so some are possibly out of date and some no longer take referrals', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const states = services.map((s) => freshnessOf(s, now).state);
    expect(states.every((s) => s !== undefined)).toBe(true);
    expect(services.every((s) => freshnessOf(s, now).lastChecked)).toBe(true);
    const share = (st: string) => states.filter((s) => s === st).length / states.length;
    expect(share('current')).toBeGreaterThan(0.75);
    expect(share('possibly-out-of-date')).toBeGreaterThan(0.08);
    expect(share('not-taking-referrals')).toBeGreaterThan(0.04);
    // The PCNs' social prescribing services (the caseloads' own) are current, and every current entry
    // was checked within four months, so it stays current for two months of the demo's clock.
    expect(services.filter((s) => kindOf(s) === 'social-prescribing').every((s) => freshnessOf(s, now).state === 'current')).toBe(true);
    const daysSince = (s: HealthcareService) => (now.getTime() - Date.parse(`${freshnessOf(s, now).lastChecked!}T00:00:00Z`)) / 86_400_000;
    expect(services.filter((s) => freshnessOf(s, now).state === 'current').every((s) => daysSince(s) <= 121)).toBe(true);
  });

  it('has a current befriending club open on Saturdays within 5 km of every Kent and Medway postcode district', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const saturday = services.filter((s) => kindOf(s) === 'befriending' && freshnessOf(s, now).state === 'current'
      && s.availableTime!.some((t) => t.daysOfWeek!.includes('sat')));
    const points = saturday.flatMap((s) => s.location!.map((l) => (byId.get(l.reference!) as Location).position!));
    for (const [pd, centre] of postcodeDistrictCentroids(loadReferenceData().localities)) {
      const nearest = Math.min(...points.map((p) => distanceMetres(centre, { lat: p.latitude, lon: p.longitude })));
      expect(nearest, pd).toBeLessThan(5000);
    }
  });
});
