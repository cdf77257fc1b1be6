import type { Database } from '../db/database.js';
import { backfillDerivedTable } from '../fhir/derived-table.backfill.js';
import { OUTCOME_FACT_TABLE, OUTCOME_FACT_TYPES } from './outcome-fact.table.js';
import { OUTCOME_PERSON_TABLE } from './outcome-person.table.js';

/**
 * Fills the derived tables the indicators read (outcome_person, outcome_fact) for resources that have
 * no rows in them: written before migrations 027 and 028, or loaded past the write path (the outcomes
 * fixtures, the bench's COPY loader). The rows come from the same functions as on every write. Run at
 * every start (src/platform.ts): when every row is there it reads the rids and writes nothing.
 * Returns how many resources it filled.
 */
export async function fillOutcomeTables(db: Database): Promise<number> {
  let filled = await backfillDerivedTable(db, OUTCOME_PERSON_TABLE, 'Patient', 10_000);
  for (const type of OUTCOME_FACT_TYPES) filled += await backfillDerivedTable(db, OUTCOME_FACT_TABLE, type, 10_000);
  return filled;
}
