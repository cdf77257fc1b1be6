import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../src/testing/test-platform.js';
import { benchAudit } from './audit.bench.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
});
afterAll(async () => t?.close());

it('benchAudit measures both modes and leaves a valid chain (no timing assertions)', async () => {
  const r = await benchAudit(t.platform, { count: 200, concurrency: 16 });
  expect(r.single).toMatchObject({ records: 200, transactions: 200, mode: 'one-transaction-each' });
  expect(r.groupCommit.records).toBe(200);
  expect(r.groupCommit.transactions).toBeLessThan(200);
  expect(r.speedup).toBeGreaterThan(0);
  console.log(JSON.stringify(r));
});
