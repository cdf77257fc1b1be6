import type { Scope } from '../principal.js';

type Letter = 'c' | 'r' | 'u' | 'd' | 's';
const ORDER: Letter[] = ['c', 'r', 'u', 'd', 's'];
const V1: Record<string, Letter[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ['c', 'r', 'u', 'd', 's'] };

/** Scopes that are not about resources: launch context and identity. */
export const NON_RESOURCE_SCOPES = ['launch/patient', 'openid', 'fhirUser'] as const;
/** Scopes we recognise but do not grant (no refresh tokens): dropped from the grant, not refused. */
const NOT_GRANTED = new Set(['offline_access', 'online_access', 'launch']);

export class ScopeError extends Error {}

/**
 * One SMART resource scope, v1 (`patient/Observation.read`, `user/*.*`, `.write`) or v2
 * (`patient/Observation.rs`: letters c r u d s, in that order, each once). v2 query suffixes
 * (`?category=…`) are not supported and refused, rather than silently widened.
 */
export function parseScope(text: string): Scope {
  const m = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)$/.exec(text);
  if (!m) throw new ScopeError(`"${text}" is not a SMART resource scope (context/Type.interactions)`);
  const [, context, resourceType, what] = m;
  let letters: Letter[];
  if (V1[what]) letters = V1[what];
  else {
    letters = what.split('') as Letter[];
    let last = -1;
    for (const l of letters) {
      const at = ORDER.indexOf(l);
      if (at <= last) throw new ScopeError(`"${text}": interactions must be among c, r, u, d, s, in that order, each once`);
      last = at;
    }
  }
  return { context: context as Scope['context'], resourceType, interactions: new Set(letters) };
}

/** The v2 text of a scope: `patient/Observation.rs`. */
export function formatScope(s: Scope): string {
  return `${s.context}/${s.resourceType}.${ORDER.filter((l) => s.interactions.has(l)).join('')}`;
}

export interface ScopeRequest {
  /** The resource scopes, parsed, with the text each came from. */
  resources: { text: string; scope: Scope }[];
  /** Non-resource scopes asked for and grantable (launch/patient, openid, fhirUser). */
  other: string[];
  /** Every grantable scope, in the order asked for. */
  granted: string[];
}

/** A space-separated scope parameter. Unknown scopes are refused; offline_access and friends are ignored. */
export function parseScopeString(text: string): ScopeRequest {
  const out: ScopeRequest = { resources: [], other: [], granted: [] };
  const seen = new Set<string>();
  for (const word of text.split(/[ \t\n]+/).filter(Boolean)) {
    if (seen.has(word)) continue;
    seen.add(word);
    if ((NON_RESOURCE_SCOPES as readonly string[]).includes(word)) out.other.push(word);
    else if (NOT_GRANTED.has(word)) continue;
    else out.resources.push({ text: word, scope: parseScope(word) });
    out.granted.push(word);
  }
  return out;
}

/** Whether `held` allows everything `wanted` asks for (same context, type or *, a superset of interactions). */
export function covers(held: Scope, wanted: Scope): boolean {
  if (held.context !== wanted.context) return false;
  if (held.resourceType !== '*' && held.resourceType !== wanted.resourceType) return false;
  for (const l of wanted.interactions) if (!held.interactions.has(l)) return false;
  return true;
}

export const coveredBy = (held: Scope[], wanted: Scope): boolean => held.some((h) => covers(h, wanted));

/** Whether scopes allow one interaction on one type in any of the given contexts (for the request path). */
export function scopesPermit(scopes: Scope[], resourceType: string, interaction: Letter, contexts?: Scope['context'][]): boolean {
  return scopes.some(
    (s) => (!contexts || contexts.includes(s.context)) && (s.resourceType === '*' || s.resourceType === resourceType) && s.interactions.has(interaction),
  );
}
