import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { importItems } from '../fhir/import.service.js';
import type { Platform } from '../platform.js';
import { REFERENCE_AS_OF, synthesize } from '../synth/index.js';
import { fillOutcomeTables } from './outcome-tables.backfill.js';

/** The types the indicators read: the rest of a synthetic history is left out so fixtures load fast. */
const INDICATOR_TYPES = new Set(['Organization', 'Patient', 'Observation', 'Encounter', 'EpisodeOfCare', 'Condition', 'CareTeam', 'QuestionnaireResponse']);

/** The financial year the synthetic population was calibrated on (as of REFERENCE_AS_OF). */
export const CALIBRATED_YEAR = { start: '2024-04-01', end: '2025-03-31' };

export function* indicatorResources(residents: number, seed: number): Generator<Resource & { id: string }> {
  for (const r of synthesize({ residents, seed, asOf: REFERENCE_AS_OF })) if (INDICATOR_TYPES.has(r.resourceType)) yield r as Resource & { id: string };
}

/**
 * A county-wide synthetic population (the figures are calibrated for the county, not one network)
 * as of the reference day, through the real bulk import (validation and every index row). Slow on
 * a shared 2-core machine (~20 residents a second): for a few hundred residents.
 */
export async function importOutcomesPopulation(platform: Platform, residents: number, seed = 2024): Promise<number> {
  const items = (function* () {
    let n = 0;
    for (const resource of indicatorResources(residents, seed)) yield { resource, source: `synth #${++n}` };
  })();
  const summary = await importItems(platform, items);
  if (summary.rejected.length > 0) throw new Error(`fixture rejected: ${JSON.stringify(summary.rejected.slice(0, 3))}`);
  return summary.imported;
}

/** The index rows the indicators' SQL reads (indicator.definitions.ts): these search parameters only. */
const TOKEN_PARAMS: Record<string, (r: any) => { system?: string; code?: string }[]> = {
  Observation: (r) => r.code?.coding ?? [],
  Encounter: (r) => (r.type ?? []).flatMap((t: any) => t.coding ?? []),
  EpisodeOfCare: (r) => (r.type ?? []).flatMap((t: any) => t.coding ?? []),
  Condition: (r) => r.code?.coding ?? [],
};
const TOKEN_CODE: Record<string, string> = { Observation: 'code', Encounter: 'type', EpisodeOfCare: 'type', Condition: 'code' };

/** One resource as the record stores it (meta with its version and time), and the index rows the indicators read. */
export interface IndicatorRows {
  resourceType: string;
  id: string;
  content: string;
  /** sp_token rows: [resource_type, code, system, value]. */
  tokens: [string, string, string, string][];
  /** sp_reference rows: [resource_type, code, target_type, target_id]. */
  refs: [string, string, string, string][];
}

/** The stored content and index rows of one resource (shared by the fixtures and the bench's bulk loader, bench/outcomes.load.ts). */
export function indicatorRows(r: Resource & { id: string }, now: string): IndicatorRows {
  const tokens: IndicatorRows['tokens'] = [];
  const refs: IndicatorRows['refs'] = [];
  const get = TOKEN_PARAMS[r.resourceType];
  if (get) for (const c of get(r)) if (c.code) tokens.push([r.resourceType, TOKEN_CODE[r.resourceType], c.system ?? '', c.code]);
  const subject = (r as any).subject?.reference as string | undefined;
  if (subject && (r.resourceType === 'Condition' || r.resourceType === 'CareTeam')) {
    const [type, id] = subject.split('/');
    refs.push([r.resourceType, 'subject', type, id]);
  }
  return { resourceType: r.resourceType, id: r.id, content: JSON.stringify({ ...r, meta: { ...r.meta, versionId: '1', lastUpdated: now } }), tokens, refs };
}

/**
 * The same population written straight into `resource` with only the index rows the indicators
 * read (sp_token of code/type, sp_reference of subject): about a hundred times faster than the
 * import, so the calibration checks can run on thousands of residents. The real import path is
 * covered by importOutcomesPopulation in the API test. The derived tables the indicators read are
 * then filled by the product's own backfill (fillOutcomeTables).
 */
export async function writeOutcomesPopulation(platform: Platform, residents: number, seed = 2024): Promise<number> {
  const db: Queryable = platform.db;
  let batch: (Resource & { id: string })[] = [];
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const rids = await platform.resources.repo.allocateRids(batch.length);
    const now = new Date().toISOString();
    const rows = batch.map((r) => indicatorRows(r, now));
    const tok = rows.flatMap((x, i) => x.tokens.map((t) => [rids[i], ...t]));
    const refs = rows.flatMap((x, i) => x.refs.map((t) => [rids[i], ...t]));
    await db.query(
      `INSERT INTO resource (rid, resource_type, id, version_id, last_updated, content)
       SELECT rid::bigint, t, id, 1, $4::timestamptz, c FROM unnest($1::text[], $2::text[], $3::text[], $5::text[]) AS u(rid, t, id, c)`,
      [rids, rows.map((r) => r.resourceType), rows.map((r) => r.id), now, rows.map((r) => r.content)],
    );
    if (tok.length) {
      await db.query(
        `INSERT INTO sp_token (rid, resource_type, code, system, value) SELECT rid::bigint, t, c, s, v FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(rid, t, c, s, v)`,
        [tok.map((x) => x[0]), tok.map((x) => x[1]), tok.map((x) => x[2]), tok.map((x) => x[3]), tok.map((x) => x[4])],
      );
    }
    if (refs.length) {
      await db.query(
        `INSERT INTO sp_reference (rid, resource_type, code, target_type, target_id) SELECT rid::bigint, t, c, tt, ti FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(rid, t, c, tt, ti)`,
        [refs.map((x) => x[0]), refs.map((x) => x[1]), refs.map((x) => x[2]), refs.map((x) => x[3]), refs.map((x) => x[4])],
      );
    }
    written += batch.length;
    batch = [];
  };
  for (const r of indicatorResources(residents, seed)) {
    batch.push(r);
    if (batch.length >= 5000) await flush();
  }
  await flush();
  // Written past the write path: the derived tables the indicators read are filled as the product fills them for rows it did not write.
  await fillOutcomeTables(platform.db);
  await platform.db.exec('ANALYZE resource; ANALYZE sp_token; ANALYZE sp_reference; ANALYZE outcome_person; ANALYZE outcome_fact');
  return written;
}
