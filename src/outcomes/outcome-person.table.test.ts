import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillDerivedTable } from '../fhir/derived-table.backfill.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { PERSON_SQL, type Period } from './measure-evaluation.service.js';
import { OUTCOME_PERSON_TABLE } from './outcome-person.table.js';

/**
 * The residents the indicators read (PERSON_SQL, from outcome_person: migration 027) are exactly those
 * the same rules read from every Patient's JSON before the table existed (OLD_PERSON_SQL, kept here
 * as it was), on people written through the real write path, then updated and deleted, for periods
 * either side of the edge cases; and the backfill of rows written past the write path gives the same.
 */
const SD = 'https://onestory.example/fhir/StructureDefinition';
const ext = (name: string) => `(SELECT x FROM jsonb_array_elements(c->'extension') x WHERE x->>'url' = '${SD}/${name}' LIMIT 1)`;
const OLD_PERSON_SQL = `SELECT r.id AS pid, coalesce(c->>'gender', 'unknown') AS sex, left(c->>'birthDate', 10)::date AS birth,
         ${ext('district')}->>'valueString' AS district, ${ext('deprivation-quintile')}->>'valueInteger' AS quintile,
         ${ext('ethnic-category')}#>>'{valueCodeableConcept,coding,0,code}' AS ethnic,
         substr(c#>>'{generalPractitioner,0,reference}', 14) AS practice
    FROM resource r CROSS JOIN LATERAL (SELECT r.content::jsonb AS c OFFSET 0) j
   WHERE r.resource_type = 'Patient' AND NOT r.deleted AND coalesce(c->>'active', 'true') <> 'false'
     AND $1::date <= $2::date AND c->>'birthDate' IS NOT NULL AND left(c->>'birthDate', 10)::date <= $2::date
     AND (c->>'deceasedDateTime' IS NULL OR left(c->>'deceasedDateTime', 10)::date >= $1::date)`;

const facts = (district: string, quintile: number, ethnic: string) => [
  { url: `${SD}/district`, valueString: district },
  { url: `${SD}/deprivation-quintile`, valueInteger: quintile },
  { url: `${SD}/ethnic-category`, valueCodeableConcept: { coding: [{ system: 'https://example.org/ethnic', code: ethnic }] } },
];
const person = (id: string, p: Partial<Patient>): Patient => ({ resourceType: 'Patient', id, ...p });
const PEOPLE: Patient[] = [
  person('full', { gender: 'female', birthDate: '1950-03-04', extension: facts('maidstone', 2, 'A'), generalPractitioner: [{ reference: 'Organization/G82001' }] }),
  person('bare', { birthDate: '1990-01-01' }),
  person('no-birth', { gender: 'male', extension: facts('swale', 5, 'H') }),
  person('inactive', { active: false, gender: 'male', birthDate: '1960-01-01', extension: facts('dover', 1, 'M') }),
  person('active-true', { active: true, gender: 'other', birthDate: '2001-12-31', extension: facts('thanet', 3, 'R') }),
  person('died-before', { gender: 'female', birthDate: '1930-06-01', deceasedDateTime: '2024-12-31T23:30:00Z', extension: facts('ashford', 4, 'B') }),
  person('died-in', { gender: 'male', birthDate: '1935-06-01', deceasedDateTime: '2025-02-10T08:00:00+00:00', extension: facts('medway', 1, 'C') }),
  person('died-flag', { gender: 'female', birthDate: '1940-01-01', deceasedBoolean: true, extension: facts('medway', 2, 'D') }),
  person('born-after', { gender: 'female', birthDate: '2025-05-01', extension: facts('medway', 2, 'Z') }),
  person('born-in', { gender: 'male', birthDate: '2025-02-01', extension: [{ url: `${SD}/district`, valueString: 'canterbury' }] }),
  person('two-districts', { gender: 'unknown', birthDate: '1970-07-07', extension: [{ url: `${SD}/district`, valueString: 'folkestone-and-hythe' }, { url: `${SD}/district`, valueString: 'dover' }] }),
  person('other-extension', { gender: 'male', birthDate: '1980-01-01', extension: [{ url: `${SD}/locality`, valueString: 'somewhere' }] }),
  person('mover', { gender: 'female', birthDate: '1955-05-05', extension: facts('gravesham', 3, 'A'), generalPractitioner: [{ reference: 'Organization/G82002' }] }),
  person('to-delete', { gender: 'male', birthDate: '1945-01-01', extension: facts('dartford', 5, 'N') }),
];
const PERIODS: Period[] = [
  { start: '2025-01-01', end: '2025-03-31' },
  { start: '2024-10-01', end: '2024-12-31' },
  { start: '2025-04-01', end: '2025-06-30' },
];

