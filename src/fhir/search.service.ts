import type { Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { parseJson, stringifyJson } from './decimal-json.js';
import { patientCompartment } from './everything.service.js';
import { badRequest } from './outcome.js';
import type { RequestContext } from './request-context.js';
import { applyView } from './resource-view.js';
import { parseSearch, type SearchQuery } from './search.parser.js';
import { SearchRepository, type SearchRow } from './search.repository.js';

/** How many resources _include and _revinclude may add to one page, in all. */
export const MAX_INCLUDED = 1000;
const MAX_ITERATIONS = 4;

export interface SearchResult {
  query: SearchQuery;
  matches: SearchRow[];
  included: SearchRow[];
  total?: number;
  next?: string;
  includeTruncated: boolean;
}

export class SearchService {
  constructor(private readonly db: Queryable) {}

  parse(resourceType: string, pairs: [string, string][], lenient = false): SearchQuery {
    return parseSearch(resourceType, pairs, { lenient });
  }

  /**
   * Narrows a search to Patient/`patientId`'s compartment (GET Patient/id/Type): the R4 compartment
   * definition's parameters for the type, any of them pointing at the patient. A type outside the
   * compartment is a 400.
   */
  inPatientCompartment(q: SearchQuery, patientId: string): SearchQuery {
    const codes = patientCompartment().find((c) => c.type === q.resourceType)?.params;
    if (!codes) throw badRequest(`${q.resourceType} is not in the Patient compartment`);
    q.filters.push({ kind: 'compartment', resourceType: q.resourceType, codes, patientId });
    return q;
  }

  async run(q: SearchQuery, ctx: Pick<RequestContext, 'restriction' | 'access'>, db: Queryable = this.db): Promise<SearchResult> {
    ctx.access?.authorize('search', q.resourceType);
    const repo = new SearchRepository(ctx.restriction);
    const wantTotal = q.total !== 'none' || q.summary === 'count';
    if (q.summary === 'count' || q.count === 0) {
      return { query: q, matches: [], included: [], total: await repo.count(db, q), includeTruncated: false };
    }
    const [page, total] = await Promise.all([repo.search(db, q), wantTotal ? repo.count(db, q) : Promise.resolve(undefined)]);
    const { included, truncated } = await this.includes(repo, db, q, page.rows);
    return { query: q, matches: page.rows, included, total, next: page.next, includeTruncated: truncated };
  }

  private async includes(repo: SearchRepository, db: Queryable, q: SearchQuery, matches: SearchRow[]) {
    const included: SearchRow[] = [];
    const seen = new Set(matches.map((m) => m.rid));
    let truncated = false;
    let frontier: SearchRow[] = matches;
    for (let round = 0; round <= MAX_ITERATIONS && frontier.length > 0; round++) {
      const added: SearchRow[] = [];
      const specs = round === 0 ? [...q.include.map((s) => ['inc', s] as const), ...q.revinclude.map((s) => ['rev', s] as const)]
        : [...q.include.filter((s) => s.iterate).map((s) => ['inc', s] as const), ...q.revinclude.filter((s) => s.iterate).map((s) => ['rev', s] as const)];
      for (const [kind, spec] of specs) {
        const room = MAX_INCLUDED - included.length - added.length;
        if (room <= 0) {
          truncated = true;
          break;
        }
        const rows = kind === 'inc' ? await repo.include(db, spec, frontier, room + 1) : await repo.revinclude(db, spec, frontier, room + 1);
        if (rows.length > room) truncated = true;
        for (const r of rows.slice(0, room)) {
          if (seen.has(r.rid)) continue;
          seen.add(r.rid);
          added.push(r);
        }
      }
      included.push(...added);
      frontier = added;
    }
    return { included, truncated };
  }
}

/** Renders a searchset Bundle as JSON text, splicing stored resource text in without re-parsing it. */
export function searchsetJson(result: SearchResult, ctx: RequestContext, selfUrl: string, nextUrl?: string): string {
  const { query: q } = result;
  const transform = q.elements || (q.summary && q.summary !== 'false' && q.summary !== 'count');
  const body = (content: string) => (transform ? stringifyJson(applyView(parseJson(content) as Resource, q.elements, q.summary)) : content);
  const entry = (r: SearchRow, mode: 'match' | 'include') =>
    `{"fullUrl":${JSON.stringify(`${ctx.baseUrl}/${r.resource_type}/${r.id}`)},"resource":${body(r.content)},"search":{"mode":"${mode}"}}`;
  const entries = [...result.matches.map((r) => entry(r, 'match')), ...result.included.map((r) => entry(r, 'include'))];
  const warnings = [...q.warnings];
  if (result.includeTruncated) warnings.push(`_include/_revinclude added at most ${MAX_INCLUDED} resources to this page`);
  if (warnings.length > 0) {
    const oo = { resourceType: 'OperationOutcome', issue: warnings.map((w) => ({ severity: 'warning', code: 'processing', diagnostics: w })) };
    entries.push(`{"resource":${JSON.stringify(oo)},"search":{"mode":"outcome"}}`);
  }
  const links = [`{"relation":"self","url":${JSON.stringify(selfUrl)}}`];
  if (nextUrl) links.push(`{"relation":"next","url":${JSON.stringify(nextUrl)}}`);
  const total = result.total !== undefined ? `,"total":${result.total}` : '';
  return `{"resourceType":"Bundle","type":"searchset"${total},"link":[${links.join(',')}],"entry":[${entries.join(',')}]}`;
}
