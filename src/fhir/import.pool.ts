import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { prepareBatch, type PreparedBatch, type RawItem } from './import.preparer.js';

/** How long idle workers are kept after their last batch before they are stopped (their memory returned). */
export const IDLE_RELEASE_MS = 60_000;

interface Pending {
  worker: Worker;
  resolve: (b: PreparedBatch) => void;
  reject: (e: Error) => void;
}

/**
 * Prepares import batches on worker threads, so that validation and indexing (most of an import's
 * CPU) run on every core while the main thread talks to the database. When running from TypeScript
 * source (the test runner), or with one core, batches are prepared in-thread instead.
 *
 * One pool is owned by the platform (`platform.importPool`) and shared by every import, because a
 * worker must load the FHIR definitions (35 MB of JSON; seconds of CPU) before its first batch:
 * paid once per process, not once per import. Workers start on the first batch, or earlier with
 * `start()` (the import commands and the benchmark start them when the platform is created, so the
 * load runs beside the main thread's own), and stop after `IDLE_RELEASE_MS` without work: two
 * workers with the definitions loaded hold about 250-330 MB, which a server that imported once
 * (the demo population) should not keep. An idle worker never keeps the process alive.
 */
export class PreparePool {
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Batches in flight per worker, to send each batch to the least busy one. */
  private readonly load = new Map<Worker, number>();
  private seq = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly size: number;
  private readonly idleMs: number;
  private readonly url = new URL('./import.worker.js', import.meta.url);

  constructor(options: { size?: number; idleMs?: number } = {}) {
    const size = options.size ?? Math.max(1, availableParallelism());
    this.size = import.meta.url.endsWith('.js') && size >= 2 ? size : 0;
    this.idleMs = options.idleMs ?? IDLE_RELEASE_MS;
  }

  /** How many threads batches are prepared on (0: in-thread). */
  get threads(): number {
    return this.size;
  }

  /** How many workers are running now (started, and not yet released). */
  get running(): number {
    return this.workers.length;
  }

  /** Starts the workers (each loads the definitions at once) that are not running. */
  start(): void {
    if (this.size === 0 || this.workers.length >= this.size) return;
    for (let i = this.workers.length; i < this.size; i++) {
      const w = new Worker(fileURLToPath(this.url));
      let failure: Error | undefined;
      w.on('message', (msg: { seq: number; result?: PreparedBatch; error?: string }) => {
        const p = this.pending.get(msg.seq);
        if (!p) return;
        this.settle(msg.seq, p);
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.result!);
      });
      w.on('error', (err) => {
        failure = err;
      });
      w.on('exit', (code) => {
        // A worker that failed (or was stopped) takes its batches with it: they fail, and the next
        // batch starts a fresh worker in its place.
        this.workers = this.workers.filter((x) => x !== w);
        this.load.delete(w);
        for (const [seq, p] of this.pending) {
          if (p.worker !== w) continue;
          this.pending.delete(seq);
          p.reject(failure ?? new Error(`An import worker stopped (exit code ${code})`));
        }
      });
      // Idle until a batch is sent: an idle pool never keeps the process alive.
      w.unref();
      this.load.set(w, 0);
      this.workers.push(w);
    }
    this.armIdleRelease();
  }

  prepare(items: RawItem[], lastUpdated: string): Promise<PreparedBatch> {
    if (this.size === 0) return Promise.resolve(prepareBatch(items, lastUpdated));
    this.start();
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const seq = this.seq++;
    let worker = this.workers[seq % this.workers.length];
    for (const w of this.workers) if (this.load.get(w)! < this.load.get(worker)!) worker = w;
    this.load.set(worker, this.load.get(worker)! + 1);
    worker.ref();
    return new Promise((resolve, reject) => {
      const p = { worker, resolve, reject };
      this.pending.set(seq, p);
      try {
        worker.postMessage({ seq, items, lastUpdated });
      } catch (err) {
        // Items that cannot be sent (not cloneable) fail this batch only.
        this.settle(seq, p);
        reject(err as Error);
      }
    });
  }

  /** Stops the workers (the platform closes its pool when it closes); a later batch starts them again. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private settle(seq: number, p: Pending): void {
    this.pending.delete(seq);
    const n = (this.load.get(p.worker) ?? 1) - 1;
    this.load.set(p.worker, n);
    if (n === 0) p.worker.unref();
    if (this.pending.size === 0) this.armIdleRelease();
  }

  private armIdleRelease(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.pending.size === 0) void this.close().catch(() => undefined);
    }, this.idleMs);
    this.idleTimer.unref();
  }
}
