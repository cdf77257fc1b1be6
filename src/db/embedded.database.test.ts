import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createOrganization } from '../access/identity/identity.test-helpers.js';
import { run } from '../cli/main.js';
import { loadConfig } from '../config.js';
import { ROOT_DIR } from '../paths.js';
import { createPlatform } from '../platform.js';
import { buildServer } from '../server.js';
import { createLogger } from '../logger.js';
import { DataDirInUseError, LOCK_FILE } from './data-dir.lock.js';
import { openEmbeddedPostgres, SERVER_FILE } from './embedded.database.js';
import { CREDENTIALS_FILE } from './embedded-postgres.js';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'onestory-embedded-'));
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

/** Whether anything accepts a connection on the port (a stopped cluster refuses). */
async function answers(port: number): Promise<boolean> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'nobody', database: 'x', connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ECONNREFUSED';
  } finally {
    await c.end().catch(() => undefined);
  }
}

// These start clusters of their own whatever the back end under test: run them once, not again in the
// TEST_DATABASE_URL pass (vitest.config.ts).
if (process.env.ONESTORY_TEST_DB !== 'postgres') {
  describe('the embedded PostgreSQL', () => {
    it('is created on first open, listens on loopback with a password only, publishes itself to commands, and stops on close', async () => {
      const dir = freshDir();
      const server = await openEmbeddedPostgres(dir, { mode: 'serve', poolSize: 2 });
      const info = JSON.parse(readFileSync(join(dir, 'pg', SERVER_FILE), 'utf8'));
      try {
        expect(server.kind).toBe('postgres');
        expect(statSync(join(dir, 'pg', SERVER_FILE)).mode & 0o777).toBe(0o600);
        expect(statSync(join(dir, 'pg', CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
        expect(info).toMatchObject({ pid: process.pid, url: expect.stringMatching(/^postgres:\/\/onestory:[^@]+@127\.0\.0\.1:\d+\/onestory$/) });
        const settings = await server.query<{ l: string; v: string }>("SELECT current_setting('listen_addresses') AS l, current_setting('server_version_num') AS v");
        expect(settings.rows[0].l).toBe('127.0.0.1');
        expect(Number(settings.rows[0].v)).toBeGreaterThanOrEqual(150000);
        // Without the password: refused.
        const wrong = new URL(info.url);
        wrong.password = 'not-the-password';
        const c = new pg.Client({ connectionString: wrong.toString() });
        await expect(c.connect()).rejects.toThrow(/password authentication failed/);
        await c.end().catch(() => undefined);

        // A second owner (another `start`) is refused, naming this process; the cluster is untouched.
        await expect(openEmbeddedPostgres(dir, { mode: 'serve' })).rejects.toBeInstanceOf(DataDirInUseError);
        await expect(openEmbeddedPostgres(dir, { mode: 'serve' })).rejects.toThrow(new RegExp(`in use by process ${process.pid}.*Stop the running server`));

        // A command uses the server's database; closing it leaves the server's running.
        const command = await openEmbeddedPostgres(dir, { mode: 'command' });
        await command.query('CREATE TABLE seen (v text)');
        await command.query("INSERT INTO seen VALUES ('from the command')");
        await command.close();
        expect((await server.query('SELECT v FROM seen')).rows).toEqual([{ v: 'from the command' }]);
      } finally {
        await server.close();
      }
      expect(existsSync(join(dir, 'pg', SERVER_FILE))).toBe(false);
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      expect(await answers(info.port)).toBe(false);

      // With no server running, a command owns the cluster for its duration: the data is still there.
      const alone = await openEmbeddedPostgres(dir, { mode: 'command' });
      try {
        expect((await alone.query('SELECT v FROM seen')).rows).toEqual([{ v: 'from the command' }]);
        expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
        expect(existsSync(join(dir, 'pg', SERVER_FILE))).toBe(false);
      } finally {
        await alone.close();
      }
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    });

    it('`client add` while the server runs prints a client the running server then accepts', async () => {
      const dir = freshDir();
      vi.stubEnv('DATABASE_URL', '');
      vi.stubEnv('ONESTORY_EMBEDDED', '');
      vi.stubEnv('ONESTORY_DATA_DIR', dir);
      const running = await createPlatform(loadConfig(), undefined, { mode: 'serve' });
      const app = await buildServer(running, createLogger('silent'));
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await createOrganization(running, 'org-icb', 'QKS', 'ICB');
        expect(await run(['client', 'add', '--org', 'QKS', '--scope', 'system/*.rs'])).toBe(0);
        const out = log.mock.calls.flat().join('\n');
        const clientId = /client_id:\s+(\S+)/.exec(out)![1];
        const clientSecret = /client_secret:\s+(\S+)/.exec(out)![1];
        const token = await app.inject({
          method: 'POST', url: '/oauth2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
        });
        expect(token.statusCode).toBe(200);
        expect(token.json().scope).toBe('system/*.rs');
      } finally {
        await app.close();
        await running.close();
      }
    });
  });

  /** Runs the built CLI (`npm test` builds first) as users run it. */
  function cli(args: string[], env: NodeJS.ProcessEnv) {
    return execFile(process.execPath, [join(ROOT_DIR, 'bin/onestory.js'), ...args], { env: { ...process.env, DATABASE_URL: '', ONESTORY_EMBEDDED: '', ...env } });
  }

  describe('npx onestory start on the embedded PostgreSQL (built CLI)', () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`refuses a second start on the same data directory, and on ${signal} stops its PostgreSQL and releases the directory`, async () => {
        const dir = freshDir();
        const server = cli(['start', '--no-demo'], { ONESTORY_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
        let out = '';
        server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
        try {
          await vi.waitFor(() => expect(out).toMatch(/OneStory is running at http:\/\/localhost:\d+.*embedded PostgreSQL/), { timeout: 60_000, interval: 100 });
          const port = JSON.parse(readFileSync(join(dir, 'pg', SERVER_FILE), 'utf8')).port as number;

          const second = cli(['start', '--no-demo'], { ONESTORY_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
          let err = '';
          second.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
          expect(code).toBe(1);
          expect(err).toMatch(new RegExp(`in use by process ${server.pid}.*Stop the running server`));

          server.kill(signal);
          expect(await exited).toBe(0);
          expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
          expect(existsSync(join(dir, 'pg', SERVER_FILE))).toBe(false);
          expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
          expect(await answers(port)).toBe(false);
        } finally {
          server.kill('SIGKILL');
        }
      });
    }
  });
}
