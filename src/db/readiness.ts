import type { Queryable } from './database.js';

export interface ReadinessOptions {
  /** How long `SELECT 1` may take before the database counts as unreachable. */
  timeoutMs?: number;
  /** How long an answer is reused: a flood of health checks costs one query per period. */
  cacheMs?: number;
  /** Milliseconds since some epoch; injectable so tests move time instead of waiting. */
  now?: () => number;
}

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

/**
 * The database half of `/healthz`: a cheap `SELECT 1` bounded by a timeout, its answer cached for
 * `cacheMs`. At most one probe is ever outstanding: while one has not settled (a database that
 * accepts connections but does not answer), later checks say "not ready" instead of piling up more.
 */
export function databaseReadiness(db: Queryable, opts: ReadinessOptions = {}): () => Promise<Readiness> {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const cacheMs = opts.cacheMs ?? 1_000;
  const now = opts.now ?? (() => performance.now());
  let cached: { at: number; answer: Promise<Readiness> } | undefined;
  let probing = false;

  const probe = async (): Promise<Readiness> => {
    if (probing) return { ready: false, reason: 'the database has not answered a health check yet' };
    probing = true;
    const query = db.query('SELECT 1').finally(() => {
      probing = false;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Readiness>((resolve) => {
      timer = setTimeout(() => resolve({ ready: false, reason: `the database did not answer within ${timeoutMs} ms` }), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([
        query.then((): Readiness => ({ ready: true })),
        timeout,
      ]);
    } catch {
      return { ready: false, reason: 'the database cannot be reached' };
    } finally {
      clearTimeout(timer);
    }
  };

  return () => {
    const t = now();
    if (!cached || t - cached.at >= cacheMs) cached = { at: t, answer: probe() };
    return cached.answer;
  };
}
