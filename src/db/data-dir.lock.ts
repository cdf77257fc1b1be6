import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * One owner process at a time for an embedded data directory. The embedded PostgreSQL's owner starts
 * and stops its cluster (a second `start` must refuse, not start a second cluster on the same files);
 * other processes reach a running server's cluster over loopback without owning it
 * (embedded.database.ts). PGlite has no locking of its own: two processes on one directory both
 * start, each with its own copy in memory, and whichever writes last overwrites the other.
 */
export const LOCK_FILE = 'onestory.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner | undefined,
  ) {
    const who = owner ? `process ${owner.pid} on ${owner.host}${owner.since ? `, since ${owner.since}` : ''}` : 'another process';
    super(
      `The data directory ${dataDir} is in use by ${who}. Stop the running server, or set ONESTORY_DATA_DIR to another ` +
        'directory (or DATABASE_URL to a PostgreSQL server, which several processes can share). ' +
        `If that process is no longer running, delete ${join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** Lock files this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? { pid: o.pid!, host: o.host, since: String(o.since ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the lock's owner is gone. Only a lock of this host can be judged. A lock naming this very
 * pid that this process does not hold is stale too: after a restart (a container's server is often
 * pid 1 again) the old lock would otherwise name the new process.
 */
function stale(owner: LockOwner | undefined, lockPath: string): boolean {
  if (!owner) return false;
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return !held.has(lockPath);
  return !alive(owner.pid);
}

/**
 * Takes the data directory's lock or throws DataDirInUseError; returns its release. The lock file is
 * created with O_EXCL (`wx`), so of two processes starting at once exactly one gets it. A stale lock
 * is moved aside by rename (atomic) and checked to be the one judged stale before it is removed: of
 * two processes taking over at once, one wins and the other finds the winner's live lock.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = join(dataDir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(lockPath, `${mine}\n`, { flag: 'wx' });
      held.add(lockPath);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(lockPath);
        try {
          // Only our own lock: never remove one another process has since taken over.
          if (readFileSync(lockPath, 'utf8').trim() === mine) unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text: string;
    try {
      text = readFileSync(lockPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
      throw err;
    }
    const owner = parseOwner(text);
    if (!stale(owner, lockPath)) throw new DataDirInUseError(dataDir, owner);
    const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(lockPath, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (readFileSync(aside, 'utf8') !== text) {
      // Another process took the stale lock over first and we moved its live lock: put it back.
      try {
        linkSync(aside, lockPath);
      } catch {
        // A third process holds it now; its lock stays.
      }
      unlinkSync(aside);
      throw new DataDirInUseError(dataDir, parseOwner(readOrEmpty(lockPath)));
    }
    unlinkSync(aside);
  }
  throw new DataDirInUseError(dataDir, undefined);
}
