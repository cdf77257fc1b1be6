import { table, tag, type TagColour } from './components/index.js';
import { html, query, type Html } from './html.js';
import type { SubmittedComputation } from '../outcomes/indicator.definitions.js';
import type { Indicator } from '../outcomes/indicator.registry.js';
import { quarterOf, type Figure, type Period } from '../outcomes/measure-evaluation.service.js';
import type { StoredReport } from '../outcomes/outcome-report.repository.js';
import type { IndicatorOverview } from '../outcomes/outcomes.service.js';
import { RATING_WORDS, type Progress, type Rating } from '../outcomes/progress.js';

/**
 * The outcomes dashboard: every indicator with its rating (/outcomes) and one indicator's trend,
 * map and places (/outcomes/:id). Charts and the map are SVG drawn here, on the server, with
 * presentation attributes only (the pages' CSP allows no inline style), each followed by a table of
 * the same figures. Only stored, protected figures are shown: a suppressed one says so.
 */

const RATING_COLOUR: Record<Rating, TagColour> = { 'on-track': 'green', 'at-risk': 'yellow', 'off-track': 'red', 'too-little-data': 'grey' };
export const ratingTag = (r: Rating): Html => tag(RATING_WORDS[r], RATING_COLOUR[r]);

const unitOf = (i: Indicator) => (i.unit === 'percent' ? '%' : i.unit === 'rate_per_100k' ? ' per 100,000' : '');

/** A figure in words: "10.2% (95% CI 9.1 to 11.4)", or why it is not shown. */
export function figureText(i: Indicator, f: Figure | undefined): string {
  if (!f) return 'No figures yet';
  if (f.suppressed) return 'Suppressed (small numbers)';
  if (f.score === null) return 'None counted';
  const ci = f.low !== null && f.high !== null && i.unit !== 'count' ? ` (95% CI ${f.low} to ${f.high})` : '';
  return `${f.score}${unitOf(i)}${ci}`;
}

const computedHow = (i: Indicator): string => {
  const c = i.computation;
  if (c.kind === 'record') return 'From the record';
  if (c.kind === 'submitted') return `Submitted by ${c.owner}`;
  return 'Not yet computable';
};

const quarterName = (end: string) => {
  const m = Number(end.slice(5, 7));
  const y = Number(end.slice(0, 4));
  return `${['Jan to Mar', 'Apr to Jun', 'Jul to Sep', 'Oct to Dec'][Math.floor((m - 1) / 3)]} ${y}`;
};

/** Computed and submitted indicators are rated; those not yet computable are not. */
const rated = (i: Indicator) => i.computation.kind !== 'not-yet';

const longDay = (iso: string) => new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const shortMonth = (iso: string) => `${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(0, 4)}`;

/** A period in words: a calendar quarter by its name, any other whole months as "Sep 2024 to Aug 2025". */
export function periodName(p: Period): string {
  const q = quarterOf(p.start);
  if (q.start === p.start && q.end === p.end) return quarterName(p.end);
  return p.start.slice(0, 7) === p.end.slice(0, 7) ? shortMonth(p.start) : `${shortMonth(p.start)} to ${shortMonth(p.end)}`;
}

/** "Submitted by Jo Bloggs (Kent County Council) on 3 November 2025, version 2". */
export function submittedWords(r: StoredReport): string {
  const s = r.submission;
  if (!s) return '';
  return `submitted by ${s.by} (${s.organisation}) on ${longDay(s.at)}${s.version > 1 ? `, version ${s.version}` : ''}`;
}

/** Why a figure is suppressed, in words (never a bare gap). */
export const SUPPRESSED_WHY = 'Fewer than 8 people were counted here in this period, or showing this figure would let a suppressed one be worked out from the others.';

