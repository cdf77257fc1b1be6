import type { Queryable } from '../db/database.js';
import type { Evaluation, Figure, PlaceResult, Period } from './measure-evaluation.service.js';
import type { Place, PlaceLevel } from './place.directory.js';

/** A stored (protected) figure of one indicator, place and period. */
export interface StoredReport {
  measureId: string;
  place: string;
  placeLevel: PlaceLevel;
  placeName: string;
  parentPlace: string | null;
  period: Period;
  evaluatedAt: string;
  figure: Figure;
  strata: Record<string, Record<string, Figure>> | null;
  /** Practices: the district the practice is in (from the directory, for the drill-down from a district). */
  district?: string;
  /** A submitted figure: who submitted the version shown, for which organisation, when, and its MeasureReport. */
  submission?: Submission;
}

export interface Submission { by: string; organisation: string; at: string; version: number; report: string }

interface Row {
  measure_id: string; place: string; place_level: PlaceLevel; place_name: string; parent_place: string | null;
  period_start: string; period_end: string; evaluated_at: string;
  numerator: number | null; denominator: number | null; score: string | null; score_low: string | null; score_high: string | null;
  suppressed: boolean; strata: Record<string, Record<string, Figure>> | null;
  submitted_by: string | null; submitted_org: string | null; submitted_at: string | null; submitted_version: number | null; source_report: string | null;
}

const num = (x: string | null) => (x === null ? null : Number(x));
const SELECT = `SELECT measure_id, place, place_level, place_name, parent_place, to_char(period_start, 'YYYY-MM-DD') AS period_start,
  to_char(period_end, 'YYYY-MM-DD') AS period_end, evaluated_at::text, numerator, denominator, score::text, score_low::text, score_high::text, suppressed, strata,
  submitted_by, submitted_org, to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS submitted_at, submitted_version, source_report
  FROM outcome_report`;

function fromRow(r: Row): StoredReport {
  return {
    measureId: r.measure_id, place: r.place, placeLevel: r.place_level, placeName: r.place_name, parentPlace: r.parent_place,
    period: { start: r.period_start, end: r.period_end }, evaluatedAt: r.evaluated_at,
    figure: { numerator: r.numerator, denominator: r.denominator, score: num(r.score), low: num(r.score_low), high: num(r.score_high), suppressed: r.suppressed },
    strata: typeof r.strata === 'string' ? JSON.parse(r.strata) : r.strata,
    ...(r.submitted_version !== null ? {
      submission: { by: r.submitted_by ?? '', organisation: r.submitted_org ?? '', at: r.submitted_at ?? '', version: r.submitted_version, report: r.source_report ?? '' },
    } : {}),
  };
}

/** outcome_report (migration 016): the stored, protected figures. */
export class OutcomeReportRepository {
  constructor(private readonly db: Queryable) {}

  /** Stores every place's figures of one evaluation (replacing that indicator and period's earlier run), in one statement. */
  async store(e: Evaluation, evaluatedAt: Date): Promise<void> {
    const rows = e.places;
    const col = <T>(f: (p: PlaceResult) => T) => rows.map(f);
    await this.db.query(
      `WITH gone AS (DELETE FROM outcome_report WHERE measure_id = $1 AND period_start = $2::date AND period_end = $3::date)
       INSERT INTO outcome_report (measure_id, place, place_level, place_name, parent_place, period_start, period_end, evaluated_at,
                                   numerator, denominator, score, score_low, score_high, suppressed, strata)
       SELECT $1, u.place, u.level, u.name, u.parent, $2::date, $3::date, $4::timestamptz, u.n, u.d, u.s, u.lo, u.hi, u.sup, u.strata::jsonb
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::numeric[], $12::numeric[], $13::numeric[], $14::boolean[], $15::text[])
              AS u(place, level, name, parent, n, d, s, lo, hi, sup, strata)
       ON CONFLICT (measure_id, place, period_start, period_end) DO UPDATE SET
         place_level = EXCLUDED.place_level, place_name = EXCLUDED.place_name, parent_place = EXCLUDED.parent_place, evaluated_at = EXCLUDED.evaluated_at,
         numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator, score = EXCLUDED.score, score_low = EXCLUDED.score_low,
         score_high = EXCLUDED.score_high, suppressed = EXCLUDED.suppressed, strata = EXCLUDED.strata`,
      [
        e.indicator.id, e.period.start, e.period.end, evaluatedAt.toISOString(),
        col((p) => p.place.id), col((p) => p.place.level), col((p) => p.place.name), col((p) => p.place.parent ?? null),
        col((p) => p.total.numerator), col((p) => p.total.denominator), col((p) => p.total.score), col((p) => p.total.low), col((p) => p.total.high),
        col((p) => p.total.suppressed), col((p) => (p.strata ? JSON.stringify(p.strata) : null)),
      ],
    );
  }

