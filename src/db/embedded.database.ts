import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { acquireDataDirLock, DataDirInUseError } from './data-dir.lock.js';
import type { Database } from './database.js';
import { CLUSTER_DIR, startCluster, type ClusterOptions } from './embedded-postgres.js';
import { openPostgres } from './postgres.database.js';

/**
 * Where the running `start` tells commands how to reach its database: written once the cluster is up,
 * removed when it stops. It holds the password, so it is 0600 like the credentials file beside it.
 */
export const SERVER_FILE = 'onestory-server.json';

interface ServerInfo {
  pid: number;
  host: string;
  port: number;
  url: string;
}

export interface EmbeddedOpenOptions extends ClusterOptions {
  poolSize?: number;
  /**
   * 'serve' (`npm start`): own the cluster and publish it for commands. 'command' (`client add`,
   * `import`…): use the running server's database when there is one, otherwise own the cluster for the
   * command's duration. 'own': own it, never publish (tests).
   */
  mode?: 'serve' | 'command' | 'own';
}

const serverFile = (dataDir: string) => join(dataDir, CLUSTER_DIR, SERVER_FILE);

function readServerInfo(dataDir: string): ServerInfo | undefined {
  try {
    const s = JSON.parse(readFileSync(serverFile(dataDir), 'utf8')) as Partial<ServerInfo>;
    return Number.isInteger(s.pid) && typeof s.url === 'string' && Number.isInteger(s.port) ? (s as ServerInfo) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The running server's database, when the data directory's lock is held by a `start` that has
 * published its server file. A server still starting (initdb, then the cluster) has the lock but no
 * file yet: wait for it, as long as the lock's holder is alive.
 */
async function runningServer(dataDir: string, busy: DataDirInUseError, waitMs = 30_000): Promise<ServerInfo | undefined> {
  const owner = busy.owner;
  if (!owner || owner.host !== hostname()) return undefined;
  for (let waited = 0; ; waited += 100) {
    const s = readServerInfo(dataDir);
    if (s && s.pid === owner.pid) return s;
    if (waited >= waitMs || !alive(owner.pid)) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the cluster's database the first time (initdb makes only `postgres`). */
async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
  } finally {
    await c.end();
  }
}

/**
 * The embedded default: a PostgreSQL server of our own in `<dataDir>/pg`, one owner process at a
 * time (the data directory's lock), which other processes on this machine reach over loopback while
 * `start` runs.
 */
export async function openEmbeddedPostgres(dataDir: string, opts: EmbeddedOpenOptions = {}): Promise<Database> {
  const mode = opts.mode ?? 'own';
  mkdirSync(dataDir, { recursive: true });
  let release: () => void;
  try {
    release = acquireDataDirLock(dataDir);
  } catch (err) {
    if (mode !== 'command' || !(err instanceof DataDirInUseError)) throw err;
    const server = await runningServer(dataDir, err);
    if (!server) throw err;
    // The server owns the cluster: closing here closes only this command's connections.
    return openPostgres(server.url, opts.poolSize ?? 4);
  }
  // Whoever had the lock before us is gone: a server file left by a crash names a dead cluster.
  rmSync(serverFile(dataDir), { force: true });
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  try {
    cluster = await startCluster(dataDir, opts);
    await ensureDatabase(cluster.url);
    const db = await openPostgres(cluster.url, opts.poolSize);
    if (mode === 'serve') {
      const info: ServerInfo = { pid: process.pid, host: hostname(), port: cluster.port, url: cluster.url };
      const tmp = `${serverFile(dataDir)}.${process.pid}`;
      writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, serverFile(dataDir));
    }
    const running = cluster;
    let closed: Promise<void> | undefined;
    return {
      ...db,
      close: () =>
        (closed ??= (async () => {
          // No command may find a server file naming a cluster that is going away.
          if (mode === 'serve') rmSync(serverFile(dataDir), { force: true });
          try {
            await db.close();
          } finally {
            try {
              await running.stop();
            } finally {
              release();
            }
          }
        })()),
    };
  } catch (err) {
    if (mode === 'serve') rmSync(serverFile(dataDir), { force: true });
    await cluster?.stop().catch(() => undefined);
    release();
    throw err;
  }
}

/** Whether `dataDir` holds a PGlite database from before the embedded default was PostgreSQL. */
export function hasPgliteData(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION')) && !existsSync(join(dataDir, CLUSTER_DIR, 'PG_VERSION'));
}