/** How many of the record's latest system figures are shown and how many suppressed, and why, in words. */
function shownSummary(items: IndicatorOverview[], residents?: number): Html {
  const record = items.filter((it) => it.indicator.computation.kind === 'record');
  const latest = record.map((it) => it.history[it.history.length - 1]).filter((h) => h !== undefined);
  const suppressed = latest.filter((h) => h.figure.suppressed).length;
  const none = record.length - latest.length;
  if (suppressed === 0 && none === 0) return html``;
  return html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
    <p>Of the ${record.length} indicators computed from the record, ${latest.length - suppressed} show a figure for Kent and Medway for the latest quarter${suppressed ? html`; <strong>${suppressed} ${suppressed === 1 ? 'is' : 'are'} suppressed</strong>` : ''}${none ? `; ${none} ${none === 1 ? 'has' : 'have'} no figures yet` : ''}.</p>
    ${suppressed ? html`<p>A suppressed figure is not zero. ${SUPPRESSED_WHY}${residents !== undefined ? ` The record holds ${residents.toLocaleString('en-GB')} residents${residents < 50_000 ? ': with so few, many quarterly counts are small, so most indicators\' figures are suppressed; a whole population gives figures for every place' : ''}.` : ''}</p>` : ''}
  </div>`;
}

export function overviewBody(items: IndicatorOverview[], residents?: number): Html {
  const outcomes = new Map<string, IndicatorOverview[]>();
  for (const it of items) outcomes.set(it.indicator.outcome.id, [...(outcomes.get(it.indicator.outcome.id) ?? []), it]);
  const counts = new Map<Rating, number>();
  for (const it of items) if (rated(it.indicator)) counts.set(it.progress.rating, (counts.get(it.progress.rating) ?? 0) + 1);
  return html`<h1>Outcomes</h1>
  <p class="nhsuk-lede-text">The Integrated Care Strategy's six outcomes and their 29 indicators, for Kent and Medway, against the targets.</p>
  <p>Figures are counted from the shared record each night for the last four quarters, and kept, so a trend builds up. Counts from 1 to 7 are suppressed and the rest rounded to the nearest 5, so no one can be identified. Ratings compare the latest quarter with a straight line from the strategy's baseline to its target.</p>
  <ul class="nhsuk-list">
    <li><a href="/outcomes/bcf">Better Care Fund: Kent's 2014 plan against the record</a></li>
    <li><a href="/outcomes/i-statements">The 'I' statements: can residents and staff answer yes?</a></li>
  </ul>
  ${shownSummary(items, residents)}
  <ul class="onestory-tags" aria-label="Ratings of the indicators computed from the record or submitted">
    ${(['on-track', 'at-risk', 'off-track', 'too-little-data'] as Rating[]).map((r) => html`<li>${ratingTag(r)} ${counts.get(r) ?? 0}</li>`)}
  </ul>
  ${[...outcomes.values()].map((list) => html`<section class="onestory-section" aria-labelledby="outcome-${list[0].indicator.outcome.id}">
    <h2 id="outcome-${list[0].indicator.outcome.id}">${list[0].indicator.outcome.id.replace('O', 'Outcome ')}: ${list[0].indicator.outcome.title}</h2>
    ${table({
      caption: `Indicators of outcome ${list[0].indicator.outcome.id.slice(1)}`, captionHidden: true, responsive: true,
      head: ['Indicator', 'Latest (Kent and Medway)', 'Baseline', 'Target', 'Rating'],
      rows: list.map((it) => {
        const last = it.history[it.history.length - 1];
        const i = it.indicator;
        return [
          html`<a href="/outcomes/${i.id}">${i.id} ${i.name}</a><br><span class="onestory-muted">${computedHow(i)}</span>`,
          last ? html`${figureText(i, last.figure)}<br><span class="onestory-muted">${last.submission ? `${periodName(last.period)}; ${submittedWords(last)}` : quarterName(last.period.end)}</span>`
            : i.computation.kind === 'record' ? 'No figures yet' : i.computation.kind === 'submitted' ? `No figure submitted yet by ${i.computation.owner}` : 'Not yet computable',
          i.baseline !== null ? `${i.baseline}${unitOf(i)}` : i.baselineText ?? 'None given',
          `${i.target !== null ? `${i.target}${unitOf(i)}` : i.targetText}${i.by ? ` by ${i.by}` : ''}`,
          rated(i) ? ratingTag(it.progress.rating) : html`<span class="onestory-muted">Not rated</span>`,
        ];
      }),
    })}
  </section>`)}`;
}

// ---- the trend chart ----

const W = 640;
const H = 280;
const PAD = { l: 56, r: 16, t: 16, b: 40 };
const dayNo = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

function trendSvg(i: Indicator, history: StoredReport[], p: Progress): Html {
  const pts = history.filter((h) => h.figure.score !== null && !h.figure.suppressed);
  const xs = [...history.map((h) => dayNo(h.period.end)), ...(p.baseline ? [dayNo(p.baseline.date)] : []), ...(p.target ? [dayNo(p.target.date)] : [])];
  const ys = [...pts.flatMap((h) => [h.figure.low ?? h.figure.score!, h.figure.high ?? h.figure.score!]), ...(p.baseline ? [p.baseline.value] : []), ...(p.target ? [p.target.value] : [])];
  if (xs.length === 0 || ys.length === 0) return html`<p>No figures to chart yet.</p>`;
  const x0 = Math.min(...xs) - 30;
  const x1 = Math.max(...xs) + 30;
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  const padY = (y1 - y0) * 0.15 || Math.abs(y1) * 0.1 || 1;
  y0 = Math.max(0, y0 - padY);
  y1 += padY;
  const X = (d: number) => PAD.l + ((d - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const Y = (v: number) => H - PAD.b - ((v - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const ticks = Array.from({ length: 5 }, (_, k) => y0 + ((y1 - y0) * k) / 4);
  const years: number[] = [];
  for (let y = new Date(x0 * 86_400_000).getUTCFullYear() + 1; dayNo(`${y}-01-01`) < x1; y++) years.push(y);
  const desc = `${p.baseline ? `Baseline ${p.baseline.value}${unitOf(i)} (${p.baseline.date}). ` : ''}${p.target ? `Target ${p.target.value}${unitOf(i)} by ${p.target.date}. ` : ''}${pts.length} figures shown${history.length > pts.length ? `, ${history.length - pts.length} suppressed` : ''}. The table below gives every figure.`;
  return html`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="trend-title trend-desc" focusable="false">
    <title id="trend-title">${i.name}: trend with the trajectory to the target</title>
    <desc id="trend-desc">${desc}</desc>
    <rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"></rect>
    ${ticks.map((v) => html`<g><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#d8dde0" stroke-width="1"></line>
      <text x="${PAD.l - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="#212b32">${v.toFixed(v < 10 ? 1 : 0)}</text></g>`)}
    ${years.map((y) => html`<text x="${X(dayNo(`${y}-01-01`)).toFixed(1)}" y="${H - PAD.b + 18}" text-anchor="middle" font-size="12" fill="#212b32">${y}</text>`)}
    ${p.baseline && p.target ? html`<line x1="${X(dayNo(p.baseline.date)).toFixed(1)}" y1="${Y(p.baseline.value).toFixed(1)}" x2="${X(dayNo(p.target.date)).toFixed(1)}" y2="${Y(p.target.value).toFixed(1)}" stroke="#4c6272" stroke-width="2" stroke-dasharray="6 4"></line>` : ''}
    ${p.baseline ? html`<circle cx="${X(dayNo(p.baseline.date)).toFixed(1)}" cy="${Y(p.baseline.value).toFixed(1)}" r="5" fill="#ffffff" stroke="#4c6272" stroke-width="2"></circle>` : ''}
    ${p.target ? html`<rect x="${(X(dayNo(p.target.date)) - 5).toFixed(1)}" y="${(Y(p.target.value) - 5).toFixed(1)}" width="10" height="10" fill="#4c6272"></rect>` : ''}
    ${pts.map((h) => html`<g>
      ${h.figure.low !== null && h.figure.high !== null ? html`<line x1="${X(dayNo(h.period.end)).toFixed(1)}" x2="${X(dayNo(h.period.end)).toFixed(1)}" y1="${Y(h.figure.low).toFixed(1)}" y2="${Y(h.figure.high).toFixed(1)}" stroke="#005eb8" stroke-width="2"></line>` : ''}
      <circle cx="${X(dayNo(h.period.end)).toFixed(1)}" cy="${Y(h.figure.score!).toFixed(1)}" r="5" fill="#005eb8"></circle></g>`)}
    ${pts.length > 1 ? html`<polyline fill="none" stroke="#005eb8" stroke-width="2" points="${pts.map((h) => `${X(dayNo(h.period.end)).toFixed(1)},${Y(h.figure.score!).toFixed(1)}`).join(' ')}"></polyline>` : ''}
  </svg>
  <p class="onestory-muted">Blue: each period's figure with its 95% confidence interval where it has one. Dashed grey: the straight line from the baseline (open circle) to the target (square).</p>`;
}

