import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { prepareBatch, type PreparedBatch, type RawItem } from './import.preparer.js';

/**
 * Prepares import batches on worker threads, so that validation and indexing (most of an import's
 * CPU) run on every core while the main thread talks to the database. When running from TypeScript
 * source (the test runner), or with one core, batches are prepared in-thread instead.
 */
export class PreparePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (b: PreparedBatch) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private next = 0;

  constructor(size = Math.max(1, availableParallelism())) {
    const url = new URL('./import.worker.js', import.meta.url);
    if (!import.meta.url.endsWith('.js') || size < 2) return;
    for (let i = 0; i < size; i++) {
      const w = new Worker(fileURLToPath(url));
      w.on('message', (msg: { seq: number; result?: PreparedBatch; error?: string }) => {
        const p = this.pending.get(msg.seq);
        this.pending.delete(msg.seq);
        if (msg.error !== undefined) p?.reject(new Error(msg.error));
        else p?.resolve(msg.result!);
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  prepare(items: RawItem[], lastUpdated: string): Promise<PreparedBatch> {
    if (this.workers.length === 0) return Promise.resolve(prepareBatch(items, lastUpdated));
    const seq = this.seq++;
    const worker = this.workers[this.next++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage({ seq, items, lastUpdated });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
