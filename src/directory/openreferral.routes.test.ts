import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthcareService, Resource } from '@medplum/fhirtypes';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { loadDirectoryFixture } from './directory.fixtures.js';
import { SERVICE_TYPE_SYSTEM, termIdOf, taxonomyIdOf } from './directory-taxonomy.js';
import { distanceMetres, locatePostcode } from './postcode-geography.js';
import { declaredParameters, problems, responseValidator, schemaValidator } from './oruk.test-helpers.js';
import { uuidFor } from './oruk-ids.js';

/** Local filters beyond the profile's parameters (the profile allows further ones). */
const LOCAL_FILTERS = ['modified_after', 'open_now', 'evenings', 'weekends', 'free', 'self_referral', 'postcode', 'proximity'];

describe('the Open Referral UK API', () => {
  let t: TestPlatform;
  let fixture: Resource[];
  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url });
    return { status: res.statusCode, headers: res.headers, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const services = () => fixture.filter((r): r is HealthcareService => r.resourceType === 'HealthcareService');
  const validServices = responseValidator('/services');
  const validSal = responseValidator('/service_at_locations');
  const validTaxonomies = responseValidator('/taxonomies');
  const validTerms = responseValidator('/taxonomy_terms');
  const validFull = responseValidator('/services/{id}');
  const validRoot = responseValidator('/');

  /** Every /services answer: 200, CORS, valid against the OpenAPI response and each item against the profile's service_list. */
  const search = async (query: string) => {
    const res = await get(`/openreferral/services${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(validServices(res.body), problems(validServices)).toBe(true);
    for (const item of res.body.contents) expect(schemaValidator('compiled/service_list.json')(item)).toBe(true);
    return res.body as { total_items: number; total_pages: number; page_number: number; size: number; contents: Record<string, any>[] };
  };

  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    // 10:30 on a Saturday in Kent (GMT in December).
    t.platform.clock.now = () => new Date('2026-12-05T10:30:00Z');
    fixture = await loadDirectoryFixture(t.platform);
  });
  afterAll(async () => t?.close());

  it('answers at the root with the HSDS version, the profile and its OpenAPI description, without sign-in', async () => {
    const res = await get('/openreferral');
    expect(res.status).toBe(200);
    expect(validRoot(res.body), problems(validRoot)).toBe(true);
    expect(res.body.version).toBe('3.0');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const api = await get('/openreferral/openapi.json');
    expect(api.body.paths['/services']).toBeDefined();
  });

  it('only takes the parameters the OpenAPI description declares, and the local filters it says it adds', () => {
    expect(declaredParameters('/services').every((p) => !LOCAL_FILTERS.includes(p) || p === 'postcode')).toBe(true);
    expect(declaredParameters('/service_at_locations')).toEqual(expect.arrayContaining(['postcode', 'proximity']));
  });

  it('lists every active service, paged, in the profile\'s shapes', async () => {
    const first = await search('?per_page=10');
    expect(first.total_items).toBe(services().length);
    expect(first.size).toBe(10);
    expect(first.page_number).toBe(1);
    const last = await search(`?per_page=10&page=${first.total_pages}`);
    expect(last.size).toBe(services().length - 10 * (first.total_pages - 1));
    const beyond = await search(`?per_page=10&page=${first.total_pages + 1}`);
    expect(beyond.size).toBe(0);
    expect(beyond.total_items).toBe(services().length);
    const ids = new Set<string>();
    for (let p = 1; p <= first.total_pages; p++) for (const s of (await search(`?per_page=10&page=${p}`)).contents) ids.add(s.id);
    expect(ids.size).toBe(services().length);
  });

  it('finds services by words, by taxonomy term and by taxonomy', async () => {
    const words = await search('?search=befriending');
    expect(words.total_items).toBeGreaterThan(0);
    for (const s of words.contents) expect(`${s.name} ${s.description}`.toLowerCase()).toMatch(/befriend|lonel/);
    const term = await search(`?taxonomy_term_id=${termIdOf(SERVICE_TYPE_SYSTEM, 'crisis-cafe')}`);
    expect(term.total_items).toBe(services().filter((s) => s.type![0].coding![0].code === 'crisis-cafe').length);
    const taxonomy = await search(`?taxonomy_id=${taxonomyIdOf(SERVICE_TYPE_SYSTEM)}&per_page=1`);
    expect(taxonomy.total_items).toBe(services().length);
  });

  it('orders by distance from a postcode, within a proximity in metres, using the locality centroids', async () => {
    const near = await search('?postcode=ME7%201AB&proximity=5000&per_page=100');
    expect(near.total_items).toBeGreaterThan(0);
    const distances = near.contents.map((s) => s.distance as number);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(Math.max(...distances)).toBeLessThanOrEqual(5000);
    // Checked against the fixture's own coordinates: every located service within 5 km is listed.
    const me7 = locatePostcode('ME7')!.point!;
    const locations = new Map(fixture.filter((r) => r.resourceType === 'Location').map((l) => [`Location/${l.id}`, l as any]));
    const expected = services().filter((s) => (s.location ?? []).some((l) => {
      const p = locations.get(l.reference!)?.position;
      return p && distanceMetres(me7, { lat: p.latitude, lon: p.longitude }) <= 5000;
    }));
    expect(near.total_items).toBe(expected.length);
    const everything = await search('?postcode=ME7&per_page=5');
    expect(everything.total_items).toBe(services().length);
  });

  it('filters by opening times: open now, evenings, weekends, a day and a time window', async () => {
    const now = await search('?open_now=true&per_page=100');
    expect(now.total_items).toBeGreaterThan(0);
    const saturday = await search('?day=SA&per_page=100');
    const weekends = await search('?weekends=true&per_page=1');
    const evenings = await search('?evenings=true&per_page=1');
    expect(weekends.total_items).toBeGreaterThanOrEqual(saturday.total_items);
    expect(evenings.total_items).toBeGreaterThan(0);
    expect(evenings.total_items).toBeLessThan(services().length);
    const window = await search('?day=SA&start_time=10:00&end_time=14:00&per_page=100');
    expect(window.total_items).toBeLessThanOrEqual(saturday.total_items);
    expect(window.total_items).toBeGreaterThan(0);
    // Befriending: the Saturday clubs (10am to 3pm) and none of the weekday-and-Sunday groups.
    const befriending = await search('?search=befriending&day=SA&start_time=10:00&end_time=14:00&per_page=100');
    expect(befriending.contents.map((s) => s.name).sort()).toEqual(['Saturday befriending club, Medway', 'Saturday befriending club, Swale']);
    const nowBefriending = await search('?search=befriending&open_now=true&per_page=100');
    expect(nowBefriending.contents.map((s) => s.name).sort()).toEqual(['Saturday befriending club, Medway', 'Saturday befriending club, Swale']);
  });

  it('filters by cost, referral route, ages and last change', async () => {
    const free = await search('?free=true&per_page=1');
    const paid = await search('?free=false&per_page=1');
    expect(free.total_items).toBeGreaterThan(0);
    expect(paid.total_items).toBeGreaterThan(0);
    const self = await search('?self_referral=false&per_page=100');
    expect(self.contents.some((s) => /street triage|memory assessment/i.test(s.name))).toBe(true);
    const adults = await search('?minimum_age=18&per_page=100');
    for (const s of adults.contents) expect(s.minimum_age).toBeGreaterThanOrEqual(18);
    const children = await search('?maximum_age=25&per_page=100');
    for (const s of children.contents) expect(s.maximum_age).toBeLessThanOrEqual(25);
    expect((await search('?modified_after=2000-01-01')).total_items).toBe(services().length);
    expect((await search('?modified_after=2999-01-01T00:00:00Z')).total_items).toBe(0);
  });

  it('gives the full record of a service: locations, schedules, contacts, eligibility, cost, languages, service areas, terms', async () => {
    const befriend = services().find((s) => s.id === 'hs-dir-befriend-medway')!;
    const id = uuidFor('HealthcareService/hs-dir-befriend-medway');
    const res = await get(`/openreferral/services/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(validFull(res.body), problems(validFull)).toBe(true);
    const s = res.body;
    expect(s.service_at_locations).toHaveLength(befriend.location!.length);
    expect(s.service_at_locations[0].location.addresses[0].postal_code).toMatch(/^ME/);
    expect(s.schedules.map((x: any) => x.byday)).toContain('SA');
    expect(s.eligibility_description).toMatch(/lonely/);
    expect(s.cost_options[0].option).toMatch(/Free/);
    expect(s.languages.map((l: any) => l.code)).toContain('en');
    expect(s.service_areas[0].name).toBe('Medway');
    expect(s.phones[0].number).toMatch(/^01632 960/);
    expect(s.attributes.map((a: any) => a.taxonomy_term.name)).toContain('Befriending and loneliness');
    expect(s.assured_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The record's own id works too.
    expect((await get('/openreferral/services/hs-dir-befriend-medway')).body.id).toBe(id);
  });

  it('lists services at locations, by distance, in the profile\'s shapes', async () => {
    const res = await get('/openreferral/service_at_locations?postcode=ME7&proximity=3000&per_page=50');
    expect(res.status).toBe(200);
    expect(validSal(res.body), problems(validSal)).toBe(true);
    expect(res.body.contents.length).toBeGreaterThan(0);
    const d = res.body.contents.map((x: any) => x.service.distance);
    expect(d).toEqual([...d].sort((a: number, b: number) => a - b));
  });

  it('lists taxonomies and their terms', async () => {
    const tx = await get('/openreferral/taxonomies');
    expect(validTaxonomies(tx.body), problems(validTaxonomies)).toBe(true);
    expect(tx.body.contents.map((x: any) => x.name)).toContain('OneStory kinds of service');
    const terms = await get('/openreferral/taxonomy_terms?per_page=100');
    expect(validTerms(terms.body), problems(validTerms)).toBe(true);
    expect(terms.body.contents.map((x: any) => x.name)).toEqual(expect.arrayContaining(["Carers' support", 'Mental health crisis cafés', 'Mental health street triage']));
  });

  it('answers a service at a location, a taxonomy and a term by id, each in the shape the OpenAPI description gives', async () => {
    const validSalOne = responseValidator('/service_at_locations/{id}');
    const validTaxonomy = responseValidator('/taxonomies/{id}');
    const validTerm = responseValidator('/taxonomy_terms/{id}');
    const listed = await get('/openreferral/service_at_locations?postcode=ME7&proximity=3000&per_page=1');
    const sal = listed.body.contents[0];
    const one = await get(`/openreferral/service_at_locations/${sal.id}`);
    expect(one.status).toBe(200);
    expect(one.headers['access-control-allow-origin']).toBe('*');
    expect(validSalOne(one.body), problems(validSalOne)).toBe(true);
    // The profile answers with the whole service, whose service_at_locations hold the one asked for.
    expect(one.body.id).toBe(sal.service_id);
    expect(one.body.service_at_locations.map((x: any) => x.id)).toContain(sal.id);
    const taxonomy = (await get('/openreferral/taxonomies')).body.contents[0];
    const tx = await get(`/openreferral/taxonomies/${taxonomy.id}`);
    expect(validTaxonomy(tx.body), problems(validTaxonomy)).toBe(true);
    expect(tx.body).toEqual(taxonomy);
    const term = (await get('/openreferral/taxonomy_terms?per_page=1')).body.contents[0];
    const tt = await get(`/openreferral/taxonomy_terms/${term.id}`);
    expect(validTerm(tt.body), problems(validTerm)).toBe(true);
    expect(tt.body).toEqual(term);
    for (const url of [`/openreferral/service_at_locations/${uuidFor('nothing')}`, '/openreferral/service_at_locations/not-a-uuid',
      `/openreferral/taxonomies/${uuidFor('nothing')}`, `/openreferral/taxonomy_terms/${uuidFor('nothing')}`]) {
      const res = await get(url);
      expect(res.status, url).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body).toEqual({ status: 404, error: 'Not Found', message: expect.any(String) });
    }
    expect((await get(`/openreferral/service_at_locations/${sal.id}?x=1`)).status).toBe(400);
  });

  it('answers every GET path the OpenAPI description lists', async () => {
    const { openapi } = await import('./oruk.test-helpers.js');
    const ids: Record<string, string> = {
      '/services/{id}': uuidFor('HealthcareService/hs-dir-befriend-medway'),
      '/service_at_locations/{id}': (await get('/openreferral/service_at_locations?per_page=1')).body.contents[0].id,
      '/taxonomies/{id}': (await get('/openreferral/taxonomies')).body.contents[0].id,
      '/taxonomy_terms/{id}': (await get('/openreferral/taxonomy_terms')).body.contents[0].id,
    };
    for (const path of Object.keys(openapi.paths)) {
      const url = `/openreferral${path === '/' ? '' : path.replace('{id}', ids[path] ?? '')}`;
      const res = await get(url);
      expect(res.status, url).toBe(200);
      const v = responseValidator(path);
      expect(v(res.body), `${url} ${problems(v)}`).toBe(true);
    }
  });

  it('answers bad parameters with a clear 400 naming the parameter, in its error shape, with the CORS header', async () => {
    for (const [query, parameter] of [
      ['?colour=blue', 'colour'], ['?postcode=NOTAPOSTCODE', 'postcode'], ['?postcode=SW1A%201AA', 'postcode'],
      ['?postcode=ME7&proximity=-5', 'proximity'], ['?postcode=ME7&proximity=0', 'proximity'], ['?postcode=ME7&proximity=99999999', 'proximity'],
      ['?postcode=ME7&proximity=near', 'proximity'], ['?proximity=500', 'proximity'], ['?per_page=0', 'per_page'], ['?per_page=100000', 'per_page'],
      ['?page=-1', 'page'], ['?page=1.5', 'page'], ['?taxonomy_term_id=befriending', 'taxonomy_term_id'], ['?modified_after=yesterday', 'modified_after'],
      ['?day=funday', 'day'], ['?start_time=25:00', 'start_time'], ['?free=maybe', 'free'], ['?minimum_age=-3', 'minimum_age'],
      ['?page=1&page=2', 'page'],
    ] as const) {
      const res = await get(`/openreferral/services${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body).toEqual({ status: 400, error: 'Bad Request', message: expect.any(String), parameter });
    }
    const bad = await get('/openreferral/taxonomies?search=x');
    expect(bad.status).toBe(400);
    const missing = await get(`/openreferral/services/${uuidFor('nothing')}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ status: 404, error: 'Not Found', message: expect.any(String) });
    expect((await get('/openreferral/organizations')).status).toBe(404);
    const post = await t.app.inject({ method: 'POST', url: '/openreferral/services', payload: {} });
    expect(post.statusCode).toBe(405);
  });
});