let t: TestPlatform;
beforeAll(async () => {
  t = await createTestPlatform();
  for (const p of PEOPLE) await t.platform.resources.update('Patient', p.id!, p);
}, 120_000);
afterAll(() => t?.close());

type Row = Record<string, unknown>;
async function residents(sql: string, period: Period): Promise<Row[]> {
  const res = await t.platform.db.query<Row>(`SELECT pid, sex, birth::text AS birth, district, quintile, ethnic, practice FROM (${sql}) x ORDER BY pid`, [period.start, period.end]);
  return res.rows;
}
async function expectSame(): Promise<void> {
  for (const period of PERIODS) expect(await residents(PERSON_SQL, period)).toEqual(await residents(OLD_PERSON_SQL, period));
}

describe("the residents' facts table (outcome_person)", () => {
  it('gives the residents the JSON gave, for periods either side of a death, a birth and an inactive record', async () => {
    await expectSame();
    const q1 = await residents(PERSON_SQL, PERIODS[0]);
    // Edge cases really exercised: left out and kept as the rules say.
    expect(q1.map((r) => r.pid)).toEqual(['active-true', 'bare', 'born-in', 'died-flag', 'died-in', 'full', 'mover', 'other-extension', 'to-delete', 'two-districts']);
    expect(q1.find((r) => r.pid === 'full')).toEqual({ pid: 'full', sex: 'female', birth: '1950-03-04', district: 'maidstone', quintile: '2', ethnic: 'A', practice: 'G82001' });
    expect(q1.find((r) => r.pid === 'bare')).toEqual({ pid: 'bare', sex: 'unknown', birth: '1990-01-01', district: null, quintile: null, ethnic: null, practice: null });
    expect(q1.find((r) => r.pid === 'two-districts')!.district).toBe('folkestone-and-hythe');
  });

  it('follows an update (a move of district and practice, a death recorded) and a delete, in the same write', async () => {
    const mover = PEOPLE.find((p) => p.id === 'mover')!;
    await t.platform.resources.update('Patient', 'mover', { ...mover, extension: facts('tunbridge-wells', 1, 'A'), generalPractitioner: [{ reference: 'Organization/G82003' }] });
    await t.platform.resources.update('Patient', 'full', { ...PEOPLE[0], deceasedDateTime: '2024-11-01' });
    await t.platform.resources.delete('Patient', 'to-delete');
    await expectSame();
    const q1 = await residents(PERSON_SQL, PERIODS[0]);
    expect(q1.find((r) => r.pid === 'mover')).toMatchObject({ district: 'tunbridge-wells', quintile: '1', practice: 'G82003' });
    expect(q1.map((r) => r.pid)).not.toContain('to-delete');
    expect(q1.map((r) => r.pid)).not.toContain('full');
    const rows = await t.platform.db.query<{ n: number }>("SELECT count(*)::int AS n FROM outcome_person WHERE patient_id IN ('mover', 'to-delete')");
    expect(rows.rows[0].n).toBe(1);
  });

  it('is filled by the backfill, from the same rules, for Patients written past the write path', async () => {
    await t.platform.db.query('DELETE FROM outcome_person');
    expect(await residents(PERSON_SQL, PERIODS[0])).toEqual([]);
    const filled = await backfillDerivedTable(t.platform.db, OUTCOME_PERSON_TABLE, 'Patient', 4);
    expect(filled).toBe(PEOPLE.length - 1);
    await expectSame();
    // Run again: nothing left to fill.
    expect(await backfillDerivedTable(t.platform.db, OUTCOME_PERSON_TABLE, 'Patient', 4)).toBe(0);
  });
});
