import { parentPort } from 'node:worker_threads';
import { loadDefinitions } from './definitions.js';
import { prepareBatch, type RawItem } from './import.preparer.js';

// A worker of the import pool: prepares batches (parse, validate, index) while the main thread writes.
loadDefinitions();
parentPort!.on('message', (msg: { seq: number; items: RawItem[]; lastUpdated: string }) => {
  try {
    parentPort!.postMessage({ seq: msg.seq, result: prepareBatch(msg.items, msg.lastUpdated) });
  } catch (err) {
    parentPort!.postMessage({ seq: msg.seq, error: (err as Error).message });
  }
});
