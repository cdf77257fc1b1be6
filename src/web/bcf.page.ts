import { table, tag } from './components/index.js';
import { html, type Html } from './html.js';
import type { BcfMetricView, BcfView, BcfYearFigures, YearStatus } from '../outcomes/bcf.service.js';
import type { BcfMetric } from '../outcomes/bcf.definitions.js';
import type { StoredReport } from '../outcomes/outcome-report.repository.js';
import { figureText, indicatorCsv } from './outcomes.page.js';
import { formatDate } from '../record-view/fhir-text.js';

/**
 * The Better Care Fund view (/outcomes/bcf): each metric per financial year for Kent (the plan's
 * area), against Kent's 2014 plan, with the plan's savings assumptions spelt out. Charts are SVG
 * drawn here (presentation attributes only: the pages' CSP allows no inline style), each followed by
 * a table of the same figures; every figure shown is a stored, protected one.
 */

const gbp = (n: number) => `£${Math.round(n).toLocaleString('en-GB')}`;
const STATUS_WORDS: Record<YearStatus, string> = { complete: 'Complete', 'part-record': 'Record starts during the year', 'to-date': 'Year to date' };
const statusTag = (s: YearStatus) => tag(STATUS_WORDS[s], s === 'complete' ? 'green' : 'grey');
const unit = (m: BcfMetric) => (m.indicator.unit === 'percent' ? '%' : ' per 100,000');
const periodWords = (y: BcfYearFigures) => (y.period.start.endsWith('-10-01') ? `discharges 1 October to 31 December ${y.period.start.slice(0, 4)}` : `1 April ${y.year.start.slice(0, 4)} to 31 March ${y.year.end.slice(0, 4)}`);

const W = 640;
const H = 240;
const PAD = { l: 64, r: 16, t: 16, b: 36 };

/** Kent's figure per year as bars with their 95% intervals. */
function yearsChart(v: BcfMetricView, n: number): Html {
  const m = v.metric;
  const shown = v.years.filter((y) => y.kent && !y.kent.figure.suppressed && y.kent.figure.score !== null);
  const top = Math.max(1, ...shown.map((y) => y.kent!.figure.high ?? y.kent!.figure.score!)) * 1.1;
  const slot = (W - PAD.l - PAD.r) / Math.max(1, v.years.length);
  const Y = (x: number) => H - PAD.b - (x / top) * (H - PAD.t - PAD.b);
  const ticks = [0, top / 4, top / 2, (3 * top) / 4, top];
  const hidden = v.years.length - shown.length;
  return html`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="bcf-chart-${n}-title bcf-chart-${n}-desc" focusable="false">
    <title id="bcf-chart-${n}-title">${m.indicator.name}, Kent, by financial year</title>
    <desc id="bcf-chart-${n}-desc">${shown.map((y) => `${y.year.label}: ${figureText(m.indicator, y.kent!.figure)}`).join('; ') || 'No figures to show'}${hidden ? `. ${hidden} year${hidden > 1 ? 's have' : ' has'} no figure shown (none yet, or suppressed)` : ''}. The table below gives every figure.</desc>
    <rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"></rect>
    ${ticks.map((t) => html`<g><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#d8dde0" stroke-width="1"></line>
      <text x="${PAD.l - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end" font-size="12" fill="#212b32">${t < 10 ? t.toFixed(1) : Math.round(t).toLocaleString('en-GB')}</text></g>`)}
    ${v.years.map((y, i) => {
      const x = PAD.l + i * slot + slot * 0.2;
      const w = slot * 0.6;
      const f = y.kent?.figure;
      const label = html`<text x="${(x + w / 2).toFixed(1)}" y="${H - PAD.b + 18}" text-anchor="middle" font-size="12" fill="#212b32">${y.year.label}${y.status === 'complete' ? '' : ' *'}</text>`;
      if (!f || f.suppressed || f.score === null) return html`<g>${label}<text x="${(x + w / 2).toFixed(1)}" y="${(Y(0) - 8).toFixed(1)}" text-anchor="middle" font-size="12" fill="#4c6272">${f?.suppressed ? 'Suppressed' : 'No figure'}</text></g>`;
      return html`<g>
        <rect x="${x.toFixed(1)}" y="${Y(f.score).toFixed(1)}" width="${w.toFixed(1)}" height="${(Y(0) - Y(f.score)).toFixed(1)}" fill="${y.status === 'complete' ? '#005eb8' : '#aeb7bd'}"></rect>
        ${f.low !== null && f.high !== null ? html`<line x1="${(x + w / 2).toFixed(1)}" x2="${(x + w / 2).toFixed(1)}" y1="${Y(f.low).toFixed(1)}" y2="${Y(f.high).toFixed(1)}" stroke="#212b32" stroke-width="2"></line>` : ''}
        ${label}</g>`;
    })}
  </svg>
  <p class="onestory-muted">Blue bars: complete years, with their 95% confidence intervals. Grey bars and * : the year is still running or the record starts during it, so the figure is not comparable.</p>`;
}

