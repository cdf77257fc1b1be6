import { Worker } from 'node:worker_threads';
import type { LoadJob, LoadOutcome } from './load.worker.js';

/** Runs one load job in a worker thread and resolves with what it measured. */
export function runLoad(job: LoadJob): Promise<LoadOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load.worker.js', import.meta.url), { workerData: job });
    let outcome: LoadOutcome | undefined;
    worker.once('message', (m: LoadOutcome) => (outcome = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (outcome ? resolve(outcome) : reject(new Error(`load worker exited with code ${code} and no result`))));
  });
}
