import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random secret (session token, CSRF token, code, client secret): 256 bits, URL-safe. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** High-entropy secrets are stored as their SHA-256: a leaked table does not give usable tokens. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');

/** Constant-time string equality (lengths may differ). */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
