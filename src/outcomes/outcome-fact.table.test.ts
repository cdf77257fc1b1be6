import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { COMPUTATIONS, FACT_ROWS, JSON_COMPUTATIONS, LATEST_FIELDS, type RecordComputation } from './indicator.definitions.js';
import { cubeRowOf, cubeSql, type CubeSqlRow, type Period } from './measure-evaluation.service.js';
import { OUTCOME_FACT_TYPES, outcomeFactRows } from './outcome-fact.table.js';
import { fillOutcomeTables } from './outcome-tables.backfill.js';
import { CALIBRATED_YEAR, writeOutcomesPopulation } from './outcomes.fixtures.js';

/**
 * Every record indicator read from outcome_fact (migration 028: what the evaluator runs) gives the same
 * cube, cell for cell, as the same definition read from the stored JSON (JSON_COMPUTATIONS: the SQL as
 * first written), on a synthetic population loaded past the write path and filled by the backfill, then
 * again after writes through the write path that change, add and delete rows the indicators count; and
 * the fact rows follow each write; and the bulk fill in SQL (factBackfillSql) writes exactly the rows the
 * write path's function derives.
 */
let t: TestPlatform;
const RESIDENTS = 1500;
const PERIODS: Period[] = [CALIBRATED_YEAR, { start: '2025-01-01', end: '2025-03-31' }, { start: '2022-04-01', end: '2025-06-30' }];
const RECORD = Object.entries(COMPUTATIONS).filter(([, c]) => c.kind === 'record').map(([id]) => id);

beforeAll(async () => {
  t = await createTestPlatform();
  await writeOutcomesPopulation(t.platform, RESIDENTS);
}, 600_000);
afterAll(() => t?.close());

async function cube(c: RecordComputation, p: Period): Promise<string[]> {
  const res = await t.platform.db.query<CubeSqlRow>(cubeSql(c, 'inline'), [p.start, p.end]);
  return res.rows.map(cubeRowOf).map((r) => `${r.district}|${r.practice}|${r.sex}|${r.ageBand}|${r.quintile}|${r.ethnicity}|${r.num}|${r.den}`).sort();
}
async function expectEqualCubes(): Promise<number> {
  let cells = 0;
  for (const id of RECORD) {
    for (const p of PERIODS) {
      const fact = await cube(COMPUTATIONS[id] as RecordComputation, p);
      expect(fact, `${id} ${p.start} to ${p.end}`).toEqual(await cube(JSON_COMPUTATIONS[id] as RecordComputation, p));
      cells += fact.length;
    }
  }
  return cells;
}
const factRows = async (id: string) =>
  (await t.platform.db.query<{ code: string; status: string }>(
    "SELECT f.code, f.c->>'status' AS status FROM outcome_fact f JOIN resource r ON r.rid = f.rid WHERE r.id = $1 ORDER BY f.code", [id])).rows;

