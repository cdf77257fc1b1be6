import { evalFhirPathTyped, getSearchParameterDetails, parseFhirPath, toTypedValue } from '@medplum/core';
import type { FhirPathAtom, TypedValue } from '@medplum/core';
import type { Resource, SearchParameter } from '@medplum/fhirtypes';
import { NEG_INF, parseDateRange, POS_INF } from './date-range.js';
import { searchParametersOf } from './definitions.js';
import { parseReference } from './reference.js';

/** The index rows of one resource, one array per index table, without the rid. */
export interface IndexRows {
  token: [code: string, system: string | null, value: string | null, text: string | null][];
  string: [code: string, value: string, exact: string][];
  date: [code: string, low: string, high: string][];
  number: [code: string, value: string, system: string | null, unit: string | null][];
  reference: [code: string, targetType: string | null, targetId: string | null, url: string | null][];
  uri: [code: string, value: string][];
}

export type IndexTable = keyof IndexRows;

export interface IndexedParam {
  code: string;
  type: SearchParameter['type'];
  table: IndexTable | undefined;
  sp: SearchParameter;
  expression: FhirPathAtom;
  targets: string[];
  /** false when the element can hold at most one value (Patient.birthDate), so AND-ed conditions may share a row. */
  array: boolean;
  /**
   * When the expression is only member paths from the type (`Location.address.city`,
   * `Organization.name | Organization.alias`), their element names: a resource with no key along any
   * of them has no value for it, found without evaluating the FHIRPath (see `mayHaveValues`).
   */
  paths?: string[][];
}

const TABLE_BY_TYPE: Record<string, IndexTable | undefined> = {
  token: 'token',
  string: 'string',
  date: 'date',
  number: 'number',
  quantity: 'number',
  reference: 'reference',
  uri: 'uri',
};

/** Parameters answered from columns of the resource table, not from index tables. */
export const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

const cache = new Map<string, Map<string, IndexedParam>>();

/** The searchable parameters of a type, with their parsed FHIRPath, computed once per type. */
export function indexedParams(type: string): Map<string, IndexedParam> {
  let params = cache.get(type);
  if (params) return params;
  params = new Map();
  for (const [code, sp] of Object.entries(searchParametersOf(type))) {
    if (!sp.expression) continue;
    let expression: FhirPathAtom;
    let array = true;
    try {
      const details = getSearchParameterDetails(type, sp);
      expression = details.parsedExpression;
      array = details.array !== false;
    } catch {
      expression = parseFhirPath(sp.expression);
    }
    params.set(code, {
      code,
      type: sp.type,
      table: COLUMN_PARAMS.has(code) ? undefined : TABLE_BY_TYPE[sp.type],
      sp,
      expression,
      targets: (sp.target ?? []) as string[],
      array,
      paths: memberPaths(type, sp.expression),
    });
  }
  cache.set(type, params);
  return params;
}

export function emptyRows(): IndexRows {
  return { token: [], string: [], date: [], number: [], reference: [], uri: [] };
}

/** Lower-case and strip accents so that "Zoë" is found by "zoe". Long values are cut to fit an index. */
export function normalizeString(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().slice(0, 1000);
}

/** The element names of an expression made only of member paths from `type` (joined by `|`), else undefined. */
function memberPaths(type: string, expression: string): string[][] | undefined {
  const paths: string[][] = [];
  for (const part of expression.split('|').map((x) => x.trim())) {
    if (!/^[A-Z][A-Za-z]*(\.[a-z][A-Za-z0-9]*)+$/.test(part)) return undefined;
    const [head, ...names] = part.split('.');
    if (head !== type) return undefined;
    paths.push(names);
  }
  return paths;
}

/**
 * Whether a JSON key could hold the element `name`: the element itself, a choice of it
 * (`effectiveDateTime` for `effective`), or a primitive's extension (`_birthDate`).
 */
function mayHold(key: string, name: string): boolean {
  const k = key.charCodeAt(0) === 95 ? key.slice(1) : key;
  if (!k.startsWith(name)) return false;
  if (k.length === name.length) return true;
  const c = k.charCodeAt(name.length);
  return c >= 65 && c <= 90;
}

