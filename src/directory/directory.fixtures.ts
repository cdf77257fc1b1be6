import type { HealthcareService, Resource } from '@medplum/fhirtypes';
import { importItems } from '../fhir/import.service.js';
import type { Platform } from '../platform.js';
import { createContext } from '../synth/index.js';

/** The day the fixture's directory is generated as of (its last-checked dates are relative to it). */
export const FIXTURE_AS_OF = '2026-12-01';

/**
 * A small directory for tests: the synthetic services of a few districts (every kind the strategy
 * names, council, NHS and voluntary), with their organisations and locations, as of FIXTURE_AS_OF.
 * A few hundred resources, so a test file loads it in a second or two.
 */
export function directoryFixture(districts: string[] = ['medway', 'swale']): Resource[] {
  const all = createContext({ residents: 0, seed: 1, asOf: FIXTURE_AS_OF }).organisations;
  const byRef = new Map(all.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const services = all.filter((r): r is HealthcareService => r.resourceType === 'HealthcareService'
    && districts.includes(r.extension?.find((e) => e.url.endsWith('/district'))?.valueString ?? ''));
  const wanted = new Map<string, Resource>();
  for (const s of services) {
    for (const ref of [s.providedBy?.reference, ...(s.location ?? []).map((l) => l.reference)]) {
      const r = ref ? byRef.get(ref) : undefined;
      if (r) wanted.set(ref!, r);
    }
    for (const a of s.coverageArea ?? []) {
      const r = a.reference ? byRef.get(a.reference) : undefined;
      if (r) wanted.set(a.reference!, r);
    }
  }
  // Locations name their managing organisation: bring those too, so nothing dangles.
  for (const r of [...wanted.values()]) {
    const m = r.resourceType === 'Location' ? r.managingOrganization?.reference : undefined;
    if (m && byRef.has(m)) wanted.set(m, byRef.get(m)!);
  }
  const orgsFirst = [...wanted.values()].sort((a, b) => (a.resourceType === 'Organization' ? 0 : 1) - (b.resourceType === 'Organization' ? 0 : 1));
  return [...orgsFirst, ...services];
}

export async function loadDirectoryFixture(platform: Platform, districts?: string[]): Promise<Resource[]> {
  const resources = directoryFixture(districts);
  const summary = await importItems(platform, resources.map((resource, i) => ({ resource, source: `fixture #${i + 1}` })));
  if (summary.rejected.length) throw new Error(`directory fixture rejected: ${JSON.stringify(summary.rejected.slice(0, 3))}`);
  return resources;
}
