import { verifyChain, type ChainReport } from '../access/audit/hash-chain.js';
import { loadConfig } from '../config.js';
import type { Queryable } from '../db/database.js';
import { createPlatform } from '../platform.js';
import { parseFlags, type Command } from './command.js';

const USAGE = `npx onestory audit verify [--head <hash>]

Walks the audit hash chain and checks every AuditEvent against it. Exits 0 when the chain is intact,
1 naming the first bad record otherwise. --head: a head hash printed by an earlier run (kept
elsewhere): also check that no records have since been removed from the end.
Uses DATABASE_URL when set, otherwise the embedded database in ./.data (ONESTORY_DATA_DIR).`;

/** Runs the check on an open database and prints the outcome; returns the exit code. */
export async function auditVerify(db: Queryable, opts: { head?: string } = {}): Promise<number> {
  const report: ChainReport = await verifyChain(db, { expectedHead: opts.head });
  if (report.ok) {
    console.log(`Audit chain intact: ${report.records.toLocaleString('en-GB')} records verified. Head ${report.head}`);
    if (report.pending) console.log(`${report.pending.toLocaleString('en-GB')} events committed with their writes are waiting for their link (the running server adds it within milliseconds).`);
    return 0;
  }
  const bad = report.firstBad!;
  const where = bad.seq === null ? (bad.eventId ? `AuditEvent/${bad.eventId}` : 'the chain') : `record #${bad.seq} (AuditEvent/${bad.eventId})`;
  console.error(`Audit chain BROKEN at ${where}: ${bad.problem}.`);
  console.error(`${report.records.toLocaleString('en-GB')} records before it verified.`);
  return 1;
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'Verify the tamper-evident audit trail (audit verify)',
  usage: USAGE,
  async run(args) {
    const { flags, positional } = parseFlags(args);
    if (positional[0] !== 'verify' || positional.length > 1) {
      console.error(`Usage: ${USAGE}`);
      return 2;
    }
    const head = flags.head;
    if (head !== undefined && (typeof head !== 'string' || !/^[0-9a-f]{64}$/.test(head))) {
      console.error('--head must be a 64-character hex hash printed by an earlier `audit verify`');
      return 2;
    }
    const platform = await createPlatform(loadConfig(), undefined, { mode: 'command' });
    try {
      return await auditVerify(platform.db, { head });
    } finally {
      await platform.close();
    }
  },
};
