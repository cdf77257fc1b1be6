import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import type { AuditEntry } from './audit-entry.js';
import { hashedContent, toAuditRecord, type AuditRecord, type StoredAuditRecord } from './audit-record.js';
import { AuditRepository, isChainConflict, type NewLink } from './audit.repository.js';
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
  /** Appends refused because another writer had appended since this one's last (then retried under the lock). */
  chainConflicts: number;
}

/** An append refused by another's (a chain conflict) is retried under the exclusive lock, where it cannot be refused. */
const MAX_ATTEMPTS = 3;

/** How often a batch takes waiting rows even when this process left none (so other processes' are linked soon). */
const SEAL_EVERY_MS = 1_000;

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
 * next single statement: the rows and their links together (see `write` for how the chain stays one
 * line without a lock on this path).
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
  /** When a batch last took the rows waiting for their link (Date.now()). */
  private lastSeal = 0;
  /** Batches being written (group commit), and single writes (without group commit). */
  private readonly inFlight = new Set<Promise<void>>();
  private active = false;
  /**
   * The chain's last hash as this process last appended it; undefined when not known (at start, and
   * after any failure), so the next append reads it.
   */
  private tail: string | undefined;
  readonly stats: AuditStats = { records: 0, transactions: 0, largestBatch: 0, inWriteTransaction: 0, chainConflicts: 0 };

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
    // Link rows writes left waiting when this process made some, and now and then anyway: another
    // process (a CLI command) may have left some when it ended before its own batch ran.
    const sealing = this.sealWanted || Date.now() - this.lastSeal >= SEAL_EVERY_MS;
    this.sealWanted = false;
    if (sealing) this.lastSeal = Date.now();
    try {
      await this.write(batch.map((p) => p.record), sealing);
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
   * Appends a batch. The fast path is one statement with no transaction around it: the links are
   * computed from the last hash this process appended (`tail`), and migration 024's unique index on
   * `prev_hash` refuses the statement if another process appended since, so the chain can never
   * fork. Rows writes left waiting are taken (and put back if anything fails) in a transaction with
   * that same statement. On a refusal the batch is appended again under the chain lock taken
   * exclusively, from the last hash as committed: every append holds that lock shared, so this one
   * cannot be refused.
   */
  private async write(records: AuditRecord[], linkPending: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const locked = attempt > 1 || !this.groupCommit;
      try {
        if (!linkPending && !locked) {
          this.tail = await this.append(this.db, records, [], this.tail ?? (await this.repo.lastHash(this.db)));
        } else {
          this.tail = await this.db.transaction(async (tx) => {
            if (locked) await this.repo.lockChain(tx);
            const waiting = linkPending ? await this.repo.takePending(tx) : [];
            const from = locked || this.tail === undefined ? await this.repo.lastHash(tx) : this.tail;
            return this.append(tx, records, waiting, from);
          });
        }
        return;
      } catch (err) {
        // After any failure the chain's end is read again; without group commit (single-event
        // transactions at once) every append is under the exclusive lock and reads it anyway.
        this.tail = undefined;
        if (!isChainConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
        this.stats.chainConflicts++;
      }
    }
  }

  /** Appends the rows and every link in one statement; answers the chain's new last hash. */
  private async append(q: Queryable, records: AuditRecord[], waiting: StoredAuditRecord[], from: string | undefined): Promise<string | undefined> {
    const ordered: (AuditRecord | StoredAuditRecord)[] = [...waiting, ...records];
    if (ordered.length === 0) return from;
    let prev = from ?? GENESIS_HASH;
    const links: NewLink[] = ordered.map((r) => {
      const hash = linkHash(prev, hashedContent(r));
      const link = { eventId: r.id, rid: 'seq' in r ? r.seq : null, hash, prevHash: prev };
      prev = hash;
      return link;
    });
    await this.repo.appendRecordsWithLinks(q, records, links);
    return prev;
  }
}
