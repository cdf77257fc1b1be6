import { tryGetDataType } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from './definitions.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** Applies _elements or _summary to a resource; returns it unchanged when neither asks for less. */
export function applyView(resource: Resource, elements?: string[], summary?: string): Resource {
  if (elements && elements.length > 0) return pick(resource, new Set(elements), true);
  if (summary === 'true' || summary === 'text' || summary === 'data') {
    loadDefinitions();
    const schema = tryGetDataType(resource.resourceType);
    if (summary === 'data') {
      const { text: _text, ...rest } = resource as Resource & { text?: unknown };
      return markSubsetted(rest as Resource);
    }
    if (summary === 'text') {
      const keep = new Set(['text', 'id', 'meta', ...(schema?.mandatoryProperties ?? [])]);
      return pick(resource, keep, false);
    }
    return pick(resource, new Set(schema?.summaryProperties ?? []), false);
  }
  return resource;
}

function pick(resource: Resource, keep: Set<string>, addMandatory: boolean): Resource {
  const out: Record<string, unknown> = { resourceType: resource.resourceType };
  for (const [k, v] of Object.entries(resource)) {
    // Choice elements are named without their type suffix in _elements (value for valueQuantity).
    const base = k.replace(/[A-Z].*$/, '');
    if (k === 'id' || k === 'meta' || keep.has(k) || keep.has(base)) out[k] = v;
    else if (addMandatory && k === 'resourceType') out[k] = v;
  }
  return markSubsetted(out as unknown as Resource);
}

function markSubsetted(r: Resource): Resource {
  const meta = { ...(r.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []).filter((t) => t.code !== 'SUBSETTED'), SUBSETTED];
  return { ...r, meta } as Resource;
}
