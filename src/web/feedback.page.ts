import { button, csrfField, errorSummary, notificationBanner, radios, table, type FieldErrors } from './components/index.js';
import { html, type Html } from './html.js';
import type { FeedbackFigures, MyResponse, ShareFigure, StatementFigures } from '../outcomes/feedback.service.js';
import { ANSWERS, type Audience, type IStatement } from '../outcomes/i-statements.js';

/**
 * The 'I' statements: the short survey residents answer in the portal (/my-feedback) and staff in
 * the workspace (/feedback), and the analysts' figures (/outcomes/i-statements): the share answering
 * yes per statement and place, protected; an SVG chart of the system's shares with a table of the same.
 */

const words = (code: string) => ANSWERS.find((a) => a.code === code)?.display ?? code;
const quarterWords = (start: string) => `${['January to March', 'April to June', 'July to September', 'October to December'][Math.floor((Number(start.slice(5, 7)) - 1) / 3)]} ${start.slice(0, 4)}`;

export interface SurveyPageData {
  audience: Audience;
  statements: IStatement[];
  mine?: MyResponse;
  done: boolean;
  errors: FieldErrors;
  values: Record<string, string | undefined>;
  csrfToken: string;
  action: string;
  nextQuarter: string;
}

export function surveyBody(d: SurveyPageData): Html {
  const resident = d.audience === 'resident';
  const intro = resident
    ? 'Kent and Medway\'s health and care services have said what good looks like for you, in your words. Tell us whether it is true for you: it helps us see where things need to change. Your answers are counted with everyone else\'s; no one sees your answers on their own except you.'
    : 'The clinical vision says the system works when staff can say yes to these. Your answers are counted with your colleagues\', by district; no one sees them on their own.';
  const heading = resident ? 'How are we doing?' : 'Quality of life, quality of care: your view';
  if (d.mine) {
    return html`${d.done ? notificationBanner({ kind: 'success', heading: 'Thank you: your answers have been recorded' }) : ''}
    <h1>${heading}</h1>
    <p>You answered on ${d.mine.authored}. You can answer again from ${d.nextQuarter}: once a quarter, so each quarter's figures count each person once.</p>
    ${table({ caption: 'Your answers', head: ['Statement', 'Your answer'], rows: d.statements.map((s) => [s.text, words(d.mine!.answers[s.id] ?? '')]) })}`;
  }
  return html`${errorSummary(d.errors)}
  <h1>${heading}</h1>
  <p class="nhsuk-lede-text">${intro}</p>
  <form method="post" action="${d.action}" novalidate>
    ${csrfField(d.csrfToken)}
    ${d.statements.map((s) => radios({
      name: s.id, label: s.text, errors: d.errors, inline: true, legendSize: 'm', value: d.values[s.id],
      items: ANSWERS.map((a) => ({ value: a.code, text: a.display })),
    }))}
    ${button('Send my answers')}
  </form>`;
}

const shareText = (f: ShareFigure | undefined) => (!f ? 'No answers' : f.suppressed ? 'Suppressed (small numbers)' : f.percent === null ? 'No answers' : `${f.percent}% (95% CI ${f.low} to ${f.high})`);
const countText = (n: number | null, suppressed: boolean) => (n === null ? (suppressed ? 'Suppressed' : '–') : n.toLocaleString('en-GB'));

const W = 640;
const ROW = 30;
const LEFT = 70;

