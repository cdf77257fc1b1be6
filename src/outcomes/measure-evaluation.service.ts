import type { MeasureReport, MeasureReportGroup, MeasureReportGroupPopulation } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import { badRequest } from '../fhir/outcome.js';
import { byar, wilson } from './confidence.js';
import type { RecordComputation } from './indicator.definitions.js';
import { OUTCOMES_CS, OUTCOMES_SD } from './indicator.definitions.js';
import { MEASURE_BASE, STRATIFIER_IDS, STRATIFIERS, type Indicator, type IndicatorRegistry, type StratifierId } from './indicator.registry.js';
import { loadGeography, practicePlaces, residencePlaces, type Geography, type Place } from './place.directory.js';
import { protect, type Relation } from './small-numbers.js';

/**
 * Evaluates record indicators for a period: one SQL statement per indicator gives the counts by
 * district, practice, sex, age band, deprivation quintile and ethnic group (the "cube"); every
 * place and stratum is a sum of its cells, so districts add up to the whole by construction. The
 * figures of all places are then protected together (small-numbers.ts) before any leaves.
 */

export interface Period { start: string; end: string }

export interface CubeRow {
  district: string; practice: string; sex: string; ageBand: string; quintile: string; ethnicity: string;
  num: number; den: number;
}

/** One published figure: counts rounded, or null when suppressed; the score and its 95% interval. */
export interface Figure {
  numerator: number | null;
  denominator: number | null;
  score: number | null;
  low: number | null;
  high: number | null;
  suppressed: boolean;
}

export interface PlaceResult {
  place: Place;
  total: Figure;
  /** Stratifier → stratum value → figure (residence places only). */
  strata?: Record<string, Record<string, Figure>>;
}

export interface Evaluation {
  indicator: Indicator;
  period: Period;
  places: PlaceResult[];
}

const SEX = new Set(['female', 'male', 'other', 'unknown']);
const ETHNIC_GROUP = `CASE WHEN o.ethnic IN ('A','B','C') THEN 'White' WHEN o.ethnic IN ('D','E','F','G') THEN 'Mixed'
  WHEN o.ethnic IN ('H','J','K','L') THEN 'Asian' WHEN o.ethnic IN ('M','N','P') THEN 'Black' WHEN o.ethnic IN ('R','S') THEN 'Other' ELSE 'Not stated' END`;
const AGE_BAND = `CASE WHEN a < 18 THEN '0-17' WHEN a < 35 THEN '18-34' WHEN a < 50 THEN '35-49' WHEN a < 65 THEN '50-64'
  WHEN a < 75 THEN '65-74' WHEN a < 85 THEN '75-84' ELSE '85+' END`;
/**
 * The residents as the indicators' SQL sees them (`person`): active in the record, born by the period's
 * end, alive at its start (someone who died during the period was a resident in it, and counts: the
 * reablement figure's people who died before day 91 are in its denominator). Read from outcome_person
 * (migration 027: each Patient's facts, derived from its JSON on every write by
 * src/outcomes/outcome-person.table.ts), not from the JSON itself: parsing every Patient's JSON was a
 * quarter of a run's time (bench/PROFILE.md, "Outcomes"). An evaluation run writes these rows once
 * into a temporary table (PERSON_TABLE) that every indicator's cube then reads. Each resident's age band
 * at the period's end and ethnic group (the cube's strata) are computed here, once a run, not for every
 * case of every cube: grouping on the expressions evaluated `age()` up to seven times a case.
 */
export const PERSON_SQL = `SELECT o.patient_id AS pid, o.sex, o.birth, o.district, o.quintile, o.ethnic, o.practice,
         ${AGE_BAND} AS age_band, ${ETHNIC_GROUP} AS ethnicity
    FROM outcome_person o
    CROSS JOIN LATERAL (SELECT date_part('year', age($2::date, o.birth))::int AS a) g
   WHERE o.active AND $1::date <= $2::date AND o.birth <= $2::date AND (o.deceased IS NULL OR o.deceased >= $1::date)`;

