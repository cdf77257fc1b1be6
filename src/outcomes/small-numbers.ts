/**
 * Statistical disclosure control for published figures: counts from 1 to 7 are suppressed (primary
 * suppression), further cells are suppressed until no suppressed cell can be worked out from the
 * published ones by any linear combination of the tables' additive relations (secondary
 * suppression), and what is published is rounded to the nearest 5.
 *
 * A table is a set of cells (each an exact count) and relations `parent = sum(children)` between
 * them: a place's total and its strata, the system and its districts, a network and its practices,
 * a district's stratum and the system's. The check for "recoverable" is exact in the linear
 * algebra sense: a suppressed cell is recoverable when its unit vector lies in the row space of
 * the relations restricted to the suppressed cells (every published cell is treated as known
 * exactly, the worst case, so rounding adds protection but is not relied on).
 */

/** Counts from 1 to this are suppressed. */
export const SUPPRESS_UP_TO = 7;
/** Published counts are rounded to the nearest multiple of this. */
export const ROUND_TO = 5;

export interface Relation {
  parent: number;
  children: number[];
}

export interface Protected {
  /** Per cell: true when it must not be published. */
  suppressed: boolean[];
  /** Per cell: the published (rounded) count, or null when suppressed. */
  published: (number | null)[];
}

/** Nearest multiple of ROUND_TO (halves up); zero stays zero. */
export function roundCount(n: number): number {
  return Math.round(n / ROUND_TO) * ROUND_TO;
}

/**
 * Protects `values` (exact counts) under `relations`. Deterministic: the same table always gives
 * the same pattern. Secondary cells are chosen by `keep` first (a cell with a higher number, such as
 * the whole system's total, is hidden only when nothing lower will do), then smallest first (the
 * least information lost).
 */
export function protect(values: number[], relations: Relation[], keep: number[] = [], unpublished: boolean[] = []): Protected {
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
    const exposed = recoverableCells(suppressed, relations).filter((c) => !unpublished[c]);
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
export function recoverableCells(suppressed: boolean[], relations: Relation[]): number[] {
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
