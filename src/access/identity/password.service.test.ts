import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password.service.js';

describe('passwords', () => {
  it('hashes with a fresh salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('never matches a malformed stored hash', async () => {
    for (const bad of ['', 'plain', 'scrypt$1$1$1$abc$def', 'bcrypt$16384$8$1$abcdefghijklmnopqrstuv$abcdefghijklmnopqrstuv', 'scrypt$99999999$8$1$a$bbbbbbbbbbbbbbbbbbbbbbbb']) {
      expect(await verifyPassword('x', bad)).toBe(false);
    }
  });
});
