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
  // How many of each relation's members are hidden (a cell listed twice counts twice), kept as cells are
  // hidden, so a pass over the relations reads one number each instead of filtering its members.
  const hiddenIn = new Int32Array(members.length);
  members.forEach((m, i) => m.forEach((c) => { if (suppressed[c]) hiddenIn[i]++; }));
  // Which hidden cells are safe (cannot be worked out), kept as cells are hidden rather than found again
  // by a whole elimination after every cell the secondary suppression adds (hundreds of rounds on some tables).
  const safe = new SafeCells(values.length, relations);
  const hide = (c: number) => {
    suppressed[c] = true;
    for (const ri of relationsOf[c]) hiddenIn[ri]++;
    safe.hide(c);
  };
  suppressed.forEach((s, c) => { if (s) safe.hide(c); });

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
    hide(best);
    return true;
  };

  for (let guard = 0; guard <= values.length + 1; guard++) {
    // 1. No relation may have exactly one suppressed cell (plain differencing).
    let changed = true;
    while (changed) {
      changed = false;
      for (let ri = 0; ri < members.length; ri++) {
        if (hiddenIn[ri] !== 1) continue;
        const hidden = members[ri].find((c) => suppressed[c])!;
        // An unpublished cell worked out this way gives nothing away: nobody was promised it hidden.
        if (!unpublished[hidden] && suppressAnother(ri, hidden)) changed = true;
      }
    }
    // 2. Combinations of relations (a suppressed cell that is a bridge between two groups of them).
    // The first hidden cell that can be worked out (as recoverableCells would list it), unpublished ones aside.
    let first = -1;
    for (let c = 0; c < values.length && first < 0; c++) if (suppressed[c] && !unpublished[c] && !safe.isSafe(c)) first = c;
    // Before stopping, the exact elimination confirms it: SafeCells works modulo a prime, and a table whose
    // relations lost rank modulo that prime (vanishingly rare, but not impossible) would call a recoverable
    // cell safe. Once a table, so the answer rests on the arithmetic the property tests check.
    if (first < 0) first = recoverableCells(suppressed, relations).find((c) => !unpublished[c]) ?? -1;
    if (first < 0) break;
    const exposed = [first];
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
    hide(best);
  }
  return { suppressed, published: values.map((v, i) => (suppressed[i] ? null : roundCount(v))) };
}

/** A prime below 2^24: products of two residues stay below 2^48, exact in a double. */
const P = 16_777_213;
const mod = (x: number) => ((x % P) + P) % P;
function inverse(a: number): number {
  // Extended Euclid.
  let [r0, r1, s0, s1] = [P, a, 0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0);
}

/**
 * The hidden cells that cannot be worked out, kept up to date as cells are hidden. A hidden cell c can be
 * worked out exactly when its unit vector lies in the row space of the relations restricted to the hidden
 * cells, that is when every vector of their null space is zero at c; so c is safe when some null-space
 * vector is not. Hiding a cell only adds a column: every null-space vector stays one (zero in the new
 * column), so a safe cell stays safe, and the null space gains at most one vector, found by reducing the
 * new column against the columns kept so far (incremental Gaussian elimination by columns). The
 * arithmetic is exact, modulo a prime far above any coefficient these sums of ±1 produce. Which cells are
 * safe does not depend on the order the cells were hidden in: it is the same answer recoverableCells gives
 * (the property tests hold the two equal), for the cost of one elimination in all instead of one a round.
 */
class SafeCells {
  /** Per cell: its column (relation → coefficient), non-zero entries only. */
  private readonly columns: Map<number, number>[];
  /** The reduced columns kept: pivot relation, the column, and the hidden cells' combination it is. */
  private readonly kept: { row: number; column: Map<number, number>; combination: Map<number, number> }[] = [];
  private readonly safe: boolean[];
  private readonly hidden: boolean[];

  constructor(cells: number, relations: Relation[]) {
    this.columns = Array.from({ length: cells }, () => new Map());
    this.safe = new Array<boolean>(cells).fill(false);
    this.hidden = new Array<boolean>(cells).fill(false);
    relations.forEach((r, ri) => {
      const add = (c: number, k: number) => { const col = this.columns[c]; col.set(ri, mod((col.get(ri) ?? 0) + k)); };
      add(r.parent, 1);
      for (const c of r.children) add(c, -1);
    });
    for (const col of this.columns) for (const [ri, v] of col) if (v === 0) col.delete(ri);
  }

  isSafe(c: number): boolean { return this.safe[c]; }

