import type { MeasureReport, Provenance } from '@medplum/fhirtypes';
import type { Principal } from '../access/principal.js';
import { can } from '../access/policy/index.js';
import { COUNCIL_AREAS, type SubmitSubject } from '../access/policy/outcomes.policy.js';
import type { Clock } from '../clock.js';
import type { Database, Queryable } from '../db/database.js';
import { badRequest, FhirError, issue, outcome } from '../fhir/outcome.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { OUTCOMES_CS, OUTCOMES_SD, type SubmittedComputation } from './indicator.definitions.js';
import { MEASURE_BASE, type Indicator, type IndicatorRegistry } from './indicator.registry.js';
import type { Period } from './measure-evaluation.service.js';
import type { OutcomeReportRepository } from './outcome-report.repository.js';
import { residencePlaces, type Geography, type Place } from './place.directory.js';
import { checkFigure, checkPeriod, inputOfMeasureReport, type CheckedFigure, type SubmittedInput } from './submitted-figure.rules.js';
import { protectSubmitted } from './submitted-protection.js';

const POP = 'http://terminology.hl7.org/CodeSystem/measure-population';
const SUBMITTED_BY = `${OUTCOMES_SD}/submitted-by`;

/** One version of a submitted figure, as the record holds it (the form lists them, newest first). */
export interface SubmittedVersion {
  reportId: string;
  version: number;
  period: { start: string; end: string };
  place: string;
  placeName: string;
  numerator: number | null;
  denominator: number | null;
  value: number | null;
  by: string;
  organisation: string;
  at: string;
}

export interface SubmitResult { report: MeasureReport; version: number; unchanged: boolean }

/**
 * Figures partners submit for the indicators the record cannot hold (issue 14 part 3). A figure is a
 * MeasureReport in the record, one per indicator, place and period (its id says which), so a
 * correction is the next version of the same resource and every earlier one stays readable in its
 * history; resubmitting the same figure writes nothing. Each version is written with the platform's
 * Provenance (who, for which organisation, when) and its protected figure kept in outcome_report,
 * all in one transaction, so the dashboard shows the latest version and nothing is ever half-written.
 */
export class SubmittedFigureService {
  private readonly places: Map<string, Place>;

  constructor(
    private readonly registry: IndicatorRegistry,
    private readonly reports: OutcomeReportRepository,
    private readonly resources: ResourceService,
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly geography: Geography,
  ) {
    this.places = new Map(residencePlaces(geography).map((p) => [p.id, p]));
  }

  /** The places a figure may be submitted for: the whole system, the council areas, partnerships and districts. */
  placeList(): Place[] {
    return [...this.places.values()];
  }

  /** The council area a place lies in (null: the system, and partnerships, which span both). */
  areaOf(placeId: string): 'kent' | 'medway' | null {
    if (placeId === 'county:kent') return 'kent';
    if (placeId === 'county:medway' || placeId === 'district:medway') return 'medway';
    return placeId.startsWith('district:') ? 'kent' : null;
  }

  /** The indicator if its figures are submitted; a 400 naming why not otherwise. */
  submittedIndicator(id: string): Indicator & { computation: SubmittedComputation } {
    const i = this.registry.get(id);
    if (!i) throw badRequest(`Unknown measure '${id}': the measures are the strategy's indicators O1.1 to O6.5`, 'id');
    if (i.computation.kind !== 'submitted') {
      throw badRequest(`${id} is not a submitted measure: ${i.computation.kind === 'record' ? 'it is computed from the record' : 'it is not yet computable'}`, 'id');
    }
    return i as Indicator & { computation: SubmittedComputation };
  }

  /** The indicator if its figures are submitted, else undefined (the pages' 404). */
  submittedIndicatorOrNone(id: string): (Indicator & { computation: SubmittedComputation }) | undefined {
    const i = this.registry.get(id);
    return i?.computation.kind === 'submitted' ? (i as Indicator & { computation: SubmittedComputation }) : undefined;
  }

  /** Whether the principal may submit this indicator's figures for some place (the form and the link to it). */
  maySubmit(p: Principal, id: string): boolean {
    const i = this.registry.get(id);
    if (i?.computation.kind !== 'submitted') return false;
    const org = p.kind === 'staff' || p.kind === 'client' ? p.organizationId : '';
    return can(p, 'outcomes.submit', { owners: i.computation.owners, area: COUNCIL_AREAS[org] ?? null }).allowed;
  }

