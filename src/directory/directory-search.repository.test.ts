import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { DirectorySearchRepository, type DirectoryQuery } from './directory-search.repository.js';
import { importOpenReferral } from './oruk-import.service.js';

async function* once(text: string) {
  yield text;
}

/**
 * 48 services whose words rank differently (a word once, twice, in the name or not), with names
 * shared by several (so the id breaks ties), two locations each, and two inactive ones.
 */
function feed(): string {
  const kinds = ['Befriending', 'Carers support', 'Debt advice', 'Walking group'];
  const contents = Array.from({ length: 48 }, (_, i) => ({
    id: `search-${i}`,
    name: `${kinds[i % 4]} ${i % 5 === 0 ? 'friendly club' : 'club'}${i % 3 === 0 ? '' : ` ${i % 7}`}`,
    status: i === 7 || i === 30 ? 'inactive' : 'active',
    description: ['Friendly support and advice.', 'Support, support and more support for carers.', 'A friendly walk.', 'Advice on debt and money.'][i % 4]
      + (i % 6 === 0 ? ' Friendly faces, friendly support.' : ''),
    organization: { id: `search-org-${i % 4}`, name: `Charity ${i % 4}` },
    service_at_locations: [0, 1].map((k) => ({ id: `sal-${i}-${k}`, location: { id: `search-loc-${i}-${k}`, name: `Hall ${i}-${k}`, latitude: 51.3 + i / 1000, longitude: 0.5 + k / 100 } })),
    assured_date: '2026-09-01',
    attributes: [{ id: `at-${i}`, taxonomy_term: { id: `t-${i % 4}`, name: kinds[i % 4], taxonomy: 'test', term: `k${i % 4}` } }],
  }));
  return JSON.stringify({ contents });
}

describe('directory search by words', () => {
  let t: TestPlatform;
  let repo: DirectorySearchRepository;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, once(feed()));
    expect(summary.created).toBe(48);
    repo = new DirectorySearchRepository(t.platform.db);
  });
  afterAll(async () => t?.close());

  /** Every match in the order the search promises (best rank first, then name, then id), by the plainest statement. */
  async function expected(text: string, perLocation: boolean, termId?: string): Promise<string[]> {
    const res = await t.platform.db.query<{ key: string }>(
      `SELECT s.service_id || '@' || ${perLocation ? 'n.location_id' : "''"} AS key
         FROM directory_service s ${perLocation ? 'CROSS JOIN LATERAL unnest(s.locations) AS n(location_id)' : ''}
        WHERE s.status = 'active' AND s.document @@ websearch_to_tsquery('english', $1) AND ($2::text IS NULL OR $2 = ANY(s.terms))
        ORDER BY ts_rank(s.document, websearch_to_tsquery('english', $1)) DESC, s.name, s.service_id${perLocation ? ', n.location_id' : ''}`,
      [text, termId ?? null],
    );
    return res.rows.map((r) => r.key);
  }

  it('answers every page with the matches in rank, name and id order, and their count', async () => {
    const termId = (await t.platform.db.query<{ term: string }>(`SELECT terms[1] AS term FROM directory_service WHERE service_id = 'oruk-svc-search-1'`)).rows[0].term;
    const cases: [string, boolean, string?][] = [['friendly support', false], ['support', false], ['friendly', true], ['advice -debt', false], ['club', false, termId], ['nothing matches this', false]];
    for (const [text, perLocation, term] of cases) {
      const all = await expected(text, perLocation, term);
      if (text !== 'nothing matches this') expect(all.length, text).toBeGreaterThan(5);
      for (const [limit, offset] of [[5, 0], [5, 5], [7, 14], [50, 0], [5, all.length], [5, all.length + 10]]) {
        const q: DirectoryQuery = { text, perLocation, limit, offset, ...(term ? { termIds: [term] } : {}) };
        const { total, hits } = await repo.search(q);
        expect(total, `${text} ${limit}/${offset}`).toBe(all.length);
        expect(hits.map((h) => `${h.serviceId}@${h.locationId ?? ''}`), `${text} ${limit}/${offset}`).toEqual(all.slice(offset, offset + limit));
        for (const h of hits) expect(JSON.parse(h.content).id).toBe(h.serviceId);
      }
    }
  });

  it('gives each row of a page the same organisation and locations in its one statement as reading them apart does', async () => {
    // One location gone from the record and one service whose organisation is gone: both must be missing alike.
    const gone = (await t.platform.db.query<{ id: string }>(`SELECT location_list AS id FROM directory_service WHERE service_id = 'oruk-svc-search-2'`)).rows[0].id.split(' ')[0];
    expect(await t.platform.resources.delete('Location', gone)).toBe(true);
    const orgless = JSON.parse((await t.platform.db.query<{ content: string }>(`SELECT r.content FROM resource r JOIN directory_service s ON s.rid = r.rid WHERE s.service_id = 'oruk-svc-search-3'`)).rows[0].content);
    await t.platform.resources.update('HealthcareService', orgless.id, { ...orgless, providedBy: { reference: 'Organization/no-such-organisation' } });
    const directory = t.platform.directory.services;
    let compared = 0;
    const seen = new Set<string>();
    for (const q of [{ text: 'support', limit: 50, offset: 0 }, { text: 'club', perLocation: true, limit: 50, offset: 0 }, { near: { point: { lat: 51.32, lon: 0.5 }, within: 20_000 }, limit: 50, offset: 0 }] as DirectoryQuery[]) {
      const apart = await directory.search(q);
      const details = await directory.detailsOf(apart.entries.map((e) => e.service));
      const together = await directory.searchRecords(q);
      expect(together.total).toBe(apart.total);
      expect(together.records).toEqual(apart.entries.map((e, i) => ({ ...e, ...details[i] })));
      compared += together.records.length;
      const ids = together.records.map((r) => r.service.id);
      for (const id of ids) seen.add(id!);
      if (ids.includes('oruk-svc-search-2')) expect(together.records.find((r) => r.service.id === 'oruk-svc-search-2')!.locations.map((l) => l.id)).not.toContain(gone);
      if (ids.includes('oruk-svc-search-3')) expect(together.records.find((r) => r.service.id === 'oruk-svc-search-3')!.organization).toBeUndefined();
    }
    expect(compared).toBeGreaterThan(60);
    expect([...seen]).toEqual(expect.arrayContaining(['oruk-svc-search-2', 'oruk-svc-search-3']));
  });
});
