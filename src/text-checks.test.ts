import { describe, expect, it } from 'vitest';
import { hasControlCharacter, replaceControlCharacters } from './text-checks.js';

describe('hasControlCharacter', () => {
  it('finds C0 controls and DEL, C1 only when asked, and lets the allowed ones through', () => {
    expect(hasControlCharacter('plain text, with “quotes” and é')).toBe(false);
    for (const c of ['\u0000', '\u0007', '\u001f', '\u007f', '\n', '\t']) expect(hasControlCharacter(`a${c}b`), JSON.stringify(c)).toBe(true);
    expect(hasControlCharacter('a\u0085b')).toBe(false);
    expect(hasControlCharacter('a\u0085b', { c1: true })).toBe(true);
    expect(hasControlCharacter('line one\nline two\tend', { allow: '\n\t' })).toBe(false);
    expect(hasControlCharacter('line\u000bone', { allow: '\n\t' })).toBe(true);
  });
});

describe('replaceControlCharacters', () => {
  it('replaces exactly what hasControlCharacter finds, keeping the allowed ones and everything else', () => {
    expect(replaceControlCharacters('a\u0000b\u0007c\u007fd', ' ')).toBe('a b c d');
    expect(replaceControlCharacters('line\nnext\tcol\r\u000b', ' ', { allow: '\n\t\r' })).toBe('line\nnext\tcol\r ');
    expect(replaceControlCharacters('caf\u00e9 \u0085', '?')).toBe('caf\u00e9 \u0085');
    expect(replaceControlCharacters('caf\u00e9 \u0085', '?', { c1: true })).toBe('caf\u00e9 ?');
    const plain = 'nothing to change';
    expect(replaceControlCharacters(plain, ' ')).toBe(plain);
  });
});
