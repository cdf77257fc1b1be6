import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createOrganization } from '../access/identity/identity.test-helpers.js';
import { run } from '../cli/main.js';
import { loadConfig } from '../config.js';
import { createPlatform } from '../platform.js';
import { acquireDataDirLock, DataDirInUseError, LOCK_FILE } from './data-dir.lock.js';
import { openPglite } from './pglite.database.js';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'onestory-lock-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const lockOf = (pid: number, host = hostname()) => `${JSON.stringify({ pid, host, since: '2026-01-01T00:00:00.000Z' })}\n`;

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

describe('the embedded data directory lock', () => {
  it('refuses a second open of the same directory, naming the holder and what to do; opens again once closed', async () => {
    const dir = freshDir();
    const first = await openPglite(dir);
    const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid, host: hostname() });

    const second = openPglite(dir);
    await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
    await expect(second).rejects.toThrow(new RegExp(`in use by process ${process.pid} on .*Stop the running server`));

    await first.query('CREATE TABLE kept (v text)');
    await first.query("INSERT INTO kept VALUES ('written by the first')");
    await first.close();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const again = await openPglite(dir);
    try {
      expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 'written by the first' }]);
    } finally {
      await again.close();
    }
  });

  it("refuses while another live process holds the lock, and takes the lock over once that process is gone", async () => {
    const dir = freshDir();
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, LOCK_FILE), lockOf(other.pid!));
      expect(() => acquireDataDirLock(dir)).toThrow(new RegExp(`in use by process ${other.pid} on ${hostname()}`));
    } finally {
      const exited = new Promise((resolve) => other.once('exit', resolve));
      other.kill();
      await exited;
    }
    const release = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock whose pid is dead, and one naming this pid left by an earlier run', async () => {
    for (const pid of [deadPid(), process.pid]) {
      const dir = freshDir();
      writeFileSync(join(dir, LOCK_FILE), lockOf(pid));
      const release = acquireDataDirLock(dir);
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      release();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    }
  });

  it("never takes over another host's lock (its pid cannot be checked from here)", () => {
    const dir = freshDir();
    writeFileSync(join(dir, LOCK_FILE), lockOf(deadPid(), 'another-host.example'));
    expect(() => acquireDataDirLock(dir)).toThrow(/in use by process \d+ on another-host\.example/);
  });

  it('on PGlite (one process only), `client add` beside a running platform prints no client: it refuses with the message and exits 1', async () => {
    const dir = freshDir();
    vi.stubEnv('DATABASE_URL', '');
    vi.stubEnv('ONESTORY_EMBEDDED', 'pglite');
    vi.stubEnv('ONESTORY_DATA_DIR', dir);
    const running = await createPlatform(loadConfig());
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await createOrganization(running, 'org-icb', 'QKS', 'ICB');
      expect(await run(['client', 'add', '--org', 'QKS', '--scope', 'system/*.rs'])).toBe(1);
      expect(log.mock.calls.flat().join('\n')).not.toMatch(/Registered|client_id/);
      expect(err.mock.calls.flat().join('\n')).toMatch(new RegExp(`in use by process ${process.pid}.*Stop the running server`));
      expect((await running.db.query('SELECT count(*)::int AS n FROM api_client')).rows[0].n).toBe(0);
    } finally {
      await running.close();
    }
  });
});
