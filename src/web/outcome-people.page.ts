import { formatNhsNumber } from '../fhir/nhs-number.js';
import type { ActionableList } from '../outcomes/actionable-list.definitions.js';
import type { PeopleBehind } from '../outcomes/actionable-list.service.js';
import type { Indicator } from '../outcomes/indicator.registry.js';
import { formatDate } from '../record-view/fhir-text.js';
import { table } from './components/index.js';
import { html, query, type Html } from './html.js';

/**
 * The people behind an indicator, for clinicians (issue 14 part 9): the clinician's view of
 * /outcomes (which indicators have a list), of /outcomes/:id (what the indicator counts, and the way
 * to its list), and the list itself at /outcomes/:id/people. No figures here: those are for ICB
 * analysts, and the page says so.
 */

const FIGURES_NOTE = html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
  <p>The figures by place and quarter are for ICB analysts, who see aggregates only. Here you see the people in your care behind an indicator, so you can act on them.</p></div>`;

export function clinicianOverviewBody(lists: { indicator: Indicator; list: ActionableList }[]): Html {
  return html`<h1>Outcomes: the people behind the indicators</h1>
  <p class="nhsuk-lede-text">The Integrated Care Strategy tracks 29 indicators. For those where a clinician can act on a person, you can open the list of your own patients behind the figure.</p>
  ${FIGURES_NOTE}
  ${table({
    caption: 'Indicators with a list of people behind them', responsive: true,
    head: ['Indicator', 'The list behind it'],
    rows: lists.map(({ indicator: i, list }) => [
      html`<a href="/outcomes/${i.id}">${i.id} ${i.name}</a>`,
      html`<a href="/outcomes/${i.id}/people">${list.title}</a>`,
    ]),
  })}
  <p>The other indicators have no list: survey answers are anonymous to clinicians, population shares such as inactivity are not a work list, and employment, accommodation and reablement are council and trust work.</p>`;
}

export function clinicianIndicatorBody(i: Indicator, list: ActionableList | undefined): Html {
  const c = i.computation;
  return html`<div class="nhsuk-back-link"><a class="nhsuk-back-link__link" href="/outcomes">All outcomes</a></div>
  <h1><span class="nhsuk-caption-l">${i.id} · ${i.outcome.title}</span>${i.name}</h1>
  <dl class="nhsuk-summary-list">
    <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Target</dt><dd class="nhsuk-summary-list__value">${i.targetText}${i.by ? ` by ${i.by}` : ''}</dd></div>
    <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">How it is counted</dt><dd class="nhsuk-summary-list__value">${c.kind === 'record' ? html`${c.numerator}, of ${c.denominator ?? c.population}. ${c.basis}.` : c.kind === 'submitted' ? `Submitted by ${c.owner}: ${c.why}.` : `Not yet computable: ${c.why}.`}</dd></div>
  </dl>
  ${FIGURES_NOTE}
  <h2>The people behind this indicator</h2>
  ${list
    ? html`<p>${list.who}</p><p><a class="nhsuk-button" href="/outcomes/${i.id}/people">See your patients: ${list.title.toLowerCase()}</a></p>`
    : html`<p>There is no list of people behind this indicator: it is not one a clinician acts on person by person.</p>`}`;
}

/** For the analyst's indicator page: that the people behind the figure are not shown, and to whom they are. */
export function analystPeopleNote(list: ActionableList | undefined): Html {
  return list
    ? html`<p class="onestory-muted">The people behind this figure are not shown to analysts. Clinicians see their own patients on it: ${list.title.toLowerCase()}.</p>`
    : html``;
}

export function peopleBody(d: PeopleBehind): Html {
  const i = d.indicator;
  const l = d.list;
  const scopeLinks = d.scopes.length > 1
    ? html`<nav aria-label="Practice or network"><ul class="nhsuk-list">${d.scopes.map((s) => {
        const current = d.scope && s.kind === d.scope.kind && s.id === d.scope.id;
        const words = `${s.kind === 'pcn' ? 'Primary care network: ' : 'Practice: '}${s.name}`;
        return html`<li>${current ? html`<strong aria-current="page">${words}</strong>` : html`<a href="/outcomes/${i.id}/people${query({ scope: `${s.kind}:${s.id}` })}">${words}</a>`}</li>`;
      })}</ul></nav>`
    : html``;
  const where = d.scope ? html` at <strong>${d.scope.name}</strong>` : html` in your care`;
  return html`<div class="nhsuk-back-link"><a class="nhsuk-back-link__link" href="/outcomes/${i.id}">${i.id} ${i.name}</a></div>
  <h1><span class="nhsuk-caption-l">${i.id} · the people behind the indicator</span>${l.title}</h1>
  <p>${l.who}</p>
  <div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span><p><strong>What to do:</strong> ${l.action}</p></div>
  ${scopeLinks}
  <h2>People${where} (${d.named.toLocaleString('en-GB')})</h2>
  <p class="nhsuk-body-s">As of ${formatDate(d.asOf)}, from the shared record.</p>
  ${d.members.length === 0
    ? html`<p>${d.notNamed.count === 0 && !d.notNamed.suppressed ? 'There is nobody on this list.' : 'Nobody you may see by name is on this list.'}</p>`
    : table({
        caption: `${l.title}${d.scope ? `, ${d.scope.name}` : ''}`, captionHidden: true, responsive: true,
        head: ['Name', 'NHS number', 'Age', l.evidence, ...(l.referKind ? ['Next step'] : [])],
        rows: d.members.map((m) => [
          html`<a href="/people/${m.id}">${m.name || 'Name not recorded'}</a>`,
          m.nhsNumber ? html`<span class="onestory-nowrap">${formatNhsNumber(m.nhsNumber)}</span>` : 'Not recorded',
          m.age !== undefined ? `${m.age}` : 'Not recorded',
          html`${formatDate(m.date)}<br><span class="onestory-muted">${m.detail}</span>`,
          ...(l.referKind ? [html`<a href="/services${query({ kind: l.referKind.kind })}">${l.referKind.words}<span class="nhsuk-u-visually-hidden"> for ${m.name}</span></a>`] : []),
        ]),
      })}
  ${d.named > d.members.length ? html`<p>The first ${d.members.length} of ${d.named.toLocaleString('en-GB')} are shown, most recent first.</p>` : ''}
  ${d.notNamed.suppressed || (d.notNamed.count ?? 0) > 0
    ? html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
        <p>${d.notNamed.suppressed ? 'Fewer than 5' : (d.notNamed.count ?? 0).toLocaleString('en-GB')} more ${d.notNamed.count === 1 ? 'person matches' : 'people match'}${where} whom you may not see by name: you have no care relationship with them, or they asked for their record not to be shared. They are not listed.</p></div>`
    : ''}`;
}
