import type { RiskAssessment } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, fhir, TEST_ORG_ID, type TestPlatform } from '../testing/test-platform.js';
import { EFI_CODE_TOKEN, EFI_DEFICIT_EXTENSION, EFI_SCORE_EXTENSION, efiCodeSets, POLYPHARMACY_KEY } from './efi.vocabulary.js';
import { efiRiskAssessmentId } from './efi.calculator.js';
import { importItems } from '../fhir/import.service.js';
import { createLogger } from '../logger.js';
import { scheduleFrailty } from './frailty.scheduler.js';

const NOW = new Date('2025-07-01T12:00:00Z');
const SNOMED = 'http://snomed.info/sct';
const sets = efiCodeSets();
const coded = sets.deficits.filter((d) => d.codes.length > 0);
/** A code of the deficit's set that no other set holds, so a record with it has exactly that one deficit. */
const onlyCodeOf = (key: string) => sets.byKey.get(key)!.codes.find((c) => sets.byCode.get(c)!.length === 1)!;

describe('the electronic Frailty Index computed from the record', () => {
  let t: TestPlatform;
  const patient = (id: string, birthDate = '1950-03-01') => t.platform.resources.update('Patient', id, {
    resourceType: 'Patient', id, name: [{ family: id, given: ['Test'] }], birthDate, generalPractitioner: [{ reference: `Organization/${TEST_ORG_ID}` }],
  });
  const condition = (id: string, pid: string, code: string, extra: object = {}) => t.platform.resources.update('Condition', id, {
    resourceType: 'Condition', id, subject: { reference: `Patient/${pid}` }, code: { coding: [{ system: SNOMED, code }] }, ...extra,
  });
  const medicine = (id: string, pid: string, n: number, authoredOn: string, status = 'completed') => t.platform.resources.update('MedicationRequest', id, {
    resourceType: 'MedicationRequest', id, status, intent: 'order', subject: { reference: `Patient/${pid}` }, authoredOn,
    medicationCodeableConcept: { coding: [{ system: 'https://example.org/medicine', code: `m${n}` }], text: `Medicine ${n}` },
  });
  const efiOf = async (pid: string) => {
    const r = await t.platform.db.query<{ efi_deficits: number; efi_category: string; efi_score: string }>('SELECT efi_deficits, efi_category, efi_score FROM person_risk WHERE patient_id = $1', [pid]);
    return r.rows[0];
  };

  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => NOW;
    for (const d of coded) {
      await patient(`efi-${d.key}`);
      await condition(`c-${d.key}`, `efi-${d.key}`, onlyCodeOf(d.key));
    }
    // Polypharmacy: five distinct medicines in the last year; four; five with one of them 13 months ago and ended.
    await patient('poly-5');
    for (let i = 1; i <= 5; i++) await medicine(`mr-5-${i}`, 'poly-5', i, '2025-02-01');
    await patient('poly-4');
    for (let i = 1; i <= 4; i++) await medicine(`mr-4-${i}`, 'poly-4', i, '2025-02-01');
    await patient('poly-old');
    for (let i = 1; i <= 4; i++) await medicine(`mr-o-${i}`, 'poly-old', i, '2025-02-01');
    await medicine('mr-o-5', 'poly-old', 5, '2024-06-01');
    // A repeat still active, first written two years ago, is prescribed in the last year too.
    await patient('poly-repeat');
    for (let i = 1; i <= 4; i++) await medicine(`mr-r-${i}`, 'poly-repeat', i, '2025-02-01');
    await medicine('mr-r-5', 'poly-repeat', 5, '2023-06-01', 'active');
    // A problem entered in error is no evidence; a person under 65 has no eFI.
    await patient('in-error');
    await condition('c-err', 'in-error', onlyCodeOf('falls'), { verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }] } });
    await patient('young', '1990-01-01');
    await condition('c-young', 'young', onlyCodeOf('falls'));
    // Severe: thirteen deficits.
    await patient('severe');
    for (const d of coded.slice(0, 13)) await condition(`sev-${d.key}`, 'severe', onlyCodeOf(d.key));
    await t.platform.proactiveCare.frailty.computeAll();
  }, 120_000);
  afterAll(() => t.close());

  it('has 36 deficits, 35 with code sets and polypharmacy as a rule', () => {
    expect(sets.deficits).toHaveLength(36);
    expect(coded).toHaveLength(35);
    expect(sets.byKey.get(POLYPHARMACY_KEY)!.codes).toEqual([]);
  });

  for (const d of coded) {
    it(`a record with exactly one ${d.name} entry scores 1/36`, async () => {
      expect(await efiOf(`efi-${d.key}`)).toEqual({ efi_deficits: 1, efi_category: 'fit', efi_score: '0.028' });
    });
  }

  it('polypharmacy: five distinct medicines in the last 12 months (or still active) score 1/36; four do not; one from 13 months ago does not count', async () => {
    expect((await efiOf('poly-5')).efi_deficits).toBe(1);
    expect((await efiOf('poly-4')).efi_deficits).toBe(0);
    expect((await efiOf('poly-old')).efi_deficits).toBe(0);
    expect((await efiOf('poly-repeat')).efi_deficits).toBe(1);
  });

  it('an entry recorded in error is not evidence; nobody under 65 has an eFI', async () => {
    expect((await efiOf('in-error')).efi_deficits).toBe(0);
    expect((await efiOf('young')).efi_deficits).toBeNull();
    expect((await fhir(t.app, 'GET', 'RiskAssessment?subject=Patient/young')).body.total ?? 0).toBe(0);
  });

  it('is a RiskAssessment (SNOMED CT 713634000) found by subject and code on the FHIR API, naming the evidence of each deficit', async () => {
    const res = await fhir(t.app, 'GET', `RiskAssessment?subject=Patient/severe&code=${encodeURIComponent(EFI_CODE_TOKEN)}`);
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(1);
    const ra = res.body.entry[0].resource as RiskAssessment;
    expect(ra.id).toBe(efiRiskAssessmentId('severe'));
    expect(ra.prediction?.[0].qualitativeRisk?.coding?.[0].code).toBe('severe');
    expect(ra.extension?.find((x) => x.url === EFI_SCORE_EXTENSION)?.valueDecimal).toBe(0.361);
    const deficits = ra.extension!.filter((x) => x.url === EFI_DEFICIT_EXTENSION);
    expect(deficits).toHaveLength(13);
    expect(deficits[0].extension?.find((x) => x.url === 'evidence')?.valueReference?.reference).toMatch(/^Condition\/sev-/);
    expect(ra.basis).toHaveLength(13);
    // Another code does not find it.
    expect((await fhir(t.app, 'GET', 'RiskAssessment?subject=Patient/severe&code=http://snomed.info/sct|1')).body.entry ?? []).toHaveLength(0);
  });

  it('a record that changes is recomputed; an unchanged one is not rewritten', async () => {
    const before = await t.platform.resources.read('RiskAssessment', efiRiskAssessmentId('poly-4'));
    const again = await t.platform.proactiveCare.frailty.computeFor(['poly-4', 'efi-falls']);
    expect(again).toMatchObject({ people: 2, older: 2, written: 0 });
    await medicine('mr-4-5', 'poly-4', 5, '2025-06-01');
    const after = await t.platform.proactiveCare.frailty.computeFor(['poly-4']);
    expect(after.written).toBe(1);
    expect((await efiOf('poly-4')).efi_deficits).toBe(1);
    const ra = await t.platform.resources.read('RiskAssessment', efiRiskAssessmentId('poly-4'));
    expect(Number(ra.versionId)).toBe(Number(before.versionId) + 1);
  });
});

