import { describe, expect, it } from 'vitest';
import { importItems } from './import.service.js';
import { createTestPlatform } from '../testing/test-platform.js';

// Each case starts from a brand-new database, so the first write must fetch surrogate keys itself,
// inside its own transaction (on single-connection PGlite any other connection would wait forever).
describe('first writes on a new database', () => {
  it('a conditional create as the very first write completes', async () => {
    const t = await createTestPlatform({ integration: false });
    try {
      const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'first' }] };
      const res = await t.platform.resources.create('Patient', body, { ifNoneExist: 'identifier=urn:test|first' });
      expect(res.created).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('an import batch as the very first write completes', async () => {
    const t = await createTestPlatform({ integration: false });
    try {
      const items = [{ resource: { resourceType: 'Patient', id: 'imp-1' }, source: 'mem:1' }];
      const summary = await importItems(t.platform, items);
      expect(summary.imported).toBe(1);
      expect((await t.platform.resources.read('Patient', 'imp-1')).versionId).toBe(1);
    } finally {
      await t.close();
    }
  });
});