// ---- the tile map of the 13 districts ----

/** Tiles placed by the districts' centroids (data/strategy/places.json): west to east, north to south. */
const TILES: Record<string, [number, number]> = {
  dartford: [0, 0], gravesham: [1, 0], medway: [2, 0], swale: [3, 0], canterbury: [4, 0], thanet: [5, 0],
  sevenoaks: [0, 1], 'tonbridge-and-malling': [1, 1], maidstone: [2, 1], ashford: [3, 1], dover: [4, 1],
  'tunbridge-wells': [1, 2], 'folkestone-and-hythe': [4, 2],
};
/** A sequential blue scale (light to dark) and its text colours, each pair at least 4.5:1. */
const SCALE: [string, string][] = [['#e8f1fa', '#212b32'], ['#b9d3ee', '#212b32'], ['#6fa3da', '#212b32'], ['#2c6fbf', '#ffffff'], ['#003d78', '#ffffff']];

function tileMap(i: Indicator, districts: StoredReport[]): Html {
  const values = districts.filter((d) => d.figure.score !== null && !d.figure.suppressed).map((d) => d.figure.score!);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const band = (v: number) => (hi === lo ? 2 : Math.min(4, Math.floor(((v - lo) / (hi - lo)) * 5)));
  const TW = 104;
  const TH = 72;
  return html`<svg viewBox="0 0 ${6 * TW + 8} ${3 * TH + 8}" width="100%" role="img" aria-labelledby="map-title map-desc" focusable="false">
    <title id="map-title">${i.name} by district (tile map of Kent and Medway)</title>
    <desc id="map-desc">Each tile is one of the 13 districts, placed roughly where it lies; darker is a higher figure. Grey tiles have no figure shown. The table below gives every figure.</desc>
    ${Object.entries(TILES).map(([id, [cx, cy]]) => {
      const d = districts.find((x) => x.place === `district:${id}`);
      const f = d?.figure;
      const shown = f && f.score !== null && !f.suppressed;
      const [fill, ink] = shown ? SCALE[band(f!.score!)] : ['#d8dde0', '#212b32'];
      const name = d?.placeName ?? id;
      // No links inside the picture (an image holds no controls): the table below links each district.
      return html`<g>
        <title>${name}: ${figureText(i, f)}</title>
        <rect x="${cx * TW + 4}" y="${cy * TH + 4}" width="${TW - 4}" height="${TH - 4}" rx="4" fill="${fill}" stroke="#ffffff" stroke-width="2"></rect>
        <text x="${cx * TW + 4 + (TW - 4) / 2}" y="${cy * TH + 30}" text-anchor="middle" font-size="12" font-weight="600" fill="${ink}">${name.length > 14 ? `${name.slice(0, 13)}…` : name}</text>
        <text x="${cx * TW + 4 + (TW - 4) / 2}" y="${cy * TH + 50}" text-anchor="middle" font-size="13" fill="${ink}">${shown ? `${f!.score}${unitOf(i) === '%' ? '%' : ''}` : f?.suppressed ? 'Suppressed' : 'No figure'}</text>
      </g>`;
    })}
  </svg>`;
}

