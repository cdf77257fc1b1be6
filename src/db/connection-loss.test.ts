import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ResourceService } from '../fhir/resource.service.js';
import { createLogger } from '../logger.js';
import { buildServer } from '../server.js';
import { createTestPlatform, fhir, testAdminUrl, type TestPlatform } from '../testing/test-platform.js';
import { isDatabaseUnavailable } from './connection-errors.js';
import type { Database } from './database.js';
import { databaseReadiness } from './readiness.js';

const coded = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it("recognises pg's connection-failure codes and messages, and nothing else", () => {
    for (const code of ['57P01', '57P02', '57P03', '08000', '08003', '08006', '08P01', 'ECONNREFUSED', 'ECONNRESET']) {
      expect(isDatabaseUnavailable(coded(code)), code).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: coded('ECONNREFUSED') }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([coded('ECONNREFUSED')]))).toBe(true);
    for (const code of ['23505', '22P02', '40001', '57014', 'FST_ERR_CTP_INVALID_MEDIA_TYPE']) {
      expect(isDatabaseUnavailable(coded(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error('invalid input syntax'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('databaseReadiness', () => {
  it('answers from SELECT 1, caches the answer for cacheMs, and notices the database coming back', async () => {
    let t = 0;
    let up = false;
    const query = vi.fn(async () => {
      if (!up) throw coded('ECONNREFUSED');
      return { rows: [{}], rowCount: 1 };
    });
    const check = databaseReadiness({ query } as never, { cacheMs: 1_000, now: () => t });
    expect((await check()).ready).toBe(false);
    up = true;
    for (let i = 0; i < 50; i++) expect((await check()).ready).toBe(false); // a flood: one query
    expect(query).toHaveBeenCalledTimes(1);
    t += 1_000;
    expect(await check()).toEqual({ ready: true });
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('is not ready when SELECT 1 does not answer in time, and never has two probes outstanding', async () => {
    let t = 0;
    const query = vi.fn(() => new Promise<never>(() => undefined));
    const check = databaseReadiness({ query } as never, { timeoutMs: 5, cacheMs: 1_000, now: () => t });
    expect(await check()).toMatchObject({ ready: false, reason: expect.stringMatching(/did not answer/) });
    t += 1_000;
    expect((await check()).ready).toBe(false);
    expect(query).toHaveBeenCalledTimes(1);
  });
});

/**
 * The platform's database, with a switch that makes statements fail as a lost server would: all of
 * them, or only those outside a transaction (so the AuditEvent, written in one, still is).
 */
function switchable(db: Database) {
  const state: { down: false | 'all' | 'outside transactions' } = { down: false };
  const fail = (inTransaction: boolean) => {
    if (state.down === 'all' || (state.down && !inTransaction)) throw coded('57P01', 'terminating connection due to administrator command');
  };
  const wrapped: Database = {
    kind: db.kind,
    async query(sql, params, opts) {
      fail(false);
      return db.query(sql, params, opts);
    },
    async transaction(fn) {
      fail(true);
      return db.transaction(fn);
    },
    async exec(sql) {
      fail(false);
      return db.exec(sql);
    },
    close: () => db.close(),
  };
  return { db: wrapped, state };
}

describe('the server while the database is away (either back end)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform();
  });
  afterAll(async () => t?.close());
  afterEach(() => vi.restoreAllMocks());

  it('answers 503 with Retry-After (OperationOutcome; /healthz not ready), and serves again when it returns', async () => {
    const { db, state } = switchable(t.platform.db);
    const app = await buildServer({ ...t.platform, db, resources: new ResourceService(db) }, createLogger('silent'));
    try {
      const created = await fhir(app, 'POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Outage' }] }, { authorization: t.authorization });
      expect(created.status).toBe(201);

      // The handler's own statement fails, the audit still succeeds: the error handler's answer.
      state.down = 'outside transactions';
      const read = await fhir(app, 'GET', `Patient/${created.body.id}`, undefined, { authorization: t.authorization });
      expect(read.status, read.text).toBe(503);
      expect(read.headers['retry-after']).toBeDefined();
      expect(read.body.issue[0]).toMatchObject({ code: 'transient', diagnostics: expect.stringMatching(/database cannot be reached/) });

      state.down = 'all';
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: 'unavailable', ready: false });
      for (const [method, url, body] of [['GET', `Patient/${created.body.id}`], ['POST', 'Patient', { resourceType: 'Patient' }]] as const) {
        const res = await fhir(app, method, url, body, { authorization: t.authorization });
        expect(res.status, `${method} ${url}: ${res.text}`).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.body.resourceType).toBe('OperationOutcome');
        expect(res.body.issue[0].code).toBe('transient');
      }

      state.down = false;
      // The health answer is cached for a second: move the clock it reads past that, not the test.
      const later = performance.now() + 2_000;
      vi.spyOn(performance, 'now').mockReturnValue(later);
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      vi.restoreAllMocks();
      expect((await fhir(app, 'GET', `Patient/${created.body.id}`, undefined, { authorization: t.authorization })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

// Only a PostgreSQL server has connections to lose: this part runs in the suite's PostgreSQL pass
// (every pass but the optional PGlite one, vitest.config.ts).
if (process.env.ONESTORY_TEST_DB !== 'pglite') {
  describe('PostgreSQL: every backend terminated under concurrent writes', () => {
    let t: TestPlatform;
    // Its own server on the test platform: a request whose AuditEvent cannot be written while the
    // database is away is refused (503) and rightly leaves none, which the platform's per-request
    // audit check would count against it.
    let app: Awaited<ReturnType<typeof buildServer>>;
    const post = (body: unknown) => fhir(app, 'POST', 'Patient', body, { authorization: t.authorization });
    beforeAll(async () => {
      t = await createTestPlatform();
      app = await buildServer(t.platform, createLogger('silent'));
    });
    afterAll(async () => {
      await app?.close();
      await t?.close();
    });

    async function terminateOthers(database: string): Promise<number> {
      const admin = new pg.Client({ connectionString: testAdminUrl() });
      await admin.connect();
      try {
        const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
        return r.rowCount ?? 0;
      } finally {
        await admin.end();
      }
    }

    it('keeps the process up, answers 503 (never 500) while connections are lost, and recovers by itself', async () => {
      const database = (await t.platform.db.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
      const crashes: unknown[] = [];
      const onCrash = (err: unknown) => crashes.push(err);
      process.on('uncaughtException', onCrash);
      try {
        const statuses: number[] = [];
        let terminated = 0;
        const writer = async (w: number) => {
          for (let i = 0; i < 12; i++) {
            const res = await post({ resourceType: 'Patient', name: [{ family: `Writer${w}`, given: [`N${i}`] }] });
            statuses.push(res.status);
            if (res.status === 503) {
              expect(res.body.resourceType).toBe('OperationOutcome');
              expect(res.headers['retry-after']).toBeDefined();
            }
            // Writer 0 pulls the plug twice, while the others are mid-write.
            if (w === 0 && (i === 2 || i === 7)) terminated += await terminateOthers(database);
          }
        };
        await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
        expect(terminated).toBeGreaterThan(0);
        expect(statuses.filter((s) => s !== 201 && s !== 503), statuses.join(',')).toEqual([]);

        // Recovery needs no restart: broken connections were dropped, new ones are opened on demand.
        let after = 0;
        for (let attempt = 0; attempt < 5 && after !== 201; attempt++) {
          after = (await post({ resourceType: 'Patient', name: [{ family: 'After' }] })).status;
        }
        expect(after).toBe(201);
        const burst = await Promise.all(Array.from({ length: 8 }, () => post({ resourceType: 'Patient' })));
        expect(burst.map((r) => r.status)).toEqual(Array(8).fill(201));
        expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
        expect(crashes).toEqual([]);
      } finally {
        process.off('uncaughtException', onCrash);
      }
    });
  });
}
