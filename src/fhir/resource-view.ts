import { tryGetDataType, type InternalTypeSchema } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from './definitions.js';
import { badRequest } from './outcome.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** A view a client asked for with _summary or _elements (search, read and vread alike). */
export interface ViewRequest {
  elements?: string[];
  summary?: string;
}

/**
 * _summary and _elements of a read or vread, checked as search checks them; `count` has no meaning
 * for one resource. Undefined when the client asked for the whole resource.
 */
export function viewOfQuery(pairs: [string, string][]): ViewRequest | undefined {
  const view: ViewRequest = {};
  for (const [k, v] of pairs) {
    if (k === '_summary') {
      if (!['true', 'text', 'data', 'false'].includes(v)) throw badRequest(`"_summary" on a read must be true, text, data or false, not "${v}"`, '_summary');
      view.summary = v;
    } else if (k === '_elements') {
      view.elements = [...(view.elements ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];
    }
  }
  return view.elements?.length || (view.summary && view.summary !== 'false') ? view : undefined;
}

/** Applies _elements or _summary to a resource; returns it unchanged when neither asks for less. */
export function applyView(resource: Resource, elements?: string[], summary?: string): Resource {
  if (!(elements && elements.length > 0) && summary !== 'true' && summary !== 'text' && summary !== 'data') return resource;
  loadDefinitions();
  const schema = tryGetDataType(resource.resourceType);
  // R4 (search.html#elements): the server should return the mandatory elements whether asked for or not.
  const mandatory = [...(schema?.mandatoryProperties ?? [])];
  if (elements && elements.length > 0) return pick(resource, schema, new Set([...elements, ...mandatory]));
  if (summary === 'data') {
    const { text: _text, ...rest } = resource as Resource & { text?: unknown };
    return markSubsetted(rest as Resource);
  }
  if (summary === 'text') return pick(resource, schema, new Set(['text', ...mandatory]));
  return pick(resource, schema, new Set(schema?.summaryProperties ?? []));
}

/**
 * Keeps id, meta and the `keep` elements, with their primitive extensions (`_birthDate` goes with
 * `birthDate`); a choice element is named without its type (`value` keeps `valueQuantity`).
 */
function pick(resource: Resource, schema: InternalTypeSchema | undefined, keep: Set<string>): Resource {
  const out: Record<string, unknown> = { resourceType: resource.resourceType };
  for (const [k, v] of Object.entries(resource)) {
    const name = k.startsWith('_') ? k.slice(1) : k;
    if (name === 'id' || name === 'meta' || keep.has(name) || keep.has(choiceName(name, schema) ?? '')) out[k] = v;
  }
  // Symbol-keyed bookkeeping (decimal-json.ts: the kept decimals' texts) goes with the view.
  for (const s of Object.getOwnPropertySymbols(resource)) (out as Record<symbol, unknown>)[s] = (resource as unknown as Record<symbol, unknown>)[s];
  return markSubsetted(out as unknown as Resource);
}

/** `value` for `valueQuantity` when the type has a choice element value[x]; undefined otherwise. */
function choiceName(key: string, schema: InternalTypeSchema | undefined): string | undefined {
  const m = /^([a-z][A-Za-z0-9]*?)[A-Z]/.exec(key);
  if (!m || !schema) return undefined;
  for (let i = m[1].length; i < key.length; i++) {
    if (/[A-Z]/.test(key[i]) && Object.hasOwn(schema.elements, `${key.slice(0, i)}[x]`)) return key.slice(0, i);
  }
  return undefined;
}

function markSubsetted(r: Resource): Resource {
  const meta = { ...(r.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []).filter((t) => !(t.system === SUBSETTED.system && t.code === SUBSETTED.code)), SUBSETTED];
  return { ...r, meta } as Resource;
}