export interface IndicatorPageData {
  indicator: Indicator;
  place: { id: string; name: string };
  history: StoredReport[];
  progress: Progress;
  latest: StoredReport[];
  /** Said under the headline: e.g. that the people behind the figure are shown to clinicians, not here. */
  note?: Html;
  /** The form for submitting a figure, when the reader may submit this indicator's figures. */
  submitHref?: string;
}

const LEVEL_WORDS: Record<string, string> = { system: 'Kent and Medway', county: 'Council areas', hcp: 'Health and care partnerships', district: 'Districts (by residence)', pcn: 'Primary care networks (by registration)', practice: 'GP practices (by registration)' };

export function indicatorBody(d: IndicatorPageData): Html {
  const i = d.indicator;
  const c = i.computation;
  const p = d.progress;
  const last = d.history[d.history.length - 1];
  // The drill-down: system → partnerships → districts → the practices in each district; networks → their practices.
  const children = d.latest.filter((r) => (d.place.id.startsWith('district:') ? r.placeLevel === 'practice' && `district:${r.district}` === d.place.id : r.parentPlace === d.place.id));
  const byLevel = (level: string) => d.latest.filter((r) => r.placeLevel === level);
  const placeRows = (list: StoredReport[]) => list.map((r) => [
    html`<a href="/outcomes/${i.id}${query({ place: r.place })}">${r.placeName}</a>`,
    figureText(i, r.figure),
    r.figure.numerator === null ? 'Suppressed' : String(r.figure.numerator),
    c.kind === 'record' && c.scoring !== 'count' ? (r.figure.denominator === null ? 'Suppressed' : String(r.figure.denominator)) : '–',
  ]);
  const head = ['Place', 'Figure', c.kind === 'record' && c.scoring === 'count' ? 'Count' : 'Numerator', 'Denominator'];
  const lastPeriod = d.latest[0] ? quarterName(d.latest[0].period.end) : undefined;
  return html`<div class="nhsuk-back-link"><a class="nhsuk-back-link__link" href="/outcomes">All outcomes</a></div>
  <h1><span class="nhsuk-caption-l">${i.id} · ${i.outcome.title}</span>${i.name}</h1>
  <p><a href="/outcomes/${i.id}.csv${query({ place: d.place.id === 'system' ? undefined : d.place.id })}" download>Download every figure of this indicator (CSV)</a></p>
  <div class="nhsuk-card"><div class="nhsuk-card__content">
    <h2 class="nhsuk-card__heading">${d.place.name}${last ? `, ${last.submission ? periodName(last.period) : quarterName(last.period.end)}` : ''}</h2>
    <p class="nhsuk-body-l">${c.kind === 'submitted' && !last ? `No figure submitted yet by ${c.owner}` : figureText(i, last?.figure)}</p>
    ${last?.submission ? html`<p>${capitalise(submittedWords(last))}.</p>` : ''}
    ${last?.figure.suppressed ? html`<p>${SUPPRESSED_WHY} Choose a larger place below, or download the CSV to see which figures are published.</p>` : ''}
    ${rated(i) && (c.kind === 'record' || last) ? html`<p>${ratingTag(p.rating)} ${p.reason}</p>` : ''}
    <dl class="nhsuk-summary-list">
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Baseline</dt><dd class="nhsuk-summary-list__value">${p.baseline ? `${p.baseline.value}${unitOf(i)} (${p.baseline.source === 'strategy' ? 'the strategy\'s, 2023/24' : `first figure, to ${p.baseline.date}`})` : i.baselineText ?? 'None given'}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Target</dt><dd class="nhsuk-summary-list__value">${i.targetText}${i.by ? ` by ${i.by}` : ''}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">How it is counted</dt><dd class="nhsuk-summary-list__value">${c.kind === 'record' ? html`${c.numerator}, of ${c.denominator ?? c.population}. ${c.basis}.` : c.kind === 'submitted' ? `Submitted by ${c.owner}: ${c.why}.` : `Not yet computable: ${c.why}.`}</dd></div>
    </dl>
  </div></div>
  ${d.note ?? ''}
  ${d.submitHref ? html`<p><a href="${d.submitHref}">Submit or correct a figure for this indicator</a></p>` : ''}
  ${c.kind === 'submitted' ? submittedSections(d) : c.kind !== 'record' ? html`<p>No figures are computed from the record for this indicator.</p>` : html`
  <section class="onestory-section" aria-labelledby="trend">
    <h2 id="trend">Trend: ${d.place.name}</h2>
    ${trendSvg(i, d.history, p)}
    ${table({
      caption: `${i.name}, ${d.place.name}, by quarter`, responsive: true,
      head: ['Quarter', 'Figure', 'Numerator', 'Denominator'],
      rows: d.history.map((h) => [quarterName(h.period.end), figureText(i, h.figure), h.figure.numerator === null ? 'Suppressed' : String(h.figure.numerator), h.figure.denominator === null ? (c.scoring === 'count' ? '–' : 'Suppressed') : String(h.figure.denominator)]),
    })}
  </section>
  <section class="onestory-section" aria-labelledby="map">
    <h2 id="map">Districts${lastPeriod ? `, ${lastPeriod}` : ''}</h2>
    ${tileMap(i, byLevel('district'))}
    ${table({ caption: `${i.name} by district (residence)`, responsive: true, head, rows: placeRows(byLevel('district')) })}
  </section>
  <section class="onestory-section" aria-labelledby="places">
    <h2 id="places">${children.length ? `Within ${d.place.name}` : 'Places'}</h2>
    <p>Choose a place to see its trend. Districts are by where people live; networks and practices by where they are registered, shown as totals only (strata there would reveal small numbers).</p>
    ${children.length ? table({ caption: `Places within ${d.place.name}`, responsive: true, head, rows: placeRows(children) }) : ''}
    ${(['system', 'county', 'hcp', 'pcn'] as const).map((level) => byLevel(level).length ? table({ caption: LEVEL_WORDS[level], responsive: true, head, rows: placeRows(byLevel(level)) }) : '')}
  </section>`}`;
}

