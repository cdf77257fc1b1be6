import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOrganization } from '../access/identity/identity.test-helpers.js';
import { loadConfig } from '../config.js';
import { createPlatform } from '../platform.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { clientAdd, clientCommand } from './client.command.js';
import { run } from './main.js';

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

describe('client add (on the database under test)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    await createOrganization(t.platform, 'org-gp-g82001', 'G82001', 'Test Practice');
  });
  afterAll(async () => t?.close());

  it('registers a system client by ODS code, prints id and secret once, and the token endpoint accepts them', async () => {
    const io = captured();
    let out: string;
    try {
      expect(await clientAdd(t.platform, { org: 'g82001', scope: 'system/Patient.rs system/Observation.read', name: 'Lab feed' }, [])).toBe(0);
      out = io.out();
    } finally {
      io.restore();
    }
    const id = /client_id:\s+(\S+)/.exec(out)![1];
    const secret = /client_secret:\s+(\S+)/.exec(out)![1];
    expect(out).toMatch(/system integration "Lab feed" for Organization\/org-gp-g82001/);
    const stored = await t.platform.db.query('SELECT secret_hash, organization_id, kind, scopes FROM api_client WHERE client_id = $1', [id]);
    expect(stored.rows[0]).toMatchObject({ organization_id: 'org-gp-g82001', kind: 'system', scopes: 'system/Patient.rs system/Observation.read' });
    expect(stored.rows[0].secret_hash).not.toContain(secret);
    const res = await t.app.inject({
      method: 'POST', url: '/oauth2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().scope).toBe('system/Patient.rs system/Observation.read');
  });

  it('registers an app with redirect URIs; refuses unknown ODS codes, bad scopes and bad redirect URIs', async () => {
    const io = captured();
    try {
      expect(await clientAdd(t.platform, { org: 'G82001', scope: 'patient/*.rs launch/patient' }, ['http://localhost:3000/cb'])).toBe(0);
      expect(io.out()).toMatch(/Registered app/);
      expect(await clientAdd(t.platform, { org: 'Z99999', scope: 'system/Patient.rs' }, [])).toBe(1);
      expect(io.err()).toMatch(/No Organization has the ODS code Z99999/);
      expect(await clientAdd(t.platform, { org: 'G82001', scope: 'patient/Patient.rs' }, [])).toBe(1); // system client, patient scope
      expect(await clientAdd(t.platform, { org: 'G82001', scope: 'system/Patient.rs' }, ['https://app.example/cb'])).toBe(1);
      expect(await clientAdd(t.platform, { org: 'G82001', scope: 'system/Patient.bogus' }, [])).toBe(1);
      expect(await clientAdd(t.platform, { org: 'G82001', scope: 'patient/*.rs' }, ['http://app.example/cb'])).toBe(1); // http off loopback
      expect(await clientAdd(t.platform, { org: 'G82001' }, [])).toBe(2);
    } finally {
      io.restore();
    }
    const n = await t.platform.db.query('SELECT count(*)::int AS n FROM api_client');
    expect(n.rows[0].n).toBe(2);
  });
});

describe('npx onestory client add', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onestory-client-cli-'));
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is listed, opens the configured database and registers there', async () => {
    vi.stubEnv('DATABASE_URL', '');
    vi.stubEnv('ONESTORY_DATA_DIR', dir);
    const platform = await createPlatform(loadConfig());
    await createOrganization(platform, 'org-icb', 'QKS', 'ICB');
    await platform.close();
    const io = captured();
    try {
      expect(await run(['help'])).toBe(0);
      expect(io.out()).toMatch(/client\s+Register an API client/);
      expect(await clientCommand.run(['add', '--org', 'QKS', '--scope', 'system/*.rs', '--name', 'ICB warehouse'])).toBe(0);
      expect(io.out()).toMatch(/client_secret: \S{40,}/);
      expect(await clientCommand.run(['remove'])).toBe(2);
    } finally {
      io.restore();
    }
    const again = await createPlatform(loadConfig());
    const r = await again.db.query("SELECT name FROM api_client WHERE organization_id = 'org-icb'");
    await again.close();
    expect(r.rows).toEqual([{ name: 'ICB warehouse' }]);
  });
});
