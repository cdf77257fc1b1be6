import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, writeAsPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { AuditService } from './audit.service.js';
import { gp } from './audit.fixtures.js';
import { canonicalJson, GENESIS_HASH, linkHash, verifyChain } from './hash-chain.js';

// One database for the file: each test tampers, then afterEach puts the five records back as they were.
let t: TestPlatform;
let saved: { chain: unknown[]; events: unknown[] };
beforeAll(async () => {
  t = await createTestPlatform({ integration: false });
  const audit = new AuditService(t.platform.db);
  for (let i = 0; i < 5; i++) await audit.record({ interaction: 'read', principal: gp, resources: [{ type: 'Observation', id: `o${i}` }], patientIds: ['p1'] });
  saved = {
    chain: (await t.platform.db.query('SELECT * FROM audit_chain')).rows,
    events: (await t.platform.db.query('SELECT * FROM audit_event')).rows,
  };
});
afterEach(async () => {
  await asOwner(`DELETE FROM audit_chain`);
  await asOwner(`DELETE FROM audit_event`);
  await asOwner(`DELETE FROM audit_pending`);
  await asOwner(`DELETE FROM resource WHERE resource_type = 'AuditEvent'`);
  await asOwner(`INSERT INTO audit_chain SELECT * FROM json_populate_recordset(NULL::audit_chain, $1::json)`, [JSON.stringify(saved.chain)]);
  await asOwner(`INSERT INTO audit_event SELECT * FROM json_populate_recordset(NULL::audit_event, $1::json)`, [JSON.stringify(saved.events)]);
  expect((await verifyChain(t.platform.db)).ok).toBe(true);
});
afterAll(async () => t?.close());

const links = async () =>
  (await t.platform.db.query<{ seq: string; event_id: string; rid: string; hash: string }>('SELECT seq::text, event_id, rid::text, hash FROM audit_chain ORDER BY audit_chain.seq')).rows;

/** What someone with direct database access (the table owner) could do: switch the append-only triggers off. */
async function asOwner(sql: string, params: unknown[] = []) {
  const db = t.platform.db;
  const triggers = [['resource', 'resource_audit_append_only'], ['audit_chain', 'audit_chain_append_only'], ['audit_event', 'audit_event_append_only']];
  for (const [table, trigger] of triggers) await db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
  try {
    await db.query(sql, params);
  } finally {
    for (const [table, trigger] of triggers) await db.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
  }
}

describe('canonicalJson', () => {
  it('sorts keys at every level and ignores how the JSON was laid out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"y":null,"z":1}]},"b":1}');
    expect(linkHash(GENESIS_HASH, JSON.parse('{ "b": 1, "a": 2 }'))).toBe(linkHash(GENESIS_HASH, { a: 2, b: 1 }));
  });
});

