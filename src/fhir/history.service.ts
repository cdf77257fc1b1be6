import type { Queryable } from '../db/database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { badRequest } from './outcome.js';
import { DEFAULT_COUNT, MAX_COUNT } from './search.parser.js';
import { parseDateRange } from './date-range.js';
import { Params, type RowRestriction } from './search.repository.js';

export interface HistoryOptions {
  count?: string;
  since?: string;
  cursor?: string;
  /** Only versions of resources whose current row passes it (the caller's access). */
  restriction?: RowRestriction;
}

interface HistoryRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  deleted: boolean;
  method: string;
  content: string | null;
}

/** Instance and type history, newest first, paged by a keyset cursor on (last_updated, id, version). */
export async function readHistory(
  db: Queryable,
  scope: { type: string; id?: string },
  opts: HistoryOptions,
  baseUrl: string,
): Promise<{ json: (selfUrl: string, nextUrl?: (cursor: string) => string) => string }> {
  const count = opts.count === undefined ? DEFAULT_COUNT : Number(opts.count);
  // A history page needs at least one entry to carry the cursor of the next.
  if (opts.count !== undefined && !/^\d{1,9}$/.test(opts.count)) throw badRequest('_count must be a whole number', '_count');
  if (count < 1) throw badRequest('_count must be at least 1 for _history', '_count');
  const params = new Params();
  const p = params.values;
  p.push(scope.type);
  const conds = ['h.resource_type = $1'];
  if (scope.id) {
    p.push(scope.id);
    conds.push(`h.id = $${p.length}`);
  }
  const restrict = opts.restriction?.('r', scope.type, params);
  // Judged on the current row: a version is shown to those who may see the resource as it stands.
  if (restrict) conds.push(`EXISTS (SELECT 1 FROM resource r WHERE r.resource_type = h.resource_type AND r.id = h.id AND ${restrict})`);
  if (opts.since !== undefined) {
    const r = parseDateRange(opts.since);
    if (!r) throw badRequest('_since must be an instant', '_since');
    p.push(r.low);
    conds.push(`h.last_updated >= $${p.length}::timestamptz`);
  }
  if (opts.cursor !== undefined) {
    const c = decodeCursor(opts.cursor, ['timestamptz', 'text']);
    p.push(c.v[0], c.v[1], c.r);
    // bigint, not int: the codec checks the version fits a bigint, and a forged larger one must not overflow.
    conds.push(`(h.last_updated, h.id, h.version_id) < ($${p.length - 2}::timestamptz, $${p.length - 1}, $${p.length}::bigint)`);
  }
  p.push(Math.min(count, MAX_COUNT) + 1);
  const res = await db.query<HistoryRow>(
    `SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.deleted, h.method, h.content FROM resource_history h
      WHERE ${conds.join(' AND ')} ORDER BY h.last_updated DESC, h.id DESC, h.version_id DESC LIMIT $${p.length}`,
    p,
  );
  const rows = res.rows;
  let next: string | undefined;
  if (rows.length > Math.min(count, MAX_COUNT)) {
    rows.length = Math.min(count, MAX_COUNT);
    const last = rows[rows.length - 1];
    next = encodeCursor({ v: [last.last_updated.toISOString(), last.id], r: String(last.version_id) });
  }
  return {
    json(selfUrl, nextUrl) {
      const entries = rows.map((r) => {
        const url = `${r.resource_type}/${r.id}`;
        const status = r.deleted ? '204' : r.version_id === 1 || r.method === 'POST' ? '201' : '200';
        const request = `"request":{"method":"${r.method}","url":${JSON.stringify(r.method === 'POST' ? r.resource_type : url)}}`;
        const response = `"response":{"status":"${status}","etag":"W/\\"${r.version_id}\\"","lastModified":"${r.last_updated.toISOString()}"}`;
        const resource = r.content ? `"resource":${r.content},` : '';
        return `{"fullUrl":${JSON.stringify(`${baseUrl}/${url}`)},${resource}${request},${response}}`;
      });
      const links = [`{"relation":"self","url":${JSON.stringify(selfUrl)}}`];
      if (next && nextUrl) links.push(`{"relation":"next","url":${JSON.stringify(nextUrl(next))}}`);
      return `{"resourceType":"Bundle","type":"history","link":[${links.join(',')}],"entry":[${entries.join(',')}]}`;
    },
  };
}
