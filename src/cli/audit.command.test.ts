import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditService } from '../access/audit/audit.service.js';
import { gp } from '../access/audit/audit.fixtures.js';
import { loadConfig } from '../config.js';
import { createPlatform } from '../platform.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { auditCommand, auditVerify } from './audit.command.js';

function captured() {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  return {
    out: () => log.mock.calls.flat().join('\n'),
    err: () => err.mock.calls.flat().join('\n'),
    restore: () => {
      log.mockRestore();
      err.mockRestore();
    },
  };
}

async function tamper(db: { query: (sql: string, p?: unknown[]) => Promise<unknown> }, seq: number) {
  await db.query('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
  await db.query(`UPDATE audit_event SET role = 'receptionist' WHERE seq = (SELECT rid FROM audit_chain WHERE seq = $1)`, [seq]);
  await db.query('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
}

describe('audit verify (on the database under test)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    const audit = new AuditService(t.platform.db);
    await Promise.all(Array.from({ length: 12 }, () => audit.record({ interaction: 'read', principal: gp, patientIds: ['p1'] })));
  });
  afterAll(async () => t?.close());

  it('exits 0 with a summary when intact, and 1 naming the first bad record otherwise', async () => {
    let io = captured();
    try {
      expect(await auditVerify(t.platform.db)).toBe(0);
      expect(io.out()).toMatch(/^Audit chain intact: 12 records verified\. Head [0-9a-f]{64}$/);
    } finally {
      io.restore();
    }
    const [{ seq }] = (await t.platform.db.query<{ seq: string }>('SELECT seq::text FROM audit_chain ORDER BY audit_chain.seq OFFSET 4 LIMIT 1')).rows;
    await tamper(t.platform.db, Number(seq));
    io = captured();
    try {
      expect(await auditVerify(t.platform.db)).toBe(1);
      expect(io.err()).toMatch(new RegExp(`BROKEN at record #${seq} \\(AuditEvent/[0-9a-f-]{36}\\): its content or hash has been changed`));
      expect(io.err()).toMatch(/4 records before it verified/);
    } finally {
      io.restore();
    }
  });
});

describe('npx onestory audit verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onestory-audit-cli-'));
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the configured database, verifies it, and refuses bad usage with 2', async () => {
    vi.stubEnv('DATABASE_URL', '');
    vi.stubEnv('ONESTORY_DATA_DIR', dir);
    const platform = await createPlatform(loadConfig());
    const audit = new AuditService(platform.db);
    for (let i = 0; i < 3; i++) await audit.record({ interaction: 'read', principal: gp });
    await platform.close();

    let io = captured();
    try {
      expect(await auditCommand.run(['verify'])).toBe(0);
      expect(io.out()).toMatch(/intact: 3 records/);
      expect(await auditCommand.run([])).toBe(2);
      expect(await auditCommand.run(['verify', '--head', 'nothex'])).toBe(2);
      expect(await auditCommand.run(['verify', '--head', 'a'.repeat(64)])).toBe(1);
      expect(io.err()).toMatch(/expected head/);
    } finally {
      io.restore();
    }

    const again = await createPlatform(loadConfig());
    await tamper(again.db, 2);
    await again.close();
    io = captured();
    try {
      expect(await auditCommand.run(['verify'])).toBe(1);
      expect(io.err()).toMatch(/BROKEN at record #2/);
    } finally {
      io.restore();
    }
  });
});
