/**
 * Harvesting an Open Referral UK API (`npx onestory directory import https://…/services`): a feed's
 * `/services` answers one page at a time (20 or 50 of, say, 900), each service with only its one-to-one
 * fields (the profile's `service_list`: no phones, opening times or places). Importing that address
 * as a file took page 1 alone and said nothing of the other pages. Here every page is read in turn
 * and each service's full record is fetched from `/services/{id}`, as aggregators of Open Referral
 * feeds do; the records are handed on as one JSON array, so the import reads them as it reads a file.
 *
 * A failure part-way (an error status, a timeout, an answer that is not JSON) stops the harvest with
 * the reason (`FeedStoppedError`): the records before it are imported, and the summary says where it
 * stopped. A service gone between its page and its own record (404) is imported from its page's
 * fields, which the import takes as saying nothing of the fields a page does not carry.
 */

/** The reason a feed could not be read to the end; the import records it as where it stopped. */
export class FeedStoppedError extends Error {}

export interface HarvestOptions {
  /** Full records fetched at once. */
  concurrency?: number;
  /** Pages read at most (a guard against a feed that never says it has ended). */
  maxPages?: number;
  /** Per request. */
  timeoutMs?: number;
  /** After each page: pages read, the feed's page count when it gives one, services handed on. */
  onPage?: (p: { pages: number; totalPages?: number; services: number }) => void;
}

/** Whether a URL is an Open Referral API's list of services (`…/services`), to be harvested page by page. */
export function isServiceListUrl(source: string): boolean {
  try {
    const u = new URL(source);
    return /^https?:$/.test(u.protocol) && /\/services\/?$/.test(u.pathname);
  } catch {
    return false;
  }
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body?: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new FeedStoppedError(`${url} could not be read (${(err as Error).message})`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status };
  }
  try {
    return { status: res.status, body: JSON.parse(await res.text()) as unknown };
  } catch {
    throw new FeedStoppedError(`${url} did not answer JSON`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The feed's services, full records where it has them, as the text of one JSON array. */
export async function* harvestFeed(source: string, opts: HarvestOptions = {}): AsyncGenerator<string> {
  const { concurrency = 4, maxPages = 10_000, timeoutMs = 30_000 } = opts;
  const list = new URL(source);
  const recordUrl = (id: string) => {
    const u = new URL(list.toString());
    u.pathname = `${u.pathname.replace(/\/?$/, '/')}${encodeURIComponent(id)}`;
    u.search = '';
    return u.toString();
  };
  let page = Number(list.searchParams.get('page') ?? 1);
  if (!Number.isInteger(page) || page < 1) page = 1;
  let pages = 0, services = 0;
  let previousFirst: string | undefined;
  yield '[';
  for (;;) {
    list.searchParams.set('page', String(page));
    const { status, body } = await getJson(list.toString(), timeoutMs);
    if (status !== 200 || !isObject(body) || !Array.isArray(body.contents)) {
      throw new FeedStoppedError(status !== 200
        ? `${list} answered ${status}`
        : `${list} is not a page of services (no "contents" list)`);
    }
    const items = body.contents as unknown[];
    if (items.length === 0) break;
    const first = isObject(items[0]) && typeof items[0].id === 'string' ? items[0].id : undefined;
    if (first !== undefined && first === previousFirst) throw new FeedStoppedError(`${list} answered with the same services as page ${page - 1}: the feed does not page`);
    previousFirst = first;
    for (let i = 0; i < items.length; i += concurrency) {
      const full = await Promise.all(items.slice(i, i + concurrency).map(async (item) => {
        if (!isObject(item) || typeof item.id !== 'string' || item.id === '') return item; // the import says what is wrong with it
        const r = await getJson(recordUrl(item.id), timeoutMs);
        if (r.status === 404) return item;
        if (r.status !== 200 || !isObject(r.body)) throw new FeedStoppedError(`${recordUrl(item.id)} answered ${r.status === 200 ? 'something that is not a service' : r.status}`);
        return r.body;
      }));
      for (const record of full) yield `${services++ === 0 ? '' : ','}${JSON.stringify(record)}`;
    }
    pages++;
    const totalPages = typeof body.total_pages === 'number' ? body.total_pages : undefined;
    opts.onPage?.({ pages, ...(totalPages !== undefined ? { totalPages } : {}), services });
    const pageNumber = typeof body.page_number === 'number' ? body.page_number : page;
    if (body.last_page === true || (totalPages !== undefined && pageNumber >= totalPages)) break;
    if (pages >= maxPages) throw new FeedStoppedError(`${maxPages} pages read and the feed has not said it ended`);
    page++;
  }
  yield ']';
}
