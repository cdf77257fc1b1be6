import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Database } from '../../db/database.js';
import type { VersionWrite } from '../../fhir/resource.repository.js';
import type { ResourceService } from '../../fhir/resource.service.js';
import type { AuditEntry } from './audit-entry.js';
import { buildAuditEvent } from './audit-event.builder.js';
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
}

export interface AuditStats {
  records: number;
  /** Transactions committed (batches written). */
  transactions: number;
  largestBatch: number;
}

interface Pending {
  event: AuditEvent;
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
  private queue: Pending[] = [];
  private active: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats: AuditStats = { records: 0, transactions: 0, largestBatch: 0 };

  constructor(
    private readonly db: Database,
    private readonly resources: ResourceService,
    opts: AuditServiceOptions = {},
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 500);
    this.groupCommit = opts.groupCommit ?? true;
  }

  /** Records one entry; resolves when its AuditEvent is committed. */
  record(entry: AuditEntry): Promise<void> {
    let event: AuditEvent;
    try {
      event = buildAuditEvent(entry, randomUUID());
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const pending = { event, resolve, reject };
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
    while (this.active || this.queue.length > 0 || this.inFlight.size > 0) {
      await Promise.allSettled([this.active, ...this.inFlight]);
    }
  }

  private track(p: Promise<void>) {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.active = this.run(batch).finally(() => {
      this.active = undefined;
      this.pump();
    });
  }

  /** Writes a batch and settles its waiters; never rejects itself. */
  private async run(batch: Pending[]): Promise<void> {
    try {
      await this.write(batch.map((p) => p.event));
      this.stats.transactions++;
      this.stats.records += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  /**
   * One transaction: take the chain lock, read the last hash, write every event in one statement,
   * append their links in order. The hash covers the event exactly as stored (meta included).
   */
  private async write(events: AuditEvent[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.repo.lockChain(tx);
      const { last, rids } = await this.repo.headAndRids(tx, events.length);
      let prev = last ?? GENESIS_HASH;
      const writes: VersionWrite[] = [];
      const links = events.map((event, i) => {
        const w = this.resources.version(rids[i], event, 1, undefined, 'POST');
        writes.push(w);
        const hash = linkHash(prev, JSON.parse(w.content!));
        const link = { eventId: w.id, rid: w.rid, hash, prevHash: prev };
        prev = hash;
        return link;
      });
      const written = await this.resources.repo.write(tx, writes);
      if (written.size !== writes.length) throw new Error('An AuditEvent id was already taken');
      await this.repo.appendLinks(tx, links);
    });
  }
}
