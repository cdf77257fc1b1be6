import type { Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, signIn } from '../access/identity/identity.test-helpers.js';
import type { StaffPrincipal } from '../access/principal.js';
import { CARE_PASSWORD } from '../record-view/care.fixtures.js';
import { createTestPlatform, fhir, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from '../web/web.test-helpers.js';
import { reportIdOf } from './submitted-figure.service.js';
import { seedDemoSubmittedFigures } from './submitted-figure.demo.js';
import { demoPrincipal } from '../cli/demo-population.js';
import type { DemoAccount } from '../access/identity/demo-accounts.js';

// Submitted figures (issue 14 part 3) over the API on the real database: who may submit, every bad
// input refused with nothing written, versions kept, resubmitting idempotent, and the dashboard
// showing the latest version with who submitted it. The clock is the real one: periods are in 2025.
let t: TestPlatform;
const who: Record<string, Record<string, string>> = {};
const SD = 'https://onestory.example/fhir/StructureDefinition';
const YEAR = { start: '2024-09-01', end: '2025-08-31' };

const report = (o: { place?: string; start?: string; end?: string; num?: number; den?: number; value?: number; measure?: string } = {}) => ({
  resourceType: 'MeasureReport', status: 'complete', type: 'summary', ...(o.measure ? { measure: o.measure } : {}),
  period: { start: o.start ?? YEAR.start, end: o.end ?? YEAR.end },
  extension: [{ url: `${SD}/place`, valueCoding: { code: o.place ?? 'county:kent' } }],
  group: [{
    population: [
      ...(o.num !== undefined ? [{ code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'numerator' }] }, count: o.num }] : []),
      ...(o.den !== undefined ? [{ code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'denominator' }] }, count: o.den }] : []),
    ],
    ...(o.value !== undefined ? { measureScore: { value: o.value } } : {}),
  }],
});
const submit = (id: string, body: unknown, as: string) => fhir(t.app, 'POST', `Measure/${id}/$submit-data`, body, who[as]);

/** Everything a submission writes: MeasureReports (all versions), Provenance, stored figures. */
async function written(): Promise<number[]> {
  const r = await t.platform.db.query<{ a: number; b: number; c: number }>(
    `SELECT (SELECT count(*)::int FROM resource_history WHERE resource_type = 'MeasureReport') AS a,
            (SELECT count(*)::int FROM resource WHERE resource_type = 'Provenance') AS b,
            (SELECT count(*)::int FROM outcome_report WHERE submitted_version IS NOT NULL) AS c`);
  return [r.rows[0].a, r.rows[0].b, r.rows[0].c];
}

beforeAll(async () => {
  t = await createTestPlatform();
  const orgs: Resource[] = [
    { resourceType: 'Organization', id: 'org-kcc', name: 'Kent County Council' } as Resource,
    { resourceType: 'Organization', id: 'org-medway-council', name: 'Medway Council' } as Resource,
    { resourceType: 'Organization', id: 'org-icb', name: 'NHS Kent and Medway Integrated Care Board' } as Resource,
    { resourceType: 'Organization', id: 'org-gp-1', name: 'Riverside Surgery' } as Resource,
  ];
  for (const o of orgs) await t.platform.resources.update('Organization', o.id!, o);
  await t.platform.outcomes.service.publishMeasures();
  const staff: [string, string, 'social-worker' | 'icb-analyst' | 'gp'][] = [
    ['kcc', 'org-kcc', 'social-worker'], ['medway', 'org-medway-council', 'social-worker'], ['analyst', 'org-icb', 'icb-analyst'], ['gp', 'org-gp-1', 'gp'],
  ];
  for (const [name, org, role] of staff) {
    await createStaff(t.platform, `${name}.submit`, CARE_PASSWORD, [{ organizationId: org, role }]);
    const session = await signIn(t.app, `${name}.submit`, CARE_PASSWORD);
    who[name] = { cookie: session.cookie, 'x-csrf-token': session.csrf, authorization: '' };
  }
}, 300_000);
afterAll(() => t?.close());

