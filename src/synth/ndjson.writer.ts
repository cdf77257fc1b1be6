import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { isSupportedType } from '../fhir/definitions.js';

/** Lines are gathered per type and written in blocks: one write() per line costs more than the JSON. */
const FLUSH_BYTES = 1 << 18;

export interface NdjsonSummary {
  residents: number;
  resources: number;
  byType: Record<string, number>;
  seconds: number;
  resourcesPerSecond: number;
  peakRssMb: number;
  outDir: string;
}

export interface NdjsonWriteOptions {
  outDir: string;
  /** Called at most every `progressEvery` residents. */
  onProgress?: (residents: number, resources: number) => void;
  progressEvery?: number;
}

class TypeFile {
  private chunks: string[] = [];
  private bytes = 0;
  count = 0;
  constructor(readonly stream: WriteStream) {}

  add(line: string): boolean {
    this.chunks.push(line);
    this.bytes += line.length;
    this.count++;
    return this.bytes >= FLUSH_BYTES;
  }

  /** Resolves when the stream can take more: the backpressure that keeps memory flat. */
  async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const block = this.chunks.join('');
    this.chunks = [];
    this.bytes = 0;
    if (!this.stream.write(block)) await once(this.stream, 'drain');
  }
}

/**
 * Writes batches of resources (the first the organisations, then one per resident) as FHIR
 * bulk-data NDJSON: one `<Type>.ndjson` per resource type, one resource a line.
 */
export async function writeNdjson(batches: Iterable<Resource[]>, options: NdjsonWriteOptions): Promise<NdjsonSummary> {
  const { outDir } = options;
  mkdirSync(outDir, { recursive: true });
  // Stale files from an earlier run would be imported alongside this one: remove only our own kind.
  for (const f of readdirSync(outDir)) {
    const m = /^([A-Za-z]+)\.ndjson$/.exec(f);
    if (m && isSupportedType(m[1])) rmSync(join(outDir, f));
  }
  const files = new Map<string, TypeFile>();
  const started = performance.now();
  let peakRss = process.memoryUsage.rss();
  let resources = 0, residents = -1;
  const every = options.progressEvery ?? 2000;

  for (const batch of batches) {
    residents++;
    for (const r of batch) {
      let f = files.get(r.resourceType);
      if (!f) {
        f = new TypeFile(createWriteStream(join(outDir, `${r.resourceType}.ndjson`)));
        files.set(r.resourceType, f);
      }
      if (f.add(JSON.stringify(r) + '\n')) await f.flush();
    }
    resources += batch.length;
    if (residents % every === 0) {
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
      options.onProgress?.(Math.max(residents, 0), resources);
    }
  }
  for (const f of files.values()) await f.flush();
  await Promise.all([...files.values()].map(async (f) => {
    f.stream.end();
    await once(f.stream, 'finish');
  }));
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const seconds = (performance.now() - started) / 1000;
  const byType: Record<string, number> = {};
  for (const [type, f] of [...files.entries()].sort((a, b) => a[0].localeCompare(b[0]))) byType[type] = f.count;
  return {
    residents: Math.max(residents, 0), resources, byType, seconds,
    resourcesPerSecond: seconds > 0 ? resources / seconds : 0, peakRssMb: Math.round(peakRss / 1e6), outDir,
  };
}

export function formatSummary(s: NdjsonSummary): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-GB');
  const width = Math.max(...Object.keys(s.byType).map((k) => k.length), 8);
  return [
    `Wrote ${n(s.resources)} resources for ${n(s.residents)} residents to ${s.outDir}`,
    ...Object.entries(s.byType).map(([type, count]) => `  ${type.padEnd(width)}  ${n(count).padStart(12)}`),
    `Elapsed ${s.seconds.toFixed(1)} s, ${n(s.resourcesPerSecond)} resources/s, peak RSS ${n(s.peakRssMb)} MB`,
  ].join('\n');
}
