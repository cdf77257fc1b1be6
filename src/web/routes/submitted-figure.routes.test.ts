import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { CARE_PASSWORD } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

// The submit form in-process: a council's staff submit a figure, an error keeps the answers, the
// figures already submitted are listed with who and which version; someone else's staff get a 403.
let t: TestPlatform;

beforeAll(async () => {
  t = await createTestPlatform();
  for (const o of [{ id: 'org-kcc', name: 'Kent County Council' }, { id: 'org-gp-2', name: 'Hill Surgery' }]) {
    await t.platform.resources.update('Organization', o.id, { resourceType: 'Organization', ...o } as Resource);
  }
  await createStaff(t.platform, 'kcc.form', CARE_PASSWORD, [{ organizationId: 'org-kcc', role: 'social-worker' }]);
  await createStaff(t.platform, 'gp.form', CARE_PASSWORD, [{ organizationId: 'org-gp-2', role: 'gp' }]);
}, 120_000);
afterAll(() => t?.close());

const fields = (over: Record<string, string> = {}) => ({
  place: 'district:swale', 'periodStart-day': '1', 'periodStart-month': '9', 'periodStart-year': '2024',
  'periodEnd-day': '31', 'periodEnd-month': '8', 'periodEnd-year': '2025', numerator: '65', denominator: '100', value: '', ...over,
});

describe('/outcomes/:id/submit', () => {
  it('the owner\'s staff find the form from the indicator, get the error summary with their answers kept, then submit and correct', async () => {
    const b = new Browser(t);
    await b.signIn('kcc.form');
    expect((await b.get('/outcomes/O1.5')).body).toContain('href="/outcomes/O1.5/submit"');
    const form = await b.get('/outcomes/O1.5/submit');
    expect(form.status).toBe(200);
    expect(form.body).toContain('No figure submitted yet by Kent County Council and Medway Council (early years)');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1];

    const bad = await b.post('/outcomes/O1.5/submit', { csrf_token: csrf, ...fields({ numerator: '650' }) });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('The numerator (650) cannot be more than the denominator (100)');
    expect(bad.body).toContain('href="#numerator"');
    expect(bad.body).toMatch(/id="numerator" name="numerator" type="text" value="650"/);
    expect(bad.body).toMatch(/<option value="district:swale" selected>/);
    expect((await t.platform.db.query(`SELECT 1 FROM resource WHERE resource_type = 'MeasureReport'`)).rows).toHaveLength(0);

    const typo = await b.post('/outcomes/O1.5/submit', { csrf_token: csrf, ...fields({ 'periodEnd-day': '32' }) });
    expect(typo.status).toBe(400);
    expect(typo.body).toContain('href="#periodEnd-day"');

    const ok = await b.post('/outcomes/O1.5/submit', { csrf_token: csrf, ...fields() });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/outcomes/O1.5/submit?version=1');
    const again = await b.post('/outcomes/O1.5/submit', { csrf_token: csrf, ...fields({ numerator: '66' }) });
    expect(again.headers.location).toBe('/outcomes/O1.5/submit?version=2');
    const list = await b.get(String(again.headers.location));
    expect(list.body).toContain('Figure corrected: this is version 2');
    expect(list.body).toContain('66% (66 of 100)');
    expect(list.body).toContain('65% (65 of 100)');
    expect(list.body).toContain('kcc.form, Kent County Council');
  });

  it('a place outside the council\'s area is refused on the form, answers kept, nothing written', async () => {
    const b = new Browser(t);
    await b.signIn('kcc.form');
    const form = await b.get('/outcomes/O1.5/submit');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1];
    const res = await b.post('/outcomes/O1.5/submit', { csrf_token: csrf, ...fields({ place: 'district:medway' }) });
    expect(res.status).toBe(403);
    expect(res.body).toContain('There is a problem');
    expect(res.body).toContain('in its own area (kent) only');
    expect(res.body).toMatch(/<option value="district:medway" selected>/);
    expect((await t.platform.db.query(`SELECT 1 FROM outcome_report WHERE place = 'district:medway'`)).rows).toHaveLength(0);
  });

  it('staff of another organisation cannot open or post the form', async () => {
    const b = new Browser(t);
    await b.signIn('gp.form');
    expect((await b.get('/outcomes/O1.5')).body).not.toContain('/outcomes/O1.5/submit');
    expect((await b.get('/outcomes/O1.5/submit')).status).toBe(403);
    const csrf = await b.csrf();
    const before = (await t.platform.db.query(`SELECT 1 FROM resource_history WHERE resource_type = 'MeasureReport'`)).rows.length;
    expect((await b.post('/outcomes/O1.5/submit', { csrf_token: csrf, ...fields({ place: 'system' }) })).status).toBe(403);
    expect((await t.platform.db.query(`SELECT 1 FROM resource_history WHERE resource_type = 'MeasureReport'`)).rows).toHaveLength(before);
  });
});
