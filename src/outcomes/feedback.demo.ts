import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import type { Platform } from '../platform.js';
import { hashString, Prng } from '../synth/prng.js';
import { ANSWER_SYSTEM, ANSWERS, I_STATEMENT_QUESTIONNAIRE, RESPONSE_DISTRICT_URL, type Audience, type IStatement } from './i-statements.js';
import { quartersBefore } from './measure-evaluation.service.js';

/**
 * The demo's answers to the 'I' statements, so /outcomes/i-statements shows figures on first start:
 * for each of the last two complete quarters, about four in ten adult residents and half the staff
 * answer once, on a day in the quarter. Deterministic (its own PRNG stream, 'i-statements', so no
 * other synthetic stream shifts); written only when the record holds no such response yet.
 * The shares are invented for the demo (lower where people live in more deprived areas), not data.
 */
const YES: Record<string, number> = {
  QL1: 0.72, QL2: 0.46, QL3: 0.34, QL4: 0.68, QL5: 0.5, QL6: 0.74, QL7: 0.52,
  QC1: 0.38, QC2: 0.6, QC3: 0.44, QC4: 0.62, QC5: 0.57,
};

export async function seedDemoFeedback(platform: Platform, now: Date, seed = 1, opts: { evenIfAnswered?: boolean } = {}): Promise<number> {
  const any = await platform.db.query(`SELECT 1 FROM resource WHERE resource_type = 'QuestionnaireResponse' AND NOT deleted AND content::jsonb->>'questionnaire' IN ($1, $2) LIMIT 1`,
    [I_STATEMENT_QUESTIONNAIRE.resident, I_STATEMENT_QUESTIONNAIRE.staff]);
  if (any.rows.length && !opts.evenIfAnswered) return 0;
  const { feedback } = platform.outcomes;
  const residents = await platform.db.query<{ id: string; quintile: string | null; birth: string }>(
    `SELECT id, (SELECT x->>'valueInteger' FROM jsonb_array_elements(content::jsonb->'extension') x WHERE x->>'url' LIKE '%/deprivation-quintile' LIMIT 1) AS quintile,
            content::jsonb->>'birthDate' AS birth
       FROM resource WHERE resource_type = 'Patient' AND NOT deleted ORDER BY id`);
  const staff = await platform.db.query<{ id: string; district: string | null }>(
    `SELECT DISTINCT ON (pr.content::jsonb#>>'{practitioner,reference}') substr(pr.content::jsonb#>>'{practitioner,reference}', 14) AS id,
            (SELECT x->>'valueString' FROM jsonb_array_elements(o.content::jsonb->'extension') x WHERE x->>'url' = $1 LIMIT 1) AS district
       FROM resource pr JOIN resource o ON o.resource_type = 'Organization' AND NOT o.deleted AND o.id = substr(pr.content::jsonb#>>'{organization,reference}', 14)
      WHERE pr.resource_type = 'PractitionerRole' AND NOT pr.deleted ORDER BY pr.content::jsonb#>>'{practitioner,reference}', pr.id`, [RESPONSE_DISTRICT_URL]);
  const quarters = quartersBefore(now.toISOString().slice(0, 10), 2);
  const out: QuestionnaireResponse[] = [];
  const respond = (audience: Audience, statements: IStatement[], subject: string, rng: Prng, start: string, lean: number, district?: string | null) => {
    const authored = new Date(Date.parse(`${start}T09:00:00Z`) + rng.int(89) * 86_400_000 + rng.int(600) * 60_000).toISOString();
    out.push({
      resourceType: 'QuestionnaireResponse', id: `i-statements-${seed}-${start}-${audience}-${out.length + 1}`, questionnaire: I_STATEMENT_QUESTIONNAIRE[audience], status: 'completed',
      subject: { reference: subject }, author: { reference: subject }, source: { reference: subject }, authored,
      ...(district ? { extension: [{ url: RESPONSE_DISTRICT_URL, valueString: district }] } : {}),
      item: statements.map((s) => {
        const yes = rng.chance(Math.min(0.95, Math.max(0.05, YES[s.id] + lean)));
        const a = yes ? ANSWERS[0] : rng.chance(0.7) ? ANSWERS[1] : ANSWERS[2];
        return { linkId: s.id, text: s.text, answer: [{ valueCoding: { system: ANSWER_SYSTEM, code: a.code, display: a.display } }] };
      }),
    });
  };
  const adultBy = (q: string) => `${Number(q.slice(0, 4)) - 16}${q.slice(4)}`;
  quarters.forEach((q, qi) => {
    residents.rows.forEach((r, i) => {
      const rng = new Prng(seed, hashString('i-statements'), qi, i);
      if (!r.birth || r.birth > adultBy(q.start) || !rng.chance(0.4)) return;
      // A little lower where people live in more deprived areas (quintile 1), a little higher in the least.
      respond('resident', feedback.statementsFor('resident'), `Patient/${r.id}`, rng, q.start, (Number(r.quintile ?? 3) - 3) * 0.04 + qi * 0.02);
    });
    staff.rows.forEach((s, i) => {
      const rng = new Prng(seed, hashString('i-statements-staff'), qi, i);
      if (!rng.chance(0.5)) return;
      respond('staff', feedback.statementsFor('staff'), `Practitioner/${s.id}`, rng, q.start, 0, s.district);
    });
  });
  for (let i = 0; i < out.length; i += 500) await platform.resources.createMany(platform.db, out.slice(i, i + 500));
  return out.length;
}
