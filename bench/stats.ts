/** Pure arithmetic over one load run: kept apart from the I/O so it can be unit-tested. */

/**
 * Nearest-rank percentile over values sorted ascending (p in 0..100). Nearest-rank never
 * invents a latency that was not observed, which keeps p99 honest on short runs.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[sorted.length - 1];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)];
}

export interface LoadSample {
  /** One latency per completed response, in milliseconds. */
  latenciesMs: Float64Array | number[];
  /** How many of those responses had a 2xx status. */
  ok: number;
  /** Completed responses with any other status. */
  non2xx: number;
  /** Socket errors and timeouts: requests that never completed. */
  errors: number;
  /** Wall-clock seconds between the first request and the last response. */
  seconds: number;
}

export interface LoadFigures {
  requests: number;
  /** Successful (2xx) responses per second: failures are counted, never credited as throughput. */
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

export function summarise(sample: LoadSample): LoadFigures {
  const sorted = Float64Array.from(sample.latenciesMs).sort();
  return {
    requests: sorted.length,
    requestsPerSecond: sample.seconds > 0 ? sample.ok / sample.seconds : 0,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    non2xx: sample.non2xx,
    errors: sample.errors,
    seconds: sample.seconds,
  };
}

/** figure / ceiling, or undefined when there is no usable ceiling (so no ratio is made up). */
export function ratio(figure: number, ceiling: number | undefined): number | undefined {
  if (!ceiling || !Number.isFinite(ceiling) || ceiling <= 0 || !Number.isFinite(figure)) return undefined;
  return figure / ceiling;
}

export interface Target {
  /** The figure the target is about: throughput in the scenario's own unit. */
  min: number;
  unit: 'req/s' | 'resources/s' | 'services/s';
  /** Upper bound on p95 latency, when the target has one. */
  p95MaxMs?: number;
  /** The wording, shown in the report. */
  text: string;
}

/** A target is met only when every part of it is: throughput, p95 bound, and no failed requests. */
export function meetsTarget(t: Target, f: { perSecond: number; p95Ms?: number; failures: number }): boolean {
  if (f.failures > 0) return false;
  if (f.perSecond < t.min) return false;
  if (t.p95MaxMs !== undefined && !(f.p95Ms !== undefined && f.p95Ms < t.p95MaxMs)) return false;
  return true;
}

/** The spread of the ceiling runs of one dataset: on a noisy machine the spread is part of the figure. */
export function ceilingSummary(runs: number[]): { runsReqPerSec: number[]; min: number; median: number; max: number } {
  const sorted = [...runs].sort((a, b) => a - b);
  return { runsReqPerSec: runs, min: sorted[0] ?? Number.NaN, median: percentile(sorted, 50), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** A page requested one at a time, each request after one of its ceiling's, in the same loop (the discharge board, the outcomes dashboard). */
export interface PageAgainstCeiling {
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** The ceiling: the same rows read by plain statements on the same pool, no session, policy or page. */
  ceilingP50Ms: number;
  ceilingP95Ms: number;
  /** page p95 / ceiling p95. */
  ratio: number;
  /** page p95 under the target. */
  met: boolean;
}

/** The figures of a page's and its ceiling's latencies (ms), judged against a p95 target. */
export function pageAgainstCeiling(pageMs: number[], ceilingMs: number[], targetP95Ms: number): PageAgainstCeiling {
  const p = Float64Array.from(pageMs).sort();
  const c = Float64Array.from(ceilingMs).sort();
  return {
    requests: pageMs.length, p50Ms: percentile(p, 50), p95Ms: percentile(p, 95), p99Ms: percentile(p, 99),
    ceilingP50Ms: percentile(c, 50), ceilingP95Ms: percentile(c, 95), ratio: percentile(p, 95) / percentile(c, 95), met: percentile(p, 95) < targetP95Ms,
  };
}
