import type { MeasureReport } from '@medplum/fhirtypes';
import type { Principal } from '../access/principal.js';
import { can } from '../access/policy/index.js';
import type { Clock } from '../clock.js';
import { badRequest, FhirError, issue, outcome } from '../fhir/outcome.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { STRATIFIER_IDS, type Indicator, type IndicatorRegistry, type StratifierId } from './indicator.registry.js';
import { MeasureEvaluationService, parsePeriod, quartersBefore, type Evaluation, type Period } from './measure-evaluation.service.js';
import { OutcomeReportRepository, type StoredReport } from './outcome-report.repository.js';
import { practiceDistricts, residencePlaces } from './place.directory.js';
import type { Queryable } from '../db/database.js';
import { progressOf, type Progress } from './progress.js';

/** How many complete quarters the nightly run (and the demo's first start) evaluates. */
export const QUARTERS_KEPT_FRESH = 4;

export interface IndicatorOverview { indicator: Indicator; progress: Progress; history: StoredReport[] }

/**
 * The outcomes framework's commands and reads: `$evaluate-measure` on demand, the nightly run that
 * stores every record indicator's figures for recent quarters, the dashboard's reads of what is
 * stored. Every read is for `aggregate.read` principals (ICB analysts), and only protected figures
 * ever leave: the evaluation protects before it returns, and the store holds nothing else.
 */
export class OutcomesService {
  constructor(
    readonly registry: IndicatorRegistry,
    readonly evaluation: MeasureEvaluationService,
    private readonly reports: OutcomeReportRepository,
    private readonly resources: ResourceService,
    private readonly clock: Clock,
    private readonly db: Queryable,
  ) {}

  private authorise(p: Principal): void {
    const may = can(p, 'aggregate.read');
    if (!may.allowed) throw new FhirError(403, outcome([issue('forbidden', may.reason)]));
  }

  /** Writes the 29 Measures into the record (unchanged ones are no-op updates), so they can be read and searched. */
  async publishMeasures(): Promise<void> {
    for (const i of this.registry.indicators) await this.resources.update('Measure', i.id, this.registry.measure(i));
  }

  /** Evaluates and stores every record indicator for each period; returns how many evaluations ran. */
  async refresh(periods: Period[]): Promise<number> {
    let n = 0;
    const record = this.registry.indicators.filter((i) => i.computation.kind === 'record');
    // A period at a time: its residents are read once for all the indicators (evaluateAll).
    for (const p of periods) {
      for (const e of await this.evaluation.evaluateAll(record, p)) {
        await this.reports.store(e, this.clock.now());
        n++;
      }
    }
    return n;
  }

  /** The nightly run: the last complete quarters (recent ones again, as late records arrive). */
  nightly(): Promise<number> {
    return this.refresh(quartersBefore(this.clock.now().toISOString().slice(0, 10), QUARTERS_KEPT_FRESH));
  }

  /**
   * `GET /fhir/R4/Measure/{id}/$evaluate-measure?periodStart&periodEnd&place[&stratifier]`: evaluates
   * (and stores) the quarter, and answers the place's MeasureReport.
   */
  async evaluateMeasure(p: Principal, id: string, q: { periodStart?: string; periodEnd?: string; place?: string; stratifier?: string }): Promise<MeasureReport> {
    this.authorise(p);
    const indicator = this.registry.get(id);
    if (!indicator) throw badRequest(`Unknown measure '${id}': the measures are the strategy's indicators O1.1 to O6.5`, 'id');
    const c = indicator.computation;
    if (c.kind !== 'record') {
      throw badRequest(`${id} is not computed from the record: ${c.kind === 'submitted' ? `its figures are submitted by ${c.owner}` : 'not yet computable'} (${c.why})`, 'id');
    }
    const period = parsePeriod(q.periodStart, q.periodEnd);
    const place = q.place ?? 'system';
    const residence = new Set(residencePlaces(this.evaluation.geography).map((x) => x.id));
    const practiceLevel = /^(practice|pcn):[A-Za-z0-9\-.]{1,64}$/.test(place);
    if (!residence.has(place) && !practiceLevel) throw badRequest(`Unknown place '${place}': system, county:kent, county:medway, hcp:<DGS|MS|WK|EK>, district:<id>, pcn:<id> or practice:<id>`, 'place');
    let stratifiers: StratifierId[] = STRATIFIER_IDS;
    if (q.stratifier !== undefined) {
      const asked = q.stratifier.split(',').map((s) => s.trim());
      const unknown = asked.find((s) => !(STRATIFIER_IDS as string[]).includes(s));
      if (unknown !== undefined) throw badRequest(`Stratifier '${unknown}' is not offered: ${STRATIFIER_IDS.join(', ')}`, 'stratifier');
      if (practiceLevel) throw badRequest('Practices and networks are reported as totals only: a stratified figure there would reveal small numbers', 'stratifier');
      stratifiers = asked as StratifierId[];
    }
    const e = await this.evaluation.evaluate(indicator, period);
    if (!e.places.some((x) => x.place.id === place)) throw badRequest(`Unknown place '${place}': no such practice or network in the record`, 'place');
    await this.reports.store(e, this.clock.now());
    return this.evaluation.report(e, place, this.clock.now(), practiceLevel ? [] : stratifiers);
  }

  /** How many residents the record holds (the dashboard says so when small numbers suppress most figures). */
  async residents(p: Principal): Promise<number> {
    this.authorise(p);
    // outcome_person has one row per current Patient (migration 027, kept on every write): the same count
    // from a narrow table instead of every Patient's stored row.
    const res = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outcome_person');
    return res.rows[0].n;
  }

  /** Every indicator with its system trend and progress (the dashboard's overview). */
  async overview(p: Principal): Promise<IndicatorOverview[]> {
    this.authorise(p);
    const trends = await this.reports.systemTrends();
    return this.registry.indicators.map((indicator) => {
      const history = trends.get(indicator.id) ?? [];
      return { indicator, history, progress: progressOf(indicator, history.map((h) => ({ period: h.period, figure: h.figure }))) };
    });
  }

  /** One indicator: a place's trend and progress, and every place's latest figures (practices with their district). */
  async indicator(p: Principal, id: string, place = 'system'): Promise<{ indicator: Indicator; history: StoredReport[]; progress: Progress; latest: StoredReport[] } | undefined> {
    this.authorise(p);
    const indicator = this.registry.get(id);
    if (!indicator) return undefined;
    const history = await this.reports.trend(id, place);
    // Submitted figures: each place's latest (partners report their own periods); computed ones: the latest quarter's.
    const latest = indicator.computation.kind === 'submitted' ? await this.reports.latestPerPlace(id) : await this.reports.latest(id);
    const practices = latest.filter((r) => r.placeLevel === 'practice').map((r) => r.place.slice('practice:'.length));
    const districts = await practiceDistricts(this.db, practices);
    for (const r of latest) if (r.placeLevel === 'practice') r.district = districts.get(r.place.slice('practice:'.length));
    return { indicator, history, latest, progress: progressOf(indicator, history.map((h) => ({ period: h.period, figure: h.figure }))) };
  }

  /** Every stored figure of an indicator (or one place's), for the CSV download. */
  async figures(p: Principal, id: string, place?: string): Promise<StoredReport[]> {
    this.authorise(p);
    return this.reports.all(id, place);
  }

  /** For tests and the bench: a full protected evaluation without storing it. */
  evaluate(indicator: Indicator, period: Period): Promise<Evaluation> {
    return this.evaluation.evaluate(indicator, period);
  }
}
