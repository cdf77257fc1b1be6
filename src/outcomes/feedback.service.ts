import type { QuestionnaireResponse } from '@medplum/fhirtypes';
import type { Principal } from '../access/principal.js';
import { can } from '../access/policy/index.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { FhirError, issue, outcome } from '../fhir/outcome.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { wilson } from './confidence.js';
import {
  ANSWER_SYSTEM, ANSWERS, I_STATEMENT_QUESTIONNAIRE, RESPONSE_DISTRICT_URL, checkIStatementResponse, loadIStatements, questionnaireOf,
  type AnswerCode, type Audience, type IStatement,
} from './i-statements.js';
import { quarterOf, quartersBefore, type Period } from './measure-evaluation.service.js';
import { loadGeography, practiceDistricts, residencePlaces, type Geography, type Place } from './place.directory.js';
import { protect, type Relation } from './small-numbers.js';

/** A person's response as their own page shows it. */
export interface MyResponse { id: string; authored: string; answers: Record<string, AnswerCode> }

/** One statement's protected share answering yes at one place. */
export interface ShareFigure { answered: number | null; yes: number | null; percent: number | null; low: number | null; high: number | null; suppressed: boolean }
export interface StatementFigures { statement: IStatement; places: { place: Place; figure: ShareFigure }[] }
export interface FeedbackFigures { period: Period; audiences: Record<Audience, StatementFigures[]> }

/**
 * The 'I' statements as feedback: residents answer in the portal and staff in the workspace (the
 * `feedback.answer` verb), one response a quarter each (`checkIStatementResponse`, the same rule
 * the record applies on the FHIR API); ICB analysts see, for a complete quarter, the share answering
 * yes per statement and place (system, councils, partnerships, districts: residents by where they
 * live, staff by the district of the organisation they answered for), every count protected by
 * small-numbers.ts before it leaves. Only complete quarters are published: a quarter still filling
 * could be differenced between two looks.
 */
export class FeedbackService {
  readonly statements = loadIStatements();
  private readonly geography: Geography = loadGeography();

  constructor(private readonly db: Database, private readonly resources: ResourceService, private readonly clock: Clock) {}

  statementsFor(a: Audience): IStatement[] {
    return this.statements.filter((s) => s.who === a);
  }

  /** Writes the two Questionnaires into the record (no-op updates when unchanged). */
  async publishQuestionnaires(): Promise<void> {
    for (const a of ['resident', 'staff'] as Audience[]) {
      const q = questionnaireOf(a, this.statements);
      await this.resources.update('Questionnaire', q.id, q);
    }
  }

  /** Who answers, as what: a resident about themselves, a member of staff as their Practitioner. */
  private respondent(p: Principal): { audience: Audience; subject: string } {
    const may = can(p, 'feedback.answer');
    if (!may.allowed) throw new FhirError(403, outcome([issue('forbidden', may.reason)]));
    if (p.kind === 'resident') return { audience: 'resident', subject: `Patient/${p.patientId}` };
    if (p.kind === 'staff' && p.practitionerId) return { audience: 'staff', subject: `Practitioner/${p.practitionerId}` };
    throw new FhirError(403, outcome([issue('forbidden', 'Your account is not linked to a practitioner record, so a response cannot be recorded as yours')]));
  }

  /** The caller's own response this quarter, if any (read by their own subject only). */
  async mine(p: Principal): Promise<MyResponse | undefined> {
    const { audience, subject } = this.respondent(p);
    const quarter = quarterOf(this.clock.now().toISOString().slice(0, 10));
    const [type, id] = subject.split('/');
    const res = await this.db.query<{ id: string; content: string }>(
      `SELECT r.id, r.content FROM resource r WHERE r.resource_type = 'QuestionnaireResponse' AND NOT r.deleted
          AND r.rid IN (SELECT x.rid FROM sp_reference x WHERE x.resource_type = 'QuestionnaireResponse' AND x.code = 'subject' AND x.target_type = $1 AND x.target_id = $2)
          AND r.content::jsonb->>'questionnaire' = $3 AND left(r.content::jsonb->>'authored', 10) BETWEEN $4 AND $5
        ORDER BY r.content::jsonb->>'authored' DESC LIMIT 1`,
      [type, id, I_STATEMENT_QUESTIONNAIRE[audience], quarter.start, quarter.end]);
    const row = res.rows[0];
    if (!row) return undefined;
    const qr = JSON.parse(row.content) as QuestionnaireResponse;
    return { id: row.id, authored: qr.authored!.slice(0, 10), answers: Object.fromEntries((qr.item ?? []).map((i) => [i.linkId, i.answer?.[0]?.valueCoding?.code as AnswerCode])) };
  }

