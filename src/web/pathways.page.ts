import { OUT_OF_AREA_REASONS, MH_PATHWAYS, durationText } from '../pathways/pathway.vocabulary.js';
import type { PathwayBoard, PersonLine } from '../pathways/pathway.service.js';
import { BOARD_LIMIT } from '../pathways/pathway-board.repository.js';
import { formatNhsNumber } from '../fhir/nhs-number.js';
import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import { button, csrfField, dateInput, errorSummary, notificationBanner, notShownNote, radios, select, summaryList, table, tag, textInput, type DateParts, type FieldErrors } from './components/index.js';
import { html, type Html } from './html.js';

export const PATHWAYS_DONE: Record<string, string> = {
  referred: 'The referral is on the pathway. Its clock has started.',
  placement: 'The out-of-area placement is recorded.',
};

const person = (p: PersonLine | undefined): Html => (p
  ? html`<a href="/people/${p.id}">${p.name}</a><br><span class="nhsuk-body-s">${p.nhsNumber ? html`NHS number <span class="onestory-nowrap">${formatNhsNumber(p.nhsNumber)}</span>` : 'No NHS number'}${p.age !== undefined ? `, ${p.age} years` : ''}</span>`
  : html`<span class="nhsuk-body-s">Not shown to you</span>`);

/** The mental health pathway board: who is waiting and how long against each standard, placements out of area, transitions at 18. */
export function pathwaysBody(b: PathwayBoard, o: { done?: string }): Html {
  const waiting = b.waiting.length === 0 ? html`<p>Nobody is waiting on a pathway for your team.</p>` : table({
    caption: 'Who is waiting, longest past the standard first', responsive: true, head: ['Person', 'Pathway and standard', 'Referred', 'Waited', 'Clock'],
    rows: b.waiting.map((w) => [
      person(w.person), html`${MH_PATHWAYS[w.pathway].text}<br><span class="nhsuk-body-s">${MH_PATHWAYS[w.pathway].standard}</span>`,
      formatDateTime(w.referred), durationText(w.waitedMs),
      w.breached ? html`${tag('Breached', 'red')}<br><span class="nhsuk-body-s">${durationText(-w.leftMs)} over</span>`
        : w.near ? html`${tag('Near its limit', 'orange')}<br><span class="nhsuk-body-s">${durationText(w.leftMs)} left</span>`
        : html`${tag('Within the standard', 'green')}<br><span class="nhsuk-body-s">${durationText(w.leftMs)} left</span>`,
    ]),
  });
  const placements = b.placements.length === 0 ? html`<p>No out-of-area placements recorded by your organisation.</p>` : table({
    caption: 'Out-of-area placements', responsive: true, head: ['Person', 'Where', 'Reason', 'Appropriate?', 'Days'],
    rows: b.placements.map((x) => [person(x.person), html`${x.where ?? 'Not recorded'}<br><span class="nhsuk-body-s">From ${formatDate(x.start)}</span>`, x.reason ? OUT_OF_AREA_REASONS[x.reason] : 'Not recorded',
      x.appropriate ? 'Appropriate' : tag('Inappropriate', 'red'), String(x.days)]),
  });
  const transitions = b.transitions.length === 0 ? html`<p>Nobody in your organisation’s care turns 18 in the next six months.</p>` : table({
    caption: 'Turning 18: plan the move from children’s to adult services', head: ['Person', '18 on'], rows: b.transitions.map((t) => [person(t), formatDate(t.eighteenOn)]),
  });
  // A list cut at its limit says so (the rest are not hidden in silence), with what it shows first.
  const more = (on: boolean, words: string) => (on ? notShownNote(words) : '');
  return html`${o.done && PATHWAYS_DONE[o.done] ? notificationBanner({ kind: 'success', heading: PATHWAYS_DONE[o.done] }) : ''}
  <h1>Mental health pathways</h1>
  <p>Referrals on each pathway for your team, with the national or local standard and how long each person has waited.</p>
  <a class="nhsuk-button" data-module="nhsuk-button" href="/pathways/refer">Refer someone onto a pathway</a>
  ${more(b.cut.waiting, `More than ${BOARD_LIMIT.waiting} people are waiting: these are the ${BOARD_LIMIT.waiting} whose clocks run out soonest. The rest are on your team’s work list.`)}
  ${waiting}
  <h2 class="nhsuk-heading-m">Out-of-area placements</h2>
  <p>Inappropriate out-of-area bed days${b.cut.placements ? ` in the ${BOARD_LIMIT.placements} placements shown` : ''}: <strong>${String(b.inappropriateBedDays)}</strong></p>
  ${more(b.cut.placements, `Your organisation has recorded more than ${BOARD_LIMIT.placements} placements: these are the ${BOARD_LIMIT.placements} changed most recently, and the bed days count only these.`)}
  ${placements}
  <p><a href="/pathways/refer">Record an out-of-area placement</a> on the referral page (choose “Out-of-area placement”).</p>
  <h2 class="nhsuk-heading-m">Transitions at 18</h2>
  ${more(b.cut.transitions, `More than ${BOARD_LIMIT.transitions} people turn 18 soon: these are the ${BOARD_LIMIT.transitions} whose birthdays come first.`)}
  ${transitions}`;
}

