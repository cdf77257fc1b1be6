import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway PostgreSQL cluster on a free loopback port, made the way scripts/with-postgres.sh
 * makes one for the tests (initdb + pg_ctl, run as the postgres user when we are root). Unlike
 * the test cluster it keeps fsync on: write figures should be what a durable server gives.
 */
export interface Cluster {
  url: string;
  version: string;
  settings: Record<string, string>;
  stop(): void;
}

export const CLUSTER_SETTINGS: Record<string, string> = {
  shared_buffers: '256MB',
  max_connections: '200',
};

export function binDir(): string {
  const base = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
  } catch {
    // no PostgreSQL installed: reported below
  }
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: apt-get install postgresql, or set DATABASE_URL');
  return join(base, versions[versions.length - 1], 'bin');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startCluster(): Promise<Cluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'onestory-bench-pg-'));
  const port = await freePort();
  const root = process.getuid?.() === 0;
  // The server refuses to run as root: run every PostgreSQL binary as the postgres user.
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'fast', 'stop']);
    } catch {
      // already stopped, or never started
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    const opts = [`-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`, ...Object.entries(CLUSTER_SETTINGS).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
    writeFileSync(join(dir, 'README'), 'Throwaway cluster of npm run bench; deleted when the run ends.\n');
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', opts, 'start']);
  } catch (err) {
    stop();
    throw err;
  }
  const version = run('postgres', ['--version']).trim().split(/\s+/).pop() ?? 'unknown';
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, version, settings: CLUSTER_SETTINGS, stop };
}
