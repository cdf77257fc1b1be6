import { parseDateRange } from './date-range.js';
import { isSupportedType } from './definitions.js';
import { FhirError, issue, outcome } from './outcome.js';
import { indexedParams, type IndexedParam } from './search-index.js';

/**
 * A parsed FHIR search. Filters are ANDed; each filter's values are ORed.
 * Parsing checks names, modifiers and value shapes, so that the SQL built from a query is always valid.
 */
export interface SearchQuery {
  resourceType: string;
  filters: Filter[];
  sort: SortKey[];
  count: number;
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
  summary?: 'true' | 'text' | 'data' | 'count' | 'false';
  elements?: string[];
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** Issues of parameters ignored under Prefer: handling=lenient. */
  warnings: string[];
}

export type Filter =
  | { kind: 'param'; resourceType: string; param: IndexedParam; modifier?: string; values: string[] }
  | { kind: 'chain'; resourceType: string; param: IndexedParam; targetTypes: string[]; next: Map<string, Filter> }
  | { kind: 'has'; resourceType: string; sourceType: string; param: IndexedParam; next: Filter }
  /** Membership of a Patient's compartment: any of `codes` (reference parameters) points at Patient/`patientId`. */
  | { kind: 'compartment'; resourceType: string; codes: string[]; patientId: string };

export interface SortKey {
  param: IndexedParam;
  descending: boolean;
}

export interface IncludeSpec {
  sourceType: string;
  param: IndexedParam | '*';
  targetType?: string;
  iterate: boolean;
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Result parameters and others that are not filters. */
const CONTROL = new Set([
  '_count', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude', '_cursor', '_format', '_pretty',
]);

const MODIFIERS: Record<string, Set<string>> = {
  string: new Set(['exact', 'contains', 'missing']),
  token: new Set(['not', 'text', 'missing']),
  reference: new Set(['missing', 'identifier']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  uri: new Set(['missing', 'below', 'above']),
};

const PREFIXED = new Set(['date', 'number', 'quantity']);
const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

export interface ParseOptions {
  lenient?: boolean;
}

/** Parses query parameters (as [name, value] pairs, repeats allowed) for a search on one type. */
export function parseSearch(resourceType: string, pairs: [string, string][], options: ParseOptions = {}): SearchQuery {
  const errors: string[] = [];
  const warnings: string[] = [];
  const fail = (msg: string, strict = true) => {
    if (options.lenient && !strict) warnings.push(msg);
    else errors.push(msg);
  };
  const q: SearchQuery = { resourceType, filters: [], sort: [], count: DEFAULT_COUNT, total: 'none', include: [], revinclude: [], warnings };

  for (const [rawName, value] of pairs) {
    const name = rawName.trim();
    if (rawName.includes('\u0000') || value.includes('\u0000')) {
      // PostgreSQL text cannot hold NUL, so such a value can match nothing and must not reach SQL.
      fail(`Search parameter "${name.split('\u0000').join('\\0')}" contains a NUL character`);
      continue;
    }
    if (CONTROL.has(name) || name.startsWith('_include') || name.startsWith('_revinclude')) {
      parseControl(q, name, value, fail);
      continue;
    }
    try {
      q.filters.push(parseFilter(resourceType, name, value));
    } catch (err) {
      if (err instanceof SearchParamError) fail(err.message, !err.unknown);
      else throw err;
    }
  }
  if (errors.length > 0) {
    throw new FhirError(400, outcome(errors.map((e) => issue(e.includes('Unknown') ? 'not-supported' : 'invalid', e, pairsExpression(e)))));
  }
  return q;
}

function pairsExpression(message: string): string | undefined {
  const m = /parameter "([^"]+)"/.exec(message);
  return m ? m[1] : undefined;
}

class SearchParamError extends Error {
  constructor(message: string, readonly unknown = false) {
    super(message);
  }
}