function comparisonText(v: BcfMetricView, view: BcfView): Html {
  const m = v.metric;
  const c = v.comparison;
  const aim = m.aim;
  const planLine = html`<p><strong>The plan:</strong> ${m.planWords}.${aim.kind === 'national-only' ? ` ${aim.national}.` : ''}</p>`;
  if (!c) return html`${planLine}<p>${v.noComparison ?? ''}</p>`;
  const dir = c.change < 0 ? 'fell' : c.change > 0 ? 'rose' : 'did not change';
  const moved = html`<p><strong>The record:</strong> Kent's figure ${dir}${c.change !== 0 ? ` by ${Math.abs(c.change).toLocaleString('en-GB')}${unit(m)} (${Math.abs(c.changePercent)}%)` : ''} from ${c.from} (${c.before.toLocaleString('en-GB')}${unit(m)}) to ${c.to} (${c.after.toLocaleString('en-GB')}${unit(m)}).</p>`;
  if (aim.kind === 'fewer') {
    return html`${planLine}${moved}
      <p>The plan's ${aim.count.toLocaleString('en-GB')} fewer admissions are ${c.planPer100k} per 100,000 of Kent's ${view.plan.kentPopulation.toLocaleString('en-GB')} residents.
      The record's change, across Kent's residents, is ${c.impliedFewer! >= 0 ? `${c.impliedFewer!.toLocaleString('en-GB')} fewer` : `${(-c.impliedFewer!).toLocaleString('en-GB')} more`} admissions a year,
      ${c.impliedFewer! > 0 ? `worth about ${gbp(c.impliedSavingGbp!)} at the plan's ${gbp(view.planSavingPerAdmissionGbp)} an admission` : 'so no saving on the plan\'s assumption'}.</p>
      <p>${c.metAim ? tag('Met the plan\'s aim', 'green') : tag('Short of the plan\'s aim', 'red')}</p>`;
  }
  if (aim.kind === 'percent-fewer') return html`${planLine}${moved}<p>${c.metAim ? tag('Met the plan\'s aim', 'green') : tag('Short of the plan\'s aim', 'red')}</p>`;
  return html`${planLine}${moved}`;
}

const placeFigure = (m: BcfMetric, r: StoredReport | undefined) => figureText(m.indicator, r?.figure);
const count = (n: number | null | undefined, suppressed: boolean) => (n === null || n === undefined ? (suppressed ? 'Suppressed' : '–') : n.toLocaleString('en-GB'));

function metricSection(v: BcfMetricView, view: BcfView, n: number): Html {
  const m = v.metric;
  const c = m.indicator.computation;
  const id = `bcf-${n}`;
  return html`<section class="onestory-section" aria-labelledby="${id}">
    <h2 id="${id}">${m.indicator.name}</h2>
    <p class="onestory-muted">${c.kind === 'record' ? html`${c.numerator}, per ${c.denominator ?? c.population}. ${c.basis}.` : ''}</p>
    ${comparisonText(v, view)}
    ${yearsChart(v, n)}
    ${table({
      caption: `${m.indicator.name} by financial year`, responsive: true,
      head: ['Year', 'Kent', 'Kent count', 'Medway', 'Kent and Medway', 'Status'],
      rows: v.years.map((y) => [
        html`${y.year.label}<br><span class="onestory-muted">${periodWords(y)}</span>`,
        placeFigure(m, y.kent), count(y.kent?.figure.numerator, y.kent?.figure.suppressed ?? false), placeFigure(m, y.medway), placeFigure(m, y.system), statusTag(y.status),
      ]),
    })}
    ${v.districts.length ? table({
      caption: `${m.indicator.name} by district (residence), ${v.districtsYear?.label ?? ''}`, responsive: true,
      head: ['District', 'Figure', 'Count', 'Population'],
      rows: v.districts.map((r) => [r.placeName, placeFigure(m, r), count(r.figure.numerator, r.figure.suppressed), count(r.figure.denominator, r.figure.suppressed)]),
    }) : ''}
  </section>`;
}

export function bcfBody(view: BcfView): Html {
  const p = view.plan;
  const other = Math.round((p.localSavingsGbpMillions - p.aeSavingGbpMillions) * 100) / 100;
  return html`<div class="nhsuk-back-link"><a class="nhsuk-back-link__link" href="/outcomes">All outcomes</a></div>
  <h1><span class="nhsuk-caption-l">Kent is one of 14 national Pioneers of health and social care integration</span>Better Care Fund: Kent's 2014 plan against the record</h1>
  <p class="nhsuk-lede-text">The measures Kent's Better Care Fund plan promised to move, counted from the shared record for each financial year, beside what the plan said and the savings it assumed.</p>
  <p>Kent's plan covers Kent County Council's area; Medway and the whole system are shown beside it. Counts from 1 to 7 are suppressed and the rest rounded to the nearest 5, so no one can be identified. ${view.recordFrom ? `The record holds emergency admissions from ${formatDate(view.recordFrom)}: years that start before then undercount and are not compared.` : 'The record holds no emergency admissions yet.'}</p>
  <p><a href="/outcomes/bcf.csv" download>Download every Better Care Fund figure (CSV)</a></p>
  <section class="onestory-section" aria-labelledby="bcf-savings">
    <h2 id="bcf-savings">The plan's savings assumptions</h2>
    ${table({
      caption: 'What Kent\'s 2014 plan assumed, and what follows from it', responsive: true,
      head: ['Assumption', 'Figure', 'Where it comes from'],
      rows: [
        ['Total savings in Kent, to reinvest in other health services', `£${p.localSavingsGbpMillions} million`, 'Kent\'s plan'],
        ['Fewer A&E admissions in the next year', p.aeAdmissionsFewer.toLocaleString('en-GB'), 'Kent\'s plan'],
        ['Saving from those admissions', `£${p.aeSavingGbpMillions} million`, 'Kent\'s plan'],
        ['Saving per avoided admission', gbp(view.planSavingPerAdmissionGbp), `Worked out: £${p.aeSavingGbpMillions} million ÷ ${p.aeAdmissionsFewer.toLocaleString('en-GB')}`],
        ['Savings from the plan\'s other schemes', `£${other} million`, `Worked out: £${p.localSavingsGbpMillions} million − £${p.aeSavingGbpMillions} million; the published plan does not itemise them`],
        ['Fewer admissions to care homes', `${p.careHomeAdmissionsFewerPercent}%`, 'Kent\'s plan (no saving given)'],
        ['Fewer A&E admissions per 100,000 Kent residents', ((p.aeAdmissionsFewer / p.kentPopulation) * 100_000).toFixed(1), `Worked out over Kent County Council's ${p.kentPopulation.toLocaleString('en-GB')} residents (ONS Census 2021, rounded), the denominator the record's rates use`],
        ['England: fewer A&E admissions', `${p.national.fewerAeStays.toLocaleString('en-GB')} (${p.national.aeReductionPercent}%), saving £${p.national.aeSavingGbpMillions} million (${gbp(view.nationalSavingPerAdmissionGbp)} each)`, 'The national plans'],
        ['England: total savings', `£${p.national.totalSavingsGbpMillions} million`, 'The national plans'],
        ['England: fewer delayed days in hospital', p.national.fewerDelayedDays.toLocaleString('en-GB'), 'The national plans'],
        ['England: more older people at home three months after discharge', p.national.moreAtHome91Days.toLocaleString('en-GB'), 'The national plans'],
        ['England: fewer care home admissions', p.national.fewerCareHomeAdmissions.toLocaleString('en-GB'), 'The national plans'],
      ],
    })}
  </section>
  ${view.metrics.map((v, i) => metricSection(v, view, i + 1))}`;
}

/** Every stored Better Care Fund figure as one CSV (the strategy indicators' columns). */
export function bcfCsv(sets: { metric: BcfMetric; rows: StoredReport[] }[]): string {
  const parts = sets.map((s, i) => {
    const csv = indicatorCsv(s.metric.indicator, s.rows);
    return i === 0 ? csv : csv.slice(csv.indexOf('\n') + 1);
  });
  return parts.join('');
}
