import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import type { AuditEntry } from './audit-entry.js';
import { hashedContent, toAuditRecord, type AuditRecord } from './audit-record.js';
import { AuditRepository, type NewLink } from './audit.repository.js';
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
  /** Records written inside a write's own transaction (recordInTransaction), then linked by a batch. */
  inWriteTransaction: number;
}

interface Pending {
  record: AuditRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Records audit events durably, in a tamper-evident chain, with group commit: one compact row of
 * `audit_event` per event (audit-record.ts), from which AuditEvent resources are rendered on read.
 *
 * `record()` resolves only once its row and its chain link are committed. While one batch is being
 * written, new entries queue; when it commits, everything queued (up to `maxBatch`) is written in the
 * next single transaction: one INSERT for the rows, then, under the chain lock, one for the links.
 * Under load a request waits for at most about two commits, and the database sees one transaction
 * per batch instead of one per request (PostgreSQL's own WAL group commit, one level up).
 *
 * A write's event is instead written in the write's own transaction (`recordInTransaction`), so a
 * write and its audit row commit or vanish together; the next batch links it into the chain
 * (`audit_pending` says which rows wait), and so does every start of the platform after a crash.
 *
 * Never await `record()` inside another open transaction: on single-connection PGlite the audit
 * transaction would wait for that one, which would wait for the audit.
 */
export class AuditService {
  private readonly repo = new AuditRepository();
  private readonly maxBatch: number;
  private readonly groupCommit: boolean;
  private queue: Pending[] = [];
  /** A write committed a row that waits for its chain link. */
  private sealWanted = false;
  /** Batches being written (group commit), and single writes (without group commit). */
  private readonly inFlight = new Set<Promise<void>>();
  private active = false;
  readonly stats: AuditStats = { records: 0, transactions: 0, largestBatch: 0, inWriteTransaction: 0 };

  constructor(private readonly db: Database, opts: AuditServiceOptions = {}) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 500);
    this.groupCommit = opts.groupCommit ?? true;
  }

  /** Records one entry; resolves when its row and chain link are committed. */
  record(entry: AuditEntry): Promise<void> {
    let record: AuditRecord;
    try {
      record = toAuditRecord(entry, randomUUID()).record;
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const pending = { record, resolve, reject };
      if (!this.groupCommit) {
        this.track(this.run([pending]));
        return;
      }
      this.queue.push(pending);
      this.pump();
    });
  }

  /**
   * Writes one entry's row in the caller's transaction (a write's): durable exactly when the write
   * is. Call `sealSoon()` once that transaction has committed, so the row is linked into the chain.
   */
  async recordInTransaction(tx: Queryable, entry: AuditEntry): Promise<void> {
    await this.repo.insertPending(tx, toAuditRecord(entry, randomUUID()).record);
    this.stats.inWriteTransaction++;
  }

  /** Links rows committed by writes' transactions into the chain, in the next batch. */
  sealSoon(): void {
    this.sealWanted = true;
    this.pump();
  }

  /** Links every row waiting for its chain link now (at start-up, after a crash left some). */
  async sealPending(): Promise<void> {
    if (await this.repo.hasPending(this.db)) this.sealSoon();
    await this.flush();
  }

  /** Resolves when everything recorded so far is durable and linked (or has failed). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0 || this.sealWanted) {
      if (this.inFlight.size === 0) this.pump();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private track(p: Promise<void>) {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private pump(): void {
    if (this.active || (this.queue.length === 0 && !this.sealWanted)) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.active = true;
    this.track(
      this.run(batch).finally(() => {
        this.active = false;
        this.pump();
      }),
    );
  }

  /** Writes a batch (and links any rows writes left waiting) and settles its waiters; never rejects itself. */
  private async run(batch: Pending[]): Promise<void> {
    const sealing = this.sealWanted;
    this.sealWanted = false;
    try {
      await this.write(batch.map((p) => p.record), sealing || this.groupCommit);
      this.stats.transactions++;
      this.stats.records += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      for (const p of batch) p.resolve();
    } catch (err) {
      // Rows a write left waiting stay in audit_pending: the next batch (or the next start) links them.
      for (const p of batch) p.reject(err);
    }
  }

  /**
   * One transaction: insert the batch's rows in one statement, then take the chain lock, read the
   * last hash and append the links (the rows writes committed first, then this batch's) in one more;
   * the lock is held only from there to the commit.
   */
  private async write(records: AuditRecord[], linkPending: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const seqs = records.length > 0 ? await this.repo.insertRecords(tx, records) : new Map<string, string>();
      await this.repo.lockChain(tx);
      const waiting = linkPending ? await this.repo.takePending(tx) : [];
      const ordered = [...waiting, ...records.map((r) => ({ ...r, seq: seqs.get(r.id)! }))];
      if (ordered.length === 0) return;
      let prev = (await this.repo.lastHash(tx)) ?? GENESIS_HASH;
      const links: NewLink[] = ordered.map((r) => {
        const hash = linkHash(prev, hashedContent(r));
        const link = { eventId: r.id, rid: r.seq, hash, prevHash: prev };
        prev = hash;
        return link;
      });
      await this.repo.appendLinks(tx, links);
    });
  }
}
