import type { Patient } from '@medplum/fhirtypes';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { importItems } from '../fhir/import.service.js';
import { PreparePool } from '../fhir/import.pool.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { localReference } from '../fhir/reference.js';
import { ageOn } from '../record-view/fhir-text.js';
import { ext as SYNTH_EXTENSIONS } from '../synth/fhir.helpers.js';
import { computeEfi, efiRiskAssessment, efiSignature } from './efi.calculator.js';
import { EfiRepository, type PatientRow, type PersonRiskRow } from './efi.repository.js';
import { efiCodeSets, EFI_MIN_AGE } from './efi.vocabulary.js';

/** People per batch: one set of index scans and one write statement each. */
export const EFI_BATCH = 1000;
/** Queue entries handled per drain step (see drainQueue). */
const DRAIN_BATCH = 2000;
const YEAR_MS = 365 * 86_400_000;

export interface EfiRun {
  people: number;
  /** People 65 and over, who have an eFI. */
  older: number;
  /** RiskAssessments written (new or changed); unchanged results are not rewritten. */
  written: number;
  seconds: number;
}

/**
 * The electronic Frailty Index for everyone 65 and over, and the facts the cohort builder and case
 * finding filter on for everyone (person_risk), computed from the record in batches: the index scans
 * of efi.repository.ts, the calculator, then each changed RiskAssessment written through the bulk
 * import path (validated, indexed, one statement per 500) and the batch's person_risk rows in one
 * statement. Run nightly by the server (frailty.scheduler.ts), at demo load, and by
 * `npx onestory efi compute`; a person's own record can be recomputed at once with `computeFor`, and
 * the people whose record changed since (the change queue, migration 020) with `drainQueue`, which the
 * server runs every few seconds.
 */
export class FrailtyService {
  private readonly repo: EfiRepository;

  constructor(private readonly platform: { db: Database; resources: ResourceService }, private readonly clock: Clock) {
    this.repo = new EfiRepository(platform.db);
  }

  /** Whether the computation has ever run on this database (person_risk has a row). */
  async everComputed(): Promise<boolean> {
    return (await this.platform.db.query('SELECT 1 FROM person_risk LIMIT 1')).rows.length > 0;
  }

  /** Everyone on the record (as of `now`: the platform's clock unless given, e.g. the demo's as-of day). */
  async computeAll(o: { onProgress?: (done: number) => void; now?: Date } = {}): Promise<EfiRun> {
    const started = performance.now();
    const now = o.now ?? this.clock.now();
    const onProgress = o.onProgress;
    const networks = await this.repo.networks();
    const pool = new PreparePool();
    const run: EfiRun = { people: 0, older: 0, written: 0, seconds: 0 };
    // Changes committed before this pass are covered by it (it reads the record after this point).
    await this.repo.clearQueue();
    try {
      let after = '0';
      for (;;) {
        const batch = await this.repo.patientsAfter(after, EFI_BATCH);
        if (batch.length === 0) break;
        after = batch[batch.length - 1].rid;
        await this.computeBatch(batch, now, networks, pool, run);
        onProgress?.(run.people);
      }
      await this.repo.removeMissing();
    } finally {
      await pool.close();
    }
    run.seconds = (performance.now() - started) / 1000;
    return run;
  }

  /** The named people only (e.g. after their record changed). */
  async computeFor(patientIds: string[], now = this.clock.now()): Promise<EfiRun> {
    const started = performance.now();
    const run: EfiRun = { people: 0, older: 0, written: 0, seconds: 0 };
    // A few people (a drain, a handful of records) are prepared in this thread: starting workers would cost more.
    const pool = new PreparePool(patientIds.length > EFI_BATCH ? undefined : 1);
    try {
      const networks = await this.repo.networks();
      for (let i = 0; i < patientIds.length; i += EFI_BATCH) {
        await this.computeBatch(await this.repo.patientsByIds(patientIds.slice(i, i + EFI_BATCH)), now, networks, pool, run);
      }
    } finally {
      await pool.close();
    }
    run.seconds = (performance.now() - started) / 1000;
    return run;
  }

