import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { loadDirectoryFixture } from './directory.fixtures.js';
import { isServiceListUrl } from './oruk-harvest.js';
import { importOpenReferral, readSource } from './oruk-import.service.js';

/** A feed served over HTTP as an Open Referral API serves it: pages of one-to-one fields, full records by id. */
function feedServer(opts: { services: Record<string, unknown>[]; perPage: number; gone?: string[]; failPage?: number; ignoresPage?: boolean }): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://feed');
    requests.push(`${u.pathname}${u.search}`);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const one = /^\/api\/services\/([^/]+)$/.exec(u.pathname);
    if (one) {
      const id = decodeURIComponent(one[1]);
      const s = opts.services.find((x) => x.id === id);
      return !s || opts.gone?.includes(id) ? send(404, { code: 404, message: 'Not found' }) : send(200, s);
    }
    if (u.pathname !== '/api/services') return send(404);
    const page = opts.ignoresPage ? 1 : Number(u.searchParams.get('page') ?? 1);
    if (page === opts.failPage) return send(503, { code: 503, message: 'Busy' });
    const totalPages = Math.ceil(opts.services.length / opts.perPage);
    const contents = opts.services.slice((page - 1) * opts.perPage, page * opts.perPage).map((s) => ({ id: s.id, name: s.name, description: s.description }));
    send(200, { total_items: opts.services.length, page_number: page, size: contents.length, ...(opts.ignoresPage ? {} : { total_pages: totalPages, last_page: page >= totalPages }), contents });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/services`, server, requests })));
}

const service = (n: number) => ({
  id: `b0000000-0000-4000-8000-00000000000${n}`, name: `Group ${n}`, description: `Meets weekly (${n})`,
  phones: [{ id: `p${n}`, number: `01632 96010${n}` }], schedules: [{ id: `s${n}`, freq: 'WEEKLY', byday: 'SA', opens_at: '10:00', closes_at: '12:00' }],
});

describe('harvesting an Open Referral API', () => {
  let t: TestPlatform;
  const servers: Server[] = [];
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await t?.close();
  });
  const hs = async (id: string) => {
    const row = (await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'HealthcareService' AND id = $1`, [`oruk-svc-${id}`])).rows[0];
    return row ? JSON.parse(row.content) : undefined;
  };

  it('knows an API\'s list of services from an export file\'s address', () => {
    expect(isServiceListUrl('https://example.org/openreferral/services')).toBe(true);
    expect(isServiceListUrl('https://example.org/openreferral/services/?per_page=50')).toBe(true);
    expect(isServiceListUrl('https://example.org/exports/services.json')).toBe(false);
    expect(isServiceListUrl('services.json')).toBe(false);
  });

  it('reads every page and each service\'s full record; a service gone from /services/{id} comes from its page', async () => {
    const feed = await feedServer({ services: [1, 2, 3, 4, 5].map(service), perPage: 2, gone: [service(3).id] });
    servers.push(feed.server);
    let pages = 0;
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, readSource(feed.url, { onPage: (p) => (pages = p.pages) }));
    expect(summary.stoppedBecause).toBeUndefined();
    expect(pages).toBe(3);
    expect(summary.records.map((r) => r.outcome)).toEqual(['imported', 'imported', 'imported', 'imported', 'imported']);
    expect(feed.requests.filter((r) => r.startsWith('/api/services?'))).toEqual(['/api/services?page=1', '/api/services?page=2', '/api/services?page=3']);
    expect((await hs(service(1).id)).telecom).toEqual([{ system: 'phone', value: '01632 960101' }]);
    expect((await hs(service(5).id)).availableTime).toEqual([{ daysOfWeek: ['sat'], availableStartTime: '10:00:00', availableEndTime: '12:00:00' }]);
    expect((await hs(service(3).id)).telecom).toBeUndefined();
    expect(summary.records[2].warnings).toContain('no phone number');
  });

  it('stops where the feed fails, with the reason, and keeps the records before it', async () => {
    const services = [6, 7, 8, 9].map(service);
    const failing = await feedServer({ services, perPage: 2, failPage: 2 });
    const looping = await feedServer({ services, perPage: 2, ignoresPage: true });
    servers.push(failing.server, looping.server);
    const failed = await importOpenReferral(t.platform.db, t.platform.resources, readSource(failing.url));
    expect(failed.stoppedBecause).toBe(`${failing.url}?page=2 answered 503`);
    expect(failed.records.map((r) => r.id)).toEqual([services[0].id, services[1].id]);
    expect(await hs(services[0].id)).toBeDefined();
    expect(await hs(services[2].id)).toBeUndefined();
    const looped = await importOpenReferral(t.platform.db, t.platform.resources, readSource(looping.url));
    expect(looped.stoppedBecause).toMatch(/the same services as page 1: the feed does not page/);
    expect(looped.records.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
    const missing = await importOpenReferral(t.platform.db, t.platform.resources, readSource(failing.url.replace('/api/services', '/nothing/services')));
    expect(missing.stoppedBecause).toBe(`${failing.url.replace('/api/services', '/nothing/services')}?page=1 answered 404`);
    expect(missing.records).toEqual([]);
  });
});

describe('harvesting OneStory\'s own Open Referral API into another OneStory', () => {
  let from: TestPlatform;
  let into: TestPlatform;
  let url: string;
  beforeAll(async () => {
    from = await createTestPlatform({ integration: false });
    await loadDirectoryFixture(from.platform, ['medway']);
    await from.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(from.app.server.address() as AddressInfo).port}/openreferral/services`;
    into = await createTestPlatform({ integration: false });
  });
  afterAll(async () => {
    await into?.close();
    await from?.close();
  });

  it('every service arrives with its phones, opening times and places, under its own id', async () => {
    const summary = await importOpenReferral(into.platform.db, into.platform.resources, readSource(`${url}?per_page=7`));
    expect(summary.stoppedBecause).toBeUndefined();
    expect(summary.rejected).toBe(0);
    const theirs = (await from.app.inject({ method: 'GET', url: '/openreferral/services?per_page=100' })).json() as { total_items: number; contents: { id: string }[] };
    const ours = (await into.app.inject({ method: 'GET', url: '/openreferral/services?per_page=100' })).json() as { total_items: number; contents: { id: string }[] };
    expect(summary.created).toBe(theirs.total_items);
    expect(ours.contents.map((s) => s.id).sort()).toEqual(theirs.contents.map((s) => s.id).sort());
    let compared = 0;
    for (const { id } of theirs.contents.slice(0, 40)) {
      const a = (await from.app.inject({ method: 'GET', url: `/openreferral/services/${id}` })).json();
      const b = (await into.app.inject({ method: 'GET', url: `/openreferral/services/${id}` })).json();
      expect(b.phones.map((p: { number: string }) => p.number), id).toEqual(a.phones.map((p: { number: string }) => p.number));
      expect(b.schedules.length, id).toBe(a.schedules.length);
      expect(b.service_at_locations.map((s: { location: { postal_code?: string; latitude?: number } }) => s.location.latitude), id)
        .toEqual(a.service_at_locations.map((s: { location: { latitude?: number } }) => s.location.latitude));
      if (a.phones.length && a.schedules.length && a.service_at_locations.length) compared++;
    }
    expect(compared).toBeGreaterThan(5);
  });
});