describe('verifyChain', () => {
  it('verifies an intact chain and reports its length and head', async () => {
    const all = await links();
    expect(await verifyChain(t.platform.db)).toEqual({ ok: true, records: 5, head: all[4].hash });
    expect((await verifyChain(t.platform.db, { pageSize: 2 })).ok).toBe(true);
  });

  it('detects changed content', async () => {
    const all = await links();
    await asOwner(`UPDATE audit_event SET resources = ARRAY['Observation/o9'] WHERE seq = $1`, [all[2].rid]);
    const report = await verifyChain(t.platform.db);
    expect(report).toMatchObject({ ok: false, records: 2, firstBad: { seq: all[2].seq, eventId: all[2].event_id } });
    expect(report.firstBad!.problem).toMatch(/content or hash has been changed/);
  });

  it('detects a person taken out of an event (so their access log would not show it), or its detail changed', async () => {
    const all = await links();
    await asOwner(`UPDATE audit_event SET patient_ids = '{}' WHERE seq = $1`, [all[1].rid]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: all[1].seq } });
    await asOwner(`UPDATE audit_event SET patient_ids = '{p1}', detail = replace(detail, 'Dr Asha Patel', 'Someone Else') WHERE seq = $1`, [all[1].rid]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: all[1].seq } });
  });

  it('detects a deleted record (chain link and event both removed)', async () => {
    const all = await links();
    await asOwner('DELETE FROM audit_event WHERE seq = $1', [all[1].rid]);
    await asOwner('DELETE FROM audit_chain WHERE seq = $1', [all[1].seq]);
    const report = await verifyChain(t.platform.db);
    expect(report).toMatchObject({ ok: false, firstBad: { seq: all[2].seq } });
    expect(report.firstBad!.problem).toMatch(/deleted, inserted or reordered/);
  });

  it('detects a deleted event whose link remains', async () => {
    const all = await links();
    await asOwner('DELETE FROM audit_event WHERE seq = $1', [all[3].rid]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: all[3].seq, problem: expect.stringMatching(/deleted/) } });
  });

  it('detects reordered records and a changed hash', async () => {
    const all = await links();
    // Swap two links' positions.
    await asOwner('UPDATE audit_chain SET seq = -seq WHERE seq IN ($1, $2)', [all[1].seq, all[2].seq]);
    await asOwner('UPDATE audit_chain SET seq = CASE seq WHEN $1::bigint THEN $4::bigint ELSE $3::bigint END WHERE seq IN ($1, $2)', [
      `-${all[1].seq}`, `-${all[2].seq}`, all[1].seq, all[2].seq,
    ]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: all[1].seq, eventId: all[2].event_id } });
  });

  it('detects a hash changed in place', async () => {
    const all = await links();
    await asOwner('UPDATE audit_chain SET hash = $1 WHERE seq = $2', ['f'.repeat(64), all[4].seq]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: all[4].seq } });
  });

  it('detects an AuditEvent written outside the audit service', async () => {
    // The API refuses AuditEvent writes (405); a forger with database access is what is left to detect.
    await writeAsPlatform(t.platform, {
      resourceType: 'AuditEvent', id: 'forged-1', type: { code: 'rest' }, recorded: '2025-01-01T00:00:00Z',
      agent: [{ requestor: true, who: { display: 'x' } }], source: { observer: { display: 'forger' } },
    });
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: null, eventId: 'forged-1' } });
  });

  it('detects a row added to the audit table without its link, and tells a row waiting for its link from one', async () => {
    const [first] = (await t.platform.db.query('SELECT * FROM audit_event ORDER BY seq LIMIT 1')).rows;
    await t.platform.db.query(`INSERT INTO audit_event SELECT * FROM json_populate_record(NULL::audit_event, $1::json)`, [
      JSON.stringify({ ...first, seq: 900001, id: 'forged-2', request_id: 'forged' }),
    ]);
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: false, firstBad: { seq: null, eventId: 'forged-2' } });
    // A row a write committed, which the chain links in its next batch, is pending, not broken.
    await t.platform.db.query('INSERT INTO audit_pending (seq) VALUES (900001)');
    expect(await verifyChain(t.platform.db)).toMatchObject({ ok: true, records: 5, pending: 1 });
  });

  it('detects records removed from the end, given the head recorded earlier', async () => {
    const all = await links();
    await asOwner('DELETE FROM audit_event WHERE seq = $1', [all[4].rid]);
    await asOwner('DELETE FROM audit_chain WHERE seq = $1', [all[4].seq]);
    expect((await verifyChain(t.platform.db)).ok).toBe(true);
    expect(await verifyChain(t.platform.db, { expectedHead: all[4].hash })).toMatchObject({ ok: false, firstBad: { problem: expect.stringMatching(/expected head/) } });
    expect((await verifyChain(t.platform.db, { expectedHead: all[3].hash })).ok).toBe(true);
  });
});

describe('append-only', () => {
  it('the database refuses to change or remove an AuditEvent, its history or its link', async () => {
    const [first] = await links();
    const db = t.platform.db;
    await expect(db.query(`UPDATE audit_event SET detail = '{}' WHERE seq = $1`, [first.rid])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_event WHERE seq = $1', [first.rid])).rejects.toThrow(/append-only/);
    await expect(db.query('TRUNCATE audit_event')).rejects.toThrow(/append-only/);
    await expect(db.query('UPDATE audit_chain SET hash = hash WHERE seq = $1', [first.seq])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_chain')).rejects.toThrow(/append-only/);
    await expect(db.query('TRUNCATE audit_chain')).rejects.toThrow(/append-only/);
    expect((await verifyChain(db)).ok).toBe(true);
  });

  it('other resources are still updated and deleted as before', async () => {
    const { resources } = t.platform;
    const made = await resources.create('Organization', { resourceType: 'Organization', name: 'A' });
    expect((await resources.update('Organization', made.id, { ...JSON.parse(made.content!), name: 'B' })).versionId).toBe(2);
    expect(await resources.delete('Organization', made.id)).toBe(true);
  });
});
