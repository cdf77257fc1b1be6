import type { HealthcareService } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { loadDirectoryFixture } from './directory.fixtures.js';
import { htmlToText, importOpenReferral } from './oruk-import.service.js';

async function* chunksOf(text: string, size = 37) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const GOOD = {
  id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'Chatham Lunch Club', status: 'active',
  description: '<p>Hot lunch &amp; company every <b>Saturday</b>.</p><script>alert("x")</script>',
  organization: { id: 'org-1', name: 'Chatham Friends', description: 'A charity' },
  phones: [{ id: 'p1', number: '01632 960111' }],
  schedules: [{ id: 's1', freq: 'WEEKLY', byday: 'SA', opens_at: '11:00', closes_at: '14:00' }, { id: 's2', freq: 'MONTHLY', bymonthday: '1' }],
  service_at_locations: [{ id: 'sal1', location: { id: 'loc-1', location_type: 'physical', name: 'St Mary\'s Hall', latitude: 51.38, longitude: 0.53,
    addresses: [{ id: 'ad1', address_1: '1 High Street', city: 'Chatham', state_province: 'Kent', postal_code: 'ME4 4AA', country: 'GB', address_type: 'physical' }] } }],
  cost_options: [{ id: 'c1', option: 'Free' }], assured_date: '2026-10-01', minimum_age: 60,
  attributes: [{ id: 'at1', taxonomy_term: { id: 'tt1', name: 'Befriending', taxonomy: 'esdServiceTypes', term: 'befriending' } }],
  favourite_colour: 'blue',
};

