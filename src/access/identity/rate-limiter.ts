import type { Clock } from './identity.config.js';

/**
 * Counts failed sign-ins per key (a client address) in a sliding window, in memory: it slows a
 * brute-force run across many accounts from one place. Only failures count: a hospital's staff
 * share one internet address, and their good sign-ins must never lock each other out. Per-account
 * lockout (in the database) covers a slow run from many places.
 */
export class RateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: () => number,
    private readonly windowMs: () => number,
  ) {}

  /** Seconds to wait before `key` may try again (its failure budget is spent), else 0. Records nothing. */
  retryAfter(key: string): number {
    const since = this.clock.now().getTime() - this.windowMs();
    const list = this.recent(key, since);
    if (list.length < this.limit()) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.limit()] - since) / 1000));
  }

  /** Records one failed attempt from `key`. */
  recordFailure(key: string): void {
    const now = this.clock.now().getTime();
    const since = now - this.windowMs();
    const list = this.recent(key, since);
    list.push(now);
    this.failures.set(key, list);
    if (this.failures.size > 10_000) this.sweep(since);
  }

  private recent(key: string, since: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private sweep(since: number): void {
    for (const [k, list] of this.failures) if (list.every((t) => t <= since)) this.failures.delete(k);
  }
}