const capitalise = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** A submitted indicator's trend (the submitted periods) and every place's latest figure, each with who submitted it. */
function submittedSections(d: IndicatorPageData): Html {
  const i = d.indicator;
  const c = i.computation as SubmittedComputation;
  const row = (r: StoredReport, first: Html | string) => [first, figureText(i, r.figure), periodName(r.period), capitalise(submittedWords(r))];
  return html`<section class="onestory-section" aria-labelledby="trend">
    <h2 id="trend">Trend: ${d.place.name}</h2>
    ${d.history.length === 0 ? html`<p>No figure submitted yet by ${c.owner} for ${d.place.name}.</p>` : html`${trendSvg(i, d.history, d.progress)}
    ${table({ caption: `${i.name}, ${d.place.name}, by period submitted`, responsive: true, head: ['Period', 'Figure', 'Numerator', 'Denominator', 'Submitted'],
      rows: d.history.map((h) => [periodName(h.period), figureText(i, h.figure), h.figure.numerator === null ? (h.figure.suppressed ? 'Suppressed' : '–') : String(h.figure.numerator),
        h.figure.denominator === null ? (h.figure.suppressed ? 'Suppressed' : '–') : String(h.figure.denominator), capitalise(submittedWords(h))]) })}`}
  </section>
  <section class="onestory-section" aria-labelledby="places">
    <h2 id="places">Places</h2>
    ${d.latest.length === 0 ? html`<p>No figure submitted yet by ${c.owner} for any place.</p>` : table({
      caption: `The latest figure submitted for each place`, responsive: true, head: ['Place', 'Figure', 'Period', 'Submitted'],
      rows: d.latest.map((r) => row(r, html`<a href="/outcomes/${i.id}${query({ place: r.place })}">${r.placeName}</a>`)),
    })}
  </section>`;
}