  /**
   * Recomputes the people whose record changed (queued by the write itself, in its transaction, so
   * every change that committed is here, whoever made it), until the queue is empty. An entry is removed
   * only after its person was recomputed: a failure leaves it for the next drain.
   */
  async drainQueue(now = this.clock.now()): Promise<EfiRun> {
    const started = performance.now();
    const run: EfiRun = { people: 0, older: 0, written: 0, seconds: 0 };
    for (;;) {
      const { seqs, people } = await this.repo.queued(DRAIN_BATCH);
      if (seqs.length === 0) break;
      const r = await this.computeFor(people, now);
      run.people += r.people;
      run.older += r.older;
      run.written += r.written;
      await this.repo.dequeue(seqs);
    }
    run.seconds = (performance.now() - started) / 1000;
    return run;
  }

  private async computeBatch(rows: PatientRow[], now: Date, networks: Map<string, string>, pool: PreparePool, run: EfiRun): Promise<void> {
    const sets = efiCodeSets();
    const since = new Date(now.getTime() - YEAR_MS);
    const people = rows.map((r) => JSON.parse(r.content) as Patient);
    const ids = people.map((p) => p.id!);
    const older = people.filter((p) => (ageOn(p.birthDate, now) ?? 0) >= EFI_MIN_AGE).map((p) => p.id!);
    const [evidence, admissions, carers, signatures] = await Promise.all([
      this.repo.evidence(older, [...sets.byCode.keys()], since, now),
      this.repo.emergencyAdmissions(ids, since, now),
      this.repo.withCarers(ids),
      this.repo.signatures(ids),
    ]);
    const olderSet = new Set(older);
    const writes: { resource: unknown; source: string }[] = [];
    const out: PersonRiskRow[] = people.map((p) => {
      const practiceRef = localReference(p.generalPractitioner?.find((g) => g.reference?.startsWith('Organization/'))?.reference);
      const practiceId = practiceRef?.type === 'Organization' ? practiceRef.id : null;
      const n = admissions.get(p.id!) ?? 0;
      const row: PersonRiskRow = {
        patientId: p.id!, birthDate: /^\d{4}-\d{2}-\d{2}$/.test(p.birthDate ?? '') ? p.birthDate! : null,
        district: p.extension?.find((x) => x.url === SYNTH_EXTENSIONS.district)?.valueString ?? null,
        practiceId, pcnId: practiceId ? networks.get(practiceId) ?? null : null,
        quintile: p.extension?.find((x) => x.url === SYNTH_EXTENSIONS.deprivationQuintile)?.valueInteger ?? null,
        efiDeficits: null, efiScore: null, efiCategory: null, efiSignature: null,
        emergencyAdmissions: n, medicines: 0, hasCarer: carers.has(p.id!),
      };
      if (olderSet.has(p.id!)) {
        const result = computeEfi(evidence.get(p.id!)!, sets);
        Object.assign(row, {
          efiDeficits: result.count, efiScore: result.score, efiCategory: result.category, efiSignature: efiSignature(result, n), medicines: result.medicines,
        });
        if (signatures.get(p.id!) !== row.efiSignature) {
          writes.push({ resource: efiRiskAssessment(p.id!, result, { emergencyAdmissions: n }, now, practiceId ?? undefined), source: `eFI of Patient/${p.id}` });
        }
      }
      return row;
    });
    if (writes.length > 0) {
      const s = await importItems(this.platform, writes, undefined, pool);
      if (s.rejected.length > 0) throw new Error(`eFI RiskAssessments were refused: ${s.rejected[0].reason}`);
      run.written += s.imported;
    }
    // After the RiskAssessments: a failure between the two leaves the old signature, so the next run writes again.
    await this.repo.upsert(out, now);
    run.people += rows.length;
    run.older += older.length;
  }
}
