import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../access/identity/identity.test-helpers.js';
import { writeOutcomesPopulation } from '../../outcomes/outcomes.fixtures.js';
import { CARE_PASSWORD } from '../../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../../testing/test-platform.js';
import { Browser } from '../web.test-helpers.js';

// The outcomes dashboard in-process: 2,000 county-wide residents, four quarters evaluated and stored.
let t: TestPlatform;
const analyst = () => new Browser(t);

beforeAll(async () => {
  t = await createTestPlatform();
  await writeOutcomesPopulation(t.platform, 2000);
  await t.platform.outcomes.service.refresh([
    { start: '2024-04-01', end: '2024-06-30' }, { start: '2024-07-01', end: '2024-09-30' },
    { start: '2024-10-01', end: '2024-12-31' }, { start: '2025-01-01', end: '2025-03-31' },
  ]);
  await createStaff(t.platform, 'analyst.dash', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  await createStaff(t.platform, 'gp.dash', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'gp' }]);
}, 600_000);
afterAll(() => t?.close());

describe('the outcomes dashboard', () => {
  it('an ICB analyst sees all six outcomes with ratings, from the menu', async () => {
    const b = analyst();
    await b.signIn('analyst.dash');
    const res = await b.get('/outcomes');
    expect(res.status).toBe(200);
    expect(res.body).toContain('href="/outcomes"');
    for (const o of ['Outcome 1', 'Outcome 2', 'Outcome 3', 'Outcome 4', 'Outcome 5', 'Outcome 6']) expect(res.body).toContain(o);
    expect(res.body).toMatch(/On track|At risk|Off track|Too little data to tell/);
    expect(res.body).toContain('Submitted by');
    expect(res.body).toContain('Not yet computable');
    // Nothing hidden in silence: how many latest figures are shown and suppressed, and why, in words.
    expect(res.body).toMatch(/Of the \d+ indicators computed from the record, \d+ show a figure for Kent and Medway for the latest quarter/);
    if (res.body.includes('suppressed</strong>')) {
      expect(res.body).toContain('A suppressed figure is not zero');
      expect(res.body).toMatch(/The record holds 2,000 residents/);
    }
  });

  it('an indicator: headline with rating, the trend chart with its table, the district map with its table, places to drill into', async () => {
    const b = analyst();
    await b.signIn('analyst.dash');
    const res = await b.get('/outcomes/O3.2');
    expect(res.status).toBe(200);
    expect(res.body).toContain('Adults who are overweight or obese');
    expect(res.body).toContain('role="img" aria-labelledby="trend-title trend-desc"');
    expect(res.body).toContain('aria-labelledby="map-title map-desc"');
    expect(res.body).toContain('Jan to Mar 2025');
    expect(res.body).toContain('Swale');
    expect(res.body).toContain('Health and care partnerships');
    const hcp = await b.get('/outcomes/O3.2?place=hcp:EK');
    expect(hcp.status).toBe(200);
    expect(hcp.body).toContain('Within East Kent partnership');
    expect(hcp.body).toContain('Thanet');
    const district = await b.get('/outcomes/O3.2?place=district:thanet');
    expect(district.status).toBe(200);
    expect(district.body).toMatch(/Within Thanet[\s\S]*practice:|Within Thanet/);
  });

  it('the CSV: every stored figure with its strata; suppressed cells empty; no count from 1 to 7', async () => {
    const b = analyst();
    await b.signIn('analyst.dash');
    const res = await b.get('/outcomes/O1.1.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.trim().split('\n');
    expect(lines[0]).toContain('indicator,indicator_name,place');
    const header = lines[0].split(',');
    expect(lines.length).toBeGreaterThan(100);
    for (const l of lines.slice(1)) {
      // By name: the header says which columns are the counts (place names may hold commas, so not from the start).
      const cols = l.split(',');
      const fromEnd = (name: string) => cols[cols.length - (header.length - header.indexOf(name))];
      const [num, den] = [fromEnd('numerator'), fromEnd('denominator')];
      for (const v of [num, den]) if (v !== '') expect(Number(v) % 5, l).toBe(0);
    }
  });

  it('a GP sees no figures (the page says they are for ICB analysts) and cannot download them; an unknown indicator or place is a 404 page', async () => {
    const g = new Browser(t);
    await g.signIn('gp.dash');
    const res = await g.get('/outcomes');
    expect(res.status).toBe(200);
    expect(res.body).toContain('The figures by place and quarter are for ICB analysts');
    expect(res.body).not.toMatch(/On track|Off track|At risk/);
    expect((await g.get('/outcomes/O1.1.csv')).status).toBe(403);
    const b = analyst();
    await b.signIn('analyst.dash');
    expect((await b.get('/outcomes/O9.9')).status).toBe(404);
    expect((await b.get('/outcomes/O1.1?place=%3Cscript%3E')).status).toBe(404);
  });
});
