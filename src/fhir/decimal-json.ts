/**
 * JSON that keeps the precision of decimals. FHIR decimals carry their precision in their text
 * (1.50 is not 1.5, 0.010 is not 0.01, 6.0 is not 6), but JSON.parse turns them into numbers and
 * JSON.stringify writes the shortest form back. Node 20 has neither JSON.parse's source text nor
 * JSON.rawJSON, so:
 *
 * - `parseJson` parses with JSON.parse and, only when the text holds a number whose text differs
 *   from its shortest form, records that text next to the value: each object or array holding one
 *   gets an enumerable symbol property mapping the key to the text, and it and every container above
 *   it are flagged. Values stay plain numbers, so validation, FHIRPath and indexing see numbers;
 *   symbol keys are invisible to Object.keys, JSON.stringify and validation, and object spread
 *   (`{ ...resource, meta }`) copies them.
 * - `stringifyJson` writes such a value back with the recorded text wherever the number is still the
 *   one parsed; it is JSON.stringify itself for anything unflagged (nearly every resource).
 */

const TEXTS = Symbol('decimal texts');
const FLAGGED = Symbol('holds decimal texts');
/** On every object parseJson returns: below it, FLAGGED is complete (see stringifyResponse). */
const PARSED = Symbol('parsed');

type Container = (Record<string | symbol, unknown> | unknown[]) & { [TEXTS]?: Record<string, string>; [FLAGGED]?: true; [PARSED]?: true };

const NON_SHORTEST_HINT = /[:,[]\s*(?:-?\d+\.\d*0|-?\d+(?:\.\d+)?[eE][+-]?\d+|-0|-?[\d.]{16,})(?=\s*[,\]}])/;

/** The text of every number in JSON text, in document order (strings skipped). */
function numberTokens(text: string): string[] {
  const out: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (m[0].charCodeAt(0) !== 34) out.push(m[0]);
  return out;
}

/** JSON.parse, keeping the text of numbers whose text is not their shortest form (see above). */
export function parseJson(text: string): unknown {
  return markParsed(parseAnnotated(text));
}

function markParsed(v: unknown): unknown {
  if (v && typeof v === 'object') (v as Container)[PARSED] = true;
  return v;
}

function parseAnnotated(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  // Fast path: no number in value position (after : , or [, before , ] or }) that JSON.stringify
  // could write differently: trailing fraction zeros, an exponent, -0, or 16 digits or more. A match
  // inside a string only costs the exact check below; times ("10:00:00.000Z") do not match.
  if (!NON_SHORTEST_HINT.test(text)) return value;
  const tokens = numberTokens(text);
  if (!tokens.some((t) => String(Number(t)) !== t)) return value;
  // JSON.parse's reviver visits values in document order for well-formed FHIR JSON (no duplicate or
  // integer-like keys); if the numbers it meets are not the tokens in order, keep the plain parse.
  let i = 0;
  let aligned = true;
  const annotated = JSON.parse(text, function (this: Container, key: string, v: unknown) {
    if (typeof v === 'number') {
      const t = tokens[i++];
      if (t === undefined || Number(t) !== v) aligned = false;
      else if (String(v) !== t) {
        (this[TEXTS] ??= Object.create(null) as Record<string, string>)[key] = t;
        this[FLAGGED] = true;
      }
    } else if (v && typeof v === 'object' && (v as Container)[FLAGGED]) {
      this[FLAGGED] = true;
    }
    return v;
  }) as unknown;
  return aligned && i === tokens.length ? annotated : value;
}

/** JSON.stringify, writing decimals with the text they were parsed with (see above). */
export function stringifyJson(value: unknown): string {
  return write(value, false, false) ?? 'null';
}

/**
 * As stringifyJson, for a value built in code around parsed resources (a batch or transaction
 * response Bundle): flags reach the root of each parse, not the containers code put around it, so
 * containers that were not parsed are walked to find the parsed ones.
 */
export function stringifyResponse(value: unknown): string {
  return write(value, false, true) ?? 'null';
}

/** As stringifyJson, with every object's keys sorted: for comparing two resources whatever their key order. */
export function canonicalJson(value: unknown): string {
  return write(value, true, false) ?? 'null';
}

function write(v: unknown, sort: boolean, deep: boolean): string | undefined {
  if (!v || typeof v !== 'object' || typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v);
  const c = v as Container;
  if (!sort && !c[FLAGGED] && (!deep || c[PARSED])) return JSON.stringify(v);
  // Below a parsed or flagged object the flags are complete: no need to look further down.
  const below = deep && !c[PARSED] && !c[FLAGGED];
  const texts = c[TEXTS];
  const item = (x: unknown, k: string) => (texts && typeof x === 'number' && texts[k] !== undefined && Number(texts[k]) === x ? texts[k] : write(x, sort, below));
  if (Array.isArray(v)) return `[${v.map((x, i) => item(x, String(i)) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  const keys = Object.keys(v);
  for (const k of sort ? keys.sort() : keys) {
    const s = item((v as Record<string, unknown>)[k], k);
    if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${parts.join(',')}}`;
}

/** A deep copy of parsed JSON that keeps the decimal texts (structuredClone drops symbol keys). */
export function cloneJson<T>(v: T): T {
  if (!v || typeof v !== 'object') return v;
  const c = v as unknown as Container;
  const copy = (Array.isArray(c) ? c.map(cloneJson) : Object.fromEntries(Object.entries(c).map(([k, x]) => [k, cloneJson(x)]))) as Container;
  if (c[TEXTS]) copy[TEXTS] = { ...c[TEXTS] };
  if (c[FLAGGED]) copy[FLAGGED] = true;
  return copy as unknown as T;
}

/**
 * After a JSON Patch: the decimals its add and replace operations placed keep the text they were
 * sent with (rfc6902 copies values without their symbol keys, and a bare number has none).
 */
export function keepPatchedDecimals(doc: unknown, ops: readonly { op: string; path: string; value?: unknown }[]): void {
  for (const op of ops) {
    if ((op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
    const text = typeof op.value === 'number' ? (op as unknown as Container)[TEXTS]?.value : undefined;
    if (text === undefined && !(op.value && typeof op.value === 'object' && (op.value as Container)[FLAGGED])) continue;
    const segments = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const ancestors: Container[] = [];
    let node = doc as Container | undefined;
    for (const s of segments.slice(0, -1)) {
      if (!node || typeof node !== 'object') break;
      ancestors.push(node);
      node = (node as Record<string, unknown>)[s] as Container | undefined;
    }
    if (!node || typeof node !== 'object' || segments.length === 0) continue;
    let key = segments[segments.length - 1];
    if (Array.isArray(node) && key === '-') key = String(node.length - 1);
    const placed = (node as Record<string, unknown>)[key];
    if (text !== undefined && placed === op.value) {
      (node[TEXTS] ??= Object.create(null) as Record<string, string>)[key] = text;
    } else if (text === undefined && placed && typeof placed === 'object') {
      copyTexts(op.value as Container, placed as Container);
    } else continue;
    node[FLAGGED] = true;
    for (const a of ancestors) a[FLAGGED] = true;
  }
}

/** Copies the decimal texts of `from` onto `to`, a copy of it made without them. */
function copyTexts(from: Container, to: Container): void {
  if (!from[FLAGGED] || !to || typeof to !== 'object') return;
  if (from[TEXTS]) to[TEXTS] = { ...from[TEXTS] };
  to[FLAGGED] = true;
  for (const [k, x] of Object.entries(from)) if (x && typeof x === 'object') copyTexts(x as Container, (to as Record<string, unknown>)[k] as Container);
}
