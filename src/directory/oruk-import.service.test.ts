import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
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
