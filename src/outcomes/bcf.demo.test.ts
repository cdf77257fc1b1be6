import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StaffPrincipal } from '../access/principal.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { seedDemoBcfHistory } from './bcf.demo.js';

// The demo's complete Better Care Fund year, on a world made by hand: the record's admissions start on
// 28 August 2025 (inside financial year 2025/26); the demo repeats, a year earlier, the finished
// admissions that started from 1 April to 27 August 2026, so 2025/26 is complete. The clock: 15 December 2026.
let t: TestPlatform;
const SD = 'https://onestory.example/fhir/StructureDefinition';
const analyst: StaffPrincipal = { kind: 'staff', id: 'a', displayName: 'A', role: 'icb-analyst', organizationId: 'org-icb', organizationIds: ['org-icb'], via: 'session', credentialId: 'x' };
const admission = (id: string, start: string, end: string, extension: object[] = []): Resource => ({
  resourceType: 'Encounter', id, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/encounter-type', code: 'emergency-admission' }] }],
  subject: { reference: 'Patient/p1' }, period: { start: `${start}T10:00:00Z`, end: `${end}T12:00:00Z` }, extension,
} as Resource);

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => new Date('2026-12-15T09:00:00Z');
  const world: Resource[] = [
    { resourceType: 'Patient', id: 'p1', birthDate: '1940-01-01', extension: [{ url: `${SD}/district`, valueString: 'swale' }] } as Resource,
    admission('first', '2025-08-28', '2025-09-02'),
    admission('april', '2026-04-15', '2026-04-20'),
    admission('may', '2026-05-03', '2026-05-10', [{ url: `${SD}/no-longer-meets-criteria-to-reside`, valueDateTime: '2026-05-06T09:00:00Z' }]),
    admission('after', '2026-08-29', '2026-09-01'),
  ];
  for (const r of world) await t.platform.resources.update(r.resourceType, r.id!, r);
}, 60_000);
afterAll(async () => t?.close());

describe('the demo\'s Better Care Fund history', () => {
  it('repeats the missing months\' admissions a year earlier (every date), once, so the first year is complete', async () => {
    expect((await t.platform.outcomes.bcf.view(analyst)).metrics[0].years.map((y) => `${y.year.label} ${y.status}`)).toContain('2025/26 part-record');
    expect(await seedDemoBcfHistory(t.platform)).toBe(2);
    const may = (await t.platform.resources.read('Encounter', 'may-pyr')).content!;
    const e = JSON.parse(may);
    expect(e.period).toEqual({ start: '2025-05-03T10:00:00Z', end: '2025-05-10T12:00:00Z' });
    expect(e.extension[0].valueDateTime).toBe('2025-05-06T09:00:00Z');
    expect(e.meta.tag.map((x: { code: string }) => x.code)).toContain('repeated-a-year-earlier');
    expect(await seedDemoBcfHistory(t.platform)).toBe(0); // the record now starts in April: nothing more to do
    expect(await t.platform.outcomes.bcf.recordFrom()).toBe('2025-04-01');
    await t.platform.db.query(`DELETE FROM outcome_report`);
    const view = await t.platform.outcomes.bcf.view(analyst);
    for (const m of view.metrics.filter((x) => x.metric.window === 'financial-year')) {
      expect(m.years.map((y) => `${y.year.label} ${y.status}`), m.metric.indicator.id).toContain('2025/26 complete');
    }
  });
});
