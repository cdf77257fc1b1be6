import { describe, expect, it } from 'vitest';
import { importItems } from './import.service.js';
import { createTestPlatform, fhir } from '../testing/test-platform.js';

// Each case starts from a brand-new database, so the first write must fetch surrogate keys itself,
// inside its own transaction (on single-connection PGlite any other connection would wait forever).
describe('first writes on a new database', () => {
  it('a conditional create as the very first write completes', async () => {
    const t = await createTestPlatform();
    try {
      const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'first' }] };
      const res = await fhir(t.app, 'POST', 'Patient', body, { 'if-none-exist': 'identifier=urn:test|first' });
      expect(res.status).toBe(201);
    } finally {
      await t.close();
    }
  });

  it('an import batch as the very first write completes', async () => {
    const t = await createTestPlatform();
    try {
      const items = [{ resource: { resourceType: 'Patient', id: 'imp-1' }, source: 'mem:1' }];
      const summary = await importItems(t.platform, items);
      expect(summary.imported).toBe(1);
      expect((await fhir(t.app, 'GET', 'Patient/imp-1')).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
