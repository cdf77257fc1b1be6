import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import { CARE_PASSWORD } from '../record-view/care.fixtures.js';
import { createTestPlatform, writeAsPlatform, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from '../web/web.test-helpers.js';
import { staff } from '../access/policy/policy.fixtures.js';
import { ACSC_CODES, financialYear } from './bcf.definitions.js';
import type { BcfService } from './bcf.service.js';
import { writeOutcomesPopulation } from './outcomes.fixtures.js';
import { roundCount, SUPPRESS_UP_TO } from './small-numbers.js';

/**
 * The Better Care Fund view on 1,500 county-wide synthetic residents as of 2025-07-01 (their
 * history is the financial year 2024/25), the clock on 15 July 2025: each metric's exact count for
 * Kent equals an independent count written in SQL over the stored JSON; what is published is
 * protected (nothing from 1 to 7, the rest multiples of 5, small district cells suppressed); the
 * comparison with the plan follows from the published figures; only analysts see it.
 */
let t: TestPlatform;
let bcf: BcfService;
const FY = financialYear(2024);
const SLOW = { timeout: 180_000 };

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => new Date('2025-07-15T09:00:00Z');
  await writeOutcomesPopulation(t.platform, 1500);
  bcf = t.platform.outcomes.bcf;
  await createStaff(t.platform, 'analyst.bcf', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
  await createStaff(t.platform, 'gp.bcf', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'gp' }]);
}, 600_000);
afterAll(() => t?.close());

// Independent SQL: plain JSON over `resource`, no index tables, no shared code with the definitions.
const KENT_PEOPLE = `(SELECT content::jsonb->>'id' AS id, (content::jsonb->>'birthDate')::date AS birth FROM resource
  WHERE resource_type = 'Patient' AND NOT deleted AND content::jsonb->>'deceasedDateTime' IS NULL
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(content::jsonb->'extension') x WHERE x->>'url' LIKE '%/district' AND x->>'valueString' NOT IN ('medway')))`;
const ADMISSIONS = `(SELECT content::jsonb AS j FROM resource WHERE resource_type = 'Encounter' AND NOT deleted
  AND content::jsonb->'type'->0->'coding'->0->>'code' = 'emergency-admission')`;
const who = `split_part(j->'subject'->>'reference', '/', 2)`;
async function one(sql: string): Promise<number> {
  const r = await t.platform.db.transaction(async (tx) => {
    await tx.query('SET LOCAL enable_nestloop = off');
    return tx.query<{ n: string | null }>(sql, [FY.start, FY.end]);
  });
  return Number(r.rows[0].n ?? 0);
}
async function kentExact(id: string): Promise<{ num: number; den: number }> {
  const m = bcf.metrics.find((x) => x.indicator.id === id)!;
  const rows = await t.platform.outcomes.service.evaluation.cube(m.indicator, { start: FY.start, end: FY.end });
  const kent = rows.filter((r) => r.district !== 'medway' && r.district !== 'unknown');
  return { num: kent.reduce((a, r) => a + r.num, 0), den: kent.reduce((a, r) => a + r.den, 0) };
}

