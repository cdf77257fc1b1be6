import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResident, createStaff } from '../access/identity/identity.test-helpers.js';
import { staff } from '../access/policy/policy.fixtures.js';
import { CARE_PASSWORD } from '../record-view/care.fixtures.js';
import { createTestPlatform, type TestPlatform } from '../testing/test-platform.js';
import { Browser } from '../web/web.test-helpers.js';
import { seedDemoFeedback } from './feedback.demo.js';
import { ANSWER_SYSTEM, I_STATEMENT_QUESTIONNAIRE } from './i-statements.js';
import { writeOutcomesPopulation } from './outcomes.fixtures.js';
import { SUPPRESS_UP_TO, roundCount } from './small-numbers.js';

/**
 * The 'I' statements as feedback on 400 county-wide synthetic residents, the clock in May 2025:
 * residents answer in the portal and staff in the workspace, once a quarter; bad answers and a
 * second response are refused with nothing written, on the pages and on the FHIR API alike; a
 * resident never reads another's responses; the analysts' figures equal an independent SQL count
 * and are protected.
 */
let t: TestPlatform;
const NOW = new Date('2025-05-15T10:00:00Z');
let patientA = '';
let patientB = '';
let practice = '';
const SLOW = { timeout: 180_000 };
const RESIDENT_IDS = ['QL1', 'QL2', 'QL3', 'QL4', 'QL5', 'QC1', 'QC2', 'QC3', 'QC4', 'QC5'];
const all = (v: string) => Object.fromEntries(RESIDENT_IDS.map((id) => [id, v]));

beforeAll(async () => {
  t = await createTestPlatform();
  t.platform.clock.now = () => NOW;
  await writeOutcomesPopulation(t.platform, 400);
  await t.platform.outcomes.feedback.publishQuestionnaires();
  const people = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'Patient' AND NOT deleted
    AND content::jsonb->'extension' @> '[{"valueString":"thanet"}]' AND (content::jsonb->>'birthDate')::date < '1990-01-01' ORDER BY id LIMIT 2`);
  [patientA, patientB] = people.rows.map((r) => r.id);
  const org = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'Organization' AND NOT deleted
    AND content::jsonb->'extension' @> '[{"valueString":"swale"}]' ORDER BY id LIMIT 1`);
  practice = org.rows[0].id;
  await createResident(t.platform, 'res.a', CARE_PASSWORD, patientA);
  await createResident(t.platform, 'res.b', CARE_PASSWORD, patientB);
  await createStaff(t.platform, 'nurse.fb', CARE_PASSWORD, [{ organizationId: practice, role: 'practice-nurse', practitionerId: 'prac-fb' }]);
  await createStaff(t.platform, 'analyst.fb', CARE_PASSWORD, [{ organizationId: 'org-icb', role: 'icb-analyst' }]);
}, 600_000);
afterAll(() => t?.close());

const count = async (subject: string) => Number((await t.platform.db.query<{ n: string }>(
  `SELECT count(*) AS n FROM resource WHERE resource_type = 'QuestionnaireResponse' AND NOT deleted AND content::jsonb#>>'{subject,reference}' = $1`, [subject])).rows[0].n);