/**
 * False only when the parameter's expression is member paths (`IndexedParam.paths`) and no key of
 * the resource along any of them could hold a value, so the FHIRPath would give nothing: the search
 * parameters of a type are mostly about elements a resource does not carry, and evaluating each
 * (a few µs) was most of the index's cost. Anything else is evaluated as it is.
 */
export function mayHaveValues(p: IndexedParam, resource: Resource): boolean {
  if (!p.paths) return true;
  return p.paths.some((path) => {
    let level: unknown[] = [resource];
    for (const name of path) {
      const next: unknown[] = [];
      for (const v of level) {
        if (!v || typeof v !== 'object') continue;
        for (const key of Object.keys(v)) {
          if (!mayHold(key, name)) continue;
          const x = (v as Record<string, unknown>)[key];
          if (Array.isArray(x)) next.push(...x);
          else next.push(x);
        }
      }
      if (next.length === 0) return false;
      level = next;
    }
    return true;
  });
}

/** Extracts every index row of a resource by evaluating its search parameters' FHIRPath. */
export function extractIndex(resource: Resource, only?: { table: IndexTable; codes?: readonly string[] }): IndexRows {
  const rows = emptyRows();
  const input = [toTypedValue(resource)];
  for (const p of indexedParams(resource.resourceType).values()) {
    if (!p.table) continue;
    // Some callers need one kind of row (the policy: a write's Patient references): evaluating only
    // those parameters' FHIRPath gives the same rows for them at a fraction of the cost.
    if (only && (p.table !== only.table || (only.codes && !only.codes.includes(p.code)))) continue;
    if (!mayHaveValues(p, resource)) continue;
    let values: TypedValue[];
    try {
      values = evalFhirPathTyped(p.expression, input);
    } catch {
      // A parameter whose expression cannot be evaluated on this resource simply has no values.
      continue;
    }
    for (const v of values) addValue(rows, p, v);
  }
  dedupe(rows);
  return rows;
}

function addValue(rows: IndexRows, p: IndexedParam, tv: TypedValue): void {
  const v = tv.value;
  if (v === undefined || v === null) return;
  switch (p.table) {
    case 'token':
      return addToken(rows, p.code, tv);
    case 'string':
      return addString(rows, p.code, tv);
    case 'date':
      return addDate(rows, p.code, tv);
    case 'number':
      return addNumber(rows, p.code, tv);
    case 'reference':
      return addReference(rows, p.code, tv);
    case 'uri':
      if (typeof v === 'string') rows.uri.push([p.code, v.slice(0, 2000)]);
      return;
  }
}

const low = (s: unknown) => (typeof s === 'string' && s ? normalizeString(s) : null);

function addToken(rows: IndexRows, code: string, tv: TypedValue): void {
  const v = tv.value;
  switch (tv.type) {
    case 'Identifier':
      if (v.value !== undefined || v.system !== undefined) {
        rows.token.push([code, v.system ?? null, v.value ?? null, low(v.type?.text)]);
      }
      return;
    case 'CodeableConcept': {
      const text = low(v.text) ?? low(v.coding?.[0]?.display);
      if (Array.isArray(v.coding) && v.coding.length > 0) {
        const displays = v.coding.map((c: { display?: string }) => low(c.display) ?? text);
        v.coding.forEach((c: { system?: string; code?: string }, i: number) => rows.token.push([code, c.system ?? null, c.code ?? null, displays[i]]));
        // :text searches CodeableConcept.text as well as each Coding.display.
        const ccText = low(v.text);
        if (ccText && !displays.includes(ccText)) rows.token.push([code, null, null, ccText]);
      } else if (text) {
        rows.token.push([code, null, null, text]);
      }
      return;
    }
    case 'Coding':
      rows.token.push([code, v.system ?? null, v.code ?? null, low(v.display)]);
      return;
    case 'ContactPoint':
      if (v.value) rows.token.push([code, v.system ?? null, v.value, null]);
      return;
    case 'boolean':
      rows.token.push([code, null, v ? 'true' : 'false', null]);
      return;
    default:
      if (typeof v === 'string' || typeof v === 'number') rows.token.push([code, null, String(v), null]);
  }
}