/** Every stored figure of an indicator as CSV (places, quarters, strata). */
export function indicatorCsv(i: Indicator, rows: StoredReport[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    // Quoted where needed; a leading =, +, - or @ is defused so a spreadsheet never runs it as a formula.
    const safe = /^[=+\-@]/.test(s) && Number.isNaN(Number(s)) ? `'${s}` : s;
    return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const out = [['indicator', 'indicator_name', 'place', 'place_name', 'place_level', 'period_start', 'period_end', 'stratifier', 'stratum', 'numerator', 'denominator', 'value', 'ci95_low', 'ci95_high', 'suppressed', 'unit', 'submitted_by', 'submitted_organisation', 'submitted_at', 'submitted_version'].join(',')];
  const line = (r: StoredReport, s: string, v: string, f: Figure) => out.push([i.id, i.name, r.place, r.placeName, r.placeLevel, r.period.start, r.period.end, s, v, f.numerator, f.denominator, f.score, f.low, f.high, f.suppressed, i.unit,
    r.submission?.by, r.submission?.organisation, r.submission?.at, r.submission?.version].map(cell).join(','));
  for (const r of rows) {
    line(r, '', '', r.figure);
    for (const [s, strata] of Object.entries(r.strata ?? {})) for (const [v, f] of Object.entries(strata)) line(r, s, v, f);
  }
  return `${out.join('\n')}\n`;
}
