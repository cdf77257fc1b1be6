import { describe, expect, it } from 'vitest';
import { nhsCheckDigit, isValidNhsNumber } from '../fhir/nhs-number.js';
import { NhsNumberAllocator, nhsNumberCapacity } from './nhs-numbers.js';
import { apportion } from './organisation.generator.js';
import { Prng } from './prng.js';

describe('Prng', () => {
  it('repeats for the same keys and differs for different keys', () => {
    const seq = (...k: number[]) => { const r = new Prng(...k); return Array.from({ length: 20 }, () => r.nextUint32()); };
    expect(seq(1, 2)).toEqual(seq(1, 2));
    expect(seq(1, 2)).not.toEqual(seq(1, 3));
    expect(seq(1, 2)).not.toEqual(seq(2, 2));
  });

  it('is roughly uniform and its helpers stay in range', () => {
    const r = new Prng(42);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(r.next() * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    for (let i = 0; i < 1000; i++) {
      const x = r.range(3, 5);
      expect(x >= 3 && x <= 5).toBe(true);
      expect(r.weighted([1, 3, 6])).toBeLessThan(3);
    }
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += r.poisson(2.5);
    expect(Math.abs(sum / 20_000 - 2.5)).toBeLessThan(0.05);
  });
});

describe('NHS numbers', () => {
  it('the 999 test range holds 909,091 valid numbers (the tenth digit is fixed by the first nine)', () => {
    let valid = 0;
    for (let m = 0; m < 1_000_000; m++) if (nhsCheckDigit(`999${String(m).padStart(6, '0')}`) !== undefined) valid++;
    expect(nhsNumberCapacity()).toBe(valid);
  });

  it('allocates distinct valid test-range numbers, seeded, and none beyond the range', () => {
    const a = new NhsNumberAllocator(1), b = new NhsNumberAllocator(2);
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const n = a.numberFor(i)!;
      expect(n.startsWith('999')).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(50_000);
    expect([...seen].every((n) => isValidNhsNumber(n))).toBe(true);
    expect(a.numberFor(0)).not.toBe(b.numberFor(0));
    expect(a.numberFor(nhsNumberCapacity() - 1)).toBeDefined();
    expect(a.numberFor(nhsNumberCapacity())).toBeUndefined();
  });
});

describe('apportion', () => {
  it('splits a total in proportion, summing exactly, with a minimum each', () => {
    const out = apportion(182, [117, 106, 121, 279, 151], 1);
    expect(out.reduce((a, b) => a + b, 0)).toBe(182);
    expect(out[3]).toBeGreaterThan(out[1]);
    expect(apportion(5, [1000, 1, 1], 1)).toEqual([3, 1, 1]);
  });
});