describe('residents and staff answer the \'I\' statements', () => {
  it('bad input on the page: a missing answer or one not offered is a 400 with the error summary, the answers kept, nothing written', SLOW, async () => {
    const b = new Browser(t);
    await b.signIn('res.a');
    const form = await b.get('/my-feedback');
    expect(form.status).toBe(200);
    expect(form.body).toContain('I know what help is out there');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1];
    const bad = await b.post('/my-feedback', { csrf_token: csrf, ...all('yes'), QL2: 'maybe', QC5: '' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('nhsuk-error-summary');
    expect(bad.body).toContain('href="#QL2"');
    expect(bad.body).toContain('href="#QC5"');
    expect(bad.body).toMatch(/id="QL1"[^>]*value="yes" checked/);
    expect(await count(`Patient/${patientA}`)).toBe(0);
  });

  it('a resident answers in the portal once; their answers are shown back; a second response this quarter is refused (409) and nothing is written', SLOW, async () => {
    const b = new Browser(t);
    await b.signIn('res.a');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec((await b.get('/my-feedback')).body)![1];
    const ok = await b.post('/my-feedback', { csrf_token: csrf, ...all('yes'), QL3: 'no', QC3: 'not-sure' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/my-feedback?done=1');
    const shown = await b.get('/my-feedback?done=1');
    expect(shown.body).toContain('Thank you: your answers have been recorded');
    expect(shown.body).toContain('You answered on 2025-05-15');
    expect(shown.body).toContain('Not sure');
    expect(await count(`Patient/${patientA}`)).toBe(1);
    const again = await b.post('/my-feedback', { csrf_token: csrf, ...all('no') });
    expect(again.status).toBe(409);
    expect(again.body).toContain('already answered on 2025-05-15');
    expect(await count(`Patient/${patientA}`)).toBe(1);
  });

  it('a resident cannot read another\'s responses: not by id, not by search, not on their own page', SLOW, async () => {
    const a = await t.platform.db.query<{ id: string }>(`SELECT id FROM resource WHERE resource_type = 'QuestionnaireResponse' AND content::jsonb#>>'{subject,reference}' = $1`, [`Patient/${patientA}`]);
    const id = a.rows[0].id;
    const own = new Browser(t);
    await own.signIn('res.a');
    expect((await own.get(`/fhir/R4/QuestionnaireResponse/${id}`)).status).toBe(200);
    const b = new Browser(t);
    await b.signIn('res.b');
    const read = await b.get(`/fhir/R4/QuestionnaireResponse/${id}`);
    expect(read.status).toBe(404);
    const search = await b.get(`/fhir/R4/QuestionnaireResponse?questionnaire=${encodeURIComponent(I_STATEMENT_QUESTIONNAIRE.resident)}`);
    expect(search.status).toBe(200);
    expect(search.body).not.toContain(id);
    const page = await b.get('/my-feedback');
    expect(page.body).not.toContain('You answered on');
  });

  it('the FHIR API is held to the same rule: an answer outside the set is a 422, a second response a 409, nothing written', SLOW, async () => {
    const b = new Browser(t);
    await b.signIn('res.b');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec((await b.get('/my-feedback')).body)![1];
    const body = (code: string) => ({
      resourceType: 'QuestionnaireResponse', questionnaire: I_STATEMENT_QUESTIONNAIRE.resident, status: 'completed', subject: { reference: `Patient/${patientB}` },
      authored: NOW.toISOString(), item: RESIDENT_IDS.map((linkId, i) => ({ linkId, answer: [{ valueCoding: { system: ANSWER_SYSTEM, code: i === 0 ? code : 'yes' } }] })),
    });
    const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/fhir/R4/QuestionnaireResponse', payload: JSON.stringify(payload), headers: { cookie: b.cookie, 'x-csrf-token': csrf, 'content-type': 'application/fhir+json' } });
    const bad = await post(body('maybe'));
    expect(bad.statusCode).toBe(422);
    expect(bad.json().issue[0].diagnostics).toContain('must be one of yes, no, not-sure');
    expect(await count(`Patient/${patientB}`)).toBe(0);
    expect((await post(body('no'))).statusCode).toBe(201);
    const twice = await post(body('yes'));
    expect(twice.statusCode).toBe(409);
    expect(await count(`Patient/${patientB}`)).toBe(1);
  });

  it('a member of staff answers the staff statements in the workspace, counted in their organisation\'s district', SLOW, async () => {
    const b = new Browser(t);
    await b.signIn('nurse.fb');
    const form = await b.get('/feedback');
    expect(form.status).toBe(200);
    expect(form.body).toContain('As a member of staff, I know what the available services are');
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1];
    expect((await b.post('/feedback', { csrf_token: csrf, QL6: 'yes', QL7: 'no' })).status).toBe(303);
    const qr = await t.platform.db.query<{ c: string }>(`SELECT content AS c FROM resource WHERE resource_type = 'QuestionnaireResponse' AND content::jsonb#>>'{subject,reference}' = 'Practitioner/prac-fb'`);
    expect(qr.rows).toHaveLength(1);
    expect(JSON.parse(qr.rows[0].c).extension[0].valueString).toBe('swale');
  });
});

describe('the figures: share answering yes per statement and place', () => {
  it('equal an independent SQL count for the last complete quarter, protected: no count from 1 to 7, the rest multiples of 5', SLOW, async () => {
    const n = await seedDemoFeedback(t.platform, NOW, 7, { evenIfAnswered: true }); // the earlier tests' answers are in another quarter
    expect(n).toBeGreaterThan(100);
    const f = await t.platform.outcomes.feedback.figures(staff('icb-analyst', 'org-icb'));
    expect(f.period).toEqual({ start: '2025-01-01', end: '2025-03-31' });
    // Independent: plain JSON, the item's answer by path, residents by the Patient's district.
    const exact = await t.platform.db.query<{ district: string | null; yes: string; n: string }>(
      `SELECT (SELECT x->>'valueString' FROM resource p, jsonb_array_elements(p.content::jsonb->'extension') x
                WHERE p.resource_type = 'Patient' AND p.id = split_part(q.content::jsonb#>>'{subject,reference}', '/', 2) AND x->>'url' LIKE '%/district') AS district,
              count(*) FILTER (WHERE i->'answer'->0->'valueCoding'->>'code' = 'yes') AS yes, count(*) AS n
         FROM resource q, jsonb_array_elements(q.content::jsonb->'item') i
        WHERE q.resource_type = 'QuestionnaireResponse' AND q.content::jsonb->>'questionnaire' = $1 AND i->>'linkId' = 'QL1'
          AND (q.content::jsonb->>'authored')::date BETWEEN '2025-01-01' AND '2025-03-31'
        GROUP BY 1`, [I_STATEMENT_QUESTIONNAIRE.resident]);
    const ql1 = f.audiences.resident.find((s) => s.statement.id === 'QL1')!;
    const total = exact.rows.reduce((a, r) => ({ yes: a.yes + Number(r.yes), n: a.n + Number(r.n) }), { yes: 0, n: 0 });
    const system = ql1.places.find((p) => p.place.id === 'system')!.figure;
    expect(system.suppressed).toBe(false);
    expect(system.answered).toBe(roundCount(total.n));
    expect(system.yes).toBe(roundCount(total.yes));
    expect(system.percent).toBe(Math.round((1000 * total.yes) / total.n) / 10);
    let suppressed = 0;
    for (const a of ['resident', 'staff'] as const) {
      for (const s of f.audiences[a]) {
        for (const p of s.places) {
          for (const v of [p.figure.yes, p.figure.answered]) {
            if (v === null) continue;
            expect(v % 5).toBe(0);
            expect(v >= 1 && v <= SUPPRESS_UP_TO).toBe(false);
          }
          if (p.figure.suppressed) { suppressed++; expect(p.figure.percent).toBeNull(); }
        }
      }
    }
    for (const r of exact.rows) {
      const d = ql1.places.find((p) => p.place.id === `district:${r.district}`)!.figure;
      if (Number(r.yes) >= 1 && Number(r.yes) <= SUPPRESS_UP_TO) expect(d.suppressed).toBe(true);
    }
    expect(suppressed).toBeGreaterThan(0);
  });

  it('an analyst sees them on the outcomes dashboard (chart, tables, CSV); a resident or a GP cannot', SLOW, async () => {
    const b = new Browser(t);
    await b.signIn('analyst.fb');
    const res = await b.get('/outcomes/i-statements');
    expect(res.status).toBe(200);
    for (const s of ['Residents', 'Staff', 'January to March 2025', 'role="img"', 'Thanet', 'I can speak to someone about physical and mental health concerns']) expect(res.body).toContain(s);
    const csv = await b.get('/outcomes/i-statements.csv');
    expect(csv.status).toBe(200);
    expect(csv.body.split('\n')[0]).toContain('audience,statement');
    const r = new Browser(t);
    await r.signIn('res.a');
    expect((await r.get('/outcomes/i-statements')).status).not.toBe(200);
    const g = new Browser(t);
    await g.signIn('nurse.fb');
    expect((await g.get('/outcomes/i-statements')).status).toBe(403);
  });
});