/** The system's share answering yes per statement, as horizontal bars with their intervals. */
function sharesChart(id: string, title: string, list: StatementFigures[]): Html {
  const H = list.length * ROW + 40;
  const X = (pct: number) => LEFT + (pct / 100) * (W - LEFT - 20);
  const system = list.map((s) => ({ s: s.statement, f: s.places.find((p) => p.place.id === 'system')?.figure }));
  return html`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${id}-title ${id}-desc" focusable="false">
    <title id="${id}-title">${title}</title>
    <desc id="${id}-desc">${system.map((x) => `${x.s.id}: ${shareText(x.f)}`).join('; ')}. The tables below give every figure.</desc>
    <rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"></rect>
    ${[0, 25, 50, 75, 100].map((t) => html`<g><line x1="${X(t).toFixed(1)}" x2="${X(t).toFixed(1)}" y1="10" y2="${H - 24}" stroke="#d8dde0" stroke-width="1"></line>
      <text x="${X(t).toFixed(1)}" y="${H - 8}" text-anchor="middle" font-size="12" fill="#212b32">${t}%</text></g>`)}
    ${system.map((x, i) => {
      const y = 14 + i * ROW;
      const f = x.f;
      const shown = f && !f.suppressed && f.percent !== null;
      return html`<g>
        <text x="${LEFT - 8}" y="${y + 15}" text-anchor="end" font-size="13" fill="#212b32">${x.s.id}</text>
        ${shown ? html`<rect x="${LEFT}" y="${y + 3}" width="${(X(f!.percent!) - LEFT).toFixed(1)}" height="18" fill="#005eb8"></rect>
          <line x1="${X(f!.low!).toFixed(1)}" x2="${X(f!.high!).toFixed(1)}" y1="${y + 12}" y2="${y + 12}" stroke="#212b32" stroke-width="2"></line>`
          : html`<text x="${LEFT + 4}" y="${y + 15}" font-size="12" fill="#4c6272">${f?.suppressed ? 'Suppressed' : 'No answers'}</text>`}
      </g>`;
    })}
  </svg>`;
}

function audienceSection(a: Audience, list: StatementFigures[]): Html {
  const who = a === 'resident' ? 'Residents' : 'Staff';
  return html`<section class="onestory-section" aria-labelledby="fb-${a}">
    <h2 id="fb-${a}">${who}</h2>
    <p>${a === 'resident' ? 'Residents answering in the portal, counted in the district they live in.' : 'Staff answering in the workspace, counted in the district of the organisation they answered for.'}</p>
    ${sharesChart(`fb-chart-${a}`, `${who}: share answering yes to each statement, Kent and Medway`, list)}
    ${table({
      caption: `${who}: the statements and the share answering yes, Kent and Medway`, responsive: true,
      head: ['Statement', 'Answering yes', 'Yes', 'Answered'],
      rows: list.map((s) => {
        const f = s.places.find((p) => p.place.id === 'system')?.figure;
        return [html`<strong>${s.statement.id}</strong> ${s.statement.text}`, shareText(f), countText(f?.yes ?? null, f?.suppressed ?? false), countText(f?.answered ?? null, f?.suppressed ?? false)];
      }),
    })}
    ${table({
      caption: `${who}: share answering yes by place`, responsive: true,
      head: ['Place', ...list.map((s) => s.statement.id)],
      rows: (list[0]?.places ?? []).filter((p) => p.place.id !== 'system').map((p) => [
        p.place.name, ...list.map((s) => shareText(s.places.find((x) => x.place.id === p.place.id)?.figure)),
      ]),
    })}
  </section>`;
}

export function feedbackFiguresBody(f: FeedbackFigures): Html {
  return html`<div class="nhsuk-back-link"><a class="nhsuk-back-link__link" href="/outcomes">All outcomes</a></div>
  <h1><span class="nhsuk-caption-l">Quality of life, quality of care</span>The 'I' statements: can people answer yes?</h1>
  <p class="nhsuk-lede-text">The clinical vision says the system is working when residents and staff can answer yes to its 'I' statements. These are their answers for ${quarterWords(f.period.start)}, the last complete quarter.</p>
  <p>Each person answers once a quarter. Counts from 1 to 7 are suppressed and the rest rounded to the nearest 5, so no one can be identified; a share is shown only when both its counts are. A quarter is shown once it is over.</p>
  <p><a href="/outcomes/i-statements.csv" download>Download these figures (CSV)</a></p>
  ${audienceSection('resident', f.audiences.resident)}
  ${audienceSection('staff', f.audiences.staff)}`;
}

export function feedbackCsv(f: FeedbackFigures): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const out = [['audience', 'statement', 'statement_text', 'place', 'place_name', 'place_level', 'period_start', 'period_end', 'answering_yes', 'answered', 'percent_yes', 'ci95_low', 'ci95_high', 'suppressed'].join(',')];
  for (const a of ['resident', 'staff'] as Audience[]) {
    for (const s of f.audiences[a]) {
      for (const p of s.places) {
        out.push([a, s.statement.id, s.statement.text, p.place.id, p.place.name, p.place.level, f.period.start, f.period.end, p.figure.yes, p.figure.answered, p.figure.percent, p.figure.low, p.figure.high, p.figure.suppressed].map(cell).join(','));
      }
    }
  }
  return `${out.join('\n')}\n`;
}
