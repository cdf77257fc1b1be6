import { describe, expect, it } from 'vitest';
import { hashString, Prng } from '../synth/prng.js';
import { protect, recoverableCells, roundCount, SUPPRESS_UP_TO, type Relation } from './small-numbers.js';
import { exactlyRecoverable, referenceProtect, referenceRecoverableCells } from './small-numbers.test-helpers.js';

/**
 * The disclosure control's property test. Random tables shaped like the published ones (places
 * with strata under several stratifiers, groupings of places, a two-level hierarchy), many of
 * them sparse; after protection, an independent exact check (Gauss-Jordan over rational numbers
 * with BigInt, not the production code's floating point) shows that no suppressed cell is a
 * linear combination of published cells through the tables' relations, which covers row, column
 * and total differencing across stratifications and every combination of them.
 */

/**
 * A random table: `places` places (plus groupings of them and a total), `stratifiers` × `strata` each;
 * `large`: up to 14 places and 4 stratifiers of up to 7 strata, nearer the published tables' size.
 */
function randomTable(rng: Prng, large = false) {
  const places = large ? 6 + rng.int(9) : 2 + rng.int(5);
  const stratifiers = large ? 2 + rng.int(3) : 1 + rng.int(3);
  const strata = Array.from({ length: stratifiers }, () => (large ? 2 + rng.int(6) : 2 + rng.int(4)));
  const sparse = rng.chance(0.5);
  const values: number[] = [];
  const relations: Relation[] = [];
  const index = new Map<string, number>();
  const cell = (k: string) => { let i = index.get(k); if (i === undefined) { i = values.length; index.set(k, i); values.push(0); } return i; };
  // Leaf cells: place × one stratum of each stratifier is not published; what is published is the
  // place total and each stratum, so draw a microdata table and sum it.
  const combos = strata.reduce((a, n) => a * n, 1);
  for (let p = 0; p < places; p++) {
    for (let k = 0; k < combos; k++) {
      const n = sparse ? (rng.chance(0.5) ? 0 : rng.int(6)) : rng.int(large ? 12 : 40);
      let rest = k;
      const key = strata.map((m) => { const v = rest % m; rest = Math.floor(rest / m); return v; });
      values[cell(`p${p}|*`)] += n;
      strata.forEach((_, s) => { values[cell(`p${p}|s${s}=${key[s]}`)] += n; });
    }
  }
  const groups = [Array.from({ length: places }, (_, p) => p)];
  if (places >= 4) groups.push([0, 1], [2, 3]);
  if (large) groups.push(Array.from({ length: places - 4 }, (_, p) => p + 4));
  groups.forEach((g, gi) => {
    for (const key of ['*', ...strata.flatMap((m, s) => Array.from({ length: m }, (_, v) => `s${s}=${v}`))]) {
      const parent = cell(`g${gi}|${key}`);
      values[parent] = g.reduce((a, p) => a + values[cell(`p${p}|${key}`)], 0);
      relations.push({ parent, children: g.map((p) => cell(`p${p}|${key}`)) });
    }
  });
  for (const prefix of [...Array.from({ length: places }, (_, p) => `p${p}`), ...groups.map((_, gi) => `g${gi}`)]) {
    strata.forEach((m, s) => relations.push({ parent: cell(`${prefix}|*`), children: Array.from({ length: m }, (_, v) => cell(`${prefix}|s${s}=${v}`)) }));
  }
  return { values, relations };
}

describe('small numbers: suppression and rounding', () => {
  it('rounds to the nearest 5 and suppresses 1 to 7', () => {
    expect([0, 2, 3, 8, 12, 13, 100].map(roundCount)).toEqual([0, 0, 5, 10, 10, 15, 100]);
    const p = protect([0, 1, 7, 8, 100], []);
    expect(p.suppressed).toEqual([false, true, true, false, false]);
    expect(p.published).toEqual([0, null, null, 10, 100]);
  });

  it('a single suppressed stratum is not left beside a published total (secondary suppression)', () => {
    // Total 30 = 3 + 12 + 15: the 3 alone would be 30 - 12 - 15.
    const p = protect([30, 3, 12, 15], [{ parent: 0, children: [1, 2, 3] }]);
    expect(p.suppressed.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(p.suppressed[1]).toBe(true);
  });

  it('property: on 300 random tables, every count from 1 to 7 is suppressed and no suppressed cell can be recovered by any linear combination of published cells', () => {
    const rng = new Prng(2024, hashString('outcomes-suppression'), 0);
    let suppressedSeen = 0;
    for (let n = 0; n < 300; n++) {
      const { values, relations } = randomTable(rng);
      const p = protect(values, relations);
      values.forEach((v, i) => {
        if (v >= 1 && v <= SUPPRESS_UP_TO) expect(p.suppressed[i], `table ${n} cell ${i} = ${v}`).toBe(true);
        if (!p.suppressed[i]) expect(p.published[i]).toBe(roundCount(v));
      });
      const bad = exactlyRecoverable(p.suppressed, relations);
      if (bad.length && process.env.DEBUG_SDC) console.log(JSON.stringify({ values, relations, s: p.suppressed.map((x, i) => (x ? i : -1)).filter((i) => i >= 0), bad }));
      expect(bad, `table ${n}`).toEqual([]);
      suppressedSeen += p.suppressed.filter(Boolean).length;
    }
    expect(suppressedSeen).toBeGreaterThan(1000);
  });

  it('the exact checker finds a recoverable cell where one exists (so the property above can fail)', () => {
    // A 2 x 2 table with margins, one interior cell suppressed: recoverable from its row.
    const relations: Relation[] = [{ parent: 0, children: [1, 2] }, { parent: 3, children: [1, 4] }];
    expect(exactlyRecoverable([false, true, false, false, false], relations)).toEqual([1]);
    // Two cells of one row suppressed but each alone in its column: both recoverable by columns.
    const rel2: Relation[] = [{ parent: 0, children: [1, 2] }, { parent: 3, children: [1] }, { parent: 4, children: [2] }];
    expect(exactlyRecoverable([false, true, true, false, false], rel2).sort()).toEqual([1, 2]);
  });

  it('equals the previous algorithm (the reference kept in the test helpers) on 200 random tables, with cells to keep last and unpublished cells: the same suppressions and figures', () => {
    const rng = new Prng(2024, hashString('outcomes-suppression-equal'), 0);
    let secondary = 0;
    for (let n = 0; n < 200; n++) {
      const { values, relations } = randomTable(rng, n % 5 === 0);
      // A cell listed twice in a relation, as a sum through an unpublished place can be.
      if (rng.chance(0.1) && relations.length) relations.push({ ...relations[0], children: [...relations[0].children, relations[0].children[0]] });
      const keep = rng.chance(0.5) ? values.map(() => rng.int(7)) : [];
      const unpublished = rng.chance(0.3) ? values.map(() => rng.chance(0.05)) : [];
      const now = protect(values, relations, keep, unpublished);
      expect(now, `table ${n}`).toEqual(referenceProtect(values, relations, keep, unpublished));
      secondary += now.suppressed.filter((s, i) => s && !(values[i] >= 1 && values[i] <= SUPPRESS_UP_TO) && !unpublished[i]).length;
      // And the elimination alone, on a random pattern of hidden cells.
      const hidden = values.map(() => rng.chance(0.4));
      expect(recoverableCells(hidden, relations), `table ${n}, random pattern`).toEqual(referenceRecoverableCells(hidden, relations));
    }
    // The comparison covered secondary suppression, not only the primary cells.
    expect(secondary).toBeGreaterThan(300);
  });
});
