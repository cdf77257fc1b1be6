import type { Clock } from './identity.config.js';

/**
 * Counts attempts per key (a client address) in a sliding window, in memory: it slows a
 * brute-force run across many accounts from one place. Per-account lockout (in the database)
 * covers a slow run from many places.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: () => number,
    private readonly windowMs: () => number,
  ) {}

  /** Records an attempt; returns the seconds to wait when over the limit, else 0. */
  hit(key: string): number {
    const now = this.clock.now().getTime();
    const since = now - this.windowMs();
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.limit()) {
      this.hits.set(key, list);
      return Math.max(1, Math.ceil((list[0] - since) / 1000));
    }
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 10_000) this.sweep(since);
    return 0;
  }

  private sweep(since: number): void {
    for (const [k, list] of this.hits) if (list.every((t) => t <= since)) this.hits.delete(k);
  }
}