  /**
   * Records the caller's answers (statement id → yes | no | not-sure). Bad answers are a 422 naming
   * the statement, a second response in the quarter a 409; either way nothing is written.
   */
  async answer(p: Principal, answers: Record<string, string | undefined>): Promise<string> {
    const { audience, subject } = this.respondent(p);
    const now = this.clock.now();
    const qr: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse', questionnaire: I_STATEMENT_QUESTIONNAIRE[audience], status: 'completed',
      subject: { reference: subject }, author: { reference: subject }, source: { reference: subject }, authored: now.toISOString(),
      item: this.statementsFor(audience).map((s) => {
        const a = ANSWERS.find((x) => x.code === answers[s.id]);
        return { linkId: s.id, text: s.text, ...(a ? { answer: [{ valueCoding: { system: ANSWER_SYSTEM, code: a.code, display: a.display } }] } : {}) };
      }),
    };
    // Any answer given that is not one of the statements' (a forged form): refused, not dropped.
    for (const k of Object.keys(answers)) if (answers[k] !== undefined && !this.statementsFor(audience).some((s) => s.id === k)) qr.item!.push({ linkId: k, answer: [{ valueCoding: { system: ANSWER_SYSTEM, code: String(answers[k]) } }] });
    // Staff are counted in the district of the organisation they answered for (its directory entry).
    const district = p.kind === 'staff' ? (await practiceDistricts(this.db, [p.organizationId])).get(p.organizationId) : undefined;
    if (district) qr.extension = [{ url: RESPONSE_DISTRICT_URL, valueString: district }];
    return this.db.transaction(async (tx) => {
      await checkIStatementResponse(qr, this.statements, tx);
      const w = await this.resources.create('QuestionnaireResponse', qr, { tx });
      return w.id;
    });
  }

  /** The quarter the dashboard shows: the last complete one. */
  latestQuarter(): Period {
    return quartersBefore(this.clock.now().toISOString().slice(0, 10), 1)[0];
  }

  /** Every statement's protected share answering yes, per place, for a complete quarter (aggregate.read). */
  async figures(p: Principal, period: Period = this.latestQuarter()): Promise<FeedbackFigures> {
    const may = can(p, 'aggregate.read');
    if (!may.allowed) throw new FhirError(403, outcome([issue('forbidden', may.reason)]));
    const res = await this.db.query<{ audience: Audience; statement: string; district: string | null; yes: string; answered: string }>(
      `WITH qr AS (
         SELECT r.content::jsonb AS c FROM resource r WHERE r.resource_type = 'QuestionnaireResponse' AND NOT r.deleted
            AND r.content::jsonb->>'questionnaire' IN ($1, $2) AND r.content::jsonb->>'status' = 'completed'
            AND left(r.content::jsonb->>'authored', 10) BETWEEN $3 AND $4 OFFSET 0)
       SELECT CASE WHEN qr.c->>'questionnaire' = $1 THEN 'resident' ELSE 'staff' END AS audience, i->>'linkId' AS statement,
              CASE WHEN qr.c->>'questionnaire' = $1
                   THEN (SELECT x->>'valueString' FROM resource pt, jsonb_array_elements(pt.content::jsonb->'extension') x
                          WHERE pt.resource_type = 'Patient' AND NOT pt.deleted AND pt.id = substr(qr.c#>>'{subject,reference}', 9) AND x->>'url' = $5 LIMIT 1)
                   ELSE (SELECT x->>'valueString' FROM jsonb_array_elements(qr.c->'extension') x WHERE x->>'url' = $5 LIMIT 1) END AS district,
              count(*) FILTER (WHERE i#>>'{answer,0,valueCoding,code}' = 'yes') AS yes, count(*) AS answered
         FROM qr CROSS JOIN LATERAL jsonb_array_elements(qr.c->'item') i
        GROUP BY 1, 2, 3`,
      [I_STATEMENT_QUESTIONNAIRE.resident, I_STATEMENT_QUESTIONNAIRE.staff, period.start, period.end, RESPONSE_DISTRICT_URL]);
    const out: FeedbackFigures = { period, audiences: { resident: [], staff: [] } };
    for (const a of ['resident', 'staff'] as Audience[]) {
      for (const s of this.statementsFor(a)) {
        const rows = res.rows.filter((r) => r.audience === a && r.statement === s.id).map((r) => ({ district: r.district ?? 'unknown', yes: Number(r.yes), answered: Number(r.answered) }));
        out.audiences[a].push({ statement: s, places: protectShares(this.geography, rows) });
      }
    }
    return out;
  }
}

