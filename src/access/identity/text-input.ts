/**
 * The one check on text a client sends to the identity layer (user names, passwords, organisation
 * ids, client ids and secrets, redirect URIs, codes, verifiers, scopes, state, return paths) before
 * any of it is used: PostgreSQL text cannot hold U+0000 (a NUL in a user name was a 500 on both back
 * ends) and none of these values has a use for control characters or broken UTF-16.
 */

import { hasControlCharacter } from '../../text-checks.js';

const NUL = '\u0000';
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface TextRule {
  /** Longest accepted, in UTF-16 code units. Default 4096. */
  max?: number;
  /** Passwords: any printable or control character but NUL (a password manager may produce a tab). */
  allowControl?: boolean;
}

/** Whether one value may be used: no NUL, no control characters (unless allowed), no lone surrogate. */
export function isUsableText(value: string, rule: TextRule = {}): boolean {
  if (value.length > (rule.max ?? 4096)) return false;
  // C0 controls, DEL and C1 controls, or for a password only NUL.
  if (rule.allowControl ? value.includes(NUL) : hasControlCharacter(value, { c1: true })) return false;
  return !LONE_SURROGATE.test(value);
}

/**
 * The first field that cannot be used, as a sentence naming it (never echoing the value), or
 * undefined when all can. Absent fields pass. `rules` gives per-field limits; others get the default.
 * The web sign-in form calls this too, so both sign-in routes refuse the same input the same way.
 */
export function identityTextProblem(fields: Record<string, string | undefined>, rules: Record<string, TextRule> = {}): string | undefined {
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const rule = rules[name] ?? {};
    if (value.length > (rule.max ?? 4096)) return `${name} is too long (at most ${rule.max ?? 4096} characters)`;
    if (!isUsableText(value, rule)) return `${name} contains characters that are not allowed (control characters or invalid Unicode)`;
  }
  return undefined;
}

/** The limits of the sign-in fields, shared by the JSON endpoint and the web form. */
export const SIGN_IN_RULES: Record<string, TextRule> = {
  username: { max: 200 },
  password: { max: 1024, allowControl: true },
  organization: { max: 64 },
  return_to: { max: 4096 },
};