/**
 * The run's residents for a period ($1, $2) as the session's temporary table `person`, dropped when the
 * run's transaction ends (so runs on other connections never see each other's). Its statistics are
 * taken at once, so the indicators' joins to it are planned from real row counts; and it is keyed by
 * pid, so where the planner still guesses an indicator's own rows at one or two (filters on JSON have
 * no statistics) and joins them to `person` in a nested loop, each probe is an index lookup, not a scan
 * of every resident (O2.4 took 95 s at 100,000 residents without the key).
 */
/** The memory each sort or hash of an evaluation run may take (one run at a time: the nightly quarters, a user's request). */
export const RUN_WORK_MEM = '64MB';

export const PERSON_TABLE = {
  create: `CREATE TEMP TABLE person ON COMMIT DROP AS ${PERSON_SQL}`,
  key: 'ALTER TABLE person ADD PRIMARY KEY (pid)',
  analyse: 'ANALYZE person',
};

/**
 * The statement computing one record indicator's cube for a period ($1, $2) from the run's `person`
 * table (PERSON_TABLE). `cases` is MATERIALIZED: computed whole, then joined to `person` once. Left to be
 * flattened, the planner (estimating a row or two from filters on JSON) joined an indicator's inner
 * `person` join in a nested loop that scanned all of `person` again for every case: O2.4 took 197 s at
 * 100,000 residents, 16 s materialized (bench/PROFILE.md, "Outcomes"). (`$1 <= $2` names both parameters
 * for the indicators that read only the period's end.) With `residents: 'inline'` the statement defines
 * `person` itself (PERSON_SQL as a CTE), for one indicator on its own: the planner may then read only the
 * Patients of an indicator's few cases, through the primary key, rather than every Patient.
 */
export function cubeSql(c: RecordComputation, residents: 'table' | 'inline' = 'table'): string {
  return `WITH ${residents === 'inline' ? `person AS (${PERSON_SQL}), ` : ''}cases AS MATERIALIZED (${c.sql})
    SELECT coalesce(p.district, 'unknown') AS district, coalesce(p.practice, 'unknown') AS practice, p.sex,
           p.age_band, coalesce(p.quintile, 'unknown') AS quintile, p.ethnicity,
           sum(k.num)::float8 AS num, sum(coalesce(k.den, 0))::float8 AS den
      FROM cases k JOIN person p ON p.pid = k.pid
     WHERE $1::date <= $2::date
     GROUP BY 1, 2, 3, 4, 5, 6`;
}

/** A row of cubeSql's result as the database returns it. */
export interface CubeSqlRow { district: string; practice: string; sex: string; age_band: string; quintile: string | number; ethnicity: string; num: number | string; den: number | string }

/** A row of cubeSql's result as a cell of the cube (the bench reads the same statement from DuckDB: bench/outcomes.duckdb.ts). */
export function cubeRowOf(r: CubeSqlRow): CubeRow {
  return {
    district: r.district, practice: r.practice, sex: SEX.has(r.sex) ? r.sex : 'other', ageBand: r.age_band, quintile: String(r.quintile),
    ethnicity: r.ethnicity, num: Number(r.num), den: Number(r.den),
  };
}

/** Checks a period: two calendar dates, start on the first day of a quarter, end on its last day. */
export function parsePeriod(start: string | undefined, end: string | undefined): Period {
  if (!start || !end) throw badRequest('periodStart and periodEnd are required (YYYY-MM-DD)', ['periodStart', 'periodEnd']);
  const valid = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
  if (!valid(start)) throw badRequest(`periodStart '${start}' is not a calendar date (YYYY-MM-DD)`, 'periodStart');
  if (!valid(end)) throw badRequest(`periodEnd '${end}' is not a calendar date (YYYY-MM-DD)`, 'periodEnd');
  if (end < start) throw badRequest('periodEnd is before periodStart', 'periodEnd');
  const q = quarterOf(start);
  if (q.start !== start || q.end !== end) {
    // Overlapping periods (a year and its quarters) could be differenced to reveal suppressed cells.
    throw badRequest(`Figures are published for whole quarters only (so no suppressed figure can be recovered from overlapping periods): for ${start} ask for ${q.start} to ${q.end}`, ['periodStart', 'periodEnd']);
  }
  return { start, end };
}