describe('POST /fhir/R4/Measure/{id}/$submit-data', () => {
  it('Kent County Council submits pupil absence for Kent: version 1 in the record, with the platform\'s Provenance, and the figure stored', async () => {
    const res = await submit('O1.4', { resourceType: 'Parameters', parameter: [{ name: 'measureReport', resource: report({ num: 7_900, den: 100_000 }) }] }, 'kcc');
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(reportIdOf('O1.4', 'county:kent', YEAR));
    expect(res.body.meta.versionId).toBe('1');
    expect(res.body.group[0].measureScore.value).toBe(7.9);
    expect(res.body.reporter).toEqual({ reference: 'Organization/org-kcc', display: 'Kent County Council' });
    const prov = await t.platform.db.query<{ content: string }>(`SELECT content FROM resource WHERE resource_type = 'Provenance'`);
    expect(prov.rows).toHaveLength(1);
    const p = JSON.parse(prov.rows[0].content);
    expect(p.target[0].reference).toBe(`MeasureReport/${res.body.id}/_history/1`);
    expect(p.agent[0].onBehalfOf.reference).toBe('Organization/org-kcc');
    expect(p.agent[0].who.display).toBe('kcc.submit');
    // A client cannot write Provenance itself: the record's provenance is the platform's word.
    expect((await fhir(t.app, 'POST', 'Provenance', p, who.analyst)).status).toBe(405);
  });

  it('resubmitting the same figure writes nothing; a correction is version 2 and version 1 stays readable', async () => {
    const before = await written();
    const same = await submit('O1.4', report({ num: 7_900, den: 100_000 }), 'kcc');
    expect(same.status).toBe(200);
    expect(same.body.meta.versionId).toBe('1');
    expect(await written()).toEqual(before);

    const fixed = await submit('O1.4', report({ num: 7_600, den: 100_000 }), 'kcc');
    expect(fixed.status).toBe(200);
    expect(fixed.body.meta.versionId).toBe('2');
    const hist = await t.platform.db.query<{ version_id: number; content: string }>(
      `SELECT version_id, content FROM resource_history WHERE resource_type = 'MeasureReport' AND id = $1 ORDER BY version_id`, [fixed.body.id]);
    expect(hist.rows.map((r) => [r.version_id, JSON.parse(r.content).group[0].measureScore.value])).toEqual([[1, 7.9], [2, 7.6]]);
    const versions = await t.platform.outcomes.submitted.versions(analystPrincipal(), 'O1.4');
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    const stored = await t.platform.db.query<{ score: string; submitted_version: number }>(
      `SELECT score::text, submitted_version FROM outcome_report WHERE measure_id = 'O1.4' AND place = 'county:kent'`);
    expect(stored.rows).toEqual([{ score: '7.6', submitted_version: 2 }]);
  });

  it('every bad figure is a 400 OperationOutcome and nothing is written', async () => {
    const before = await written();
    const bad: [string, unknown, RegExp][] = [
      ['O9.9', report({ value: 5 }), /Unknown measure/],
      ['O1.1', report({ value: 5 }), /not a submitted measure/],
      ['O1.4', report({ value: 5, start: '2025-02-01', end: '2025-02-30' }), /not a calendar date/],
      ['O1.4', report({ value: 5, start: '2025-06-01', end: '2025-03-31' }), /ends before it starts/],
      ['O1.4', report({ value: 5, start: '2025-01-15', end: '2025-03-31' }), /whole months/],
      ['O1.4', report({ value: 5, start: '2023-01-01', end: '2024-12-31' }), /at most 12 months/],
      ['O1.4', report({ value: 5, start: '2099-01-01', end: '2099-03-31' }), /must be over/],
      ['O1.4', report({ value: 5, place: 'district:atlantis' }), /Unknown place/],
      ['O1.4', report({ num: -3, den: 100 }), /cannot be negative/],
      ['O1.4', report({ value: 120 }), /cannot be over 100/],
      ['O1.4', report({ num: 120, den: 100 }), /cannot be more than the denominator/],
      ['O1.4', report({ num: 5, den: 100, value: 9 }), /does not match/],
      ['O6.4', report({ value: 12.5, place: 'system' }), /whole number/],
      ['O1.4', report({ value: 5, measure: 'https://onestory.example/fhir/Measure/O1.5' }), /is not https/],
      ['O1.4', { resourceType: 'Patient' }, /Send a MeasureReport/],
    ];
    for (const [id, body, why] of bad) {
      const res = await submit(id, body, 'analyst');
      expect(res.status, `${id} ${JSON.stringify(body).slice(0, 160)}`).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toMatch(why);
    }
    expect(await written()).toEqual(before);
  });

  it('only the owner partner\'s staff (a council only for its own area) and ICB analysts may submit: others get a 403 and nothing is written', async () => {
    const before = await written();
    const refused: [string, string, unknown][] = [
      ['gp', 'O1.4', report({ value: 6 })], // not an owner
      ['medway', 'O1.4', report({ value: 6 })], // Medway Council, for Kent
      ['kcc', 'O1.4', report({ value: 6, place: 'district:medway' })], // Kent County Council, for Medway
      ['kcc', 'O1.4', report({ value: 6, place: 'system' })], // a council, for the whole system
      ['kcc', 'O6.4', report({ value: 900, place: 'system' })], // the VCSE workforce is collated by the ICB
    ];
    for (const [as, id, body] of refused) {
      const res = await submit(id, body, as);
      expect(res.status, `${as} ${id}`).toBe(403);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect(await written()).toEqual(before);
    expect((await submit('O1.4', report({ value: 6.2, place: 'district:medway' }), 'medway')).status).toBe(201);
  });

  it('a submitted count is protected like every published count: 1 to 7 suppressed, the rest rounded to 5', async () => {
    expect((await submit('O6.4', report({ value: 6, place: 'county:medway' }), 'analyst')).status).toBe(201);
    expect((await submit('O6.4', report({ value: 1_234, place: 'system' }), 'analyst')).status).toBe(201);
    const rows = await t.platform.db.query<{ place: string; score: string | null; suppressed: boolean }>(
      `SELECT place, score::text, suppressed FROM outcome_report WHERE measure_id = 'O6.4' ORDER BY place`);
    expect(rows.rows).toEqual([{ place: 'county:medway', score: null, suppressed: true }, { place: 'system', score: '1235', suppressed: false }]);
  });

  it('a small count hidden in one place is not left as the difference of two others: the next return hides one more, a correction frees it', async () => {
    const year = { start: '2023-09-01', end: '2024-08-31' };
    const stored = async () => (await t.platform.db.query<{ place: string; score: string | null; suppressed: boolean }>(
      `SELECT place, score::text, suppressed FROM outcome_report WHERE measure_id = 'O6.4' AND period_start = $1 ORDER BY place`, [year.start])).rows;
    expect((await submit('O6.4', report({ value: 5, place: 'county:medway', ...year }), 'analyst')).status).toBe(201);
    expect((await submit('O6.4', report({ value: 1_000, place: 'system', ...year }), 'analyst')).status).toBe(201);
    // Medway is still only hidden: Kent's figure is not there to take from the system's.
    expect(await stored()).toEqual([{ place: 'county:medway', score: null, suppressed: true }, { place: 'system', score: '1000', suppressed: false }]);
    expect((await submit('O6.4', report({ value: 995, place: 'county:kent', ...year }), 'analyst')).status).toBe(201);
    // The system less Kent would be Medway's 5: Kent's figure is hidden too (the system's is kept).
    expect(await stored()).toEqual([
      { place: 'county:kent', score: null, suppressed: true }, { place: 'county:medway', score: null, suppressed: true }, { place: 'system', score: '1000', suppressed: false },
    ]);
    // Medway's figure corrected to 50: nothing small is left, and every figure is shown again.
    expect((await submit('O6.4', report({ value: 50, place: 'county:medway', ...year }), 'analyst')).status).toBe(200);
    expect(await stored()).toEqual([
      { place: 'county:kent', score: '995', suppressed: false }, { place: 'county:medway', score: '50', suppressed: false }, { place: 'system', score: '1000', suppressed: false },
    ]);
  });
});

describe('the dashboard uses submitted figures', () => {
  it('the indicator page shows the latest version with who submitted it, a rating, and the CSV carries it; nothing yet says so', async () => {
    expect((await submit('O1.4', report({ num: 8_100, den: 100_000, place: 'system', start: '2023-09-01', end: '2024-08-31' }), 'analyst')).status).toBe(201);
    expect((await submit('O1.4', report({ num: 7_400, den: 100_000, place: 'system' }), 'analyst')).status).toBe(201);
    const b = new Browser(t);
    await b.signIn('analyst.submit');
    const page = await b.get('/outcomes/O1.4?place=county:kent');
    expect(page.status).toBe(200);
    expect(page.body).toContain('7.6%');
    expect(page.body).toMatch(/Submitted by kcc\.submit \(Kent County Council\) on \d+ \w+ 20\d\d, version 2/);
    expect(page.body).toContain('href="/outcomes/O1.4/submit"');
    const system = await b.get('/outcomes/O1.4');
    expect(system.body).toContain('7.4%');
    expect(system.body).toMatch(/On track|At risk|Off track|Too little data to tell/);
    expect(system.body).toContain('Sep 2023 to Aug 2024');
    const overview = await b.get('/outcomes');
    expect(overview.body).toMatch(/O1\.4 Pupil absence rate[\s\S]*?7\.4%[\s\S]*?submitted by analyst\.submit/);
    expect(overview.body).toContain('No figure submitted yet by Kent County Council and Medway Council (early years)');
    const csv = await b.get('/outcomes/O1.4.csv');
    expect(csv.body.split('\n')[0]).toContain('submitted_by');
    expect(csv.body).toMatch(/county:kent,.*,kcc\.submit,Kent County Council,/);
    const none = await b.get('/outcomes/O1.5');
    expect(none.body).toContain('No figure submitted yet by Kent County Council and Medway Council (early years)');
  });
});

describe('the demo\'s submitted figures', () => {
  it('seeds figures with Provenance from the council\'s and the analyst\'s accounts, one corrected, once', async () => {
    const accounts: DemoAccount[] = [
      { username: 'analyst.submit', password: '', kind: 'staff', role: 'icb-analyst', displayName: 'Priya Raman', organizationId: 'org-icb' },
      { username: 'kcc.submit', password: '', kind: 'staff', role: 'social-worker', displayName: 'Sam Council', organizationId: 'org-kcc' },
    ];
    const now = new Date('2026-10-15T09:00:00Z');
    expect(await seedDemoSubmittedFigures(t.platform, accounts, demoPrincipal, now)).toBe(0); // figures already in the record
    const provBefore = (await written())[1];
    const n = await seedDemoSubmittedFigures(t.platform, accounts, demoPrincipal, now, { evenIfSubmitted: true });
    expect(n).toBeGreaterThanOrEqual(8);
    expect((await written())[1]).toBe(provBefore + n);
    const rows = await t.platform.db.query<{ measure_id: string; place: string; submitted_by: string }>(
      `SELECT measure_id, place, submitted_by FROM outcome_report WHERE submitted_by IN ('Priya Raman', 'Sam Council') ORDER BY 1, 2`);
    expect(rows.rows.map((r) => `${r.measure_id} ${r.place} ${r.submitted_by}`)).toEqual(expect.arrayContaining([
      'O1.4 county:kent Sam Council', 'O1.4 system Priya Raman', 'O1.5 system Priya Raman', 'O6.3 system Priya Raman',
    ]));
    const corrected = await t.platform.db.query<{ version_id: number }>(
      `SELECT version_id FROM resource WHERE resource_type = 'MeasureReport' AND id = $1`, [reportIdOf('O1.4', 'county:kent', { start: '2025-09-01', end: '2026-08-31' })]);
    expect(corrected.rows[0].version_id).toBe(2);
  });
});

function analystPrincipal(): StaffPrincipal {
  return { kind: 'staff', id: 'a', displayName: 'analyst', role: 'icb-analyst', organizationId: 'org-icb', organizationIds: ['org-icb'], via: 'session', credentialId: 'x' };
}
