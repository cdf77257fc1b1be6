import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import type { AddressInfo } from 'node:net';
import { loadDirectoryFixture } from '../../src/directory/directory.fixtures.js';
import { ROOT_DIR } from '../../src/paths.js';
import { createTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';

const run = promisify(execFile);

// The built CLI (`npm test` builds first), so the import runs as users run it: worker threads
// preparing batches, the main thread writing them.
describe('npx onestory import (built CLI, worker threads)', () => {
  let dir: string;
  let db: Database | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'onestory-import-'));
    chmodSync(dir, 0o711); // run as root, the embedded PostgreSQL's postgres user must pass through
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads good lines across several batches, reports each bad line with file:line, and writes none of them', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 1200; i++) {
      lines.push(JSON.stringify({ resourceType: 'Patient', id: `cli-${i}`, name: [{ family: `Family${i}` }], gender: 'female' }));
    }
    lines.splice(10, 0, '{not json');
    lines.splice(700, 0, JSON.stringify({ resourceType: 'Patient', id: 'bad-gender', gender: 42 }));
    lines.push(JSON.stringify({ resourceType: 'Patient', name: [{ family: 'NoId' }] }));
    writeFileSync(join(dir, 'Patient.ndjson'), `${lines.join('\n')}\n`);
    const dataDir = join(dir, 'data');
    const env = { ...process.env, ONESTORY_DATA_DIR: dataDir, DATABASE_URL: '' };
    const res = await run('node', [join(ROOT_DIR, 'bin/onestory.js'), 'import', dir], { env }).catch((e) => e);
    expect(res.code).toBe(1); // some lines were rejected
    expect(res.stdout).toContain('Imported 1,200 resources');
    expect(res.stdout).toContain('Rejected 3 line(s)');
    expect(res.stdout).toMatch(/Patient\.ndjson:11: not valid JSON/);
    expect(res.stdout).toMatch(/Patient\.ndjson:701: .*Patient\.gender/);
    expect(res.stdout).toMatch(/Patient\.ndjson:1203: .*must carry its id/);

    db = await openDatabase({ dataDir, embedded: 'postgres' });
    const counts = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM resource WHERE resource_type = 'Patient'");
    expect(counts.rows[0].n).toBe('1200');
    const bad = await db.query("SELECT 1 FROM resource WHERE id = 'bad-gender' UNION ALL SELECT 1 FROM sp_token t JOIN resource r USING (rid) WHERE r.id = 'bad-gender'");
    expect(bad.rows).toHaveLength(0);
    const indexed = await db.query("SELECT count(*)::text AS n FROM sp_string WHERE code = 'family' AND value = 'family1199'");
    expect(indexed.rows[0]).toEqual({ n: '1' });
  });
});

// A partner's Open Referral API on loopback (a OneStory directory), harvested by the built CLI into an
// embedded database of its own: every page, each service's full record, then again with nothing new.
describe('npx onestory directory import <an Open Referral API> (built CLI)', () => {
  let dir: string;
  let feed: TestPlatform;
  let db: Database | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onestory-directory-'));
    chmodSync(dir, 0o711);
    feed = await createTestPlatform({ integration: false });
    await loadDirectoryFixture(feed.platform, ['medway']);
    await feed.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await db?.close();
    await feed?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('harvests every page with each full record, says so, and a second run changes nothing', { timeout: 120_000 }, async () => {
    const url = `http://127.0.0.1:${(feed.app.server.address() as AddressInfo).port}/openreferral/services?per_page=20`;
    const total = ((await feed.app.inject({ method: 'GET', url: '/openreferral/services' })).json() as { total_items: number }).total_items;
    const pages = Math.ceil(total / 20);
    const env = { ...process.env, ONESTORY_DATA_DIR: join(dir, 'data'), DATABASE_URL: '' };
    const cli = () => run('node', [join(ROOT_DIR, 'bin/onestory.js'), 'directory', 'import', url], { env }).catch((e) => e as { code: number; stdout: string });
    const first = await cli();
    expect(first.stdout).toContain(`Harvested ${url}: ${pages} pages of ${pages}, each service's full record from /services/{id}.`);
    expect(first.stdout).toMatch(new RegExp(`Read ${total} records in .*: ${total} new, 0 updated, 0 unchanged .* 0 rejected\\.`));
    const again = await cli();
    expect(again.stdout).toMatch(new RegExp(`: 0 new, 0 updated, ${total} unchanged .* 0 rejected\\.`));

    db = await openDatabase({ dataDir: join(dir, 'data'), embedded: 'postgres' });
    const phones = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM resource WHERE resource_type = 'HealthcareService' AND content::jsonb -> 'telecom' @> '[{\"system\": \"phone\"}]'");
    const theirs = await feed.platform.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM resource WHERE resource_type = 'HealthcareService' AND NOT deleted AND content::jsonb -> 'telecom' @> '[{\"system\": \"phone\"}]'");
    expect(phones.rows[0].n).toBe(theirs.rows[0].n);
    expect(phones.rows[0].n).toBeGreaterThan(0);
  });
});
