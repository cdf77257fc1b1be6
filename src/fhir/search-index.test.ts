import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../synth/index.js';
import { extractIndex, indexedParams, mayHaveValues } from './search-index.js';

// A parameter is skipped without evaluating its FHIRPath only when the resource has no key along
// its member paths: held here to "the FHIRPath gives nothing" for every parameter of every resource
// of a small synthetic population and of resources written to catch the keys the check must see.
describe('extractIndex: parameters skipped by the member-path check', () => {
  const population: Resource[] = [...synthesize({ residents: 20, seed: 7, asOf: '2026-06-01', neighbourhood: 'largest' })];
  const edges: Resource[] = [
    // A choice element (Observation.effective as effectiveDateTime / effectivePeriod) and a primitive's extension only.
    { resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '2026-01-02' },
    { resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectivePeriod: { start: '2026-01-02' } },
    { resourceType: 'Patient', _birthDate: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } } as Resource,
    { resourceType: 'Patient', birthDate: '1950-02-03', name: [{ given: ['Zoë'], family: 'Smith' }], address: [{ city: 'Deal' }] },
    { resourceType: 'Location', name: 'Hall', address: { city: 'Deal', postalCode: 'CT14 6AA' }, meta: { profile: ['http://example.org/p'] } },
  ];

  it('skips only parameters whose FHIRPath gives no value, and does skip some', () => {
    let skipped = 0;
    let checked = 0;
    for (const r of [...population, ...edges]) {
      const input = [toTypedValue(r)];
      for (const p of indexedParams(r.resourceType).values()) {
        if (!p.table) continue;
        checked++;
        if (mayHaveValues(p, r)) continue;
        skipped++;
        let values: unknown[];
        try {
          values = evalFhirPathTyped(p.expression, input);
        } catch {
          values = [];
        }
        expect(values, `${r.resourceType}.${p.code} (${p.sp.expression}) skipped but has values`).toEqual([]);
      }
    }
    expect(population.length).toBeGreaterThan(100);
    expect(skipped).toBeGreaterThan(checked / 4);
  });

  it('still indexes choice elements, nested members and unions', () => {
    const [effective, period, , patient, location] = edges;
    expect(extractIndex(effective).date.map((r) => r[0])).toContain('date');
    expect(extractIndex(period).date.map((r) => r[0])).toContain('date');
    const p = extractIndex(patient);
    expect(p.string).toContainEqual(['address-city', 'deal', 'Deal']);
    expect(p.string).toContainEqual(['given', 'zoe', 'Zoë']);
    expect(p.date.map((r) => r[0])).toContain('birthdate');
    const l = extractIndex(location);
    expect(l.string).toContainEqual(['name', 'hall', 'Hall']);
    expect(l.uri).toContainEqual(['_profile', 'http://example.org/p']);
  });
});