  /**
   * Keeps a submitted figure's latest version (already protected) for its indicator, place and period,
   * in the caller's transaction, beside the MeasureReport version it comes from.
   */
  async storeSubmitted(q: Queryable, r: { measureId: string; place: Place; period: Period; figure: Figure; submission: Submission }): Promise<void> {
    const f = r.figure;
    await q.query(
      `INSERT INTO outcome_report (measure_id, place, place_level, place_name, parent_place, period_start, period_end, evaluated_at,
                                   numerator, denominator, score, score_low, score_high, suppressed, strata,
                                   submitted_by, submitted_org, submitted_at, submitted_version, source_report)
       VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8::timestamptz, $9, $10, $11, $12, $13, $14, NULL, $15, $16, $8::timestamptz, $17, $18)
       ON CONFLICT (measure_id, place, period_start, period_end) DO UPDATE SET
         evaluated_at = EXCLUDED.evaluated_at, numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator, score = EXCLUDED.score,
         score_low = EXCLUDED.score_low, score_high = EXCLUDED.score_high, suppressed = EXCLUDED.suppressed, submitted_by = EXCLUDED.submitted_by,
         submitted_org = EXCLUDED.submitted_org, submitted_at = EXCLUDED.submitted_at, submitted_version = EXCLUDED.submitted_version,
         source_report = EXCLUDED.source_report`,
      [r.measureId, r.place.id, r.place.level, r.place.name, r.place.parent ?? null, r.period.start, r.period.end, r.submission.at,
        f.numerator, f.denominator, f.score, f.low, f.high, f.suppressed, r.submission.by, r.submission.organisation, r.submission.version, r.submission.report],
    );
  }

  /** One place's stored figures for an indicator, oldest period first (its trend). */
  async trend(measureId: string, place: string): Promise<StoredReport[]> {
    const res = await this.db.query<Row>(`${SELECT} WHERE measure_id = $1 AND place = $2 ORDER BY period_end`, [measureId, place]);
    return res.rows.map(fromRow);
  }

  /** Every place's figures for an indicator's latest stored period. */
  async latest(measureId: string): Promise<StoredReport[]> {
    const res = await this.db.query<Row>(
      `${SELECT} WHERE measure_id = $1 AND period_end = (SELECT max(period_end) FROM outcome_report WHERE measure_id = $1) ORDER BY place_level, place_name`,
      [measureId]);
    return res.rows.map(fromRow);
  }

  /** Every place's latest stored figure for an indicator (submitted figures: places report different periods). */
  async latestPerPlace(measureId: string): Promise<StoredReport[]> {
    const res = await this.db.query<Row>(
      `SELECT * FROM (SELECT DISTINCT ON (place) * FROM (${SELECT} WHERE measure_id = $1) s ORDER BY place, period_end DESC, period_start) l ORDER BY place_level, place_name`,
      [measureId]);
    return res.rows.map(fromRow);
  }

  /** Every stored figure of an indicator (one place's when given), by place then period: the CSV download. */
  async all(measureId: string, place?: string): Promise<StoredReport[]> {
    const res = await this.db.query<Row>(
      `${SELECT} WHERE measure_id = $1 AND ($2::text IS NULL OR place = $2) ORDER BY place_level, place, period_end`, [measureId, place ?? null]);
    return res.rows.map(fromRow);
  }

  /** The system's trend of every indicator (the overview). */
  async systemTrends(): Promise<Map<string, StoredReport[]>> {
    const res = await this.db.query<Row>(`${SELECT} WHERE place = 'system' ORDER BY measure_id, period_end`);
    const out = new Map<string, StoredReport[]>();
    for (const r of res.rows) out.set(r.measure_id, [...(out.get(r.measure_id) ?? []), fromRow(r)]);
    return out;
  }
}
