import { describe, expect, it } from 'vitest';
import { orukIdOf, uuidFor } from './oruk-ids.js';

describe('Open Referral ids', () => {
  it('derives the same version 5 UUID for a name on every call, however many names came between', () => {
    // Fixed values: the API's ids must never change between calls, restarts or machines.
    const fixed: [string, string][] = [
      ['HealthcareService/hs-dir-befriend-medway', '49f911cf-772c-5f40-ab2e-7a4ff715ecdd'],
      ['Organization/bench-org-1', 'd5a59064-5721-50af-bd1a-16cc00c491dd'],
    ];
    for (const [name, id] of fixed) expect(uuidFor(name)).toBe(id);
    // Past the remembered names' bound (they are forgotten, then derived again).
    const seen = new Set<string>();
    for (let i = 0; i < 25_000; i++) seen.add(uuidFor(`Location/many-${i}`));
    expect(seen.size).toBe(25_000);
    for (const [name, id] of fixed) expect(uuidFor(name)).toBe(id);
    expect(orukIdOf({ resourceType: 'Organization', id: 'bench-org-1' })).toBe('d5a59064-5721-50af-bd1a-16cc00c491dd');
    expect(uuidFor('Location/many-7')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
