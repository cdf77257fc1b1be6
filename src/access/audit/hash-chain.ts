import { createHash } from 'node:crypto';
import type { Queryable } from '../../db/database.js';
import { hashedContent } from './audit-record.js';
import { AuditRepository } from './audit.repository.js';

/** The prev_hash of the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level and no whitespace, so the same content always
 * hashes the same whatever order its keys were written or read back in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** A link's hash: SHA-256 (hex) over the previous link's hash followed by the event's canonical JSON. */
export function linkHash(prevHash: string, content: unknown): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(content)).digest('hex');
}

export interface ChainProblem {
  /** The chain position (audit_chain.seq) of the first bad record, or null for an event outside the chain. */
  seq: string | null;
  /** The AuditEvent id. */
  eventId: string;
  problem: string;
}

export interface ChainReport {
  ok: boolean;
  /** Links walked (all of them when intact; up to the first bad one otherwise). */
  records: number;
  /** The hash of the last link: publish it elsewhere to detect later truncation with `expectedHead`. */
  head: string;
  /** Events committed with a write that the chain has not linked yet (the running server links them within milliseconds, a restart at once). */
  pending?: number;
  firstBad?: ChainProblem;
}

/**
 * Walks the whole chain in order and reports the first broken link: an event whose row no longer
 * matches its hash (changed), a link whose prev_hash is not its predecessor's hash (a link deleted,
 * inserted or reordered), an event row that is gone, or an event that is not in the chain at all
 * (and not waiting for its link). Deleting the newest links leaves a shorter valid chain: pass a head
 * hash recorded earlier as `expectedHead` to detect that.
 */
export async function verifyChain(db: Queryable, opts: { expectedHead?: string; pageSize?: number } = {}): Promise<ChainReport> {
  const repo = new AuditRepository();
  const pageSize = opts.pageSize ?? 1000;
  let prev = GENESIS_HASH;
  let records = 0;
  let after = '0';
  let sawExpected = opts.expectedHead === undefined || opts.expectedHead === GENESIS_HASH;
  const fail = (firstBad: ChainProblem): ChainReport => ({ ok: false, records, head: prev, firstBad });
  for (;;) {
    const page = await repo.chainPage(db, after, pageSize);
    for (const link of page) {
      const at = { seq: link.seq, eventId: link.event_id };
      if (link.prev_hash !== prev) {
        return fail({ ...at, problem: `its prev_hash does not match the hash of the record before it: a record was deleted, inserted or reordered before #${link.seq}` });
      }
      if (link.record === null) {
        return fail({ ...at, problem: 'its AuditEvent has been deleted' });
      }
      if (link.record.id !== link.event_id) {
        return fail({ ...at, problem: `the chain points at AuditEvent/${link.record.id}, not AuditEvent/${link.event_id}` });
      }
      let content: unknown;
      try {
        content = hashedContent(link.record);
      } catch {
        return fail({ ...at, problem: 'its stored content is not valid JSON' });
      }
      if (linkHash(prev, content) !== link.hash) {
        return fail({ ...at, problem: 'its content or hash has been changed (the hash does not match)' });
      }
      prev = link.hash;
      records++;
      after = link.seq;
      if (prev === opts.expectedHead) sawExpected = true;
    }
    if (page.length < pageSize) break;
  }
  const stray = await repo.unchainedEvent(db);
  if (stray) return fail({ seq: null, eventId: stray, problem: 'this AuditEvent is not in the chain (written outside the audit service)' });
  if (!sawExpected) {
    return fail({ seq: null, eventId: '', problem: `the expected head ${opts.expectedHead} is not in the chain: records were removed from its end, or it belongs to another database` });
  }
  const pending = await repo.pendingCount(db);
  return { ok: true, records, head: prev, ...(pending > 0 ? { pending } : {}) };
}
