import type { Principal } from '../access/principal.js';
import type { Queryable } from '../db/database.js';
import { badRequest } from '../fhir/outcome.js';
import type { Criterion } from './cohort.criteria.js';
import type { CohortResult, CohortService } from './cohort.service.js';

/**
 * Case finding: the ready-made cohort of people 65+ with moderate or severe frailty, an emergency
 * admission in the last 12 months and no active care plan, for a practice or a primary care network.
 */
export const CASE_FINDING_CRITERIA: Criterion[] = [
  { name: 'efi', values: ['moderate', 'severe'] },
  { name: 'admissions', min: 1 },
  { name: 'care-plan', none: true },
];

export interface CaseFindingScope {
  kind: 'practice' | 'pcn';
  id: string;
  name: string;
}

/** The list for one practice or network: the cohort, and the scopes the user may switch between. */
export interface CaseFindingList extends CohortResult {
  scope?: CaseFindingScope;
  scopes: CaseFindingScope[];
}

export class CaseFindingService {
  constructor(private readonly db: Queryable, private readonly cohorts: CohortService) {}

  /**
   * The practices and networks the user's organisation is part of: a practice and its network; a
   * network and each of its practices. Read from person_risk, where every registered person's
   * practice and network are.
   */
  async scopesFor(p: Principal): Promise<CaseFindingScope[]> {
    if (p.kind !== 'staff') return [];
    const r = await this.db.query<{ practice_id: string; pcn_id: string | null }>(
      `SELECT DISTINCT practice_id, pcn_id FROM person_risk WHERE practice_id = $1 OR pcn_id = $1 ORDER BY practice_id`,
      [p.organizationId],
    );
    const pcns = [...new Set(r.rows.map((x) => x.pcn_id).filter((x): x is string => !!x))];
    const practices = r.rows.map((x) => x.practice_id);
    const names = await this.db.query<{ id: string; name: string | null }>(
      `SELECT id, content::jsonb ->> 'name' AS name FROM resource WHERE resource_type = 'Organization' AND id = ANY($1::text[]) AND NOT deleted`,
      [[...pcns, ...practices]],
    );
    const nameOf = new Map(names.rows.map((x) => [x.id, x.name ?? x.id]));
    const own = practices.includes(p.organizationId) ? practices.filter((x) => x === p.organizationId) : [];
    const others = practices.filter((x) => x !== p.organizationId);
    return [
      ...own.map((id) => ({ kind: 'practice' as const, id, name: nameOf.get(id) ?? id })),
      ...pcns.map((id) => ({ kind: 'pcn' as const, id, name: nameOf.get(id) ?? id })),
      ...(own.length ? [] : others.map((id) => ({ kind: 'practice' as const, id, name: nameOf.get(id) ?? id }))),
    ];
  }

  /** The list for `chosen` (`practice:<id>` or `pcn:<id>`), else the user's own first scope, else everyone they may see. */
  async list(p: Principal, now: Date, chosen?: string): Promise<CaseFindingList> {
    const scopes = await this.scopesFor(p);
    const scope = chosen ? scopes.find((s) => `${s.kind}:${s.id}` === chosen) : scopes[0];
    if (chosen && !scope) throw badRequest('Choose one of your own practices or primary care networks', 'scope');
    const criteria: Criterion[] = [
      ...(scope ? [{ name: scope.kind, values: [scope.id] } as Criterion] : []),
      { name: 'age', min: 65 },
      ...CASE_FINDING_CRITERIA,
    ];
    const result = await this.cohorts.evaluate(p, criteria, now);
    return { ...result, scope, scopes };
  }
}
