import type { AuditEvent } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/database.js';
import { listMigrations, migrate, splitStatements } from '../../db/migrate.js';
import { loadDefinitions } from '../../fhir/definitions.js';
import { ResourceRepository } from '../../fhir/resource.repository.js';
import { extractIndex } from '../../fhir/search-index.js';
import { scratchDatabase } from '../../testing/scratch-database.js';
import { testAdminUrl } from '../../testing/test-platform.js';
import { AccessLogService } from './access-log.service.js';
import type { AuditEntry } from './audit-entry.js';
import { buildAuditEvent } from './audit-event.builder.js';
import { AuditEventService } from './audit-event.service.js';
import { AuditService } from './audit.service.js';
import { carer, gp, privacyOfficer, resident } from './audit.fixtures.js';
import { GENESIS_HASH, linkHash, verifyChain } from './hash-chain.js';

// Migration 010 moves the AuditEvents recorded as indexed resources (before the light audit path)
// into the compact table. This file builds a database as it was at 009, records events the old way
// (resource + history + index rows + chain link over the stored JSON), then migrates.
let db: Database;
let drop = async () => undefined as void;
const old: AuditEvent[] = [];

/** The old AuditService's write: the event as an ordinary resource, its index, and its link. */
async function recordTheOldWay(entry: AuditEntry, id: string, prev: string): Promise<string> {
  const lastUpdated = new Date(entry.when!).toISOString();
  const stored = { ...buildAuditEvent(entry, id), meta: { versionId: '1', lastUpdated } };
  const { rows: [{ rid }] } = await db.query<{ rid: string }>("SELECT nextval('resource_rid_seq')::text AS rid");
  await new ResourceRepository(db).write(db, [{
    rid, resourceType: 'AuditEvent', id, versionId: 1, lastUpdated, deleted: false, method: 'POST', content: JSON.stringify(stored), index: extractIndex(stored),
  }]);
  const hash = linkHash(prev, stored);
  await db.query('INSERT INTO audit_chain (event_id, rid, hash, prev_hash) VALUES ($1, $2, $3, $4)', [id, rid, hash, prev]);
  old.push(stored);
  return hash;
}

beforeAll(async () => {
  loadDefinitions();
  const admin = testAdminUrl();
  if (admin) {
    const scratch = await scratchDatabase(admin, 'onestory_mig');
    db = await openDatabase({ databaseUrl: scratch.url, poolSize: 3 });
    drop = scratch.drop;
  } else db = await openDatabase({ dataDir: 'memory://' });
  // The schema as it was before 010.
  await db.exec('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const m of listMigrations().filter((x) => x.version < 10)) {
    await db.transaction(async (tx) => {
      for (const s of splitStatements(m.sql)) await tx.query(s);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    });
  }
  const entries: AuditEntry[] = [
    { interaction: 'read', principal: gp, status: 200, requestId: 'old-1', resources: [{ type: 'Observation', id: 'o-1' }], patientIds: ['pat-1'] },
    { interaction: 'search', principal: resident, status: 200, requestId: 'old-2', resourceType: 'Observation', query: 'patient=pat-1', patientIds: ['pat-1'] },
    { interaction: 'break-glass', principal: gp, status: 200, requestId: 'old-3', patientIds: ['pat-2'], reason: { code: 'emergency', text: 'Collapsed' } },
    { interaction: 'sign-in-failure', claimedUser: 'mallory', status: 401, requestId: 'old-4', failure: 'bad password' },
    { interaction: 'read', principal: carer, status: 403, requestId: 'old-5', resources: [{ type: 'Patient', id: 'pat-1' }], patientIds: ['pat-1'] },
  ];
  let prev = GENESIS_HASH;
  for (const [i, e] of entries.entries()) prev = await recordTheOldWay({ ...e, when: new Date(Date.UTC(2025, 5, 1, 9, i)) }, `old-ae-${i}`, prev);
  expect((await db.query("SELECT count(*)::int AS n FROM sp_reference WHERE resource_type = 'AuditEvent'")).rows[0].n).toBeGreaterThan(0);
  expect(await migrate(db)).toContain(10);
}, 120_000);
afterAll(async () => {
  await db?.close();
  await drop();
});

describe('migration 010: the AuditEvents recorded so far move into the audit table', () => {
  it('leaves no AuditEvent resource, history or index row behind', async () => {
    for (const table of ['resource', 'resource_history', 'sp_token', 'sp_string', 'sp_date', 'sp_reference', 'sp_uri']) {
      expect((await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE resource_type = 'AuditEvent'`)).rows[0].n, table).toBe(0);
    }
    expect((await db.query('SELECT count(*)::int AS n FROM audit_event')).rows[0].n).toBe(old.length);
  });

  it('keeps the chain verifying over the moved events, its hashes untouched, and catches a moved event changed', async () => {
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: old.length });
    // New events continue the same chain.
    const audit = new AuditService(db);
    await audit.record({ interaction: 'read', principal: gp, patientIds: ['pat-1'], requestId: 'new-1' });
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: old.length + 1 });
    await db.query('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
    await db.query(`UPDATE audit_event SET legacy = replace(legacy, 'Collapsed', 'Routine') WHERE id = 'old-ae-2'`);
    await db.query('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
    expect(await verifyChain(db)).toMatchObject({ ok: false, firstBad: { eventId: 'old-ae-2' } });
    await db.query('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
    await db.query(`UPDATE audit_event SET legacy = replace(legacy, 'Routine', 'Collapsed') WHERE id = 'old-ae-2'`);
    await db.query('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('serves each moved event exactly as it was stored, and finds them by patient, agent, date and outcome', async () => {
    const events = new AuditEventService(db);
    for (const e of old) expect(await events.byId(e.id!)).toEqual(e);
    const ids = async (pairs: [string, string][]) => (await events.search(pairs, { principal: privacyOfficer })).matches.map((m) => m.id);
    expect(await ids([['patient', 'pat-1'], ['date', 'lt2026']])).toEqual(['old-ae-0', 'old-ae-1', 'old-ae-4']);
    expect(await ids([['agent', 'Practitioner/pr-1'], ['date', 'lt2026']])).toEqual(['old-ae-0', 'old-ae-2']);
    expect(await ids([['outcome', '4']])).toEqual(['old-ae-3', 'old-ae-4']);
    expect(await ids([['date', 'ge2025-06-01T09:02:00Z'], ['date', 'lt2025-06-01T09:04:00Z']])).toEqual(['old-ae-2', 'old-ae-3']);
    expect(await ids([['subtype', 'break-glass']])).toEqual(['old-ae-2']);
    // The resident sees the moved events about them alone.
    expect((await events.search([['date', 'lt2026']], { principal: resident })).matches.map((m) => m.id)).toEqual(['old-ae-0', 'old-ae-1', 'old-ae-4']);
  });

  it("keeps each person's access log, with the break-glass reason", async () => {
    const log = new AccessLogService(db);
    const pat2 = await log.accessLogFor('pat-2');
    expect(pat2.entries).toHaveLength(1);
    expect(pat2.entries[0]).toMatchObject({ interaction: { code: 'break-glass' }, reason: 'Collapsed', role: { code: 'gp' }, auditEventId: 'old-ae-2' });
    expect((await log.accessLogFor('pat-1')).entries.map((e) => e.auditEventId).slice(-3)).toEqual(['old-ae-4', 'old-ae-1', 'old-ae-0']);
  });
});
