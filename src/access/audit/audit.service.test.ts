import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.js';
import { validate } from '../../fhir/validation.service.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { AuditService, PredecessorFailedError } from './audit.service.js';
import { gp, privacyOfficer, resident } from './audit.fixtures.js';
import { verifyChain } from './hash-chain.js';

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
});
afterAll(async () => t?.close());

const chainLength = async () => Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_chain')).rows[0].n);

/** The platform's database, with each transaction's return held until `release` (after its COMMIT). */
function gatedDb(db: Database) {
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  let failNext: Error | undefined;
  const gated: Database = {
    ...db,
    // A batch is one statement outside a transaction (or a transaction when it links waiting rows): fail whichever comes next.
    async query(sql, params, opts) {
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      return db.query(sql, params, opts);
    },
    exec: db.exec.bind(db),
    close: db.close.bind(db),
    kind: db.kind,
    async transaction(fn) {
      if (failNext) {
        const err = failNext;
        failNext = undefined;
        throw err;
      }
      const result = await db.transaction(fn);
      await gate;
      return result;
    },
  };
  return {
    db: gated,
    release: () => release(),
    regate: () => (gate = new Promise<void>((r) => (release = r))),
    failNextWith: (err: Error) => (failNext = err),
  };
}

/**
 * The platform's database with each transaction held open after its work, before its COMMIT, until
 * the test commits it (or makes it fail, which rolls it back); `appended(i)` resolves when the i-th
 * transaction's chain links have been inserted (not yet committed).
 */
function heldCommits(db: Database) {
  const deferred = () => {
    let resolve!: (v?: unknown) => void;
    const promise = new Promise((r) => (resolve = r));
    return { promise, resolve };
  };
  const commits: { promise: Promise<unknown>; resolve: (err?: unknown) => void }[] = [];
  const appends: { promise: Promise<unknown>; resolve: () => void }[] = [];
  const at = <T>(list: T[], i: number, make: () => T) => (list[i] ??= make());
  let n = 0;
  const held: Database = {
    ...db,
    kind: db.kind,
    exec: db.exec.bind(db),
    close: db.close.bind(db),
    query: db.query.bind(db),
    async transaction(fn) {
      const i = n++;
      return db.transaction(async (tx) => {
        const result = await fn({
          async query(sql, params, opts) {
            const res = await tx.query(sql, params, opts);
            if (sql.includes('INSERT INTO audit_chain')) at(appends, i, deferred).resolve();
            return res;
          },
        });
        const err = await at(commits, i, deferred).promise;
        if (err) throw err;
        return result;
      });
    },
  };
  return {
    db: held,
    appended: (i: number) => at(appends, i, deferred).promise,
    commit: (i: number, failWith?: Error) => at(commits, i, deferred).resolve(failWith),
  };
}

