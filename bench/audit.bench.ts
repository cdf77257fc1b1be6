import { AuditService } from '../src/access/audit/audit.service.js';
import { verifyChain } from '../src/access/audit/hash-chain.js';
import type { StaffPrincipal } from '../src/access/principal.js';
import type { Platform } from '../src/platform.js';

export interface AuditBenchRun {
  mode: 'group-commit' | 'one-transaction-each';
  records: number;
  /** Records in flight at once (as concurrent requests would have). */
  concurrency: number;
  seconds: number;
  recordsPerSecond: number;
  transactions: number;
}

export interface AuditBenchResult {
  groupCommit: AuditBenchRun;
  single: AuditBenchRun;
  /** groupCommit.recordsPerSecond / single.recordsPerSecond */
  speedup: number;
}

const staff: StaffPrincipal = {
  kind: 'staff', id: 'bench-user', displayName: 'Bench User', via: 'session', credentialId: 'bench-session',
  role: 'gp', organizationId: 'bench-org', organizationIds: ['bench-org'], practitionerId: 'bench-practitioner',
};

async function runOnce(platform: Pick<Platform, 'db' | 'resources'>, groupCommit: boolean, count: number, concurrency: number): Promise<AuditBenchRun> {
  const audit = new AuditService(platform.db, { groupCommit });
  let next = 0;
  const started = performance.now();
  // `concurrency` workers, each awaiting its record before the next, like requests held for durability.
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await audit.record({
        interaction: 'read', principal: staff, clientIp: '127.0.0.1', requestId: `bench-${i}`, status: 200,
        resources: [{ type: 'Observation', id: `obs-${i % 1000}` }], patientIds: [`patient-${i % 500}`],
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    mode: groupCommit ? 'group-commit' : 'one-transaction-each', records: count, concurrency, seconds,
    recordsPerSecond: count / seconds, transactions: audit.stats.transactions,
  };
}

/**
 * Measures audit records per second over a fixed count, with group commit and with one transaction
 * per record, on the platform given (a fresh database is best: the records stay). Checks the chain
 * afterwards so a fast but broken run is not reported.
 */
export async function benchAudit(platform: Pick<Platform, 'db' | 'resources'>, opts: { count?: number; concurrency?: number } = {}): Promise<AuditBenchResult> {
  const count = opts.count ?? 2000;
  const concurrency = opts.concurrency ?? 32;
  const single = await runOnce(platform, false, count, concurrency);
  const groupCommit = await runOnce(platform, true, count, concurrency);
  const chain = await verifyChain(platform.db);
  if (!chain.ok) throw new Error(`The audit chain is broken after the benchmark: ${chain.firstBad?.problem}`);
  return { groupCommit, single, speedup: groupCommit.recordsPerSecond / single.recordsPerSecond };
}
