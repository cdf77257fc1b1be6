import type { Resource } from '@medplum/fhirtypes';
import { parseJson, stringifyJson } from './decimal-json.js';
import { extractIndex, type IndexRows } from './search-index.js';
import { isValidId } from './reference.js';
import { validate } from './validation.service.js';

/** One line or object to import, before any checking. */
export interface RawItem {
  /** The JSON text of a line (parsed here, off the main thread when workers are available). */
  text?: string;
  resource?: unknown;
  source: string;
  error?: string;
}

/** A resource that passed validation, stored as version 1 (the writer re-versions the rare existing one). */
export interface PreparedResource {
  resourceType: string;
  id: string;
  content: string;
  lastUpdated: string;
  index: IndexRows;
  source: string;
}

export interface PreparedBatch {
  prepared: PreparedResource[];
  /** Bundles are not flattened here: they go through the batch/transaction rules on the main thread. */
  bundles: { resource: Resource; source: string }[];
  rejected: { source: string; reason: string }[];
}

/** Parses, validates and indexes a batch: the CPU-heavy part of an import, safe to run in a worker. */
export function prepareBatch(items: RawItem[], lastUpdated: string): PreparedBatch {
  const out: PreparedBatch = { prepared: [], bundles: [], rejected: [] };
  for (const item of items) {
    if (item.error) {
      out.rejected.push({ source: item.source, reason: item.error });
      continue;
    }
    let r = item.resource as Resource;
    if (item.text !== undefined) {
      try {
        r = parseJson(item.text) as Resource;
      } catch (err) {
        out.rejected.push({ source: item.source, reason: `not valid JSON: ${(err as Error).message}` });
        continue;
      }
    }
    if (r && typeof r === 'object' && r.resourceType === 'Bundle') {
      out.bundles.push({ resource: r, source: item.source });
      continue;
    }
    const issues = validate(r);
    if (issues.length === 0 && r.resourceType === 'AuditEvent') {
      // AuditEvents belong to the platform's hash chain (src/access/audit); an imported one would break it.
      issues.push({ severity: 'error', code: 'not-supported', diagnostics: 'AuditEvents are recorded by the platform and cannot be imported' });
    }
    if (issues.length === 0 && (typeof r.id !== 'string' || !isValidId(r.id))) {
      issues.push({ severity: 'error', code: 'required', diagnostics: 'An imported resource must carry its id' });
    }
    if (issues.length > 0) {
      const reason = issues.map((i) => `${i.expression?.[0] ?? ''} ${i.diagnostics ?? i.details?.text ?? ''}`.trim()).join('; ');
      out.rejected.push({ source: item.source, reason });
      continue;
    }
    const stored = { ...r, meta: { ...r.meta, versionId: '1', lastUpdated } } as Resource;
    out.prepared.push({ resourceType: r.resourceType, id: r.id!, content: stringifyJson(stored), lastUpdated, index: extractIndex(stored), source: item.source });
  }
  return out;
}
