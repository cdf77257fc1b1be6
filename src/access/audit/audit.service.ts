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
  /**
   * Batches in flight at once with group commit (default 2 on a PostgreSQL server, 1 on PGlite, which
   * has one connection). With 2, the next batch's rows and links are inserted on a second connection
   * while the previous batch's COMMIT waits for its WAL flush; it commits only after that one did.
   */
  pipeline?: number;
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
  /** Batches whose rows were inserted while the batch before them was still committing (pipeline 2). */
  overlapped: number;
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

/** Why a pipelined batch was rolled back: the batch its chain continues from did not commit. */
export class PredecessorFailedError extends Error {
  constructor() {
    super('the audit batch before this one was not committed, so this one, whose chain continues from it, was rolled back');
  }
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
 * per batch instead of one per request (PostgreSQL's own WAL group commit, one level up). On a
 * PostgreSQL server the next batch does not wait for that commit: see `pumpPipelined`.
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
  private readonly pipeline: number;
  private queue: Pending[] = [];
  /** A write committed a row that waits for its chain link. */
  private sealWanted = false;
  /** When a batch last took the rows waiting for their link (Date.now()). */
  private lastSeal = 0;
  /** Batches being written (group commit), and single writes (without group commit). */
  private readonly inFlight = new Set<Promise<void>>();
  private active = false;
  /** Pipelined batches launched and not yet settled. */
  private batchesInFlight = 0;
  /**
   * A pipelined batch is inserting its rows and links: the next starts only once that statement has
   * returned, so the links' `seq` (taken as they are inserted) follow the chain's order.
   */
  private appending = false;
  /** A batch in flight is taking the rows writes left waiting; another would only wait on its row locks. */
  private sealingInFlight = false;
  /** Settles true when the newest pipelined batch has committed, false when it will not. */
  private lastOutcome: Promise<boolean> | undefined;
  /** Counts failed batches: a batch launched before a failure must not publish its chain end as `tail`. */
  private epoch = 0;
  /**
   * The chain's last hash as this process last appended it; undefined when not known (at start, and
   * after any failure), so the next append reads it.
   */
  private tail: string | undefined;
  readonly stats: AuditStats = { records: 0, transactions: 0, largestBatch: 0, inWriteTransaction: 0, chainConflicts: 0, overlapped: 0 };

  constructor(private readonly db: Database, opts: AuditServiceOptions = {}) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 500);
    this.groupCommit = opts.groupCommit ?? true;
    // PGlite has one connection: a second batch in flight would only wait for it.
    this.pipeline = this.groupCommit ? Math.min(2, Math.max(1, opts.pipeline ?? (db.kind === 'pglite' ? 1 : 2))) : 1;
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
    if (this.pipeline > 1) return this.pumpPipelined();
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

  /**
   * Two batches in flight (pipeline 2): batch N+1 is taken from the queue and its rows and links are
   * inserted, in a transaction on a second connection, as soon as batch N's insert has returned, while
   * N's COMMIT waits for its WAL flush. N+1's links continue from N's last hash, so N+1 commits only
   * after N has committed; if N does not commit, N+1 rolls back and its waiters get the error (no
   * answer without a durable record, no link after rows that never landed). After any failure the
   * next batch waits until nothing is in flight and reads the chain's end from the database.
   */
  private pumpPipelined(): void {
    if (this.appending || this.batchesInFlight >= this.pipeline) return;
    if (this.tail === undefined && this.batchesInFlight > 0) return;
    if (this.queue.length === 0 && !this.sealWanted) return;
    // Link rows writes left waiting (and now and then anyway, for other processes' rows; see run),
    // unless a batch in flight is already taking them.
    const sealing = !this.sealingInFlight && (this.sealWanted || Date.now() - this.lastSeal >= SEAL_EVERY_MS);
    if (this.queue.length === 0 && !sealing) return;
    if (sealing) {
      this.sealWanted = false;
      this.lastSeal = Date.now();
      this.sealingInFlight = true;
    }
    const batch = this.queue.splice(0, this.maxBatch);
    const from = this.tail;
    // Without a known end (at start, after a failure) nothing is in flight: the end is read, not awaited.
    const prev = from === undefined ? undefined : this.lastOutcome;
    let settle!: (committed: boolean) => void;
    this.lastOutcome = new Promise<boolean>((r) => (settle = r));
    this.batchesInFlight++;
    this.appending = true;
    this.track(
      this.runPipelined(batch, sealing, from, prev, this.epoch).then((committed) => {
        settle(committed);
        this.batchesInFlight--;
        if (sealing) this.sealingInFlight = false;
        this.pump();
      }),
    );
  }

  /** One pipelined batch: answers whether it committed; never rejects. */
  private async runPipelined(batch: Pending[], sealing: boolean, from: string | undefined, prev: Promise<boolean> | undefined, epoch: number): Promise<boolean> {
    const records = batch.map((p) => p.record);
    let prevSettled = false;
    void prev?.then(() => (prevSettled = true));
    // Only one batch appends at a time, and it is this one until this runs.
    let appending = true;
    const appended = () => {
      if (!appending) return;
      appending = false;
      this.appending = false;
      this.pump();
    };
    try {
      for (let attempt = 1; ; attempt++) {
        // A retry after a chain conflict takes the chain lock exclusively, which waits for every append
        // in flight (the previous batch's too) to end, and reads the chain's end as committed.
        const locked = attempt > 1;
        try {
          await this.db.transaction(async (tx) => {
            if (locked) await this.repo.lockChain(tx);
            const waiting = sealing ? await this.repo.takePending(tx) : [];
            const start = locked || from === undefined ? await this.repo.lastHash(tx) : from;
            const tail = await this.append(tx, records, waiting, start);
            if (this.epoch === epoch) this.tail = tail;
            if (prev && !locked && !prevSettled) this.stats.overlapped++;
            appended();
            if (prev && !locked && !(await prev)) throw new PredecessorFailedError();
          });
          break;
        } catch (err) {
          if (!isChainConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
          this.stats.chainConflicts++;
        }
      }
    } catch (err) {
      // Whatever this batch linked is gone; so is anything launched after it (it waits on this one).
      this.epoch++;
      this.tail = undefined;
      appended();
      // Rows a write left waiting stay in audit_pending: the next batch (or the next start) links them.
      for (const p of batch) p.reject(err);
      return false;
    }
    this.stats.transactions++;
    this.stats.records += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    for (const p of batch) p.resolve();
    return true;
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
