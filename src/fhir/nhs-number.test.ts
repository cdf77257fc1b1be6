import { describe, expect, it } from 'vitest';
import { formatNhsNumber, isValidNhsNumber, nhsCheckDigit } from './nhs-number.js';

describe('NHS number', () => {
  it('accepts numbers whose Modulus 11 check digit is right', () => {
    // 943 476 5919 is the NHS's published example of a valid number.
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('943 476 5919')).toBe(true);
    expect(isValidNhsNumber('9990000018')).toBe(true);
  });
  it('rejects a wrong check digit, wrong length or non-digits', () => {
    expect(isValidNhsNumber('9434765918')).toBe(false);
    expect(isValidNhsNumber('943476591')).toBe(false);
    expect(isValidNhsNumber('94347659199')).toBe(false);
    expect(isValidNhsNumber('94347A5919')).toBe(false);
  });
  it('has no check digit when the remainder gives 10', () => {
    // 6 * 2 = 12; 12 % 11 = 1; 11 - 1 = 10: no digit can end these nine.
    expect(nhsCheckDigit('000000006')).toBeUndefined();
    // 1 * 2 = 2; 11 - 2 = 9.
    expect(nhsCheckDigit('000000001')).toBe(9);
    // 0 * ... = 0; 11 - 0 = 11, written as 0.
    expect(nhsCheckDigit('000000000')).toBe(0);
  });
  it('formats 3-3-4', () => {
    expect(formatNhsNumber('9434765919')).toBe('943 476 5919');
  });
});