describe('the indicators read from outcome_fact', () => {
  it('give every indicator the same cube as the stored JSON, for three periods, on a population filled by the backfill', { timeout: 300_000 }, async () => {
    const cells = await expectEqualCubes();
    // Not an empty comparison: the population fills many cells.
    expect(cells).toBeGreaterThan(500);
  });

  it('follow writes: a changed value, a second code, a new survey answer and a deleted admission move both readings alike', { timeout: 300_000 }, async () => {
    const db = t.platform.db;
    const pick = async (sql: string) => (await db.query<{ id: string; content: string }>(sql)).rows[0];
    const bmi = await pick(`SELECT r.id, r.content FROM resource r JOIN outcome_fact f ON f.rid = r.rid WHERE f.resource_type = 'Observation' AND f.code = '39156-5' ORDER BY r.rid DESC LIMIT 1`);
    const obs = JSON.parse(bmi.content) as Resource & { valueQuantity: { value: number }; code: { coding: { system?: string; code: string }[] } };
    // A BMI of 12 (under 25) with the same code twice (two systems: counted once) and a second code.
    await t.platform.resources.update('Observation', bmi.id, {
      ...obs, valueQuantity: { ...obs.valueQuantity, value: 12 }, code: { coding: [...obs.code.coding, { system: 'urn:other', code: '39156-5' }, { system: 'urn:other', code: 'other-code' }] },
    });
    expect((await factRows(bmi.id)).map((r) => r.code)).toEqual(['39156-5', 'other-code']);
    const admission = await pick(`SELECT r.id, r.content FROM resource r JOIN outcome_fact f ON f.rid = r.rid WHERE f.resource_type = 'Encounter' AND f.code = 'emergency-admission' ORDER BY r.rid DESC LIMIT 1`);
    await t.platform.resources.delete('Encounter', admission.id);
    expect(await factRows(admission.id)).toEqual([]);
    const answer = await pick(`SELECT r.id, r.content FROM resource r WHERE r.resource_type = 'QuestionnaireResponse' ORDER BY r.rid DESC LIMIT 1`);
    const qr = JSON.parse(answer.content) as Resource & { status: string };
    await t.platform.resources.update('QuestionnaireResponse', answer.id, { ...qr, status: 'amended' });
    expect((await factRows(answer.id)).map((r) => r.status)).toEqual(['amended']);
    await expectEqualCubes();
  });

  it("the bulk fill in SQL gives exactly the rows the write path's function derives, for every resource of every type", { timeout: 300_000 }, async () => {
    const db = t.platform.db;
    // Written through the write path (the test above) or filled in SQL (the fixture): refill all in SQL.
    await db.query('DELETE FROM outcome_fact');
    expect(await fillOutcomeTables(db)).toBeGreaterThan(RESIDENTS);
    const current = await db.query<{ rid: string; resource_type: string; content: string }>(
      `SELECT rid::text AS rid, resource_type, content FROM resource WHERE resource_type = ANY($1::text[]) AND NOT deleted`, [[...OUTCOME_FACT_TYPES]]);
    const rows = current.rows.flatMap((r) => outcomeFactRows(r.resource_type, JSON.parse(r.content) as Record<string, unknown>).map((x) => [r.rid, ...x]));
    expect(new Set(rows.map((r) => r[1])).size).toBe(OUTCOME_FACT_TYPES.length);
    const diff = await db.query<{ n: number }>(
      `WITH ts AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) AS u(rid, resource_type, code, c)),
            sq AS (SELECT rid, resource_type, code, c FROM outcome_fact)
       SELECT ((SELECT count(*) FROM (SELECT * FROM ts EXCEPT ALL SELECT * FROM sq) a) + (SELECT count(*) FROM (SELECT * FROM sq EXCEPT ALL SELECT * FROM ts) b))::int AS n`,
      [0, 1, 2, 3].map((i) => rows.map((r) => r[i])));
    expect(diff.rows[0].n).toBe(0);
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outcome_fact');
    expect(count.rows[0].n).toBe(rows.length);
    // Nothing left to fill: a second run writes nothing.
    expect(await fillOutcomeTables(db)).toBe(0);
  });

  it('keep the subject, the dating field and its day as plain columns (migration 032); a date PostgreSQL cannot read is no day and fails no write', { timeout: 300_000 }, async () => {
    const db = t.platform.db;
    // Every row: the columns as the reference reads the same fields from `c`.
    const all = await db.query<{ resource_type: string; c: Record<string, unknown>; pid: string | null; eff: string | null; day: string | null }>(
      'SELECT resource_type, c, pid, eff, day::text AS day FROM outcome_fact');
    const dating: Record<string, (c: Record<string, unknown>) => unknown> = {
      Observation: (c) => c.effectiveDateTime, Condition: (c) => c.onsetDateTime, QuestionnaireResponse: (c) => c.authored,
      Encounter: (c) => (c.period as { start?: string } | undefined)?.start, EpisodeOfCare: (c) => (c.period as { start?: string } | undefined)?.start,
      CareTeam: (c) => (c.period as { start?: string } | undefined)?.start,
    };
    let dated = 0;
    for (const r of all.rows) {
      const ref = (r.c[r.resource_type === 'EpisodeOfCare' ? 'patient' : 'subject'] as { reference?: string } | undefined)?.reference;
      expect(r.pid).toBe(ref === undefined ? null : ref.slice(8));
      const eff = dating[r.resource_type](r.c);
      expect(r.eff).toBe(eff === undefined ? null : String(eff));
      expect(r.day).toBe(typeof eff === 'string' && /^\d{4}-\d{2}-\d{2}/.test(eff) ? eff.slice(0, 10) : null);
      if (r.day) dated++;
    }
    expect(dated).toBeGreaterThan(RESIDENTS);
    // Migration 033's value columns: an Observation's three fields as text, as the reference reads them from `c`; NULL for other types.
    const values = await db.query<{ resource_type: string; c: unknown; value_quantity: string | null; value_code: string | null; interpretation_code: string | null }>(
      'SELECT resource_type, c, value_quantity, value_code, interpretation_code FROM outcome_fact');
    const at = (c: unknown, path: string) => {
      const v = path.slice(1, -1).split(',').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), c);
      return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
    };
    const seen = { value_quantity: 0, value_code: 0, interpretation_code: 0 };
    for (const r of values.rows) {
      for (const [col, path] of Object.entries(LATEST_FIELDS) as [keyof typeof LATEST_FIELDS, string][]) {
        expect(r[col], `${r.resource_type} ${col}`).toBe(r.resource_type === 'Observation' ? at(r.c, path) : null);
        if (r[col] !== null) seen[col]++;
      }
    }
    // The population has each kind of value (BMI and activity, employment and accommodation, frailty categories).
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(100);
    // A BMI dated 30 February: valid FHIR dateTime syntax, not a date PostgreSQL reads. The write succeeds; its
    // row has no day, so it is in no period and no one's latest; the reference reading of the JSON fails on it.
    const before = await cube(COMPUTATIONS['O3.2'] as RecordComputation, CALIBRATED_YEAR);
    const patient = (await db.query<{ id: string }>("SELECT substr(c->'subject'->>'reference', 9) AS id FROM outcome_fact WHERE code = '39156-5' LIMIT 1")).rows[0].id;
    const written = await t.platform.resources.create('Observation', {
      resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '39156-5' }] },
      subject: { reference: `Patient/${patient}` }, effectiveDateTime: '2025-02-30', valueQuantity: { value: 40, unit: 'kg/m2' },
    } as Resource);
    const row = await db.query('SELECT f.pid, f.eff, f.day FROM outcome_fact f JOIN resource r ON r.rid = f.rid WHERE r.id = $1', [written.id]);
    expect(row.rows).toEqual([{ pid: patient, eff: '2025-02-30', day: null }]);
    expect(await cube(COMPUTATIONS['O3.2'] as RecordComputation, CALIBRATED_YEAR)).toEqual(before);
    await expect(cube(JSON_COMPUTATIONS['O3.2'] as RecordComputation, CALIBRATED_YEAR)).rejects.toThrow();
    await t.platform.resources.delete('Observation', written.id);
  });

  it("answer each person's latest value of a code from the index outcome_fact_latest alone, in its order (migration 033)", { timeout: 300_000 }, async () => {
    const db = t.platform.db;
    // Pages marked all-visible, as autovacuum leaves them; at this size the planner would rather read the table, so
    // it is kept from doing so: what is shown is that the index alone serves the statement, in its order, with no sort
    // (how many pages it still visits in the table depends on what VACUUM could mark, so is not asserted).
    await db.exec('VACUUM (ANALYZE) outcome_fact');
    const plan = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      await tx.query('SET LOCAL enable_bitmapscan = off');
      const res = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM ${FACT_ROWS.latest('39156-5', '2 years')} s WHERE $1::date <= $2::date`, [CALIBRATED_YEAR.start, CALIBRATED_YEAR.end]);
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Only Scan using outcome_fact_latest/);
    expect(plan).not.toMatch(/Sort/);
  });
});
