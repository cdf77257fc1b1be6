import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, testAdminUrl, type TestPlatform } from '../src/testing/test-platform.js';
import { benchOutcomesPopulation } from './outcomes.bench.js';
import { duckDialect } from './outcomes.duckdb.js';
import { copyField } from './outcomes.load.js';
import { renderOutcomesSection, type OutcomesBenchResult } from './outcomes.report.js';

/**
 * The outcomes bench's short form: the same code as `npm run bench -- --only=outcomes` on 200 residents
 * (loaded with COPY, the dashboard from stored reports, every indicator on PostgreSQL and on DuckDB,
 * which must agree cell by cell or the bench throws), and its section of RESULTS.md rendered. It checks
 * that it ran and reported, not how fast.
 */
describe('outcomes bench (short form)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
  });
  afterAll(async () => t?.close());

  it('loads, serves the dashboard, evaluates every indicator on both engines with equal figures, and reports them', { timeout: 600_000 }, async () => {
    const admin = testAdminUrl();
    if (!admin) {
      // PGlite: no psql, no COPY to a file. The bench says so rather than measuring something else.
      await expect(benchOutcomesPopulation({ platform: t.platform, url: '', residents: 10, log: () => undefined })).rejects.toThrow(/needs a PostgreSQL server/);
      return;
    }
    const name = (await t.platform.db.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
    const url = new URL(admin);
    url.pathname = `/${name}`;
    const r = await benchOutcomesPopulation({
      platform: t.platform, url: url.toString(), residents: 200, dashboard: { requests: 3 }, evaluate: { duckdb: true }, log: () => undefined,
    });
    expect(r.load.residents).toBe(200);
    expect(r.load.resources).toBeGreaterThan(200);
    const patients = await t.platform.db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Patient'");
    expect(patients.rows[0].n).toBe(200);
    expect(r.dashboard!.storedRows).toBeGreaterThan(0);
    expect(r.dashboard!.p95Ms).toBeGreaterThan(0);
    const run = r.run!;
    const record = t.platform.outcomes.service.registry.indicators.filter((i) => i.computation.kind === 'record').map((i) => i.id);
    expect(run.indicators.map((i) => i.id)).toEqual(record);
    expect(run.duckdb!.equal).toBe(true);
    expect(run.indicators.every((i) => i.duckdbMs !== undefined && i.plainRows >= 200)).toBe(true);
    const result: OutcomesBenchResult = { date: '2026-12-02', commit: 'test', cores: 2, quick: true, dashboard: r.dashboard, runs: [run] };
    const md = renderOutcomesSection(result);
    expect(md).toContain(`All ${record.length} record indicators for every place and stratifier`);
    expect(md).toContain('PostgreSQL / DuckDB');
    expect(md).toContain('GET /outcomes');
    expect(md).toContain('extrapolated');
  });
});

describe('outcomes bench helpers', () => {
  it('translates only the PostgreSQL JSON spellings DuckDB lacks', () => {
    expect(duckDialect("SELECT c#>>'{code,coding,0,code}' IN ('a') FROM x")).toBe("SELECT (c->>'$.code.coding[0].code') IN ('a') FROM x");
    expect(duckDialect('SELECT r.content::jsonb AS c FROM resource r OFFSET 0)')).toBe('SELECT r.content::JSON AS c FROM resource r)');
    expect(duckDialect("EXISTS (SELECT 1 FROM jsonb_array_elements(c->'extension') x WHERE x->>'url' = 'u')"))
      .toBe("(len(list_filter(json_extract(c->'extension', '$[*]'), lambda x: (x->>'url') = 'u')) > 0)");
    expect(duckDialect("SELECT c->>'status' IS NULL")).toBe("SELECT (c->>'status') IS NULL");
  });
  it('escapes COPY text fields', () => {
    expect(copyField('a\\b\tc\nd')).toBe('a\\\\b\\tc\\nd');
    expect(copyField(null)).toBe('\\N');
  });
});