function parseControl(q: SearchQuery, name: string, value: string, fail: (m: string, strict?: boolean) => void): void {
  switch (name) {
    case '_count': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) fail(`Search parameter "_count" must be a whole number, not "${value}"`);
      else q.count = Math.min(n, MAX_COUNT);
      return;
    }
    case '_total':
      if (value === 'none' || value === 'estimate' || value === 'accurate') q.total = value;
      else fail(`Search parameter "_total" must be none, estimate or accurate, not "${value}"`);
      return;
    case '_summary':
      if (['true', 'text', 'data', 'count', 'false'].includes(value)) q.summary = value as SearchQuery['summary'];
      else fail(`Search parameter "_summary" must be true, text, data, count or false, not "${value}"`);
      return;
    case '_elements':
      q.elements = value.split(',').map((e) => e.trim()).filter(Boolean);
      return;
    case '_cursor':
      q.cursor = value;
      return;
    case '_sort':
      for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
        const descending = raw.startsWith('-');
        const code = descending ? raw.slice(1) : raw;
        const param = indexedParams(q.resourceType).get(code);
        if (!param || param.type === 'composite' || param.type === 'special') {
          fail(`Unknown sort parameter "${code}" for ${q.resourceType}`, false);
        } else q.sort.push({ param, descending });
      }
      return;
    case '_format':
    case '_pretty':
      return;
  }
  // _include, _revinclude, with optional :iterate (or the R3 :recurse)
  const [base, modifier] = name.split(':');
  const iterate = modifier === 'iterate' || modifier === 'recurse';
  if (modifier && !iterate) {
    fail(`Unknown modifier "${modifier}" on parameter "${name}"`);
    return;
  }
  const parts = value.split(':');
  const [sourceType, code, targetType] = parts;
  if (!sourceType || !isSupportedType(sourceType) || !code || parts.length > 3) {
    fail(`Search parameter "${base}" must be Type:parameter[:targetType], not "${value}"`);
    return;
  }
  if (targetType !== undefined && !isSupportedType(targetType)) {
    fail(`Unknown target type "${targetType}" in parameter "${base}"`);
    return;
  }
  let param: IndexedParam | '*' = '*';
  if (code !== '*') {
    const p = indexedParams(sourceType).get(code);
    if (!p || p.type !== 'reference') {
      fail(`Unknown reference parameter "${code}" for ${sourceType} in parameter "${base}"`, false);
      return;
    }
    param = p;
  }
  const spec: IncludeSpec = { sourceType, param, targetType, iterate };
  if (base === '_include') {
    if (!iterate && sourceType !== q.resourceType) {
      fail(`_include must start from ${q.resourceType} (or use :iterate), not "${sourceType}"`);
      return;
    }
    q.include.push(spec);
  } else q.revinclude.push(spec);
}

