import type { Database } from '../db/database.js';
import { backfillDerivedTable } from '../fhir/derived-table.backfill.js';
import { factBackfillSql, OUTCOME_FACT_TYPES } from './outcome-fact.table.js';
import { OUTCOME_PERSON_TABLE } from './outcome-person.table.js';

/** Rids per statement of the fact table's bulk fill: each a transaction of bounded size. */
const RID_RANGE = 250_000;

/**
 * Fills the derived tables the indicators read (outcome_person, outcome_fact) for resources that have
 * no rows in them: written before migrations 027 and 028, or loaded past the write path (the outcomes
 * fixtures, the bench's COPY loader). Residents' rows come from the function every write uses
 * (backfillDerivedTable); the fact rows from its rules written in SQL (factBackfillSql), computed in
 * the database a range of rids at a time: the page-by-page round trips took 214 s for 812,000
 * resources at 100,000 residents (load average 9). Run by every start until one fill has finished
 * (recorded by migration 031's table, so a start stopped part-way fills again; src/platform.ts) and after
 * every bulk load past the write path; when every row is there it writes nothing, but still reads every
 * resource of the types (10.5 s at 100,000 residents, load 6), so it is not run at every start once
 * finished. Returns how many rows it wrote.
 */
export async function fillOutcomeTables(db: Database): Promise<number> {
  let filled = await backfillDerivedTable(db, OUTCOME_PERSON_TABLE, 'Patient', 10_000);
  const range = (await db.query<{ lo: string | null; hi: string | null }>('SELECT min(rid)::text AS lo, max(rid)::text AS hi FROM resource')).rows[0];
  if (range.lo === null || range.hi === null) {
    await markFilled(db);
    return filled;
  }
  for (const type of OUTCOME_FACT_TYPES) {
    const sql = factBackfillSql(type);
    for (let lo = BigInt(range.lo); lo <= BigInt(range.hi); lo += BigInt(RID_RANGE)) {
      const res = await db.query(sql, [lo.toString(), (lo + BigInt(RID_RANGE)).toString()]);
      filled += res.rowCount ?? 0;
    }
  }
  await markFilled(db);
  return filled;
}

/** Records that a fill has finished (migration 031); the platform's start fills again until one has. */
async function markFilled(db: Database): Promise<void> {
  await db.query('INSERT INTO outcome_tables_filled (filled_at) VALUES (now())');
}

/**
 * The platform's start (src/platform.ts): fills the tables when this start applied migration 027 or 028,
 * or when no fill has finished yet (one stopped part-way by a crash or a restart would otherwise leave
 * every figure short for good); else nothing, since looking for missing rows reads every resource.
 * Returns how many rows it wrote, or undefined when it did not run.
 */
export async function fillOutcomeTablesUnlessDone(db: Database, appliedMigrations: number[]): Promise<number | undefined> {
  const created = appliedMigrations.includes(27) || appliedMigrations.includes(28);
  if (!created && (await db.query('SELECT 1 FROM outcome_tables_filled LIMIT 1')).rows.length > 0) return undefined;
  return fillOutcomeTables(db);
}