  /** Checks everything about a submission (400 with the field, 403 for the wrong organisation or place) before anything is written. */
  check(p: Principal, id: string, input: SubmittedInput): { indicator: Indicator & { computation: SubmittedComputation }; figure: CheckedFigure; place: Place } {
    const indicator = this.submittedIndicator(id);
    const period = checkPeriod(input.periodStart, input.periodEnd, this.clock.now().toISOString().slice(0, 10));
    if (!input.place) throw badRequest('Give the place the figure is for', 'place');
    const place = this.places.get(input.place);
    if (!place) throw badRequest(`Unknown place '${input.place}': system, county:kent, county:medway, hcp:<DGS|MS|WK|EK> or district:<id>`, 'place');
    const figure = { period, place: place.id, ...checkFigure(indicator.computation, input) };
    const subject: SubmitSubject = { owners: indicator.computation.owners, area: this.areaOf(place.id) };
    const may = can(p, 'outcomes.submit', subject);
    if (!may.allowed) throw new FhirError(403, outcome([issue('forbidden', `You may not submit ${id} for ${place.name}: ${may.reason}`, 'place')]));
    return { indicator, figure, place };
  }

  /** Submits (or corrects) a figure: a new version of its MeasureReport with Provenance, or nothing when it is unchanged. */
  async submit(p: Principal, id: string, input: SubmittedInput): Promise<SubmitResult> {
    const { indicator, figure, place } = this.check(p, id, input);
    const reportId = reportIdOf(indicator.id, place.id, figure.period);
    const who = await this.whoOf(p);
    const now = this.clock.now().toISOString();
    const body = this.measureReport(indicator, reportId, figure, place, who, now);
    return this.db.transaction(async (tx) => {
      // One submission at a time per indicator and period: each re-protects every place's figure of that
      // period together (protectSubmitted), so two at once must not each protect without the other's.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`submitted-figure:${reportIdOf(indicator.id, '*', figure.period)}`]);
      const current = await tx.query<{ content: string; version_id: number }>(
        `SELECT content, version_id FROM resource WHERE resource_type = 'MeasureReport' AND id = $1 AND NOT deleted FOR UPDATE`, [reportId]);
      const before = current.rows[0];
      if (before && sameFigure(JSON.parse(before.content) as MeasureReport, body)) {
        return { report: JSON.parse(before.content) as MeasureReport, version: before.version_id, unchanged: true };
      }
      const written = await this.resources.update('MeasureReport', reportId, body, { tx });
      const provenance: Provenance = {
        resourceType: 'Provenance',
        target: [{ reference: `MeasureReport/${reportId}/_history/${written.versionId}` }],
        recorded: now,
        activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: before ? 'UPDATE' : 'CREATE', display: before ? 'revise' : 'create' }] },
        agent: [{
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author', display: 'Author' }] },
          who: who.practitioner ? { reference: `Practitioner/${who.practitioner}`, display: who.name } : { display: who.name, identifier: { system: 'https://onestory.example/fhir/Id/user', value: p.id } },
          onBehalfOf: { reference: `Organization/${who.organisation}`, display: who.organisationName },
        }],
      };
      await this.resources.recordProvenance(tx, provenance);
      await this.storeProtected(tx, indicator, figure.period);
      return { report: JSON.parse(written.content!) as MeasureReport, version: written.versionId, unchanged: false };
    });
  }

  /**
   * Stores the published figure of every place submitted for this indicator and period, protected
   * together (a new or corrected return can make another place's figure need hiding, or free it).
   */
  private async storeProtected(tx: Queryable, indicator: Indicator & { computation: SubmittedComputation }, period: Period): Promise<void> {
    const res = await tx.query<{ id: string; version_id: number; content: string }>(
      `SELECT id, version_id, content FROM resource WHERE resource_type = 'MeasureReport' AND id LIKE $1 AND NOT deleted ORDER BY id`,
      [reportIdOf(indicator.id, '%', period)]);
    const url = `${MEASURE_BASE}/${indicator.id}`;
    const returns = res.rows.map((r) => {
      const m = JSON.parse(r.content) as MeasureReport;
      const input = inputOfMeasureReport(m, url);
      return { row: r, m, place: this.places.get(input.place ?? ''), cells: checkFigure(indicator.computation, input) };
    }).filter((x) => x.place && x.m.period?.start === period.start && x.m.period?.end === period.end);
    const published = protectSubmitted(indicator.computation, this.geography, new Map(returns.map((x) => [x.place!.id, x.cells])));
    for (const x of returns) {
      await this.reports.storeSubmitted(tx, {
        measureId: indicator.id, place: x.place!, period, figure: published.get(x.place!.id)!,
        submission: {
          by: x.m.extension?.find((e) => e.url === SUBMITTED_BY)?.valueString ?? '', organisation: x.m.reporter?.display ?? '',
          at: x.m.date ?? '', version: x.row.version_id, report: `MeasureReport/${x.row.id}`,
        },
      });
    }
  }

  /** Every version of every submitted figure of an indicator, newest first (for those who may submit it, and analysts). */
  async versions(p: Principal, id: string): Promise<SubmittedVersion[]> {
    const indicator = this.submittedIndicator(id);
    if (!this.maySubmit(p, id) && !can(p, 'aggregate.read').allowed) throw new FhirError(403, outcome([issue('forbidden', `Only ${indicator.computation.owner} and ICB analysts see the figures submitted for ${id}`)]));
    const res = await this.db.query<{ id: string; version_id: number; content: string }>(
      `SELECT id, version_id, content FROM resource_history WHERE resource_type = 'MeasureReport' AND id LIKE $1 AND NOT deleted
        ORDER BY last_updated DESC, id, version_id DESC LIMIT 200`,
      [`sub-${id}-%`]);
    return res.rows.map((r) => {
      const m = JSON.parse(r.content) as MeasureReport;
      const g = m.group?.[0];
      const pop = (code: string) => g?.population?.find((x) => x.code?.coding?.[0]?.code === code)?.count ?? null;
      const placeId = m.extension?.find((x) => x.url === `${OUTCOMES_SD}/place`)?.valueCoding?.code ?? '';
      return {
        reportId: r.id, version: r.version_id, period: { start: m.period.start!, end: m.period.end! }, place: placeId,
        placeName: this.places.get(placeId)?.name ?? placeId, numerator: pop('numerator'), denominator: pop('denominator'),
        value: g?.measureScore?.value ?? null, by: m.extension?.find((x) => x.url === SUBMITTED_BY)?.valueString ?? '',
        organisation: m.reporter?.display ?? '', at: m.date ?? '',
      };
    });
  }

  /** Who is submitting, for which organisation (its name from the directory). */
  private async whoOf(p: Principal): Promise<Who> {
    if (p.kind !== 'staff' && p.kind !== 'client') throw new FhirError(403, outcome([issue('forbidden', 'Figures are submitted by the partners that own them')]));
    const org = await this.db.query<{ name: string | null }>(
      `SELECT content::jsonb->>'name' AS name FROM resource WHERE resource_type = 'Organization' AND id = $1 AND NOT deleted`, [p.organizationId]);
    return {
      name: p.displayName, ...(p.kind === 'staff' && p.practitionerId ? { practitioner: p.practitionerId } : {}),
      organisation: p.organizationId, organisationName: org.rows[0]?.name ?? p.organizationId,
    };
  }

  private measureReport(i: Indicator & { computation: SubmittedComputation }, reportId: string, f: CheckedFigure, place: Place, who: Who, now: string): MeasureReport {
    const c = i.computation;
    const population = [
      ...(f.numerator !== null && c.scoring !== 'count' ? [{ code: { coding: [{ system: POP, code: 'numerator' }] }, count: f.numerator }] : []),
      ...(f.denominator !== null ? [{ code: { coding: [{ system: POP, code: 'denominator' }] }, count: f.denominator }] : []),
      ...(c.scoring === 'count' ? [{ code: { coding: [{ system: POP, code: 'measure-population' }] }, count: f.value }] : []),
    ];
    return {
      resourceType: 'MeasureReport', id: reportId, status: 'complete', type: 'summary', measure: `${MEASURE_BASE}/${i.id}`,
      date: now, period: f.period, reporter: { reference: `Organization/${who.organisation}`, display: who.organisationName },
      extension: [
        { url: `${OUTCOMES_SD}/place`, valueCoding: { system: `${OUTCOMES_CS}/place`, code: place.id, display: place.name } },
        { url: SUBMITTED_BY, valueString: who.name },
      ],
      group: [{ ...(population.length ? { population } : {}), measureScore: { value: f.value, unit: i.unit === 'percent' ? '%' : i.unit } }],
    };
  }
}

interface Who { name: string; practitioner?: string; organisation: string; organisationName: string }

/** One MeasureReport per indicator, place and period: `sub-O1.4-county-kent-20250401-20260331`. */
export function reportIdOf(indicator: string, place: string, period: { start: string; end: string }): string {
  return `sub-${indicator}-${place.replace(':', '-')}-${period.start.replace(/-/g, '')}-${period.end.replace(/-/g, '')}`;
}

/** The same figure: period, place, populations and score (who and when aside). */
function sameFigure(a: MeasureReport, b: MeasureReport): boolean {
  const key = (m: MeasureReport) => JSON.stringify([m.period, m.extension?.find((x) => x.url === `${OUTCOMES_SD}/place`)?.valueCoding?.code, m.group]);
  return key(a) === key(b);
}