/** Parses one filter: `code[:modifier]`, `ref[:Type].chained`, or `_has:Type:ref:...`. */
export function parseFilter(resourceType: string, name: string, value: string): Filter {
  if (name.startsWith('_has:')) {
    const [, sourceType, refCode, ...rest] = name.split(':');
    if (!sourceType || !refCode || rest.length === 0) {
      throw new SearchParamError(`Search parameter "${name}" must be _has:Type:reference:parameter`);
    }
    if (!isSupportedType(sourceType)) throw new SearchParamError(`Unknown type "${sourceType}" in parameter "${name}"`, true);
    const param = indexedParams(sourceType).get(refCode);
    if (!param || param.type !== 'reference') {
      throw new SearchParamError(`Unknown reference parameter "${refCode}" for ${sourceType} in parameter "${name}"`, true);
    }
    if (param.targets.length > 0 && !param.targets.includes(resourceType)) {
      throw new SearchParamError(`${sourceType}.${refCode} cannot refer to ${resourceType} (parameter "${name}")`);
    }
    return { kind: 'has', resourceType, sourceType, param, next: parseFilter(sourceType, rest.join(':'), value) };
  }

  const dot = name.indexOf('.');
  if (dot > 0) {
    const head = name.slice(0, dot);
    const rest = name.slice(dot + 1);
    const [code, typeModifier] = head.split(':');
    const param = indexedParams(resourceType).get(code);
    if (!param) throw new SearchParamError(`Unknown search parameter "${code}" for ${resourceType}`, true);
    if (param.type !== 'reference') throw new SearchParamError(`Search parameter "${code}" is not a reference, so it cannot be chained`);
    if (typeModifier && !isSupportedType(typeModifier)) {
      throw new SearchParamError(`Unknown type modifier "${typeModifier}" on parameter "${code}"`);
    }
    const candidates = typeModifier ? [typeModifier] : param.targets.filter(isSupportedType);
    const next = new Map<string, Filter>();
    const chainedCode = rest.split(/[.:]/)[0];
    for (const t of candidates) {
      if (rest.includes('.') || indexedParams(t).has(chainedCode)) next.set(t, parseFilter(t, rest, value));
    }
    if (next.size === 0) {
      throw new SearchParamError(`None of the types that "${code}" refers to has a search parameter "${chainedCode}"`);
    }
    return { kind: 'chain', resourceType, param, targetTypes: [...next.keys()], next };
  }

  const [code, modifier, ...extra] = name.split(':');
  const param = indexedParams(resourceType).get(code);
  if (!param || param.type === 'composite' || param.type === 'special') {
    throw new SearchParamError(`Unknown search parameter "${code}" for ${resourceType}`, true);
  }
  if (extra.length > 0) throw new SearchParamError(`Malformed search parameter "${name}"`);
  const mod = modifier;
  if (mod !== undefined) {
    const allowed = MODIFIERS[param.type] ?? new Set();
    if (param.type === 'reference' && isSupportedType(mod)) {
      // The :Type modifier narrows a reference to one target type.
    } else if (!allowed.has(mod)) {
      throw new SearchParamError(`Modifier ":${mod}" is not supported on parameter "${code}" (${param.type})`);
    }
  }
  const values = splitValues(value);
  if (values.length === 0) throw new SearchParamError(`Search parameter "${name}" has no value`);
  if (mod === 'missing') {
    if (values.length !== 1 || (values[0] !== 'true' && values[0] !== 'false')) {
      throw new SearchParamError(`Search parameter "${name}" must be true or false`);
    }
  } else {
    for (const v of values) checkValue(param, code, v);
  }
  return { kind: 'param', resourceType, param, modifier, values };
}

/** Splits on commas not escaped with a backslash, and unescapes \, \$ \| \\. */
export function splitValues(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length && ',$|\\'.includes(value[i + 1])) {
      // Keep \| escaped for token splitting; unescape the rest.
      cur += value[i + 1] === '|' ? '\\|' : value[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((v) => v.length > 0);
}

export function splitPrefix(type: string, v: string): { prefix: string; rest: string } {
  if (PREFIXED.has(type)) {
    const p = v.slice(0, 2);
    if (PREFIXES.has(p) && /^[a-z]{2}[-+\d.]/.test(v)) return { prefix: p, rest: v.slice(2) };
  }
  return { prefix: 'eq', rest: v };
}

const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
/** Exponents beyond this overflow PostgreSQL's numeric; no real measurement needs them. */
const MAX_EXPONENT = 1000;

function isNumber(v: string): boolean {
  if (!NUMBER_RE.test(v)) return false;
  const exp = /e([-+]?\d+)$/i.exec(v);
  return !exp || Math.abs(Number(exp[1])) <= MAX_EXPONENT;
}

function checkValue(param: IndexedParam, code: string, v: string): void {
  const { rest } = splitPrefix(param.type, v);
  if (v.length > 2000) throw new SearchParamError(`The value of search parameter "${code}" is too long`);
  switch (param.type) {
    case 'number':
      if (!isNumber(rest)) throw new SearchParamError(`Search parameter "${code}" needs a number, not "${v}"`);
      return;
    case 'quantity': {
      const [num] = rest.split('|');
      if (!isNumber(num)) throw new SearchParamError(`Search parameter "${code}" needs a number[|system|code], not "${v}"`);
      return;
    }
    case 'date':
      if (!isDateValue(rest)) throw new SearchParamError(`Search parameter "${code}" needs a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime), not "${v}"`);
      return;
  }
}

function isDateValue(v: string): boolean {
  return parseDateRange(v) !== undefined;
}