  hide(c: number): void {
    if (this.hidden[c]) return;
    this.hidden[c] = true;
    const column = new Map(this.columns[c]);
    const combination = new Map<number, number>([[c, 1]]);
    for (const k of this.kept) {
      const a = column.get(k.row);
      if (a === undefined) continue;
      // column -= f × k.column, with f making the pivot's entry zero; the combination likewise.
      const f = (a * inverse(k.column.get(k.row)!)) % P;
      const axpy = (into: Map<number, number>, from: Map<number, number>) => {
        for (const [i, v] of from) {
          const x = mod((into.get(i) ?? 0) - ((f * v) % P));
          if (x === 0) into.delete(i); else into.set(i, x);
        }
      };
      axpy(column, k.column);
      axpy(combination, k.combination);
    }
    if (column.size === 0) {
      // A dependent column: `combination` is a null-space vector; every cell in it is safe.
      for (const cell of combination.keys()) this.safe[cell] = true;
      return;
    }
    this.kept.push({ row: column.keys().next().value!, column, combination });
  }
}

/**
 * The suppressed cells whose exact value follows from the published cells through the relations:
 * Gauss-Jordan elimination of the relations' coefficients on the suppressed cells (published cells
 * are constants); a cell is recoverable when its column is a pivot whose row has no other entry.
 *
 * Sparse: each relation touches a few of the suppressed cells, so a row keeps only its non-zero
 * entries and each column the rows holding it. The operations are the dense elimination's, on the
 * same values in the same order (pivot: the first row at or below the rank with an entry; every
 * other row with an entry reduced by it), so the result is the same bit for bit; only the zeros are
 * no longer visited. Dense, this was rows × suppressed cells × rank on every round of the secondary
 * suppression (bench/PROFILE.md, "Outcomes").
 */
export function recoverableCells(suppressed: boolean[], relations: Relation[]): number[] {
  const colOf = new Int32Array(suppressed.length).fill(-1);
  const cellOf: number[] = [];
  suppressed.forEach((s, i) => { if (s) { colOf[i] = cellOf.length; cellOf.push(i); } });
  const n = cellOf.length;
  if (n === 0) return [];
  // rows[id]: column → coefficient; at[position] = row id (rows are swapped by position, as the dense
  // version swaps them); posOf[id] its position; holding[column] = the ids of the rows with an entry there.
  const rows: Map<number, number>[] = [];
  const holding: number[][] = Array.from({ length: n }, () => []);
  for (const r of relations) {
    let row: Map<number, number> | undefined;
    const add = (cell: number, k: number) => {
      const j = colOf[cell];
      if (j < 0) return;
      row ??= new Map();
      const v = row.get(j);
      if (v === undefined) { row.set(j, k); holding[j].push(rows.length); } else row.set(j, v + k);
    };
    add(r.parent, 1);
    for (const c of r.children) add(c, -1);
    if (row) rows.push(row);
  }
  const at = rows.map((_, i) => i);
  const posOf = rows.map((_, i) => i);
  const eps = 1e-9;
  const pivotRowOf = new Map<number, number>();
  let rank = 0;
  for (let j = 0; j < n && rank < rows.length; j++) {
    let p = -1;
    for (const id of holding[j]) {
      const pos = posOf[id];
      if (pos >= rank && (p < 0 || pos < p) && Math.abs(rows[id].get(j)!) > eps) p = pos;
    }
    if (p < 0) continue;
    const pid = at[p];
    const other = at[rank];
    at[rank] = pid; posOf[pid] = rank;
    at[p] = other; posOf[other] = p;
    const pr = rows[pid];
    const inv = 1 / pr.get(j)!;
    for (const [k, v] of pr) pr.set(k, v * inv);
    for (const id of holding[j]) {
      if (id === pid) continue;
      const ri = rows[id];
      const f = ri.get(j)!;
      if (Math.abs(f) <= eps) continue;
      for (const [k, v] of pr) {
        const x = ri.get(k);
        if (x === undefined) { ri.set(k, 0 - f * v); holding[k].push(id); } else ri.set(k, x - f * v);
      }
    }
    pivotRowOf.set(j, pid);
    rank++;
  }
  const out: number[] = [];
  for (let j = 0; j < n; j++) {
    const id = pivotRowOf.get(j);
    if (id === undefined) continue;
    let alone = true;
    for (const [k, v] of rows[id]) if (k !== j && Math.abs(v) > eps) { alone = false; break; }
    if (alone) out.push(cellOf[j]);
  }
  return out;
}