describe('the Better Care Fund metrics from the record (1,500 residents, financial year 2024/25)', () => {
  it('emergency admissions and the avoidable ones: Kent\'s exact counts equal independent SQL counts', SLOW, async () => {
    const all = await one(`SELECT count(*) AS n FROM ${ADMISSIONS} a JOIN ${KENT_PEOPLE} p ON p.id = ${who}
      WHERE (j->'period'->>'start')::date BETWEEN $1::date AND $2::date AND p.birth <= $2::date`);
    const acsc = await one(`SELECT count(*) AS n FROM ${ADMISSIONS} a JOIN ${KENT_PEOPLE} p ON p.id = ${who}
      WHERE (j->'period'->>'start')::date BETWEEN $1::date AND $2::date AND p.birth <= $2::date
        AND j->'reasonCode'->0->'coding'->0->>'code' IN (${ACSC_CODES.map((c) => `'${c}'`).join(',')})`);
    const residents = await one(`SELECT count(*) AS n FROM ${KENT_PEOPLE} p WHERE p.birth <= $2::date AND $1::date <= $2::date`);
    expect(all).toBeGreaterThan(50);
    expect(acsc).toBeGreaterThan(5);
    expect(acsc).toBeLessThan(all);
    expect(await kentExact('BCF.1')).toEqual({ num: all, den: residents });
    expect((await kentExact('BCF.2')).num).toBe(acsc);
  });

  it('care home admissions (65+, pathway 3) and delayed days (18+): the same as independent SQL counts', SLOW, async () => {
    // Pathway 3 is about 1% of discharges: three more, of older Kent residents, so the count is not zero at this size.
    const older = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'Patient' AND NOT deleted
      AND (content::jsonb->>'birthDate')::date < '1950-01-01' AND content::jsonb->'extension' @> '[{"valueString":"ashford"}]' ORDER BY id LIMIT 3`);
    expect(older.rows).toHaveLength(3);
    for (const [i, p] of older.rows.entries()) {
      await writeAsPlatform(t.platform, {
        resourceType: 'Encounter', id: `bcf-p3-${i}`, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
        type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/encounter-type', code: 'emergency-admission' }] }],
        extension: [
          { url: 'https://onestory.example/fhir/StructureDefinition/discharge-pathway', valueCodeableConcept: { coding: [{ system: 'https://onestory.example/fhir/CodeSystem/discharge-pathway', code: '3' }] } },
          { url: 'https://onestory.example/fhir/StructureDefinition/no-longer-meets-criteria-to-reside', valueDateTime: '2024-11-02T09:00:00Z' },
        ],
        subject: { reference: `Patient/${p.id}` }, period: { start: '2024-10-20T10:00:00Z', end: `2024-11-${10 + i}T10:00:00Z` },
      });
    }
    const careHomes = await one(`SELECT count(*) AS n FROM ${ADMISSIONS} a JOIN ${KENT_PEOPLE} p ON p.id = ${who}
      WHERE (j->'period'->>'end')::date BETWEEN $1::date AND $2::date AND date_part('year', age($2::date, p.birth)) >= 65
        AND j->'extension' @> '[{"valueCodeableConcept":{"coding":[{"code":"3"}]}}]'`);
    const delayed = await one(`SELECT sum((j->'period'->>'end')::date - (x->>'valueDateTime')::date) AS n
      FROM ${ADMISSIONS} a JOIN ${KENT_PEOPLE} p ON p.id = ${who} CROSS JOIN jsonb_array_elements(j->'extension') x
      WHERE x->>'url' LIKE '%/no-longer-meets-criteria-to-reside' AND (j->'period'->>'end')::date BETWEEN $1::date AND $2::date
        AND date_part('year', age($2::date, p.birth)) >= 18`);
    expect(careHomes).toBeGreaterThan(0);
    expect(delayed).toBeGreaterThan(careHomes);
    expect((await kentExact('BCF.3')).num).toBe(careHomes);
    expect((await kentExact('BCF.4')).num).toBe(delayed);
  });

  it('the view publishes only protected figures: Kent\'s count rounded to 5, no count from 1 to 7, small district cells suppressed', SLOW, async () => {
    const view = await bcf.view(staff('icb-analyst', 'org-icb'));
    expect(view.metrics.map((m) => m.metric.indicator.id)).toEqual(['BCF.1', 'BCF.2', 'BCF.3', 'BCF.4', 'O5.2']);
    const fy = view.metrics[0].years.find((y) => y.year.label === '2024/25')!;
    expect(fy.status).toBe('complete');
    expect(fy.kent!.figure.numerator).toBe(roundCount((await kentExact('BCF.1')).num));
    let suppressed = 0;
    for (const m of view.metrics) {
      for (const r of [...m.districts, ...m.years.flatMap((y) => [y.kent, y.medway, y.system])]) {
        if (!r) continue;
        for (const n of [r.figure.numerator, r.figure.denominator]) {
          if (n === null) continue;
          expect(n % 5).toBe(0);
          expect(n >= 1 && n <= SUPPRESS_UP_TO).toBe(false);
        }
        if (r.figure.suppressed) {
          suppressed++;
          expect(r.figure.score).toBeNull();
        }
      }
    }
    // Care home admissions by district are small numbers at this size: some are suppressed.
    const exact = await t.platform.outcomes.service.evaluation.cube(view.metrics[2].metric.indicator, { start: FY.start, end: FY.end });
    const byDistrict = new Map<string, number>();
    for (const r of exact) byDistrict.set(r.district, (byDistrict.get(r.district) ?? 0) + r.num);
    for (const d of view.metrics[2].districts) {
      const n = byDistrict.get(d.place.slice('district:'.length)) ?? 0;
      if (n >= 1 && n <= SUPPRESS_UP_TO) expect(d.figure.suppressed, d.place).toBe(true);
    }
    expect(suppressed).toBeGreaterThan(0);
    // One complete year only: no change is claimed.
    expect(view.metrics[0].comparison).toBeUndefined();
    expect(view.metrics[0].noComparison).toContain('two complete years');
    // The day the record starts is said in words, as everywhere on the pages.
    expect(view.metrics[0].noComparison).toMatch(/\(emergency admissions from \d{1,2} [A-Z][a-z]+ \d{4}\)\.$/);
    expect(view.planSavingPerAdmissionGbp).toBe(1490);
    expect(view.plan.kentPopulation).toBe(1_575_000);
  });

  it('with an earlier year in the record, the change and what it implies follow from the published figures', SLOW, async () => {
    // A few admissions in 2023/24 (far fewer than 2024/25): the record now starts in April 2023.
    const kent = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'Patient' AND NOT deleted
      AND content::jsonb->'extension' @> '[{"valueString":"maidstone"}]' ORDER BY id LIMIT 40`);
    let k = 0;
    for (const p of kent.rows) {
      await writeAsPlatform(t.platform, {
        resourceType: 'Encounter', id: `bcf-early-${++k}`, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
        type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/encounter-type', code: 'emergency-admission' }] }],
        subject: { reference: `Patient/${p.id}` }, period: { start: `2023-04-${String(1 + (k % 28)).padStart(2, '0')}T10:00:00Z`, end: '2023-05-01T10:00:00Z' },
      });
    }
    const view = await bcf.view(staff('icb-analyst', 'org-icb'));
    expect(view.recordFrom).toBe('2023-04-01');
    const c = view.metrics[0].comparison!;
    expect(c).toBeDefined();
    expect([c.from, c.to]).toEqual(['2023/24', '2024/25']);
    const [a, b] = view.metrics[0].years;
    expect(c.before).toBe(a.kent!.figure.score);
    expect(c.after).toBe(b.kent!.figure.score);
    expect(c.change).toBeGreaterThan(0);
    expect(c.impliedFewer).toBe(Math.round((-(c.after - c.before) / 100_000) * 1_575_000));
    expect(c.metAim).toBe(false);
    expect(c.planPer100k).toBe(325.6);
  });
});

describe('who may see it', () => {
  it('an analyst opens /outcomes/bcf (the plan, its savings, every metric, the CSV); a GP is refused in words', SLOW, async () => {
    const b = new Browser(t);
    await b.signIn('analyst.bcf');
    const res = await b.get('/outcomes/bcf');
    expect(res.status).toBe(200);
    for (const s of ['Better Care Fund', '£11.83 million', '5,128', '£7.64 million', '£1,490', 'Delayed transfers of care', 'still at home 91 days', 'role="img"', 'Maidstone']) expect(res.body).toContain(s);
    const csv = await b.get('/outcomes/bcf.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('indicator,'))).toHaveLength(1);
    for (const id of ['BCF.1', 'BCF.2', 'BCF.3', 'BCF.4', 'O5.2']) expect(lines.some((l) => l.startsWith(`${id},`))).toBe(true);
    const g = new Browser(t);
    await g.signIn('gp.bcf');
    const no = await g.get('/outcomes/bcf');
    expect(no.status).toBe(403);
    expect(no.body).toContain('ICB analysts');
    expect((await g.get('/outcomes/bcf.csv')).status).toBe(403);
  });
});