describe('importing an Open Referral feed', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
  });
  afterAll(async () => t?.close());
  const count = async (type: string) => (await t.platform.db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource WHERE resource_type = $1 AND NOT deleted', [type])).rows[0].n;

  it('reduces HTML and scripts to their words', () => {
    expect(htmlToText('<p>Tea &amp; cake</p><script>steal()</script><br>Fridays &#8211; 2pm')).toBe('Tea & cake\nFridays – 2pm');
  });

  it('imports a messy page of services: each record imported, imported with warnings or rejected with a reason; nothing half-written', async () => {
    const feed = JSON.stringify({
      total_items: 7, page_number: 1,
      contents: [
        GOOD,
        { id: 'svc-2', name: '<b></b>  ', organization_id: 'org-1' },
        { name: 'No id here' },
        { ...GOOD, name: 'Duplicate of the first' },
        { id: 'svc-5', name: 'Odd times group', schedules: [{ byday: 'MO,XX', opens_at: '9', closes_at: '17:00' }, { byday: 'TU', opens_at: 'morning', closes_at: 'noon' }] },
        { id: 'svc-6', name: 'Bad location', organization: { id: 'org-2', name: 'Org two' }, service_at_locations: [{ location: { id: 'loc-9', latitude: 'north', longitude: 999 } }] },
        // A language code with a double space is not a FHIR code: the whole record (its organisation too) is refused.
        { id: 'svc-7', name: 'Invalid language', organization: { id: 'org-3', name: 'Org three' }, languages: [{ code: 'en  GB', name: 'English' }] },
      ],
    });
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(feed));
    expect(summary.stoppedBecause).toBeUndefined();
    expect(summary.records.map((r) => r.outcome)).toEqual(['imported', 'rejected', 'rejected', 'rejected', 'imported', 'imported', 'rejected']);
    expect(summary.records[1].reason).toMatch(/no name/);
    expect(summary.records[2].reason).toMatch(/no id/);
    expect(summary.records[3].reason).toMatch(/duplicate id/);
    expect(summary.records[6].reason).toMatch(/^not valid: .*communication/i);
    expect(summary.records[0].warnings.join(' ')).toMatch(/markup removed/);
    expect(summary.records[0].warnings.join(' ')).toMatch(/monthly schedules/);
    expect(summary.records[0].warnings.join(' ')).toMatch(/unknown fields ignored: favourite_colour/);
    expect(summary.records[4].warnings.join(' ')).toMatch(/could not be read/);
    expect(summary.records[5].warnings.join(' ')).toMatch(/coordinates could not be read/);
    expect(await count('HealthcareService')).toBe(3);
    expect(await count('Organization')).toBe(2);

    const row = await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'HealthcareService' AND id = 'oruk-svc-a1b2c3d4-0000-4000-8000-000000000001'`);
    const hs = JSON.parse(row.rows[0].content);
    expect(hs.comment).toBe('Hot lunch & company every Saturday.');
    expect(hs.comment).not.toContain('<');
    expect(hs.availableTime).toEqual([{ daysOfWeek: ['sat'], availableStartTime: '11:00:00', availableEndTime: '14:00:00' }]);
    // The directory and its Open Referral API see it at once, under the feed's own UUID.
    const api = await t.app.inject({ method: 'GET', url: '/openreferral/services?search=lunch' });
    expect(api.json().contents.map((s: { id: string }) => s.id)).toEqual([GOOD.id]);
    const near = await t.app.inject({ method: 'GET', url: '/openreferral/services?postcode=ME4&proximity=5000&day=SA' });
    expect(near.json().contents.map((s: { name: string }) => s.name)).toContain('Chatham Lunch Club');
  });

  it('updates on a second run and never duplicates', async () => {
    const again = JSON.stringify([{ ...GOOD, name: 'Chatham Lunch Club (Saturdays)' }, { id: 'svc-5', name: 'Odd times group', schedules: [{ byday: 'MO,XX', opens_at: '9', closes_at: '17:00' }, { byday: 'TU', opens_at: 'morning', closes_at: 'noon' }] }]);
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(again, 1000));
    expect(summary.records.map((r) => r.outcome)).toEqual(['updated', 'unchanged']);
    expect(await count('HealthcareService')).toBe(3);
    const api = await t.app.inject({ method: 'GET', url: `/openreferral/services/${GOOD.id}` });
    expect(api.json().name).toBe('Chatham Lunch Club (Saturdays)');
  });

  it('writes a shared organisation with the first record that is written, however the records before it ended, and only once', async () => {
    // More than a batch (250), so later records meet the organisation as already written by this import.
    const org = { id: 'org-shared', name: 'Shared charity' };
    const feed = JSON.stringify([
      { id: 'shared-0', name: 'Refused', organization: org, languages: [{ code: 'en  GB', name: 'English' }] },
      ...Array.from({ length: 300 }, (_, i) => ({ id: `shared-${i + 1}`, name: `Group ${i + 1}`, organization: org, phones: [{ id: `p${i}`, number: '01632 960111' }] })),
    ]);
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(feed, 64 * 1024));
    expect(summary.records[0].outcome).toBe('rejected');
    expect(summary.created).toBe(300);
    const orgs = await t.platform.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Organization' AND id = 'oruk-org-org-shared' AND NOT deleted`);
    expect(orgs.rows[0].n).toBe(1);
    const orphans = await t.platform.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM directory_service s WHERE s.service_id LIKE 'oruk-svc-shared-%'
          AND NOT EXISTS (SELECT 1 FROM resource o WHERE o.resource_type = 'Organization' AND o.id = s.org_id AND NOT o.deleted)`);
    expect(orphans.rows[0].n).toBe(0);
  });

  it('keeps the records before malformed JSON and says where it stopped', async () => {
    const broken = `[${JSON.stringify({ id: 'svc-7', name: 'Before the break' })}, {"id": "svc-8", "name": "Broken" `;
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(broken));
    expect(summary.records.map((r) => r.outcome)).toEqual(['imported']);
    expect(summary.stoppedBecause).toMatch(/truncated/);
    const notJson = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf('[{"id": "x", "name": oops}]'));
    expect(notJson.stoppedBecause).toMatch(/not valid JSON/);
    expect(await count('HealthcareService')).toBe(304);
  });
});

describe('importing a feed over what the directory already has', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await createTestPlatform({ integration: false });
    await loadDirectoryFixture(t.platform, ['medway']);
  });
  afterAll(async () => t?.close());
  const versionOf = async (type: string, id: string) =>
    (await t.platform.db.query<{ v: number }>('SELECT version_id AS v FROM resource WHERE resource_type = $1 AND id = $2', [type, id])).rows[0]?.v;
  const stored = async (id: string) =>
    JSON.parse((await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'HealthcareService' AND id = $1`, [id])).rows[0].content) as HealthcareService;
  const twice = async () => (await t.platform.db.query<{ n: number }>('SELECT (count(*) - count(DISTINCT oruk_id))::int AS n FROM directory_service')).rows[0].n;

  it('its own feed imported back makes no second entry: each service of its own is refused with the reason, and left as it was', async () => {
    const page = (await t.app.inject({ method: 'GET', url: '/openreferral/services?per_page=50' })).json() as { contents: { id: string }[] };
    expect(page.contents.length).toBeGreaterThan(10);
    const one = (await t.app.inject({ method: 'GET', url: `/openreferral/services/${page.contents[0].id}` })).json() as Record<string, unknown>;
    const own = (await t.platform.db.query<{ service_id: string }>('SELECT service_id FROM directory_service WHERE oruk_id = $1', [one.id])).rows[0].service_id;
    const before = await versionOf('HealthcareService', own);

    const listed = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify(page), 4096));
    const full = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify([one]), 4096));

    expect(listed.records.map((r) => r.outcome)).toEqual(page.contents.map(() => 'rejected'));
    expect(full.records[0].outcome).toBe('rejected');
    expect(full.records[0].reason).toBe(`already in the directory as HealthcareService/${own}, which is kept as it is: a feed does not overwrite an entry kept here`);
    expect(await twice()).toBe(0);
    expect(await versionOf('HealthcareService', own)).toBe(before);
    expect((await t.platform.db.query(`SELECT 1 FROM resource WHERE id LIKE 'oruk-%'`)).rows).toEqual([]);
  });

  it('a new service run by an organisation, at a place, the directory already has is linked to them, not given copies', async () => {
    const page = (await t.app.inject({ method: 'GET', url: '/openreferral/services?per_page=50' })).json() as { contents: { id: string }[] };
    const located = [];
    for (const s of page.contents) {
      const full = (await t.app.inject({ method: 'GET', url: `/openreferral/services/${s.id}` })).json() as { organization?: { id: string }; service_at_locations: { location: { id: string } }[] };
      if (full.organization && full.service_at_locations.length) located.push(full);
    }
    const theirs = located[0];
    const org = (await t.platform.db.query<{ org_id: string }>('SELECT org_id FROM directory_service WHERE oruk_id = $1', [(theirs as unknown as { id: string }).id])).rows[0].org_id;
    const loc = (await t.platform.db.query<{ location_id: string }>('SELECT location_id FROM directory_location WHERE oruk_id = $1', [theirs.service_at_locations[0].location.id])).rows[0].location_id;
    const [orgBefore, locBefore] = [await versionOf('Organization', org), await versionOf('Location', loc)];

    const fresh = { ...GOOD, id: 'a1b2c3d4-0000-4000-8000-0000000000f1', name: 'Tea and chat', organization: theirs.organization, service_at_locations: theirs.service_at_locations };
    const summary = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify([fresh]), 4096));

    expect(summary.records[0].outcome).toBe('imported');
    expect(summary.records[0].warnings).toEqual(expect.arrayContaining([
      `organisation already in the directory (Organization/${org}): linked to it, not changed`,
      `location already in the directory (Location/${loc}): linked to it, not changed`,
    ]));
    const hs = await stored(`oruk-svc-${fresh.id}`);
    expect(hs.providedBy?.reference).toBe(`Organization/${org}`);
    expect(hs.location).toEqual([{ reference: `Location/${loc}` }]);
    expect((await t.platform.db.query(`SELECT 1 FROM resource WHERE resource_type IN ('Organization', 'Location') AND id LIKE 'oruk-%'`)).rows).toEqual([]);
    expect([await versionOf('Organization', org), await versionOf('Location', loc)]).toEqual([orgBefore, locBefore]);
    expect(await twice()).toBe(0);
  });

  it('the same UUID in another case is the same service: updated, never a second entry', async () => {
    const id = 'a1b2c3d4-0000-4000-8000-0000000000f3';
    await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify([{ ...GOOD, id }]), 4096));
    const upper = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify([{ ...GOOD, id: id.toUpperCase(), name: 'Renamed club' }, { ...GOOD, id }]), 4096));
    expect(upper.records.map((r) => r.outcome)).toEqual(['updated', 'rejected']);
    expect(upper.records[1].reason).toMatch(/duplicate id: the same id as record 1/);
    expect((await stored(`oruk-svc-${id}`)).name).toBe('Renamed club');
    expect((await t.platform.db.query('SELECT 1 FROM directory_service WHERE oruk_id = $1', [id])).rows).toHaveLength(1);
    expect(await twice()).toBe(0);
  });

  it('a /services page (one-to-one fields only) leaves the phones, times, places, terms and costs it does not carry; a list given empty empties it', async () => {
    const id = 'a1b2c3d4-0000-4000-8000-0000000000f2';
    await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify([{ ...GOOD, id }]), 4096));
    const full = await stored(`oruk-svc-${id}`);
    expect(full.telecom?.some((x) => x.system === 'phone')).toBe(true);

    const listItem = { id, name: GOOD.name, description: 'Hot lunch and company, Saturdays', status: 'active', assured_date: GOOD.assured_date, minimum_age: GOOD.minimum_age };
    const listed = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify({ contents: [listItem] }), 4096));
    expect(listed.records[0].outcome).toBe('updated');
    expect(listed.records[0].warnings).not.toContain('no phone number');
    const after = await stored(`oruk-svc-${id}`);
    expect(after.comment).toBe('Hot lunch and company, Saturdays');
    for (const e of ['telecom', 'availableTime', 'location', 'type', 'extension'] as const) expect(after[e], e).toEqual(full[e]);
    const near = await t.app.inject({ method: 'GET', url: '/openreferral/services?postcode=ME4&proximity=5000&day=SA' });
    expect(near.json().contents.map((s: { id: string }) => s.id)).toContain(id);

    const emptied = await importOpenReferral(t.platform.db, t.platform.resources, chunksOf(JSON.stringify([{ ...listItem, phones: [], schedules: [] }]), 4096));
    expect(emptied.records[0].outcome).toBe('updated');
    expect(emptied.records[0].warnings).toContain('no phone number');
    const now = await stored(`oruk-svc-${id}`);
    expect(now.telecom).toBeUndefined();
    expect(now.availableTime).toBeUndefined();
    expect(now.location).toEqual(full.location);
  });
});