const rowsAbout = async (patientId: string) =>
  Number((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_event WHERE patient_ids @> ARRAY[$1::text]', [patientId])).rows[0].n);

describe('AuditService', () => {
  it('resolves only after the event is committed, and stores a valid, searchable AuditEvent', async () => {
    const g = gatedDb(t.platform.db);
    const audit = new AuditService(g.db);
    const before = await chainLength();
    let settled = false;
    const p = audit.record({ interaction: 'read', principal: gp, resources: [{ type: 'Observation', id: 'o1' }], patientIds: ['p-dur'], status: 200 })
      .then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    g.release();
    await p;
    expect(settled).toBe(true);
    expect(await chainLength()).toBe(before + 1);

    const found = await t.platform.access.auditEvents.search([['patient', 'p-dur']], { principal: privacyOfficer });
    expect(found.matches).toHaveLength(1);
    expect(validate(JSON.parse(found.matches[0].content))).toEqual([]);
    expect(JSON.parse(found.matches[0].content).meta.versionId).toBe('1');
  });

  it('group commit: concurrent records share transactions; all are stored and the chain verifies', async () => {
    const audit = new AuditService(t.platform.db, { maxBatch: 50 });
    const before = await chainLength();
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => audit.record({ interaction: 'search', principal: resident, patientIds: ['p-gc'], query: `n=${i}` })));
    expect(audit.stats.records).toBe(n);
    expect(audit.stats.transactions).toBeLessThan(n);
    expect(audit.stats.largestBatch).toBeLessThanOrEqual(50);
    expect(await chainLength()).toBe(before + n);
    const report = await verifyChain(t.platform.db);
    expect(report).toMatchObject({ ok: true, records: before + n });
  });

  it('keeps one valid chain with several writers at once (as several processes would)', async () => {
    const writers = [
      new AuditService(t.platform.db),
      new AuditService(t.platform.db, { maxBatch: 7 }),
      new AuditService(t.platform.db, { groupCommit: false }),
    ];
    await Promise.all(writers.flatMap((w, k) => Array.from({ length: 60 }, () => w.record({ interaction: 'read', principal: gp, patientIds: [`p-w${k}`] }))));
    expect((await verifyChain(t.platform.db)).ok).toBe(true);
  });

  it('a batch appended after another process appended is refused, retried under the lock, and the chain stays one line', async () => {
    const a = new AuditService(t.platform.db);
    const b = new AuditService(t.platform.db);
    const before = await chainLength();
    await a.record({ interaction: 'read', principal: gp, patientIds: ['p-race'] });
    // b appends after a's last link, so a's idea of the chain's end is now stale.
    await b.record({ interaction: 'read', principal: gp, patientIds: ['p-race'] });
    await a.record({ interaction: 'search', principal: gp, patientIds: ['p-race'] });
    expect(a.stats.chainConflicts).toBe(1);
    expect(b.stats.chainConflicts).toBe(0);
    expect(await chainLength()).toBe(before + 3);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true });
  });

  it('the database refuses a second link after the same hash (a fork), whoever writes it', async () => {
    const last = (await t.platform.db.query<{ hash: string }>('SELECT hash FROM audit_chain ORDER BY seq DESC LIMIT 1')).rows[0].hash;
    await new AuditService(t.platform.db).record({ interaction: 'read', principal: gp });
    await expect(
      t.platform.db.query(`INSERT INTO audit_chain (event_id, rid, hash, prev_hash) VALUES ('fork', 0, 'x', $1)`, [last]),
    ).rejects.toThrow(/audit_chain_prev_hash/);
  });

  it('a failed batch rejects every waiter in it, and later batches still go through', async () => {
    const g = gatedDb(t.platform.db);
    const audit = new AuditService(g.db, { pipeline: 1 });
    const first = audit.record({ interaction: 'read', principal: gp });
    await new Promise((r) => setTimeout(r, 20));
    // These queue behind the first batch and are written together; that transaction fails.
    const queued = Array.from({ length: 5 }, () => audit.record({ interaction: 'read', principal: gp }).then(() => 'ok', (e: Error) => e.message));
    g.failNextWith(new Error('disk full'));
    g.release();
    await first;
    expect(await Promise.all(queued)).toEqual(Array(5).fill('disk full'));
    await audit.record({ interaction: 'sign-out', principal: gp });
    expect(audit.stats.transactions).toBe(2);
    expect((await verifyChain(t.platform.db)).ok).toBe(true);
  });

  it('pipelined: the next batch is inserted while the one before commits, and commits only after it', async () => {
    const h = heldCommits(t.platform.db);
    const audit = new AuditService(h.db, { pipeline: 2 });
    const before = await chainLength();
    const settled: string[] = [];
    const first = audit.record({ interaction: 'read', principal: gp, patientIds: ['p-pipe-a'] }).then(() => settled.push('first'));
    await h.appended(0);
    // The first batch's links are inserted, its COMMIT held: the next batch goes ahead on another connection.
    const second = audit.record({ interaction: 'read', principal: gp, patientIds: ['p-pipe-a'] }).then(() => settled.push('second'));
    await h.appended(1);
    // Neither is committed, so neither is answered.
    expect(await chainLength()).toBe(before);
    expect(settled).toEqual([]);
    // The second may not commit before the first: released first, it still waits.
    h.commit(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toEqual([]);
    expect(await chainLength()).toBe(before);
    h.commit(0);
    await Promise.all([first, second]);
    expect(settled).toEqual(['first', 'second']);
    expect(audit.stats.overlapped).toBe(1);
    expect(await chainLength()).toBe(before + 2);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true });
  });

  it('pipelined: when a batch fails at its commit, the batch after it (already inserted) rolls back, its waiters get an error, and the chain verifies', async () => {
    const h = heldCommits(t.platform.db);
    const audit = new AuditService(h.db, { pipeline: 2 });
    const first = audit.record({ interaction: 'read', principal: gp, patientIds: ['p-pipe-b1'] }).then(() => 'ok', (e: Error) => e.message);
    await h.appended(0);
    const second = audit.record({ interaction: 'read', principal: gp, patientIds: ['p-pipe-b2'] }).then(() => 'ok', (e: Error) => e);
    await h.appended(1);
    h.commit(1);
    h.commit(0, new Error('disk full'));
    expect(await first).toBe('disk full');
    expect(await second).toBeInstanceOf(PredecessorFailedError);
    // The first batch's rows never landed, so neither did the second's links to them (nor its rows).
    expect(await rowsAbout('p-pipe-b1')).toBe(0);
    expect(await rowsAbout('p-pipe-b2')).toBe(0);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true });
    // The next batch reads the chain's end from the database and goes through.
    const third = audit.record({ interaction: 'read', principal: gp, patientIds: ['p-pipe-b3'] });
    await h.appended(2);
    h.commit(2);
    await third;
    expect(await rowsAbout('p-pipe-b3')).toBe(1);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true });
  });

  it('pipelined: many concurrent records, every one stored once, in one chain', async () => {
    const audit = new AuditService(t.platform.db, { pipeline: 2, maxBatch: 10 });
    const before = await chainLength();
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => audit.record({ interaction: 'search', principal: resident, patientIds: ['p-pipe-c'], query: `n=${i}` })));
    expect(audit.stats.records).toBe(n);
    expect(await chainLength()).toBe(before + n);
    expect(await rowsAbout('p-pipe-c')).toBe(n);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true, records: before + n });
  });

  it('flush waits for everything queued', async () => {
    const audit = new AuditService(t.platform.db);
    const before = await chainLength();
    for (let i = 0; i < 20; i++) void audit.record({ interaction: 'read', principal: gp });
    await audit.flush();
    expect(await chainLength()).toBe(before + 20);
  });
});