/**
 * Protects one statement's counts (answered, and answering yes) for every residence place: the
 * system, the two councils' areas, the four partnerships and the districts (plus "not recorded"
 * when anyone's district is unknown), with the relations that tie them (each grouping is the sum of
 * its districts); a share is shown only when both its counts are published.
 */
export function protectShares(g: Geography, rows: { district: string; yes: number; answered: number }[]): { place: Place; figure: ShareFigure }[] {
  const known = new Set(g.districts.map((d) => d.id));
  const places = residencePlaces(g);
  const unknown = rows.some((r) => !known.has(r.district));
  if (unknown) places.push({ id: 'district:unknown', level: 'district', name: 'District not recorded', parent: 'system' });
  const index = new Map(places.map((p, i) => [p.id, i]));
  const districtsOf = (p: Place): string[] => {
    if (p.id === 'system') return [...g.districts.map((d) => d.id), ...(unknown ? ['unknown'] : [])];
    if (p.id === 'county:kent') return g.districts.filter((d) => d.id !== 'medway').map((d) => d.id);
    if (p.id === 'county:medway') return ['medway'];
    if (p.level === 'hcp') return g.districts.filter((d) => `hcp:${d.hcp}` === p.id).map((d) => d.id);
    return [p.id.slice('district:'.length)];
  };
  const yes = places.map(() => 0);
  const answered = places.map(() => 0);
  for (const r of rows) {
    const d = known.has(r.district) ? r.district : 'unknown';
    places.forEach((p, i) => {
      if (districtsOf(p).includes(d)) { yes[i] += r.yes; answered[i] += r.answered; }
    });
  }
  const relations: Relation[] = [];
  const cell = (district: string) => index.get(`district:${district}`)!;
  for (const p of places) if (p.level !== 'district') relations.push({ parent: index.get(p.id)!, children: districtsOf(p).map(cell) });
  // The system is also Kent plus Medway, and the four partnerships: implied by the above, listed so the protection sees them.
  relations.push({ parent: index.get('system')!, children: ['county:kent', 'county:medway', ...(unknown ? ['district:unknown'] : [])].map((x) => index.get(x)!) });
  relations.push({ parent: index.get('system')!, children: [...g.hcps.map((h) => index.get(`hcp:${h.id}`)!), ...(unknown ? [index.get('district:unknown')!] : [])] });
  // Hide the system's figures last, then the councils' and partnerships', then the districts'.
  const keep = places.map((p) => ({ system: 3, county: 2, hcp: 2 } as Record<string, number>)[p.level] ?? 0);
  const y = protect(yes, relations, keep);
  const n = protect(answered, relations, keep);
  return places.map((place, i) => {
    const suppressed = y.suppressed[i] || n.suppressed[i];
    const ci = !suppressed && answered[i] > 0 ? wilson(yes[i], answered[i]) : undefined;
    return {
      place,
      figure: {
        answered: n.published[i], yes: y.published[i], suppressed,
        percent: ci ? Math.round((1000 * yes[i]) / answered[i]) / 10 : null,
        low: ci ? Math.round(1000 * ci.low) / 10 : null, high: ci ? Math.round(1000 * ci.high) / 10 : null,
      },
    };
  });
}