/** The calendar quarter containing a day (YYYY-MM-DD). */
export function quarterOf(dayIso: string): Period {
  const y = Number(dayIso.slice(0, 4));
  const m = Number(dayIso.slice(5, 7));
  const qm = Math.floor((m - 1) / 3) * 3;
  const start = new Date(Date.UTC(y, qm, 1));
  const end = new Date(Date.UTC(y, qm + 3, 0));
  return { start: start.toISOString().slice(0, 10), end: end.toISOString().slice(0, 10) };
}

/** The `n` complete quarters before the day (YYYY-MM-DD), oldest first. */
export function quartersBefore(dayIso: string, n: number): Period[] {
  const out: Period[] = [];
  let q = quarterOf(dayIso);
  for (let i = 0; i < n; i++) {
    const prevEnd = new Date(Date.parse(`${q.start}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    q = quarterOf(prevEnd);
    out.unshift(q);
  }
  return out;
}

export const periodDays = (p: Period) => Math.round((Date.parse(`${p.end}T00:00:00Z`) - Date.parse(`${p.start}T00:00:00Z`)) / 86_400_000) + 1;

interface Cell { num: number; den: number }

export class MeasureEvaluationService {
  readonly geography: Geography;

  constructor(private readonly db: Database, readonly registry: IndicatorRegistry, geography?: Geography) {
    this.geography = geography ?? loadGeography();
  }

  /**
   * Runs `fn` with the period's residents written once into the temporary table `person` (one
   * transaction, so one connection), handing it the cube of any record indicator for that period.
   */
  async withResidents<T>(period: Period, fn: (cube: (indicator: Indicator) => Promise<CubeRow[]>) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // The cubes' sorts and hashes in memory: at 100,000 residents a rate over every resident (O3.3) spilled
      // to disk at the default 4MB and took twice as long (bench/PROFILE.md, "Outcomes"); for this run only.
      await tx.query(`SET LOCAL work_mem = '${RUN_WORK_MEM}'`);
      await tx.query(PERSON_TABLE.create, [period.start, period.end]);
      await tx.query(PERSON_TABLE.key);
      await tx.query(PERSON_TABLE.analyse);
      return fn(async (indicator) => {
        const c = indicator.computation;
        if (c.kind !== 'record') throw badRequest(`${indicator.id} is not computed from the record`);
        const res = await tx.query<CubeSqlRow>(cubeSql(c), [period.start, period.end]);
        return res.rows.map(cubeRowOf);
      });
    });
  }

  /** One indicator's exact counts (not for publication: tests and the protected evaluation read them), in one statement. */
  async cube(indicator: Indicator, period: Period): Promise<CubeRow[]> {
    const c = indicator.computation;
    if (c.kind !== 'record') throw badRequest(`${indicator.id} is not computed from the record`);
    const res = await this.db.query<CubeSqlRow>(cubeSql(c, 'inline'), [period.start, period.end]);
    return res.rows.map(cubeRowOf);
  }

  /** Several indicators' exact counts for one period, the period's residents read once (withResidents). */
  async cubes(indicators: Indicator[], period: Period): Promise<CubeRow[][]> {
    for (const i of indicators) if (i.computation.kind !== 'record') throw badRequest(`${i.id} is not computed from the record`);
    return this.withResidents(period, async (cube) => {
      const out: CubeRow[][] = [];
      for (const i of indicators) out.push(await cube(i));
      return out;
    });
  }

  /** Every place's protected figures for a period. */
  async evaluate(indicator: Indicator, period: Period): Promise<Evaluation> {
    return { indicator, period, places: await this.protectedPlaces(indicator, period, await this.cube(indicator, period)) };
  }

  /** Several indicators' protected figures for one period (a run: the nightly quarters, the Better Care Fund years). */
  async evaluateAll(indicators: Indicator[], period: Period): Promise<Evaluation[]> {
    // One indicator alone: its own statement, which may read only its cases' Patients.
    if (indicators.length === 1) return [await this.evaluate(indicators[0], period)];
    const cubes = await this.cubes(indicators, period);
    const out: Evaluation[] = [];
    for (const [k, indicator] of indicators.entries()) out.push({ indicator, period, places: await this.protectedPlaces(indicator, period, cubes[k]) });
    return out;
  }

  /** Every place's protected figures from an indicator's cube (the practices named in it, with their networks). */
  async protectedPlaces(indicator: Indicator, period: Period, rows: CubeRow[]): Promise<PlaceResult[]> {
    const practiceIds = [...new Set(rows.map((r) => r.practice).filter((p) => p !== 'unknown'))].sort();
    const places = [...residencePlaces(this.geography), ...(await practicePlaces(this.db, practiceIds))];
    return this.protectAll(indicator, period, rows, places);
  }

  /** Sums the cube for every place and stratum, protects the counts, and scores what is published. */
  protectAll(indicator: Indicator, period: Period, rows: CubeRow[], places: Place[]): PlaceResult[] {
    const c = indicator.computation as RecordComputation;
    const districtsOf = new Map<string, string[]>();
    const g = this.geography;
    const inGeo = new Set(g.districts.map((d) => d.id));
    districtsOf.set('system', [...g.districts.map((d) => d.id), 'unknown']);
    districtsOf.set('county:kent', g.districts.filter((d) => d.id !== 'medway').map((d) => d.id));
    districtsOf.set('county:medway', ['medway']);
    for (const h of g.hcps) districtsOf.set(`hcp:${h.id}`, g.districts.filter((d) => d.hcp === h.id).map((d) => d.id));
    for (const d of g.districts) districtsOf.set(`district:${d.id}`, [d.id]);
    const residence = places.filter((p) => districtsOf.has(p.id));
    if (rows.some((r) => r.district === 'unknown' || !inGeo.has(r.district))) {
      residence.push({ id: 'district:unknown', level: 'district', name: 'Residence not recorded', parent: 'system' });
      districtsOf.set('district:unknown', ['unknown']);
    }
    const districtKey = (r: CubeRow) => (inGeo.has(r.district) ? r.district : 'unknown');
    const practices = places.filter((p) => p.level === 'practice');
    const known = new Set(practices.map((p) => p.id.slice('practice:'.length)));
    if (rows.some((r) => !known.has(r.practice))) practices.push({ id: 'practice:unknown', level: 'practice', name: 'No practice recorded', parent: 'system' });
    const pcns = places.filter((p) => p.level === 'pcn');
    const pcnOf = new Map(practices.map((p) => [p.id, p.parent]));

    // Cells: index → exact value, for numerator and denominator alike (two tables, same shape).
    const cells: Cell[] = [];
    const index = new Map<string, number>();
    const cell = (key: string) => {
      let i = index.get(key);
      if (i === undefined) { i = cells.length; index.set(key, i); cells.push({ num: 0, den: 0 }); }
      return i;
    };
    const valueOf = (r: CubeRow, s: StratifierId) => (s === 'age-band' ? r.ageBand : s === 'sex' ? r.sex : s === 'deprivation-quintile' ? r.quintile : r.ethnicity);
    const strataKeys: string[] = ['*'];
    for (const s of STRATIFIER_IDS) for (const v of STRATIFIERS[s].values) strataKeys.push(`${s}=${v}`);
    // Residence places: every stratum; practices and networks: totals only (strata there are not offered).
    for (const p of residence) for (const k of strataKeys) cell(`${p.id}|${k}`);
    for (const p of [...pcns, ...practices]) cell(`${p.id}|*`);
    // Each row of the cube goes to the cells of the places its district is in and of its practice and
    // network. The cells a row can reach are looked up once (by district, by practice, by stratum value),
    // not built as keys for every row: at 100,000 residents the rows are up to 22,000 an indicator, and
    // the keys were most of the protection's time (bench/PROFILE.md, "Outcomes"). The cells are the same,
    // numbered in the same order, summed in the same order.
    const strataCells = residence.map((p) => STRATIFIER_IDS.map((s) => new Map(STRATIFIERS[s].values.map((v) => [v as string, cell(`${p.id}|${s}=${v}`)]))));
    const totalCells = residence.map((p) => cell(`${p.id}|*`));
    const placesIn = new Map<string, number[]>();
    const placesOf = (d: string) => {
      let ps = placesIn.get(d);
      if (!ps) { ps = residence.flatMap((p, k) => (districtsOf.get(p.id)!.includes(d) ? [k] : [])); placesIn.set(d, ps); }
      return ps;
    };
    const practiceCells = new Map<string, number[]>();
    const practiceCellsOf = (practiceId: string) => {
      let cs = practiceCells.get(practiceId);
      if (!cs) {
        const practice = known.has(practiceId) ? practiceId : 'unknown';
        cs = [cell(`practice:${practice}|*`)];
        const pcn = pcnOf.get(`practice:${practice}`);
        if (pcn && pcn.startsWith('pcn:')) cs.push(cell(`${pcn}|*`));
        practiceCells.set(practiceId, cs);
      }
      return cs;
    };
    const reached: number[] = [];
    for (const r of rows) {
      reached.length = 0;
      for (const k of placesOf(districtKey(r))) {
        reached.push(totalCells[k]);
        for (let si = 0; si < STRATIFIER_IDS.length; si++) {
          const v = valueOf(r, STRATIFIER_IDS[si]);
          // A value outside the stratifier's list (none expected) gets its own cell, as before.
          reached.push(strataCells[k][si].get(v) ?? cell(`${residence[k].id}|${STRATIFIER_IDS[si]}=${v}`));
        }
      }
      for (const i of practiceCellsOf(r.practice)) reached.push(i);
      for (const i of reached) { const x = cells[i]; x.num += r.num; x.den += r.den; }
    }

    // Relations: a place's total is the sum of its strata (per stratifier); a grouping of districts is
    // the sum of its districts (per stratum); the system is the sum of its practices, a network of its.
    const relations: Relation[] = [];
    for (const p of residence) {
      for (const s of STRATIFIER_IDS) relations.push({ parent: cell(`${p.id}|*`), children: STRATIFIERS[s].values.map((v) => cell(`${p.id}|${s}=${v}`)) });
    }
    for (const p of residence) {
      if (p.level === 'district') continue;
      const ds = districtsOf.get(p.id)!.filter((d) => index.has(`district:${d}|*`));
      for (const k of strataKeys) relations.push({ parent: cell(`${p.id}|${k}`), children: ds.map((d) => cell(`district:${d}|${k}`)) });
    }
    // Sums implied by those (system = Kent + Medway = the four partnerships; = the networks and the practices
    // outside one) are listed too: they add nothing an attacker lacks, but let the protection see them directly.
    const implied = (parent: string, children: string[]) => {
      if (!index.has(`${parent}|*`) || children.some((ch) => !index.has(`${ch}|*`))) return;
      for (const k of strataKeys) if (index.has(`${parent}|${k}`)) relations.push({ parent: cell(`${parent}|${k}`), children: children.map((ch) => cell(`${ch}|${k}`)) });
    };
    implied('system', ['county:kent', 'county:medway', ...(index.has('district:unknown|*') ? ['district:unknown'] : [])]);
    implied('system', [...g.hcps.map((h) => `hcp:${h.id}`), ...(index.has('district:unknown|*') ? ['district:unknown'] : [])]);
    relations.push({ parent: cell('system|*'), children: practices.map((p) => cell(`${p.id}|*`)) });
    relations.push({ parent: cell('system|*'), children: [...pcns.map((n) => cell(`${n.id}|*`)), ...practices.filter((p) => !p.parent?.startsWith('pcn:')).map((p) => cell(`${p.id}|*`))] });
    for (const n of pcns) relations.push({ parent: cell(`${n.id}|*`), children: practices.filter((p) => p.parent === n.id).map((p) => cell(`${p.id}|*`)) });

    // What to hide last: the system's figures, then the councils' and partnerships', then districts' totals.
    const keep: number[] = [];
    const LEVEL_KEEP: Record<string, number> = { system: 6, county: 4, hcp: 4, district: 2, pcn: 1, practice: 0 };
    for (const [key, i] of index) {
      const [placeId, stratum] = key.split('|');
      const level = placeId === 'system' ? 'system' : placeId.split(':')[0];
      keep[i] = (LEVEL_KEEP[level] ?? 0) + (stratum === '*' ? 1 : 0);
    }
    const hasDen = c.scoring !== 'count';
    const numP = protect(cells.map((x) => x.num), relations, keep);
    const denP = hasDen ? protect(cells.map((x) => x.den), relations, keep) : undefined;
    const years = periodDays(period) / 365.25;
    const figure = (i: number): Figure => {
      const suppressed = numP.suppressed[i] || (denP?.suppressed[i] ?? false);
      const { num, den } = cells[i];
      const base: Figure = { numerator: numP.published[i], denominator: denP ? denP.published[i] : null, score: null, low: null, high: null, suppressed };
      if (suppressed) return { ...base, score: null };
      if (c.scoring === 'proportion') {
        if (den === 0) return base;
        const ci = wilson(num, den)!;
        return { ...base, score: round1((100 * num) / den), low: round1(100 * ci.low), high: round1(100 * ci.high) };
      }
      if (c.scoring === 'rate') {
        const py = den * years;
        if (py === 0) return base;
        const per = c.per ?? 100_000;
        const ci = byar(num);
        return { ...base, score: round1((num / py) * per), low: round1((ci.low / py) * per), high: round1((ci.high / py) * per) };
      }
      const ci = byar(num);
      return { ...base, score: numP.published[i], low: Math.round(ci.low), high: Math.round(ci.high) };
    };
    const out: PlaceResult[] = [];
    for (const p of residence) {
      const strata: Record<string, Record<string, Figure>> = {};
      for (const s of STRATIFIER_IDS) {
        strata[s] = {};
        for (const v of STRATIFIERS[s].values) strata[s][v] = figure(cell(`${p.id}|${s}=${v}`));
      }
      out.push({ place: p, total: figure(cell(`${p.id}|*`)), strata });
    }
    for (const p of [...pcns, ...practices]) out.push({ place: p, total: figure(cell(`${p.id}|*`)) });
    return out;
  }

  /** A place's figures as a FHIR MeasureReport (summary). */
  report(e: Evaluation, placeId: string, now: Date, stratifiers: StratifierId[] = STRATIFIER_IDS): MeasureReport {
    const r = e.places.find((x) => x.place.id === placeId);
    if (!r) throw badRequest(`No figures for place '${placeId}'`, 'place');
    const c = e.indicator.computation as RecordComputation;
    const unit = c.scoring === 'proportion' ? '%' : c.scoring === 'rate' ? `per ${(c.per ?? 100_000).toLocaleString('en-GB')} person-years` : 'count';
    const group = (f: Figure): Pick<MeasureReportGroup, 'population' | 'measureScore' | 'extension'> => {
      const pops: MeasureReportGroupPopulation[] = [pop(c.scoring === 'count' ? 'measure-population' : 'numerator', f.numerator)];
      if (c.scoring !== 'count') pops.push(pop('denominator', f.denominator));
      const g: Pick<MeasureReportGroup, 'population' | 'measureScore' | 'extension'> = { population: pops };
      if (f.score !== null) g.measureScore = { value: f.score, unit };
      if (f.low !== null && f.high !== null) g.extension = [{ url: `${OUTCOMES_SD}/measure-score-interval-95`, valueRange: { low: { value: f.low, unit }, high: { value: f.high, unit } } }];
      if (f.suppressed) g.extension = [...(g.extension ?? []), MASKED];
      return g;
    };
    const top = group(r.total);
    return {
      resourceType: 'MeasureReport', status: 'complete', type: 'summary', measure: `${MEASURE_BASE}/${e.indicator.id}`,
      date: now.toISOString(), period: { start: e.period.start, end: e.period.end },
      extension: [{ url: `${OUTCOMES_SD}/place`, valueCoding: { system: `${OUTCOMES_CS}/place`, code: r.place.id, display: r.place.name } }],
      ...(e.indicator.direction !== 'maintain' ? { improvementNotation: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-improvement-notation', code: e.indicator.direction === 'up' ? 'increase' : 'decrease' }] } } : {}),
      group: [{
        ...top,
        stratifier: r.strata ? stratifiers.map((s) => ({
          code: [{ coding: [{ system: `${OUTCOMES_SD}/stratifier`, code: s }], text: STRATIFIERS[s].title }],
          stratum: Object.entries(r.strata![s]).map(([v, f]) => ({ value: { text: v }, ...group(f) })),
        })) : undefined,
      }],
    };
  }
}

const MASKED = { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' };
const round1 = (x: number) => Math.round(x * 10) / 10;

function pop(code: string, count: number | null): MeasureReportGroupPopulation {
  const p: MeasureReportGroupPopulation = { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code }] } };
  if (count === null) p.extension = [MASKED];
  else p.count = count;
  return p;
}
