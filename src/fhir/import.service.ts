import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Platform } from '../platform.js';
import { BatchService } from './batch.service.js';
import type { VersionWrite } from './resource.repository.js';
import { isValidId, validate } from './validation.service.js';

export interface ImportItem {
  resource?: unknown;
  /** Where the item came from, for the rejection report: file:line. */
  source: string;
  /** Set when the line could not even be parsed. */
  error?: string;
}

export interface Rejection {
  source: string;
  reason: string;
}

export interface ImportSummary {
  imported: number;
  rejected: Rejection[];
  seconds: number;
  perSecond: number;
}

export const BATCH_SIZE = 500;

/**
 * Bulk load: resources keep their ids (update-as-create), so references between files hold.
 * Each batch is one transaction; a rejected resource is never written, not even in part.
 */
export async function importItems(
  platform: Platform,
  items: AsyncIterable<ImportItem> | Iterable<ImportItem>,
  onProgress?: (done: number, rejected: number) => void,
): Promise<ImportSummary> {
  const started = performance.now();
  const rejected: Rejection[] = [];
  let imported = 0;
  let batch: Resource[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    imported += await writeBatch(platform, batch);
    batch = [];
    onProgress?.(imported, rejected.length);
  };
  for await (const item of items) {
    if (item.error) {
      rejected.push({ source: item.source, reason: item.error });
      continue;
    }
    const r = item.resource as Resource;
    if (r && typeof r === 'object' && (r as Resource).resourceType === 'Bundle') {
      await flush();
      imported += await importBundle(platform, r as Bundle, item.source, rejected);
      continue;
    }
    const issues = validate(r);
    if (issues.length === 0 && (typeof r.id !== 'string' || !isValidId(r.id))) {
      issues.push({ severity: 'error', code: 'required', diagnostics: 'An imported resource must carry its id' });
    }
    if (issues.length > 0) {
      const reason = issues.map((i) => `${i.expression?.[0] ?? ''} ${i.diagnostics ?? i.details?.text ?? ''}`.trim()).join('; ');
      rejected.push({ source: item.source, reason });
      continue;
    }
    batch.push(r);
    if (batch.length >= BATCH_SIZE) await flush();
  }
  await flush();
  const seconds = (performance.now() - started) / 1000;
  return { imported, rejected, seconds, perSecond: seconds > 0 ? imported / seconds : imported };
}

async function writeBatch(platform: Platform, batch: Resource[]): Promise<number> {
  const { resources } = platform;
  // A resource repeated within one batch keeps its last version only.
  const byKey = new Map<string, Resource>();
  for (const r of batch) byKey.set(`${r.resourceType}/${r.id}`, r);
  const list = [...byKey.values()];
  for (let attempt = 0; attempt < 5; attempt++) {
    const ok = await platform.db.transaction(async (tx) => {
      const existing = await resources.repo.readCurrentMany(tx, list.map((r) => ({ type: r.resourceType, id: r.id! })));
      const current = new Map(existing.map((e) => [`${e.resource_type}/${e.id}`, e]));
      const fresh = list.filter((r) => !current.has(`${r.resourceType}/${r.id}`));
      const rids = await resources.repo.allocateRids(fresh.length, tx);
      let next = 0;
      const now = new Date().toISOString();
      const writes: VersionWrite[] = list.map((r) => {
        const cur = current.get(`${r.resourceType}/${r.id}`);
        return cur
          ? resources.version(cur.rid, r, cur.version_id + 1, cur.version_id, 'PUT', now)
          : resources.version(rids[next++], r, 1, undefined, 'PUT', now);
      });
      const done = await resources.repo.write(tx, writes);
      if (done.size !== writes.length) throw new RetryBatch();
      return true;
    }).catch((err) => {
      if (err instanceof RetryBatch) return false;
      throw err;
    });
    if (ok) return list.length;
  }
  throw new Error('A batch kept conflicting with concurrent writers');
}

class RetryBatch extends Error {}

async function importBundle(platform: Platform, bundle: Bundle, source: string, rejected: Rejection[]): Promise<number> {
  if (bundle.type === 'transaction' || bundle.type === 'batch') {
    try {
      const res = await new BatchService(platform.resources).process(bundle, { baseUrl: '' });
      const failed = (res.entry ?? []).filter((e) => !/^2/.test(e.response?.status ?? ''));
      failed.forEach((e) => rejected.push({ source, reason: e.response?.outcome?.issue?.[0]?.diagnostics ?? e.response?.status ?? 'failed' }));
      return (res.entry?.length ?? 0) - failed.length;
    } catch (err) {
      rejected.push({ source, reason: (err as Error).message });
      return 0;
    }
  }
  let n = 0;
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) {
    rejected.push({ source, reason: 'Bundle.entry must be an array' });
    return 0;
  }
  // A null entry is rejected as a missing resource rather than stopping the import.
  const items = (bundle.entry ?? []).map((e, i) => ({ resource: e?.resource, source: `${source} entry[${i}]` }));
  const s = await importItems(platform, items);
  n += s.imported;
  rejected.push(...s.rejected);
  return n;
}

/** Reads NDJSON files (and .json Bundles) from a file or a directory, line by line. */
export async function* readImportSource(path: string): AsyncGenerator<ImportItem> {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => /\.(ndjson|jsonl|json)$/.test(f)).sort().map((f) => join(path, f))
    : [path];
  // Organisations and people first, so that a reader of the half-loaded record sees fewer dangling references.
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const file of files) {
    if (file.endsWith('.json')) {
      try {
        yield { resource: JSON.parse(readFileSync(file, 'utf8')), source: file };
      } catch (err) {
        yield { source: file, error: `not valid JSON: ${(err as Error).message}` };
      }
      continue;
    }
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (!text.trim()) continue;
      try {
        yield { resource: JSON.parse(text), source: `${file}:${line}` };
      } catch (err) {
        yield { source: `${file}:${line}`, error: `not valid JSON: ${(err as Error).message}` };
      }
    }
  }
}

const FIRST = ['Organization', 'Location', 'HealthcareService', 'Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'];
function rank(file: string): number {
  const i = FIRST.findIndex((t) => file.split('/').pop()!.startsWith(t));
  return i < 0 ? FIRST.length : i;
}