describe('the eFI recomputed when the record changes (hazard PRO-5)', () => {
  let t: TestPlatform;
  const PID = 'efi-live';
  const queued = async () => (await t.platform.db.query<{ patient_id: string }>('SELECT DISTINCT patient_id FROM efi_queue ORDER BY 1')).rows.map((r) => r.patient_id);
  /** The person's eFI as the FHIR API serves it: deficits counted and the score. */
  const efiOnApi = async () => {
    const res = await fhir(t.app, 'GET', `RiskAssessment?subject=Patient/${PID}&code=${encodeURIComponent(EFI_CODE_TOKEN)}`);
    const ra = res.body.entry[0].resource as RiskAssessment;
    return { deficits: ra.extension!.filter((x) => x.url === EFI_DEFICIT_EXTENSION).length, score: ra.extension!.find((x) => x.url === EFI_SCORE_EXTENSION)!.valueDecimal! };
  };

  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => NOW;
    await t.platform.resources.update('Patient', PID, {
      resourceType: 'Patient', id: PID, name: [{ family: 'Live', given: ['Test'] }], birthDate: '1946-02-01', generalPractitioner: [{ reference: `Organization/${TEST_ORG_ID}` }],
    });
    for (const d of coded.slice(0, 3)) {
      await t.platform.resources.update('Condition', `live-${d.key}`, { resourceType: 'Condition', id: `live-${d.key}`, subject: { reference: `Patient/${PID}` }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(d.key) }] } });
    }
    await t.platform.proactiveCare.frailty.computeAll();
  }, 120_000);
  afterAll(() => t.close());

  it('a full computation leaves nothing queued: the changes before it are covered by it', async () => {
    expect(await queued()).toEqual([]);
    expect(await efiOnApi()).toEqual({ deficits: 3, score: 0.083 });
  });

  it('adding a condition of another deficit on the FHIR API queues the person in the same write, and the next drain moves the score by 1/36', async () => {
    const created = await fhir(t.app, 'POST', 'Condition', {
      resourceType: 'Condition', subject: { reference: `Patient/${PID}` }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(coded[10].key) }] },
    });
    expect(created.status).toBe(201);
    expect(await queued()).toEqual([PID]);
    const before = await efiOnApi();
    const run = await t.platform.proactiveCare.frailty.drainQueue();
    expect(run).toMatchObject({ people: 1, older: 1, written: 1 });
    const after = await efiOnApi();
    expect(after.deficits).toBe(before.deficits + 1);
    expect(after.score).toBe(Math.round((4 / 36) * 1000) / 1000);
    expect(Math.abs(after.score - before.score - 1 / 36)).toBeLessThan(0.001);
    expect(await queued()).toEqual([]);

    // Deleting it (or any write that removes a deficit) moves it back the same way.
    expect((await fhir(t.app, 'DELETE', `Condition/${created.body.id}`)).status).toBe(204);
    expect(await queued()).toEqual([PID]);
    await t.platform.proactiveCare.frailty.drainQueue();
    expect(await efiOnApi()).toEqual(before);
  });

  it('a write that is refused or rolled back queues nobody; a drain with nothing queued writes nothing', async () => {
    const refused = await fhir(t.app, 'POST', 'Condition', { resourceType: 'Condition', subject: { reference: 'Patient/nobody-here' }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(coded[11].key) }] } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    await t.platform.db.transaction(async (tx) => {
      await t.platform.resources.create('Condition', { resourceType: 'Condition', subject: { reference: `Patient/${PID}` }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(coded[12].key) }] } }, { tx });
      throw new Error('rolled back');
    }).catch(() => undefined);
    expect(await queued()).toEqual([]);
    expect(await t.platform.proactiveCare.frailty.drainQueue()).toMatchObject({ people: 0, written: 0 });
  });

  it('the server\'s drain timer recomputes a queued person with nobody calling it', async () => {
    const before = await efiOnApi();
    await t.platform.resources.create('Condition', { resourceType: 'Condition', subject: { reference: `Patient/${PID}` }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(coded[13].key) }] } });
    expect(await queued()).toEqual([PID]);
    const stop = scheduleFrailty(t.platform.proactiveCare.frailty, createLogger('silent'), () => t.platform.clock.now(), { drainEveryMs: 50 });
    try {
      // Waits on the outcome, not on time: the limit is only there so a broken timer fails instead of hanging.
      for (let waited = 0; (await efiOnApi()).deficits === before.deficits; waited += 50) {
        if (waited > 60_000) throw new Error('the drain timer never recomputed the queued person');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await stop();
    }
    expect((await efiOnApi()).deficits).toBe(before.deficits + 1);
    expect(await queued()).toEqual([]);
  }, 90_000);

  it('a person queued by many writes is recomputed once and every entry of theirs goes; an import catches up before it ends', async () => {
    for (const d of coded.slice(14, 17)) {
      await t.platform.resources.create('Condition', { resourceType: 'Condition', subject: { reference: `Patient/${PID}` }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(d.key) }] } });
    }
    const entries = async () => (await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM efi_queue')).rows[0].n;
    expect(await entries()).toBe(3);
    expect(await t.platform.proactiveCare.frailty.queuedPeople()).toBe(1);
    expect(await t.platform.proactiveCare.frailty.drainQueue()).toMatchObject({ people: 1, written: 1 });
    expect(await entries()).toBe(0);

    // What `npx onestory import` does when the load is written: the people it queued are recomputed, the queue left empty.
    const before = await efiOnApi();
    const items = coded.slice(17, 19).map((d, i) => ({
      resource: { resourceType: 'Condition', id: `imported-${i}`, subject: { reference: `Patient/${PID}` }, code: { coding: [{ system: SNOMED, code: onlyCodeOf(d.key) }] } },
      source: `line ${i + 1}`,
    }));
    expect((await importItems(t.platform, items)).imported).toBe(2);
    expect(await queued()).toEqual([PID]);
    expect(await t.platform.proactiveCare.frailty.catchUp()).toMatchObject({ everyone: false, people: 1, written: 1 });
    expect((await efiOnApi()).deficits).toBe(before.deficits + 2);
    expect(await entries()).toBe(0);
  });
});
