import type { Queryable } from '../../db/database.js';
import { badRequest, FhirError, issue, outcome } from '../../fhir/outcome.js';
import { parseSearch } from '../../fhir/search.parser.js';
import { Params, SearchRepository } from '../../fhir/search.repository.js';
import { indexedParams } from '../../fhir/search-index.js';
import type { Principal } from '../principal.js';
import { can } from './policy.js';

/** Counts from 1 to this minus one are reported as suppressed, so small groups cannot identify people. */
export const SMALL_NUMBER_THRESHOLD = 5;

export interface AggregateGroup {
  system: string | null;
  code: string | null;
  /** null when suppressed. */
  count: number | null;
  suppressed: boolean;
}

export interface AggregateResult {
  resourceType: string;
  groupBy: string;
  total: number | null;
  totalSuppressed: boolean;
  groups: AggregateGroup[];
}

const suppress = (n: number) => (n > 0 && n < SMALL_NUMBER_THRESHOLD ? { count: null, suppressed: true } : { count: n, suppressed: false });

/**
 * Aggregates for ICB analysts (who see no identifiable record): counts of `resourceType` matching
 * FHIR search `criteria`, grouped by a token search parameter (e.g. Condition by `code`, Patient by
 * `gender`), with every count from 1 to 4 suppressed. Runs over the whole record, not row-restricted:
 * only counts leave it.
 */
export class AggregateService {
  constructor(private readonly db: Queryable) {}

  async aggregateCounts(p: Principal, resourceType: string, groupBy: string, criteria: [string, string][] = []): Promise<AggregateResult> {
    const may = can(p, 'aggregate.read');
    if (!may.allowed) throw new FhirError(403, outcome([issue('forbidden', may.reason)]));
    const param = indexedParams(resourceType).get(groupBy);
    if (!param || param.table !== 'token') throw badRequest(`"${groupBy}" is not a token search parameter of ${resourceType}`, 'groupBy');
    const q = parseSearch(resourceType, criteria.filter(([k]) => !k.startsWith('_')), { lenient: false });
    const prm = new Params();
    const where = new SearchRepository().where(q, 'r', prm);
    const res = await this.db.query<{ system: string | null; value: string | null; n: string }>(
      `SELECT x.system, x.value, count(DISTINCT r.rid) AS n FROM resource r
        JOIN sp_token x ON x.rid = r.rid AND x.resource_type = r.resource_type AND x.code = ${prm.add(groupBy)}
        WHERE ${where} GROUP BY x.system, x.value ORDER BY n DESC, x.system, x.value`,
      prm.values,
    );
    const tp = new Params();
    const tot = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM resource r WHERE ${new SearchRepository().where(q, 'r', tp)}`, tp.values);
    const total = suppress(Number(tot.rows[0].n));
    return {
      resourceType, groupBy, total: total.count, totalSuppressed: total.suppressed,
      groups: res.rows.map((r) => ({ system: r.system, code: r.value, ...suppress(Number(r.n)) })),
    };
  }
}
