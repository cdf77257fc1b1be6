import type { Patient, RiskAssessment } from '@medplum/fhirtypes';
import type { Clock } from '../clock.js';
import type { Database, Queryable } from '../db/database.js';
import { stringifyJson } from '../fhir/decimal-json.js';
import type { PreparedResource } from '../fhir/import.preparer.js';
import { FhirError } from '../fhir/outcome.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { validate } from '../fhir/validation.service.js';
import { localReference } from '../fhir/reference.js';
import { ageOn } from '../record-view/fhir-text.js';
import { ext as SYNTH_EXTENSIONS } from '../synth/fhir.helpers.js';
import { computeEfi, efiRiskAssessment, efiRiskAssessmentIndex, efiSignature } from './efi.calculator.js';
import { EfiRepository, type PatientRow, type PersonRiskRow } from './efi.repository.js';
import { efiCodeSets, EFI_MIN_AGE } from './efi.vocabulary.js';

/** People per batch: one set of index scans and one write transaction each. */
export const EFI_BATCH = 1000;
/** Attempts at a batch's write when a concurrent writer changed one of its RiskAssessments meanwhile (a 409). */
const WRITE_ATTEMPTS = 3;
/** People recomputed per drain step (see drainQueue): one batch. */
const DRAIN_PEOPLE = EFI_BATCH;
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
 * of efi.repository.ts, the calculator, then in one transaction each changed RiskAssessment (indexed
 * here, written as the record's next version by `putPrepared`, history included) and the batch's
 * person_risk rows. Every path (a full pass, named people, the change queue) goes through the same
 * batch, so a person's result does not depend on which path computed it. Run nightly by the server (frailty.scheduler.ts), at demo load, and by
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
    const networks = new Map<string, string | null>();
    const run: EfiRun = { people: 0, older: 0, written: 0, seconds: 0 };
    const checked = { shape: false };
    // Changes committed before this pass are covered by it (it reads the record after this point).
    await this.repo.clearQueue();
    // Two batches at once on PostgreSQL: while one waits for its statements, the other's are computed and
    // written (the profile of one at a time showed the main thread idle 60 % of the pass, waiting for the
    // gather statement). Batches hold different people, so they never write the same rows. PGlite has one connection.
    const width = this.platform.db.kind === 'postgres' ? 2 : 1;
    const inflight = new Set<Promise<void>>();
    // On PostgreSQL the next page of Patients is read while the batches in flight compute, so a slot freed is
    // refilled at once (read when the slot was freed, each page was a wait with one batch running).
    const page = (after: string) => {
      const read = this.repo.patientsAfter(after, EFI_BATCH);
      // Left unread when a batch fails: its error is the one reported.
      read.catch(() => undefined);
      return read;
    };
    try {
      let after = '0';
      let prefetched: Promise<PatientRow[]> | undefined;
      for (;;) {
        const batch = await (prefetched ?? page(after));
        if (batch.length === 0) break;
        after = batch[batch.length - 1].rid;
        prefetched = width > 1 ? page(after) : undefined;
        const one: Promise<void> = this.computeBatch(batch, now, networks, checked, run).then(() => {
          inflight.delete(one);
          onProgress?.(run.people);
        });
        inflight.add(one);
        if (inflight.size >= width) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    } finally {
      // After a failure, the other batch still settles before the error is reported.
      await Promise.allSettled([...inflight]);
    }
    await this.repo.removeMissing();
    run.seconds = (performance.now() - started) / 1000;
    return run;
  }

  /** The named people only (e.g. after their record changed). */
  async computeFor(patientIds: string[], now = this.clock.now()): Promise<EfiRun> {
    const started = performance.now();
    const run: EfiRun = { people: 0, older: 0, written: 0, seconds: 0 };
    const checked = { shape: false };
    const networks = new Map<string, string | null>();
    for (let i = 0; i < patientIds.length; i += EFI_BATCH) {
      await this.computeBatch(await this.repo.patientsByIds(patientIds.slice(i, i + EFI_BATCH)), now, networks, checked, run);
    }
    run.seconds = (performance.now() - started) / 1000;
    return run;
  }

  /**
   * Brings the eFI up to date after a bulk load by the process that made it (`npx onestory import`), so
   * the change queue is not left to grow until a server runs: the people queued, or everyone when the
   * eFI was never computed on this database (the server would otherwise do that at its start).
   */
  async catchUp(): Promise<EfiRun & { everyone: boolean }> {
    if (!(await this.everComputed())) return { ...(await this.computeAll()), everyone: true };
    return { ...(await this.drainQueue()), everyone: false };
  }

  /** How many people are waiting in the change queue. */
  queuedPeople(): Promise<number> {
    return this.repo.queuedPeople();
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
      const { seqs, people } = await this.repo.queued(DRAIN_PEOPLE);
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

  /**
   * One batch of people. `networks` is the run's cache of practice → primary care network, filled as
   * practices are met (a run meets the same few hundred practices batch after batch).
   */
  private async computeBatch(rows: PatientRow[], now: Date, networks: Map<string, string | null>, checked: { shape: boolean }, run: EfiRun): Promise<void> {
    const sets = efiCodeSets();
    const since = new Date(now.getTime() - YEAR_MS);
    const people = rows.map((r) => JSON.parse(r.content) as Patient);
    const ids = people.map((p) => p.id!);
    const practiceOf = (p: Patient) => {
      const ref = localReference(p.generalPractitioner?.find((g) => g.reference?.startsWith('Organization/'))?.reference);
      return ref?.type === 'Organization' ? ref.id : null;
    };
    const unknown = [...new Set(people.map(practiceOf).filter((id): id is string => id !== null && !networks.has(id)))];
    if (unknown.length > 0) {
      const found = await this.repo.networks(unknown);
      for (const id of unknown) networks.set(id, found.get(id) ?? null);
    }
    const older = people.filter((p) => (ageOn(p.birthDate, now) ?? 0) >= EFI_MIN_AGE).map((p) => p.id!);
    const [{ evidence, admissions, carers }, signatures] = await Promise.all([
      this.repo.gather(ids, older, [...sets.byCode.keys()], since, now),
      this.repo.signatures(ids),
    ]);
    const olderSet = new Set(older);
    const writes: RiskAssessment[] = [];
    const out: PersonRiskRow[] = people.map((p) => {
      const practiceId = practiceOf(p);
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
          writes.push(efiRiskAssessment(p.id!, result, { emergencyAdmissions: n }, now, practiceId ?? undefined));
        }
      }
      return row;
    });
    if (writes.length > 0 && !checked.shape) {
      // Every RiskAssessment is built by efiRiskAssessment from one template, so the R4 validation (about
      // 13 ms each, most of the computation when it ran on every one) is run on the first of each run: a
      // template that no longer validates stops the run before it writes anything.
      const issues = validate(writes[0]);
      if (issues.length > 0) throw new Error(`eFI RiskAssessment refused: ${issues.map((i) => `${i.expression?.[0] ?? ''} ${i.diagnostics ?? ''}`.trim()).join('; ')}`);
      checked.shape = true;
    }
    // The RiskAssessments and the person_risk rows (with the signatures that say they are written) commit together.
    // Awaited first, then added: `run.written += await …` would read the count before another batch's write ends.
    const written = await this.writeBatch(writes, out, now);
    run.written += written;
    run.people += rows.length;
    run.older += older.length;
  }

  /** One transaction: the changed RiskAssessments as their next versions (history and index rows with them), then person_risk. */
  private async writeBatch(assessments: RiskAssessment[], rows: PersonRiskRow[], now: Date): Promise<number> {
    const lastUpdated = new Date().toISOString();
    const prepared: PreparedResource[] = assessments.map((ra) => {
      const stored = { ...ra, meta: { ...ra.meta, versionId: '1', lastUpdated } } as RiskAssessment;
      return { resourceType: 'RiskAssessment', id: ra.id!, content: stringifyJson(stored), lastUpdated, index: efiRiskAssessmentIndex(stored), source: `eFI of ${ra.subject!.reference}` };
    });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.platform.db.transaction(async (tx: Queryable) => {
          const written = prepared.length > 0 ? (await this.platform.resources.putPrepared(tx, prepared)).filter((w) => !w.unchanged).length : 0;
          await this.repo.upsert(rows, now, tx);
          return written;
        });
      } catch (err) {
        // Someone wrote one of these RiskAssessments meanwhile: nothing of the batch was written; read the versions again.
        if (!(err instanceof FhirError && err.status === 409) || attempt >= WRITE_ATTEMPTS) throw err;
      }
    }
  }
}
