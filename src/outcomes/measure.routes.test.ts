import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, signIn } from '../access/identity/identity.test-helpers.js';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { writeOutcomesPopulation } from './outcomes.fixtures.js';

// $evaluate-measure over HTTP: who may, what comes back, and bad input. 1,500 county-wide residents.
let t: TestPlatform;
let analyst: Record<string, string>;
let gp: Record<string, string>;
const Q1 = 'periodStart=2024-04-01&periodEnd=2024-06-30';
const PW = 'outcomes pass 1';

beforeAll(async () => {
  t = await createTestPlatform();
  await writeOutcomesPopulation(t.platform, 1500);
  await t.platform.outcomes.service.publishMeasures();
  await createStaff(t.platform, 'analyst.outcomes', PW, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  await createStaff(t.platform, 'gp.outcomes', PW, [{ organizationId: 'org-icb', role: 'gp' }]);
  analyst = { cookie: (await signIn(t.app, 'analyst.outcomes', PW)).cookie, authorization: '' };
  gp = { cookie: (await signIn(t.app, 'gp.outcomes', PW)).cookie, authorization: '' };
}, 300_000);
afterAll(() => t?.close());

const evaluate = (q: string, who = analyst) => fhir(t.app, 'GET', `Measure/O3.2/$evaluate-measure?${q}`, undefined, who);

describe('GET /fhir/R4/Measure/{id}/$evaluate-measure', () => {
  it('the 29 indicators are Measures in the record, each identified by its id', async () => {
    const res = await fhir(t.app, 'GET', 'Measure?_count=50');
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(29);
    const m = await fhir(t.app, 'GET', 'Measure/O1.1');
    expect(m.body.identifier[0].value).toBe('O1.1');
    expect(m.body.improvementNotation.coding[0].code).toBe('decrease');
    expect(m.body.group[0].population.map((p: any) => p.code.coding[0].code)).toEqual(['initial-population', 'denominator', 'numerator']);
    expect((await fhir(t.app, 'GET', 'Measure/O1.2')).body.improvementNotation.text).toContain('Maintain');
  });

  it('an ICB analyst gets the system\'s MeasureReport for a quarter, stratified, with only protected counts', async () => {
    const res = await evaluate(`${Q1}&place=system`);
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r.resourceType).toBe('MeasureReport');
    expect(r.measure).toMatch(/Measure\/O3\.2$/);
    expect(r.period).toEqual({ start: '2024-04-01', end: '2024-06-30' });
    const g = r.group[0];
    expect(g.measureScore.value).toBeGreaterThan(50);
    expect(g.extension[0].valueRange.low.value).toBeLessThan(g.measureScore.value);
    expect(g.stratifier.map((s: any) => s.code[0].coding[0].code)).toEqual(['age-band', 'sex', 'deprivation-quintile', 'ethnicity']);
    const counts: number[] = [];
    const walk = (x: any) => { if (x && typeof x === 'object') { if (typeof x.count === 'number') counts.push(x.count); Object.values(x).forEach(walk); } };
    walk(r);
    expect(counts.length).toBeGreaterThan(20);
    for (const c of counts) expect(c % 5, `count ${c}`).toBe(0);
    expect(JSON.stringify(r)).toContain('"valueCode":"masked"');
    expect(JSON.stringify(r)).not.toContain('Patient/');
  });

  it('a district, a network and a practice; only the strata asked for; the quarter is stored', async () => {
    const d = await evaluate(`${Q1}&place=district:maidstone&stratifier=sex`);
    expect(d.status).toBe(200);
    expect(d.body.group[0].stratifier).toHaveLength(1);
    const pr = await t.platform.db.query<{ place: string }>("SELECT place FROM outcome_report WHERE measure_id = 'O3.2' AND place LIKE 'practice:%' LIMIT 1");
    const practice = pr.rows[0].place;
    const p = await evaluate(`${Q1}&place=${practice}`);
    expect(p.status).toBe(200);
    expect(p.body.group[0].stratifier).toBeUndefined();
    const stored = await t.platform.db.query<{ n: string; small: string }>(
      "SELECT count(*) AS n, count(*) FILTER (WHERE numerator BETWEEN 1 AND 7 OR denominator BETWEEN 1 AND 7 OR numerator % 5 <> 0) AS small FROM outcome_report WHERE measure_id = 'O3.2'");
    expect(Number(stored.rows[0].n)).toBeGreaterThan(20);
    expect(Number(stored.rows[0].small)).toBe(0);
  });

  it('bad input is a 400 OperationOutcome naming the problem, and nothing is stored', async () => {
    const before = (await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM outcome_report')).rows[0].n;
    const cases: [string, string, RegExp][] = [
      ['Measure/O9.9/$evaluate-measure?' + Q1, 'unknown measure', /Unknown measure/],
      ['Measure/O1.4/$evaluate-measure?' + Q1, 'submitted, not computed', /not computed from the record/],
      ['Measure/O3.2/$evaluate-measure?periodStart=2024-02-30&periodEnd=2024-06-30', 'impossible date', /not a calendar date/],
      ['Measure/O3.2/$evaluate-measure?periodStart=2024-07-01&periodEnd=2024-06-30', 'end before start', /before periodStart/],
      ['Measure/O3.2/$evaluate-measure?periodStart=2024-04-01&periodEnd=2025-03-31', 'not a quarter', /whole quarters only/],
      ['Measure/O3.2/$evaluate-measure?periodStart=2024-04-01', 'no end', /required/],
      ['Measure/O3.2/$evaluate-measure?' + Q1 + '&place=district:atlantis', 'unknown place', /Unknown place/],
      ['Measure/O3.2/$evaluate-measure?' + Q1 + '&place=practice:org-nowhere', 'unknown practice', /Unknown place/],
      ['Measure/O3.2/$evaluate-measure?' + Q1 + '&stratifier=religion', 'stratifier not offered', /not offered/],
      ['Measure/O3.2/$evaluate-measure?' + Q1 + '&place=pcn:org-x&stratifier=sex', 'strata at a network', /totals only/],
    ];
    for (const [url, what, words] of cases) {
      const res = await fhir(t.app, 'GET', url, undefined, analyst);
      expect(res.status, what).toBe(400);
      expect(res.body.resourceType, what).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics, what).toMatch(words);
    }
    expect((await t.platform.db.query<{ n: string }>('SELECT count(*) AS n FROM outcome_report')).rows[0].n).toBe(before);
  });

  it('a GP cannot read aggregates (403), nobody signed out can (401)', async () => {
    expect((await evaluate(`${Q1}&place=system`, gp)).status).toBe(403);
    expect((await evaluate(`${Q1}&place=system`, { authorization: '' })).status).toBe(401);
  });

  it('the analyst cannot see a person: no Patient is readable or searchable', async () => {
    const id = (await t.platform.db.query<{ id: string }>("SELECT id FROM resource WHERE resource_type = 'Patient' LIMIT 1")).rows[0].id;
    const read = await fhir(t.app, 'GET', `Patient/${id}`, undefined, analyst);
    expect([403, 404]).toContain(read.status);
    const search = await fhir(t.app, 'GET', 'Patient?_count=5', undefined, analyst);
    expect(search.status === 403 || (search.status === 200 && (search.body.entry ?? []).length === 0)).toBe(true);
    const obs = await fhir(t.app, 'GET', 'Observation?code=smoking-at-delivery', undefined, analyst);
    expect(obs.status === 403 || (obs.status === 200 && (obs.body.entry ?? []).length === 0)).toBe(true);
  });
});