/** The choice of the referral form that records an out-of-area placement instead of starting a clock. */
export const OUT_OF_AREA_CHOICE = 'out-of-area';

export interface PathwayReferForm {
  csrfToken: string;
  /** The person, when the form was opened from their record (or a refused form named them) and the user may see them. */
  person?: PersonLine;
  values: { nhsNumber?: string; pathway?: string; where?: string; reason?: string; start: DateParts };
  errors: FieldErrors;
}

/**
 * Referring a person onto a mental health pathway (its clock starts now) or recording their
 * out-of-area placement: one question page, the person first (from their record, or by NHS number).
 */
export function pathwayReferBody(o: PathwayReferForm): Html {
  const v = o.values;
  const who = o.person
    ? html`<input type="hidden" name="person" value="${o.person.id}">${summaryList([
      { key: 'Person', value: html`${o.person.name}${o.person.nhsNumber ? html`<br><span class="nhsuk-body-s">NHS number <span class="onestory-nowrap">${formatNhsNumber(o.person.nhsNumber)}</span></span>` : ''}`,
      action: { href: '/pathways/refer', text: 'Change' } },
    ])}`
    : textInput({ name: 'nhsNumber', label: 'The person’s NHS number', hint: '10 digits, like 999 123 4567. Only people your team cares for can be referred here.', errors: o.errors, value: v.nhsNumber, width: 10, inputmode: 'numeric' });
  const items = [
    ...Object.entries(MH_PATHWAYS).map(([value, w]) => ({ value, text: w.text, hint: w.standard })),
    { value: OUT_OF_AREA_CHOICE, text: 'Out-of-area placement', hint: 'A mental health bed outside Kent and Medway: say where, from when and why below' },
  ];
  return html`${errorSummary(o.errors)}
  <div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  <h1>Refer someone onto a mental health pathway</h1>
  <p>The pathway’s clock starts when you refer: the referral goes to your team’s list on the pathway board with its standard.</p>
  <form method="post" action="/pathways/refer" novalidate>${csrfField(o.csrfToken)}
    ${who}
    ${radios({ name: 'pathway', label: 'Which pathway?', legendSize: 'm', errors: o.errors, value: v.pathway, items })}
    <fieldset class="nhsuk-fieldset">
      <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">For an out-of-area placement only</legend>
      ${textInput({ name: 'where', label: 'Where is the placement?', hint: 'The hospital and its area', errors: o.errors, value: v.where })}
      ${dateInput({ name: 'start', label: 'From', hint: 'For example, 27 3 2026', errors: o.errors, value: v.start })}
      ${select({ name: 'reason', label: 'Why out of area', errors: o.errors, blank: 'Choose a reason', value: v.reason, items: Object.entries(OUT_OF_AREA_REASONS).map(([value, text]) => ({ value, text })) })}
    </fieldset>
    ${button('Refer')}
  </form>
  <p><a href="/pathways">Back to the pathway board</a></p>
  </div></div>`;
}
