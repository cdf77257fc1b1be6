/**
 * 95% confidence intervals as the Public Health England / OHID technical guidance gives them:
 * Wilson's score interval for proportions, Byar's approximation to the Poisson interval for
 * counts and rates.
 */

const Z = 1.959963984540054;

/** Wilson score interval for `k` of `n`, as proportions (0..1); undefined when n is 0. */
export function wilson(k: number, n: number): { low: number; high: number } | undefined {
  if (n <= 0) return undefined;
  const p = k / n;
  const z2 = Z * Z;
  const centre = p + z2 / (2 * n);
  const half = Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const den = 1 + z2 / n;
  return { low: Math.max(0, (centre - half) / den), high: Math.min(1, (centre + half) / den) };
}

/** Byar's interval for a Poisson count `o` (events), as counts. */
export function byar(o: number): { low: number; high: number } {
  const low = o === 0 ? 0 : o * Math.pow(1 - 1 / (9 * o) - Z / (3 * Math.sqrt(o)), 3);
  const o1 = o + 1;
  const high = o1 * Math.pow(1 - 1 / (9 * o1) + Z / (3 * Math.sqrt(o1)), 3);
  return { low, high };
}
