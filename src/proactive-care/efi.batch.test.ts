import type { RiskAssessment } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractIndex } from '../fhir/search-index.js';
import { validate } from '../fhir/validation.service.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { EfiRepository } from './efi.repository.js';
import { efiCodeSets } from './efi.vocabulary.js';
import { PC_NOW, PC_PEOPLE, seedProactiveCareWorld } from './proactive-care.fixtures.js';

const SNOMED = 'http://snomed.info/sct';

/**
 * The full pass (everyone, in batches of people) and the single-person path (a record that changed)
 * must give the same RiskAssessment and person_risk row for everyone: the batch is what the nightly
 * pass and the bench measure, the single path what a clinician sees after an edit.
 */
describe('the eFI in batches and person by person', () => {
  let t: TestPlatform;
  let people: string[];

  /** Each RiskAssessment as stored, without the server's meta (version, time), by id. */
  const assessments = async () => {
    const r = await t.platform.db.query<{ id: string; content: string }>(`SELECT id, content FROM resource WHERE resource_type = 'RiskAssessment' AND NOT deleted ORDER BY id`);
    return new Map(r.rows.map((x) => {
      const ra = JSON.parse(x.content) as RiskAssessment;
      const { versionId: _v, lastUpdated: _l, ...meta } = ra.meta ?? {};
      return [x.id, { ...ra, meta }];
    }));
  };
  /** Each RiskAssessment's token, date and reference rows as stored, and as extractIndex makes them from its stored JSON. */
  const storedIndex = async () => {
    const r = await t.platform.db.query<{ id: string; rows: string }>(
      `SELECT r.id, (SELECT json_agg(x) FROM (
          SELECT json_build_array('token', code, system, value, text)::text AS x FROM sp_token WHERE rid = r.rid
          UNION ALL SELECT json_build_array('date', code, to_char(low AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(high AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text FROM sp_date WHERE rid = r.rid
          UNION ALL SELECT json_build_array('reference', code, target_type, target_id, url)::text FROM sp_reference WHERE rid = r.rid) i)::text AS rows
         FROM resource r WHERE r.resource_type = 'RiskAssessment' AND NOT r.deleted ORDER BY r.id`,
    );
    return r.rows.map((x) => [x.id, (JSON.parse(x.rows) as string[]).map((y) => JSON.stringify(JSON.parse(y))).sort().map((y) => JSON.parse(y) as unknown[])]);
  };
  const expectedIndex = async () => {
    const r = await t.platform.db.query<{ id: string; content: string }>(`SELECT id, content FROM resource WHERE resource_type = 'RiskAssessment' AND NOT deleted ORDER BY id`);
    return r.rows.map((x) => {
      const rows = extractIndex(JSON.parse(x.content) as RiskAssessment);
      const all = [...rows.token.map((y) => ['token', ...y]), ...rows.date.map((y) => ['date', ...y]), ...rows.reference.map((y) => ['reference', ...y])];
      expect(rows.string.length + rows.number.length + rows.uri.length).toBe(0);
      return [x.id, all.map((y) => JSON.stringify(y)).sort().map((y) => JSON.parse(y) as unknown[])];
    });
  };
  const personRisk = async () => {
    const r = await t.platform.db.query<Record<string, unknown>>('SELECT * FROM person_risk ORDER BY patient_id');
    return r.rows.map(({ computed_at: _c, ...row }) => row);
  };

  beforeAll(async () => {
    t = await createTestPlatform();
    t.platform.clock.now = () => PC_NOW;
    await seedProactiveCareWorld(t.platform);
    // Beyond the world's conditions and admissions: medicines (five now, an active repeat, an old one), a coded
    // Observation, an entry in error, so that every kind of evidence the batch reads is present.
    const sets = efiCodeSets();
    const put = (type: string, id: string, body: object) => t.platform.resources.update(type, id, { resourceType: type, id, ...body });
    const med = (id: string, pid: string, n: number, authoredOn: string, status = 'completed') => put('MedicationRequest', id, {
      status, intent: 'order', subject: { reference: `Patient/${pid}` }, authoredOn,
      medicationCodeableConcept: { coding: [{ system: 'https://example.org/medicine', code: `m${n}` }], text: `Medicine ${n}` },
    });
    for (let i = 1; i <= 5; i++) await med(`p1-mild-m${i}`, 'p1-mild', i, '2025-03-01');
    for (let i = 1; i <= 4; i++) await med(`p2-fit-m${i}`, 'p2-fit', i, '2025-03-01');
    await med('p2-fit-m5', 'p2-fit', 5, '2022-01-01', 'active');
    for (let i = 1; i <= 5; i++) await med(`p1-no-adm-m${i}`, 'p1-no-adm', i, i === 5 ? '2024-01-01' : '2025-03-01');
    const hearing = sets.byKey.get('hearing-loss')!.codes[0];
    await put('Observation', 'p2-fit-obs', { status: 'final', code: { coding: [{ system: SNOMED, code: hearing }] }, subject: { reference: 'Patient/p2-fit' } });
    await put('Condition', 'p1-cf-c-err', {
      subject: { reference: 'Patient/p1-cf-c' }, code: { coding: [{ system: SNOMED, code: hearing }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }] },
    });
    people = PC_PEOPLE.map((p) => p.id);
  }, 120_000);
  afterAll(() => t.close());

  it('gives every person the same RiskAssessment and person_risk row whichever path computed them, and each RiskAssessment is valid R4', async () => {
    const run = await t.platform.proactiveCare.frailty.computeAll();
    expect(run.people).toBe(people.length);
    const batch = await assessments();
    const batchRisk = await personRisk();
    expect(batch.size).toBe(PC_PEOPLE.filter((p) => p.birthDate < '1960').length);
    // Every category and both polypharmacy outcomes are in the fixture, so the comparison covers them.
    const categories = new Set([...batch.values()].map((ra) => ra.prediction?.[0].qualitativeRisk?.coding?.[0].code));
    expect([...categories].sort()).toEqual(['fit', 'mild', 'moderate', 'severe']);
    for (const ra of batch.values()) expect(validate(ra as RiskAssessment)).toEqual([]);
    // The pass indexes what it writes without FHIRPath (efiRiskAssessmentIndex): the stored rows are extractIndex's.
    expect(await storedIndex()).toEqual(await expectedIndex());

    // Forget every result, then compute each person on their own.
    for (const id of batch.keys()) await t.platform.resources.delete('RiskAssessment', id);
    await t.platform.db.query('DELETE FROM person_risk');
    for (const id of people) await t.platform.proactiveCare.frailty.computeFor([id]);
    expect(await assessments()).toEqual(batch);
    expect(await personRisk()).toEqual(batchRisk);
  });

  it('walks the Patients in numeric rid order, page after page, missing nobody (rids of different lengths: 9972 before 10005)', async () => {
    // A Patient whose rid is the largest but sorts first as text ('1000000000000' < '512'): paging in text order stopped after it.
    await t.platform.db.query(`INSERT INTO resource (rid, resource_type, id, version_id, last_updated, deleted, content)
      VALUES (1000000000000, 'Patient', 'rid-probe', 1, now(), false, '{"resourceType":"Patient","id":"rid-probe"}')`);
    try {
      const repo = new EfiRepository(t.platform.db);
      const seen: string[] = [];
      let after = '0';
      for (;;) {
        const page = await repo.patientsAfter(after, 2);
        if (page.length === 0) break;
        seen.push(...page.map((p) => p.id));
        after = page[page.length - 1].rid;
      }
      const all = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'Patient' AND NOT deleted ORDER BY rid`);
      expect(seen).toEqual(all.rows.map((r) => r.id));
      expect(seen.at(-1)).toBe('rid-probe');
    } finally {
      await t.platform.db.query(`DELETE FROM resource WHERE resource_type = 'Patient' AND id = 'rid-probe'`);
    }
  });
});
