import type { Principal } from '../access/principal.js';
import { can } from '../access/policy/index.js';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/database.js';
import { FhirError, issue, outcome } from '../fhir/outcome.js';
import { bcfMetrics, financialYear, financialYearOf, loadBcfPlan, windowOf, type BcfMetric, type BcfPlan, type BcfYear } from './bcf.definitions.js';
import type { Indicator, IndicatorRegistry } from './indicator.registry.js';
import type { MeasureEvaluationService, Period } from './measure-evaluation.service.js';
import type { OutcomeReportRepository, StoredReport } from './outcome-report.repository.js';
import { formatDate } from '../record-view/fhir-text.js';

/** How many financial years the view shows at most (the latest). */
export const BCF_YEARS_SHOWN = 4;

/**
 * Whether a year's figure can be compared: `complete` (the year is over and the record holds
 * admissions from before its start), `part-record` (the record starts inside the year, so the
 * figure undercounts), `to-date` (the year, or the 91 days after it, is not over).
 */
export type YearStatus = 'complete' | 'part-record' | 'to-date';

export interface BcfYearFigures {
  year: BcfYear;
  period: { start: string; end: string };
  status: YearStatus;
  /** Kent County Council's area (the plan's), Medway, the whole system: protected figures. */
  kent?: StoredReport;
  medway?: StoredReport;
  system?: StoredReport;
}

/** The record's change for Kent between the last two complete years, set against the plan's aim. */
export interface PlanComparison {
  from: string;
  to: string;
  /** Kent's figure then and now (per 100,000 or per cent). */
  before: number;
  after: number;
  /** after − before, and as a per cent of before. */
  change: number;
  changePercent: number;
  /** `fewer` aims: the plan's reduction per 100,000 Kent residents; the record's change as admissions across Kent's population; at the plan's cost per admission. */
  planPer100k?: number;
  impliedFewer?: number;
  impliedSavingGbp?: number;
  /** Whether the record's change is at least the plan's aim. */
  metAim?: boolean;
}

export interface BcfMetricView {
  metric: BcfMetric;
  years: BcfYearFigures[];
  comparison?: PlanComparison;
  /** Why there is no comparison, in words. */
  noComparison?: string;
  /** Every district's figures for the latest year shown (complete if there is one). */
  districts: StoredReport[];
  districtsYear?: BcfYear;
}

export interface BcfView {
  plan: BcfPlan;
  /** Per avoided A&E admission, the plan's saving (its £ over its count). */
  planSavingPerAdmissionGbp: number;
  nationalSavingPerAdmissionGbp: number;
  /** The earliest emergency admission the record holds (YYYY-MM-DD), if any. */
  recordFrom?: string;
  metrics: BcfMetricView[];
}

/**
 * The Better Care Fund view: each metric per financial year for Kent (the plan's area), Medway and
 * the system, evaluated from the record and protected like every figure (the strategy indicators'
 * evaluation, small-numbers.ts), stored in `outcome_report` and re-evaluated on demand when
 * missing or, for a year still running, older than today. Only `aggregate.read` principals read it.
 */
export class BcfService {
  readonly plan: BcfPlan;
  readonly metrics: BcfMetric[];

  constructor(
    registry: IndicatorRegistry,
    private readonly evaluation: MeasureEvaluationService,
    private readonly reports: OutcomeReportRepository,
    private readonly clock: Clock,
    private readonly db: Queryable,
  ) {
    this.plan = loadBcfPlan();
    const o52 = registry.get('O5.2')?.computation;
    this.metrics = bcfMetrics(this.plan, o52?.kind === 'record' ? o52 : undefined);
  }

  private authorise(p: Principal): void {
    const may = can(p, 'aggregate.read');
    if (!may.allowed) throw new FhirError(403, outcome([issue('forbidden', may.reason)]));
  }

  /** The first day of the month of the record's earliest emergency admission (its coverage), or undefined. */
  async recordFrom(): Promise<string | undefined> {
    const res = await this.db.query<{ first: string | null }>(
      `SELECT min(left(r.content::jsonb#>>'{period,start}', 10)) AS first FROM resource r
        WHERE r.resource_type = 'Encounter' AND NOT r.deleted
          AND r.rid IN (SELECT t.rid FROM sp_token t WHERE t.resource_type = 'Encounter' AND t.code = 'type' AND t.value = 'emergency-admission')`);
    // By month: a record is taken to hold the month its first admission falls in (the first day of a year has no admission in a small population).
    const first = res.rows[0]?.first;
    return first ? `${first.slice(0, 7)}-01` : undefined;
  }

  /** The financial years shown: from the one the record starts in (at most BCF_YEARS_SHOWN back) to the current one. */
  years(recordFrom: string | undefined): BcfYear[] {
    const today = this.clock.now().toISOString().slice(0, 10);
    const last = Number(financialYearOf(today).start.slice(0, 4));
    const first = recordFrom ? Math.max(Number(financialYearOf(recordFrom).start.slice(0, 4)), last - BCF_YEARS_SHOWN + 1) : last - 1;
    const out: BcfYear[] = [];
    for (let y = Math.min(first, last); y <= last; y++) out.push(financialYear(y));
    return out;
  }

