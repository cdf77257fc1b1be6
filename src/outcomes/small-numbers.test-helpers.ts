import { roundCount, SUPPRESS_UP_TO, type Protected, type Relation } from './small-numbers.js';

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

/*
 * The protection as it was before it was made linear (commit 05cc8c6: dense Gauss-Jordan over every
 * suppressed cell, relations scanned whole on every pass), kept word for word as the reference the
 * faster one must equal cell for cell: same suppressions, same published figures.
 */

/**
 * Protects `values` (exact counts) under `relations`. Deterministic: the same table always gives
 * the same pattern. Secondary cells are chosen by `keep` first (a cell with a higher number, such as
 * the whole system's total, is hidden only when nothing lower will do), then smallest first (the
 * least information lost).
 */
export function referenceProtect(values: number[], relations: Relation[], keep: number[] = [], unpublished: boolean[] = []): Protected {
  // `unpublished` cells are unknown to readers whatever their value (a place no figure was given for):
  // treated as suppressed from the start, so the sums through them are protected too.
  const suppressed = values.map((v, i) => unpublished[i] === true || (v >= 1 && v <= SUPPRESS_UP_TO));
  const members = relations.map((r) => [r.parent, ...r.children]);
  const relationsOf: number[][] = values.map(() => []);
  members.forEach((m, i) => m.forEach((c) => relationsOf[c].push(i)));

  const rank = (c: number) => keep[c] ?? 0;
  const size = (c: number) => (values[c] === 0 ? Number.MAX_SAFE_INTEGER : values[c]);
  /** Suppresses the smallest published cell of relation `ri` other than `except`; false if none. */
  const suppressAnother = (ri: number, except: number): boolean => {
    let best = -1;
    for (const c of members[ri]) {
      if (c === except || suppressed[c]) continue;
      // Prefer cells less worth keeping, then non-zero ones (a zero hides nothing), then the smallest, then the lowest index.
      if (best < 0 || rank(c) < rank(best) || (rank(c) === rank(best) && (size(c) < size(best) || (size(c) === size(best) && c < best)))) best = c;
    }
    if (best < 0) return false;
    suppressed[best] = true;
    return true;
  };

  for (let guard = 0; guard <= values.length + 1; guard++) {
    // 1. No relation may have exactly one suppressed cell (plain differencing).
    let changed = true;
    while (changed) {
      changed = false;
      for (let ri = 0; ri < members.length; ri++) {
        const hidden = members[ri].filter((c) => suppressed[c]);
        // An unpublished cell worked out this way gives nothing away: nobody was promised it hidden.
        if (hidden.length === 1 && !unpublished[hidden[0]] && suppressAnother(ri, hidden[0])) changed = true;
      }
    }
    // 2. Combinations of relations (a suppressed cell that is a bridge between two groups of them).
    const exposed = referenceRecoverableCells(suppressed, relations).filter((c) => !unpublished[c]);
    if (exposed.length === 0) break;
    // Widen from the exposed cell through the relations it shares with other suppressed cells (a
    // grouping of places hidden whole can still be its complement within a larger total), and hide
    // the published cell of that connected set least worth keeping (then the smallest).
    const seenRel = new Set<number>();
    const seenCell = new Set<number>([exposed[0]]);
    let frontier = [exposed[0]];
    let best = -1;
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const x of frontier) {
        for (const ri of relationsOf[x]) {
          if (seenRel.has(ri)) continue;
          seenRel.add(ri);
          for (const y of members[ri]) {
            if (!suppressed[y] && (best < 0 || rank(y) < rank(best) || (rank(y) === rank(best) && (size(y) < size(best) || (size(y) === size(best) && y < best))))) best = y;
            if (suppressed[y] && !seenCell.has(y)) { seenCell.add(y); next.push(y); }
          }
        }
      }
      frontier = next;
    }
    if (best < 0) break; // every cell connected to it is already hidden
    suppressed[best] = true;
  }
  return { suppressed, published: values.map((v, i) => (suppressed[i] ? null : roundCount(v))) };
}

/**
 * The suppressed cells whose exact value follows from the published cells through the relations:
 * Gauss-Jordan elimination of the relations' coefficients on the suppressed cells (published cells
 * are constants); a cell is recoverable when its column is a pivot whose row has no other entry.
 */
export function referenceRecoverableCells(suppressed: boolean[], relations: Relation[]): number[] {
  const cols = new Map<number, number>();
  suppressed.forEach((s, i) => { if (s) cols.set(i, cols.size); });
  if (cols.size === 0) return [];
  const rows: Float64Array[] = [];
  for (const r of relations) {
    const row = new Float64Array(cols.size);
    let any = false;
    const add = (cell: number, k: number) => {
      const j = cols.get(cell);
      if (j !== undefined) { row[j] += k; any = true; }
    };
    add(r.parent, 1);
    for (const c of r.children) add(c, -1);
    if (any) rows.push(row);
  }
  const eps = 1e-9;
  const pivotRowOf = new Map<number, number>();
  let rank = 0;
  for (let j = 0; j < cols.size && rank < rows.length; j++) {
    let p = -1;
    for (let i = rank; i < rows.length; i++) if (Math.abs(rows[i][j]) > eps) { p = i; break; }
    if (p < 0) continue;
    [rows[rank], rows[p]] = [rows[p], rows[rank]];
    const pr = rows[rank];
    const inv = 1 / pr[j];
    for (let k = 0; k < cols.size; k++) pr[k] *= inv;
    for (let i = 0; i < rows.length; i++) {
      if (i === rank) continue;
      const f = rows[i][j];
      if (Math.abs(f) <= eps) continue;
      const ri = rows[i];
      for (let k = 0; k < cols.size; k++) ri[k] -= f * pr[k];
    }
    pivotRowOf.set(j, rank);
    rank++;
  }
  const out: number[] = [];
  for (const [cell, j] of cols) {
    const pi = pivotRowOf.get(j);
    if (pi === undefined) continue;
    const row = rows[pi];
    let alone = true;
    for (let k = 0; k < cols.size; k++) if (k !== j && Math.abs(row[k]) > eps) { alone = false; break; }
    if (alone) out.push(cell);
  }
  return out;
}
