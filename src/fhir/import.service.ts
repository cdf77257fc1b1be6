import { createReadStream, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { Platform } from '../platform.js';
import { BatchService } from './batch.service.js';
import { parseJson } from './decimal-json.js';
import type { VersionWrite } from './resource.repository.js';
import type { PreparedBatch, PreparedResource, RawItem } from './import.preparer.js';
import { PreparePool } from './import.pool.js';

/** One line or object to import; `text` is parsed by the preparing thread. */
export type ImportItem = RawItem;

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
 * What an import writes through: the database and the record (the platform, or a service holding
 * both), and the platform's import pool when there is one (else the import starts a pool of its own).
 */
export type ImportTarget = Pick<Platform, 'db' | 'resources'> & Partial<Pick<Platform, 'importPool'>>;

/**
 * Bulk load: resources keep their ids (update-as-create), so references between files hold.
 * Batches are prepared (parsed, validated, indexed) on worker threads while earlier batches are
 * written, on two connections at once with PostgreSQL; a resource's versions stay in input order.
 * Each batch is one transaction, and a rejected resource is never written, not even in part.
 */
export async function importItems(
  platform: ImportTarget,
  items: AsyncIterable<ImportItem> | Iterable<ImportItem>,
  onProgress?: (done: number, rejected: number) => void,
  pool?: PreparePool,
): Promise<ImportSummary> {
  const started = performance.now();
  const ownPool = pool ?? platform.importPool ?? new PreparePool();
  const rejected: Rejection[] = [];
  let imported = 0;
  const inflight: Promise<PreparedBatch>[] = [];
  const maxInflight = Math.max(2, ownPool.threads * 2);
  // PostgreSQL writes batches on two connections at once; PGlite has only one.
  const maxWriters = platform.db.kind === 'postgres' ? 2 : 1;
  const writing = new Set<Promise<void>>();
  const keysInFlight = new Map<string, number>();
  const write = async (batch: PreparedBatch) => {
    const keys = batch.prepared.map((r) => `${r.resourceType}/${r.id}`);
    // A resource already being written by another batch must get its versions in input order.
    if (keys.some((k) => keysInFlight.has(k)) || batch.bundles.length > 0) await Promise.all(writing);
    for (const k of keys) keysInFlight.set(k, (keysInFlight.get(k) ?? 0) + 1);
    try {
      // Await first, then add: `imported += await …` would read `imported` before another writer's await ends.
      const written = await writeBatch(platform, batch.prepared);
      imported += written;
      for (const b of batch.bundles) {
        const n = await importBundle(platform, b.resource as Bundle, b.source, rejected, ownPool);
        imported += n;
      }
    } finally {
      for (const k of keys) {
        const n = keysInFlight.get(k)! - 1;
        if (n === 0) keysInFlight.delete(k);
        else keysInFlight.set(k, n);
      }
    }
    onProgress?.(imported, rejected.length);
  };
  const drainOne = async () => {
    const batch = await inflight.shift()!;
    rejected.push(...batch.rejected);
    const w = write(batch);
    writing.add(w);
    void w.finally(() => writing.delete(w)).catch(() => undefined);
    if (writing.size >= maxWriters) await Promise.race(writing);
  };
  try {
    let batch: RawItem[] = [];
    const submit = async () => {
      if (batch.length === 0) return;
      inflight.push(ownPool.prepare(batch, new Date().toISOString()));
      batch = [];
      if (inflight.length >= maxInflight) await drainOne();
    };
    for await (const item of items) {
      batch.push(item);
      if (batch.length >= BATCH_SIZE) await submit();
    }
    await submit();
    while (inflight.length > 0) await drainOne();
    await Promise.all(writing);
  } finally {
    // Settle what is still in flight after a failure, so no worker answer or write ends unheard.
    await Promise.allSettled([...inflight, ...writing]);
    if (!pool && !platform.importPool) await ownPool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { imported, rejected, seconds, perSecond: seconds > 0 ? imported / seconds : imported };
}

async function writeBatch(platform: ImportTarget, batch: PreparedResource[]): Promise<number> {
  if (batch.length === 0) return 0;
  const { resources } = platform;
  // A resource repeated within one batch keeps its last version only.
  const byKey = new Map<string, PreparedResource>();
  for (const r of batch) byKey.set(`${r.resourceType}/${r.id}`, r);
  const list = [...byKey.values()];
  for (let attempt = 0; attempt < 5; attempt++) {
    const ok = await platform.db.transaction(async (tx) => {
      const existing = await resources.repo.readCurrentMany(tx, list.map((r) => ({ type: r.resourceType, id: r.id })));
      const current = new Map(existing.map((e) => [`${e.resource_type}/${e.id}`, e]));
      const fresh = list.filter((r) => !current.has(`${r.resourceType}/${r.id}`));
      const rids = await resources.repo.allocateRids(fresh.length, tx);
      let next = 0;
      const writes: VersionWrite[] = list.map((r) => {
        const cur = current.get(`${r.resourceType}/${r.id}`);
        if (cur) {
          // Rare in a bulk load: the resource exists, so this is its next version.
          const resource = parseJson(r.content) as Resource;
          return resources.version(cur.rid, resource, cur.version_id + 1, cur.version_id, 'PUT', r.lastUpdated);
        }
        return {
          rid: rids[next++], resourceType: r.resourceType, id: r.id, versionId: 1, lastUpdated: r.lastUpdated,
          deleted: false, method: 'PUT', content: r.content, index: r.index,
        };
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

async function importBundle(platform: ImportTarget, bundle: Bundle, source: string, rejected: Rejection[], pool: PreparePool): Promise<number> {
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
  const s = await importItems(platform, items, undefined, pool);
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
      yield { text: readFileSync(file, 'utf8'), source: file };
      continue;
    }
    const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (!text.trim()) continue;
      yield { text, source: `${file}:${line}` };
    }
  }
}

const FIRST = ['Organization', 'Location', 'HealthcareService', 'Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'];
function rank(file: string): number {
  const i = FIRST.findIndex((t) => file.split('/').pop()!.startsWith(t));
  return i < 0 ? FIRST.length : i;
}
