import { nhsCheckDigit } from '../fhir/nhs-number.js';
import { hashString, Prng } from './prng.js';

/**
 * NHS numbers from the range reserved for testing (999 000 0000 - 999 999 9999), so none can
 * belong to a real person. The range holds 10^6 nine-digit stems of which about 1 in 11 has no
 * valid check digit, so it has room for 909,091 distinct numbers: fewer than the 1.9 million
 * residents. Residents beyond that carry only the synthetic resident identifier, never a
 * duplicated NHS number, because the NHS number is the identity key for record linkage.
 */
let stems: Int32Array | undefined;

function validStems(): Int32Array {
  if (stems) return stems;
  const out = new Int32Array(1_000_000);
  let n = 0;
  // Modulus 11 over 999dddddd without building strings: weights 10, 9, 8 on the 9s, then 7..2.
  // (The tests check this agrees with nhsCheckDigit on every stem.)
  for (let m = 0; m < 1_000_000; m++) {
    let sum = 243, x = m;
    for (let w = 2; w <= 7; w++) {
      sum += (x % 10) * w;
      x = Math.floor(x / 10);
    }
    if (sum % 11 !== 1) out[n++] = m;
  }
  stems = out.slice(0, n);
  return stems;
}

export function nhsNumberCapacity(): number {
  return validStems().length;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * A seeded bijection from resident index to valid test numbers, so that numbers are unique,
 * stable for a seed, and not simply sequential (which would make every demo patient look alike).
 */
export class NhsNumberAllocator {
  private readonly stems = validStems();
  private readonly a: number;
  private readonly b: number;

  constructor(seed: number) {
    const rng = new Prng(seed, hashString('nhs-numbers'));
    const n = this.stems.length;
    let a = 1 + rng.int(n - 1);
    while (gcd(a, n) !== 1) a = (a % (n - 1)) + 1;
    this.a = a;
    this.b = rng.int(n);
  }

  /** The NHS number of resident `index`, or undefined once the test range is used up. */
  numberFor(index: number): string | undefined {
    const n = this.stems.length;
    if (index >= n) return undefined;
    // a * index < 10^12 stays exact in a double, so no BigInt is needed.
    const pos = (this.a * index + this.b) % n;
    const nine = '999' + String(this.stems[pos]).padStart(6, '0');
    return nine + String(nhsCheckDigit(nine));
  }
}
