import type { Relation } from './small-numbers.js';

/*
 * The disclosure control's independent check, for the property tests: exact arithmetic
 * (Gauss-Jordan over rational numbers with BigInt), not the production code's floating point.
 */

class Frac {
  constructor(readonly n: bigint, readonly d: bigint = 1n) {}
  static of(n: bigint, d: bigint): Frac {
    if (d < 0n) { n = -n; d = -d; }
    const g = gcd(n < 0n ? -n : n, d);
    return new Frac(n / g, d / g);
  }
  isZero() { return this.n === 0n; }
  sub(o: Frac) { return Frac.of(this.n * o.d - o.n * this.d, this.d * o.d); }
  mul(o: Frac) { return Frac.of(this.n * o.n, this.d * o.d); }
  div(o: Frac) { return Frac.of(this.n * o.d, this.d * o.n); }
}
function gcd(a: bigint, b: bigint): bigint { while (b) [a, b] = [b, a % b]; return a === 0n ? 1n : a; }

/** Suppressed cells whose value is determined by the published ones (exact arithmetic). */
export function exactlyRecoverable(suppressed: boolean[], relations: Relation[]): number[] {
  const cols: number[] = [];
  suppressed.forEach((s, i) => { if (s) cols.push(i); });
  const col = new Map(cols.map((c, j) => [c, j]));
  const rows: Frac[][] = [];
  for (const r of relations) {
    const row = cols.map(() => new Frac(0n));
    let any = false;
    const add = (c: number, k: bigint) => { const j = col.get(c); if (j !== undefined) { row[j] = Frac.of(row[j].n * 1n + k * row[j].d, row[j].d); any = true; } };
    add(r.parent, 1n);
    for (const c of r.children) add(c, -1n);
    if (any) rows.push(row);
  }
  let rank = 0;
  const pivots: number[] = [];
  for (let j = 0; j < cols.length && rank < rows.length; j++) {
    const p = rows.findIndex((row, i) => i >= rank && !row[j].isZero());
    if (p < 0) continue;
    [rows[rank], rows[p]] = [rows[p], rows[rank]];
    const pv = rows[rank][j];
    rows[rank] = rows[rank].map((x) => x.div(pv));
    for (let i = 0; i < rows.length; i++) {
      if (i === rank || rows[i][j].isZero()) continue;
      const f = rows[i][j];
      rows[i] = rows[i].map((x, k) => x.sub(f.mul(rows[rank][k])));
    }
    pivots[j] = rank++;
  }
  return cols.filter((_, j) => pivots[j] !== undefined && rows[pivots[j]].every((x, k) => k === j || x.isZero()));
}