function addString(rows: IndexRows, code: string, tv: TypedValue): void {
  const v = tv.value;
  const push = (s: unknown) => {
    if (typeof s === 'string' && s.trim()) rows.string.push([code, normalizeString(s), s.slice(0, 1000)]);
  };
  switch (tv.type) {
    case 'HumanName':
      push(v.text);
      push(v.family);
      for (const part of [...(v.given ?? []), ...(v.prefix ?? []), ...(v.suffix ?? [])]) push(part);
      return;
    case 'Address':
      push(v.text);
      for (const line of v.line ?? []) push(line);
      for (const part of [v.city, v.district, v.state, v.postalCode, v.country]) push(part);
      return;
    default:
      if (typeof v === 'string') push(v);
  }
}

/**
 * An instant as PostgreSQL's timestamptz takes it. Instants outside years 0000-9999 (the end of
 * 9999 is 10000-01-01, which JavaScript writes "+010000-…") become the infinities.
 */
export function pgInstant(iso: string): string {
  if (iso === NEG_INF || iso === POS_INF) return iso;
  if (iso.startsWith('+')) return POS_INF;
  if (iso.startsWith('-')) return NEG_INF;
  return iso;
}

function addDate(rows: IndexRows, code: string, tv: TypedValue): void {
  const v = tv.value;
  const push = (low: string, high: string) => {
    // A Period that ends before it starts (invalid, but possible in imported data) still covers its span.
    if (low !== NEG_INF && high !== POS_INF && Date.parse(low) > Date.parse(high)) [low, high] = [high, low];
    rows.date.push([code, pgInstant(low), pgInstant(high)]);
  };
  if (typeof v === 'string') {
    const r = parseDateRange(v);
    if (r) push(r.low, r.high);
    return;
  }
  if (tv.type === 'Period') {
    const start = v.start ? parseDateRange(v.start) : undefined;
    const end = v.end ? parseDateRange(v.end) : undefined;
    if (start || end) push(start?.low ?? NEG_INF, end?.high ?? POS_INF);
    return;
  }
  if (tv.type === 'Timing') {
    for (const e of v.event ?? []) {
      const r = typeof e === 'string' ? parseDateRange(e) : undefined;
      if (r) push(r.low, r.high);
    }
  }
}

function addNumber(rows: IndexRows, code: string, tv: TypedValue): void {
  const v = tv.value;
  if (typeof v === 'number' && Number.isFinite(v)) {
    rows.number.push([code, String(v), null, null]);
  } else if (v && typeof v === 'object' && typeof v.value === 'number' && Number.isFinite(v.value)) {
    // Quantity, Age, Duration, SimpleQuantity, Money.
    rows.number.push([code, String(v.value), v.system ?? null, v.code ?? v.unit ?? v.currency ?? null]);
  }
}

function addReference(rows: IndexRows, code: string, tv: TypedValue): void {
  const v = tv.value;
  if (typeof v === 'string') {
    // canonical or uri used as a reference
    rows.reference.push([code, null, null, v.slice(0, 2000)]);
    return;
  }
  if (!v || typeof v !== 'object') return;
  if (typeof v.reference === 'string') {
    const k = parseReference(v.reference);
    const absolute = /^[a-z]+:/.test(v.reference);
    if (k) rows.reference.push([code, k.type, k.id, absolute ? v.reference.slice(0, 2000) : null]);
    else rows.reference.push([code, null, null, v.reference.slice(0, 2000)]);
  }
  if (v.identifier && (v.identifier.value || v.identifier.system)) {
    // Reference.identifier is searched with the :identifier modifier.
    rows.token.push([`${code}:identifier`, v.identifier.system ?? null, v.identifier.value ?? null, null]);
  }
}

function dedupe(rows: IndexRows): void {
  for (const key of Object.keys(rows) as IndexTable[]) {
    const list = rows[key] as unknown[][];
    if (list.length < 2) continue;
    const seen = new Set<string>();
    (rows as any)[key] = list.filter((r) => {
      const k = JSON.stringify(r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
}
