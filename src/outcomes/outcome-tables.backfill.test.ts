import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { fillOutcomeTablesUnlessDone } from './outcome-tables.backfill.js';

/**
 * A start fills the outcomes' derived tables until a fill has finished (migration 031): a start
 * stopped part-way through the fill must not leave the figures short for good.
 */
describe("the outcomes' derived tables at start", () => {
  let t: TestPlatform;
  const people = ['fill-a', 'fill-b', 'fill-c'];
  const rowsOf = async () => (await t.platform.db.query<{ patient_id: string }>(
    'SELECT patient_id FROM outcome_person WHERE patient_id = ANY($1::text[]) ORDER BY patient_id', [people])).rows.map((r) => r.patient_id);
  const marks = async () => (await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outcome_tables_filled')).rows[0].n;

  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    for (const id of people) await t.platform.resources.update('Patient', id, { resourceType: 'Patient', id, gender: 'female', birthDate: '1960-01-01' } as Patient);
  });
  afterAll(async () => t?.close());

  it('fills again at the next start when the last fill did not finish, and records that it has', async () => {
    // A fill stopped part-way: one resident's row never written, and no fill recorded as finished.
    await t.platform.db.query(`DELETE FROM outcome_person WHERE patient_id = 'fill-b'`);
    await t.platform.db.query('DELETE FROM outcome_tables_filled');
    expect(await rowsOf()).toEqual(['fill-a', 'fill-c']);
    expect(await fillOutcomeTablesUnlessDone(t.platform.db, [])).toBeGreaterThanOrEqual(1);
    expect(await rowsOf()).toEqual(people);
    expect(await marks()).toBe(1);
  });

  it('does not read every resource again at a start once a fill has finished, unless the start created the tables', async () => {
    await t.platform.db.query(`DELETE FROM outcome_person WHERE patient_id = 'fill-c'`);
    expect(await fillOutcomeTablesUnlessDone(t.platform.db, [])).toBeUndefined();
    expect(await rowsOf()).toEqual(['fill-a', 'fill-b']);
    expect(await fillOutcomeTablesUnlessDone(t.platform.db, [31, 28])).toBeGreaterThanOrEqual(1);
    expect(await rowsOf()).toEqual(people);
  });
});
