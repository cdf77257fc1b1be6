import { describe, expect, it } from 'vitest';
import { hashString, Prng } from '../synth/prng.js';
import type { SubmittedComputation } from './indicator.definitions.js';
import { loadGeography } from './place.directory.js';
import { SUPPRESS_UP_TO, type Relation } from './small-numbers.js';
import { exactlyRecoverable } from './small-numbers.test-helpers.js';
import { protectSubmitted, type SubmittedCells } from './submitted-protection.js';

// Partners' returns for a grouping and all its districts add up (the worst case), so a suppressed
// district must not be recoverable as the county's count less the other districts'. The check is
// independent of the production code: every real sum of the geography, exact rational arithmetic, and
// every place without a return treated as unknown to the attacker.

const g = loadGeography();
const districts = g.districts.map((d) => `district:${d.id}`);
const sums: [string, string[]][] = [
  ['county:kent', g.districts.filter((d) => d.id !== 'medway').map((d) => `district:${d.id}`)],
  ['county:medway', ['district:medway']],
  ...g.hcps.map((h): [string, string[]] => [`hcp:${h.id}`, g.districts.filter((d) => d.hcp === h.id).map((d) => `district:${d.id}`)]),
  ['system', ['county:kent', 'county:medway']],
  ['system', g.hcps.map((h) => `hcp:${h.id}`)],
  ['system', districts],
];
const places = ['system', 'county:kent', 'county:medway', ...g.hcps.map((h) => `hcp:${h.id}`), ...districts];
const at = new Map(places.map((p, i) => [p, i]));
const relations: Relation[] = sums.map(([parent, children]) => ({ parent: at.get(parent)!, children: children.map((c) => at.get(c)!) }));

const proportion: SubmittedComputation = { kind: 'submitted', owner: 'Kent County Council', why: 'returned termly', owners: ['org-kcc'], scoring: 'proportion', numerator: 'absent', denominator: 'pupils' };
const count: SubmittedComputation = { ...proportion, scoring: 'count' };

/** Districts' counts (many small), every grouping their exact sum. */
function returns(rng: Prng, submitted: (place: string) => boolean, scoring: 'count' | 'proportion'): Map<string, SubmittedCells> {
  const num = new Map<string, number>();
  const den = new Map<string, number>();
  for (const d of districts) {
    const n = rng.next() < 0.35 ? 1 + Math.floor(rng.next() * SUPPRESS_UP_TO) : Math.floor(rng.next() * 60);
    num.set(d, n);
    den.set(d, n + (rng.next() < 0.2 ? Math.floor(rng.next() * 5) : 10 + Math.floor(rng.next() * 500)));
  }
  const total = (m: Map<string, number>, ds: string[]) => ds.reduce((a, d) => a + m.get(d)!, 0);
  for (const [parent, children] of sums) {
    if (num.has(parent)) continue;
    const ds = children.flatMap((c) => (c.startsWith('district:') ? [c] : sums.find(([p]) => p === c)![1]));
    num.set(parent, total(num, ds));
    den.set(parent, total(den, ds));
  }
  const out = new Map<string, SubmittedCells>();
  for (const p of places) {
    if (!submitted(p)) continue;
    out.set(p, scoring === 'count'
      ? { numerator: num.get(p)!, denominator: null, value: num.get(p)! }
      : { numerator: num.get(p)!, denominator: den.get(p)!, value: Math.round((1000 * num.get(p)!) / den.get(p)!) / 10 });
  }
  return out;
}

describe('submitted figures protected across places', () => {
  it('no suppressed count can be worked out from the published ones, whichever places were submitted', () => {
    const rng = new Prng(2026, hashString('submitted-protection'), 0);
    let suppressedSeen = 0;
    let secondarySeen = 0;
    for (let trial = 0; trial < 300; trial++) {
      const scoring = trial % 2 === 0 ? 'count' : 'proportion';
      const share = trial % 3 === 0 ? 1 : 0.6 + 0.4 * rng.next();
      const figures = returns(rng, () => rng.next() < share, scoring);
      const published = protectSubmitted(scoring === 'count' ? count : proportion, g, figures);
      // Unknown to the attacker: every suppressed figure and every place with no return.
      const unknown = places.map((p) => !figures.has(p) || published.get(p)!.suppressed);
      const exposed = exactlyRecoverable(unknown, relations).filter((i) => figures.has(places[i]));
      expect(exposed.map((i) => places[i])).toEqual([]);
      for (const [p, f] of figures) {
        const small = (n: number | null) => n !== null && n >= 1 && n <= SUPPRESS_UP_TO;
        if (small(f.numerator) || small(f.denominator)) {
          expect(published.get(p)!.suppressed).toBe(true);
          suppressedSeen++;
        } else if (published.get(p)!.suppressed) {
          secondarySeen++;
        }
      }
    }
    // The trials did exercise both kinds of suppression.
    expect(suppressedSeen).toBeGreaterThan(100);
    expect(secondarySeen).toBeGreaterThan(50);
  });

  it('hides a second district when Kent and all its districts are returned and one district is small', () => {
    const figures = new Map<string, SubmittedCells>();
    const kent = g.districts.filter((d) => d.id !== 'medway');
    kent.forEach((d, i) => figures.set(`district:${d.id}`, { numerator: i === 0 ? 3 : 40 + i, denominator: null, value: i === 0 ? 3 : 40 + i }));
    const sum = [...figures.values()].reduce((a, f) => a + f.value, 0);
    figures.set('county:kent', { numerator: sum, denominator: null, value: sum });
    const published = protectSubmitted(count, g, figures);
    const hidden = [...published].filter(([, f]) => f.suppressed).map(([p]) => p);
    expect(hidden).toContain(`district:${kent[0].id}`);
    expect(hidden.length).toBe(2);
    expect(published.get('county:kent')!.suppressed).toBe(false);
    // The same return without the county's: nothing to difference, only the small one hidden.
    figures.delete('county:kent');
    expect([...protectSubmitted(count, g, figures)].filter(([, f]) => f.suppressed).map(([p]) => p)).toEqual([`district:${kent[0].id}`]);
  });

  it('leaves counts of organisations and percentages given alone as they were', () => {
    const orgs: SubmittedComputation = { ...count, countsOrganisations: true };
    const figures = new Map<string, SubmittedCells>([['county:kent', { numerator: 9, denominator: null, value: 9 }], ['district:medway', { numerator: 2, denominator: null, value: 2 }]]);
    expect(protectSubmitted(orgs, g, figures).get('district:medway')!.suppressed).toBe(false);
    const pct = new Map<string, SubmittedCells>([['county:kent', { numerator: null, denominator: null, value: 7.5 }], ['county:medway', { numerator: null, denominator: null, value: 6.1 }]]);
    expect([...protectSubmitted(proportion, g, pct).values()].map((f) => f.score)).toEqual([7.5, 6.1]);
  });
});