  private statusOf(m: BcfMetric, period: { start: string; end: string }, recordFrom: string | undefined): YearStatus {
    const today = this.clock.now().toISOString().slice(0, 10);
    const followUp = m.window === 'oct-dec' ? 91 : 0;
    const closes = new Date(Date.parse(`${period.end}T00:00:00Z`) + followUp * 86_400_000).toISOString().slice(0, 10);
    if (today <= closes) return 'to-date';
    if (!recordFrom || recordFrom > period.start) return 'part-record';
    return 'complete';
  }

  /**
   * Evaluates and stores what is missing (or stale, for a year still running): every metric for
   * every year shown. Returns how many evaluations ran.
   */
  async refresh(): Promise<number> {
    const from = await this.recordFrom();
    const today = this.clock.now().toISOString().slice(0, 10);
    // What to evaluate, grouped by period: a period's residents are read once for all its metrics (evaluateAll).
    const due = new Map<string, { period: Period; indicators: Indicator[] }>();
    for (const m of this.metrics) {
      const stored = await this.reports.trend(m.indicator.id, 'system');
      for (const y of this.years(from)) {
        const period = windowOf(m, y);
        const have = stored.find((s) => s.period.start === period.start && s.period.end === period.end);
        const fresh = have && (this.statusOf(m, period, from) !== 'to-date' || have.evaluatedAt.slice(0, 10) >= today);
        if (fresh) continue;
        const key = `${period.start}/${period.end}`;
        if (!due.has(key)) due.set(key, { period, indicators: [] });
        due.get(key)!.indicators.push(m.indicator);
      }
    }
    let n = 0;
    for (const { period, indicators } of due.values()) {
      for (const e of await this.evaluation.evaluateAll(indicators, period)) {
        await this.reports.store(e, this.clock.now());
        n++;
      }
    }
    return n;
  }

  /** The view: evaluates what is missing, then reads the stored, protected figures. */
  async view(p: Principal): Promise<BcfView> {
    this.authorise(p);
    await this.refresh();
    const recordFrom = await this.recordFrom();
    const years = this.years(recordFrom);
    const metrics: BcfMetricView[] = [];
    for (const m of this.metrics) {
      const all = await this.reports.all(m.indicator.id);
      const at = (place: string, period: { start: string; end: string }) =>
        all.find((r) => r.place === place && r.period.start === period.start && r.period.end === period.end);
      const rows: BcfYearFigures[] = years.map((year) => {
        const period = windowOf(m, year);
        return { year, period, status: this.statusOf(m, period, recordFrom), kent: at('county:kent', period), medway: at('county:medway', period), system: at('system', period) };
      });
      const complete = rows.filter((r) => r.status === 'complete');
      const latest = complete[complete.length - 1] ?? rows[rows.length - 1];
      const districts = latest ? all.filter((r) => r.placeLevel === 'district' && r.period.start === latest.period.start && r.period.end === latest.period.end) : [];
      const view: BcfMetricView = { metric: m, years: rows, districts, districtsYear: latest?.year };
      const [a, b] = complete.slice(-2);
      const before = a?.kent?.figure.score;
      const after = b?.kent?.figure.score;
      if (complete.length < 2) {
        view.noComparison = `A change needs two complete years in the record; it holds ${complete.length === 1 ? 'one' : 'none'}${recordFrom ? ` (emergency admissions from ${formatDate(recordFrom)})` : ''}.`;
      } else if (before === null || before === undefined || after === null || after === undefined || a.kent!.figure.suppressed || b.kent!.figure.suppressed || before === 0) {
        view.noComparison = 'Kent\'s figure is suppressed (small numbers) or zero in one of the two years, so no change is shown.';
      } else {
        const change = after - before;
        const c: PlanComparison = { from: a.year.label, to: b.year.label, before, after, change: round1(change), changePercent: round1((100 * change) / before) };
        if (m.aim.kind === 'fewer') {
          c.planPer100k = round1((m.aim.count / this.plan.kentPopulation) * 100_000);
          c.impliedFewer = Math.round((-change / 100_000) * this.plan.kentPopulation);
          c.impliedSavingGbp = Math.round(c.impliedFewer * this.savingPerAdmission());
          c.metAim = -change >= c.planPer100k;
        } else if (m.aim.kind === 'percent-fewer') {
          c.metAim = -c.changePercent >= m.aim.percent;
        }
        view.comparison = c;
      }
      metrics.push(view);
    }
    return {
      plan: this.plan, recordFrom, metrics,
      planSavingPerAdmissionGbp: Math.round(this.savingPerAdmission()),
      nationalSavingPerAdmissionGbp: Math.round((this.plan.national.aeSavingGbpMillions * 1e6) / this.plan.national.fewerAeStays),
    };
  }

  /** Every stored figure of the view's metrics, for the CSV download. */
  async figures(p: Principal): Promise<{ metric: BcfMetric; rows: StoredReport[] }[]> {
    this.authorise(p);
    await this.refresh();
    const out: { metric: BcfMetric; rows: StoredReport[] }[] = [];
    for (const m of this.metrics) {
      // The reablement figure shares its id with O5.2, stored for every quarter: only the Oct–Dec windows belong here.
      const windows = new Set(this.years(await this.recordFrom()).map((y) => windowOf(m, y).start));
      out.push({ metric: m, rows: (await this.reports.all(m.indicator.id)).filter((r) => windows.has(r.period.start)) });
    }
    return out;
  }

  private savingPerAdmission(): number {
    return (this.plan.aeSavingGbpMillions * 1e6) / this.plan.aeAdmissionsFewer;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
