import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Database } from '../../db/database.js';
import type { VersionWrite } from '../../fhir/resource.repository.js';
import type { ResourceService } from '../../fhir/resource.service.js';
import type { AuditEntry } from './audit-entry.js';
import { buildAuditEvent } from './audit-event.builder.js';
import { auditEventIndex } from './audit-event.indexer.js';
import { AuditRepository } from './audit.repository.js';
import { GENESIS_HASH, linkHash } from './hash-chain.js';

export interface AuditServiceOptions {
  /** Most events written in one transaction. */
  maxBatch?: number;
  /**
   * true (default): one batch in flight; entries arriving meanwhile wait and go together in the
   * next transaction. false: every entry is its own transaction (for the benchmark's baseline).
   */
  groupCommit?: boolean;
  /**
   * Batches written at once. Their expensive part (the event rows and index rows) runs in parallel;
   * only the chain append is serialised. Default 1: on a 2-core PostgreSQL, 2 writers made smaller
   * batches and were no faster (bench/audit.bench.ts); more may pay on a bigger server. Each batch
   * holds a pool connection while it writes. On PGlite (one connection) more than 1 gains nothing.
   */
  writers?: number;
}

export interface AuditStats {
  records: number;
  /** Transactions committed (batches written). */
  transactions: number;
  largestBatch: number;
}

/**
 * The stored form of a new AuditEvent, as ResourceService.version() makes it (server meta set), but
 * indexed by auditEventIndex: the same rows as the generic FHIRPath extraction at a fraction of the
 * CPU. The rid is set when its batch is written; everything else is fixed here, outside any transaction.
 */
function prepare(event: AuditEvent): VersionWrite {
  const lastUpdated = new Date().toISOString();
  const stored: AuditEvent = { ...event, meta: { ...event.meta, versionId: '1', lastUpdated } };
  return {
    rid: '0', resourceType: 'AuditEvent', id: stored.id!, versionId: 1, lastUpdated, deleted: false, method: 'POST',
    content: JSON.stringify(stored), index: auditEventIndex(stored),
  };
}

interface Pending {
  /** The stored form, prepared (serialised and indexed) before the batch's transaction. */
  write: VersionWrite;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Records AuditEvents durably, in a tamper-evident chain, with group commit.
 *
 * `record()` resolves only once its event is committed. While one batch is being written, new
 * entries queue; when it commits, everything queued (up to `maxBatch`) is written in the next single
 * transaction. Under load a request waits for at most about two commits, and the database sees one
 * transaction per batch instead of one per request. A failed batch rejects every entry in it.
 *
 * Never await `record()` inside another open transaction: on single-connection PGlite the audit
 * transaction would wait for that one, which would wait for the audit.
 */
export class AuditService {
  private readonly repo = new AuditRepository();
  private readonly maxBatch: number;
  private readonly groupCommit: boolean;
  private readonly writers: number;
  private queue: Pending[] = [];
  /** Batches being written (group commit), and single writes (without group commit). */
  private readonly inFlight = new Set<Promise<void>>();
  private activeBatches = 0;
  readonly stats: AuditStats = { records: 0, transactions: 0, largestBatch: 0 };

  constructor(
    private readonly db: Database,
    private readonly resources: ResourceService,
    opts: AuditServiceOptions = {},
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 500);
    this.groupCommit = opts.groupCommit ?? true;
    this.writers = Math.max(1, opts.writers ?? 1);
  }

  /** Records one entry; resolves when its AuditEvent is committed. */
  record(entry: AuditEntry): Promise<void> {
    let write: VersionWrite;
    try {
      write = prepare(buildAuditEvent(entry, randomUUID()));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const pending = { write, resolve, reject };
      if (!this.groupCommit) {
        this.track(this.run([pending]));
        return;
      }
      this.queue.push(pending);
      this.pump();
    });
  }

  /** Resolves when everything recorded so far is durable (or has failed). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private track(p: Promise<void>) {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private pump(): void {
    while (this.activeBatches < this.writers && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.activeBatches++;
      this.track(
        this.run(batch).finally(() => {
          this.activeBatches--;
          this.pump();
        }),
      );
    }
  }

  /** Writes a batch and settles its waiters; never rejects itself. */
  private async run(batch: Pending[]): Promise<void> {
    try {
      await this.write(batch.map((p) => p.write));
      this.stats.transactions++;
      this.stats.records += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  /**
   * One transaction: write every event in one statement (in parallel with other batches), then take
   * the chain lock, read the last hash and append the batch's links in order; the lock is held only
   * from there to the commit. The hash covers each event exactly as stored (meta included).
   */
  private async write(prepared: VersionWrite[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rids = await this.repo.allocateRids(tx, prepared.length);
      const writes = prepared.map((w, i) => ({ ...w, rid: rids[i] }));
      const written = await this.resources.repo.write(tx, writes);
      if (written.size !== writes.length) throw new Error('An AuditEvent id was already taken');
      await this.repo.lockChain(tx);
      let prev = (await this.repo.lastHash(tx)) ?? GENESIS_HASH;
      const links = writes.map((w) => {
        const hash = linkHash(prev, JSON.parse(w.content!));
        const link = { eventId: w.id, rid: w.rid, hash, prevHash: prev };
        prev = hash;
        return link;
      });
      await this.repo.appendLinks(tx, links);
    });
  }
}
