import type { DueAction, DueReview, ListedPerson } from '../care-planning/care-planning-lists.service.js';
import type { Meeting, MeetingSummary, OwnerChoice } from '../care-planning/mdt.service.js';
import type { PlanAction } from '../care-planning/plan.view.js';
import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import { TASK_STATUS_TEXT, type TaskStatus } from '../workflow/task.vocabulary.js';
import {
  button, characterCount, checkboxes, csrfField, dateInput, errorSummary, notificationBanner, radios, select, table, tag, textInput,
  type DateParts, type FieldErrors,
} from './components/index.js';
import { html, type Html } from './html.js';

export const MDT_DONE: Record<string, string> = {
  arranged: 'Meeting arranged', added: 'Person added to the meeting', discussion: 'Discussion recorded', action: 'Action given: it is on the owner\'s work list',
};

const when = (iso: string) => `${formatDate(iso)}, ${iso.slice(11, 16)}`;

export function meetingsBody(o: {
  upcoming: MeetingSummary[]; past: MeetingSummary[]; organisations: { value: string; text: string }[]; districtName?: string; errors: FieldErrors;
  values: Record<string, string | undefined>; chosen: string[]; date: DateParts; csrfToken: string; canArrange: boolean; done?: string;
}): Html {
  const list = (ms: MeetingSummary[], caption: string) => ms.length
    ? table({ caption, responsive: true, head: ['Meeting', 'When', 'Organisations'], rows: ms.map((m) => [html`<a href="/mdt/${m.id}">${m.title}</a>`, when(m.start), m.organisations.map((x) => x.name).join(', ')]) })
    : html`<p class="onestory-muted">None.</p>`;
  return html`${errorSummary(o.errors)}${o.done && MDT_DONE[o.done] ? notificationBanner({ kind: 'success', heading: MDT_DONE[o.done] }) : ''}
  <h1>MDT meetings</h1>
  <p>Multidisciplinary team meetings you and your organisation take part in. People are added from case finding or by hand; every action has an owner and a due date.</p>
  <h2>Coming up</h2>${list(o.upcoming, 'Meetings coming up')}
  <h2>Earlier</h2>${list(o.past, 'Earlier meetings')}
  ${o.canArrange ? html`<h2>Arrange a meeting</h2>
  <form method="post" action="/mdt" novalidate>${csrfField(o.csrfToken)}
    ${textInput({ name: 'title', label: 'Name of the meeting', hint: 'For example, "Riverside PCN frailty MDT"', errors: o.errors, value: o.values.title, width: 30 })}
    ${dateInput({ name: 'date', label: 'Date', errors: o.errors, value: o.date })}
    ${textInput({ name: 'time', label: 'Time', hint: 'For example, 13:30', errors: o.errors, value: o.values.time, width: 5 })}
    ${checkboxes({
      name: 'organisations', label: 'Organisations taking part', errors: o.errors, values: o.chosen, items: o.organisations, filter: 'Find an organisation in this list',
      hint: `${o.districtName ? `Every organisation serving all of Kent and Medway, and every one in ${o.districtName}` : 'Every organisation in Kent and Medway'}, by name (${o.organisations.length}). Your own organisation always takes part.`,
    })}
    ${button('Arrange the meeting')}
  </form>` : ''}`;
}

const actionsTable = (actions: PlanAction[], caption: string) => table({
  caption, responsive: true, head: ['Action', 'Owner', 'Due', 'Status'],
  rows: actions.map((a) => [a.what, a.who?.name ?? 'Nobody', a.due ? formatDate(a.due) : 'No date', TASK_STATUS_TEXT[a.status as TaskStatus] ?? a.status]),
});

export function meetingBody(m: Meeting, o: {
  owners: Map<string, OwnerChoice[]>; errors: FieldErrors; values: Record<string, string | undefined>; dates: Record<string, DateParts>;
  csrfToken: string; done?: string; canManage: boolean;
}): Html {
  const e = o.errors;
  const people = m.people.map((x) => html`<section class="onestory-section" aria-labelledby="p-${x.itemId}-title" id="p-${x.itemId}">
    <h2 id="p-${x.itemId}-title"><a href="/people/${x.patientId}">${x.name}</a></h2>
    <p><a href="/people/${x.patientId}/plan">Care plan</a></p>
    ${x.carriedOver.length ? html`<h3>Carried over from earlier meetings</h3>${actionsTable(x.carriedOver, `Open actions for ${x.name} from earlier meetings`)}` : ''}
    <h3>Discussion</h3>
    ${x.discussion.length ? x.discussion.map((d) => html`<p>${d.text}<br><span class="onestory-muted">${d.by}, ${formatDateTime(d.time)}</span></p>`) : html`<p class="onestory-muted">Not discussed yet.</p>`}
    <h3>Actions</h3>
    ${x.actions.length ? actionsTable(x.actions, `Actions for ${x.name}`) : html`<p class="onestory-muted">No actions yet.</p>`}
    ${o.canManage ? html`
    <form method="post" action="/mdt/${m.id}/people/${x.itemId}/discussion" novalidate>${csrfField(o.csrfToken)}
      ${characterCount({ name: `discussion-${x.itemId}`, label: `Discussion record for ${x.name}`, errors: e, value: o.values[`discussion-${x.itemId}`], maxlength: 2000, rows: 3 })}
      ${button('Save the discussion', { variant: 'secondary' })}</form>
    <form method="post" action="/mdt/${m.id}/people/${x.itemId}/actions" novalidate>${csrfField(o.csrfToken)}
      <fieldset class="nhsuk-fieldset"><legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Give an action for ${x.name}</legend>
      ${textInput({ name: `what-${x.itemId}`, label: 'What is to be done', errors: e, value: o.values[`what-${x.itemId}`] })}
      ${select({ name: `owner-${x.itemId}`, label: 'Owner', hint: 'A person or an organisation (for example a social worker or a voluntary organisation)', errors: e, blank: 'Choose an owner', value: o.values[`owner-${x.itemId}`], items: (o.owners.get(x.itemId) ?? []).map((c) => ({ value: c.reference, text: c.name })) })}
      ${dateInput({ name: `due-${x.itemId}`, label: 'Due by', errors: e, value: o.dates[`due-${x.itemId}`] ?? {} })}
      </fieldset>
      ${button('Give the action', { variant: 'secondary' })}</form>` : ''}
  </section>`);
  return html`${errorSummary(e)}${o.done && MDT_DONE[o.done] ? notificationBanner({ kind: 'success', heading: MDT_DONE[o.done] }) : ''}
  <span class="nhsuk-caption-l">MDT meeting, ${when(m.start)}</span>
  <h1>${m.title}</h1>
  <p>Taking part: ${m.organisations.map((x) => x.name).join(', ') || 'not recorded'}.</p>
  <p>${String(m.people.length)} ${m.people.length === 1 ? 'person' : 'people'} on the list.</p>
  ${m.notShown > 0 ? html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span><p>${String(m.notShown)} ${m.notShown === 1 ? 'person on this list is' : 'people on this list are'} not shown to you: you have no care relationship with them.</p></div>` : ''}
  ${people.length ? people : html`<p class="onestory-muted">Nobody is on the list yet. Add people from case finding, or from their care plan.</p>`}`;
}

export function addToMeetingBody(o: { personName: string; patientId: string; meetings: MeetingSummary[]; errors: FieldErrors; csrfToken: string }): Html {
  return html`${errorSummary(o.errors)}
  <span class="nhsuk-caption-l">${o.personName}</span><h1>Add to an MDT meeting</h1>
  ${o.meetings.length ? html`<form method="post" action="/mdt/add?patient=${encodeURIComponent(o.patientId)}" novalidate>${csrfField(o.csrfToken)}
    ${radios({ name: 'meeting', label: 'Which meeting?', errors: o.errors, items: o.meetings.map((m) => ({ value: m.id, text: m.title, hint: when(m.start) })) })}
    ${button('Add to the meeting')}</form>`
    : html`<p>There is no meeting coming up. <a href="/mdt">Arrange one</a>, then add ${o.personName}.</p>`}`;
}

export function carePlanListsBody(o: { withoutPlan: { people: ListedPerson[]; more: boolean }; reviews: DueReview[]; actions: DueAction[]; names: Map<string, string> }): Html {
  return html`<h1>Care plans</h1>
  <p>People in your care and your organisation's: who has no plan, whose plan is due for review, and MDT actions due.</p>
  <section class="onestory-section" aria-labelledby="due-title" id="due"><h2 id="due-title">Plans due for review (${String(o.reviews.length)})</h2>
  ${o.reviews.length ? table({ caption: 'Plans due for review in the next four weeks, or overdue', captionHidden: true, responsive: true, head: ['Person', 'Plan', 'Review'],
    rows: o.reviews.map((r) => [html`<a href="/people/${r.id}/plan">${r.name}</a>`, r.title, html`${formatDate(r.date)}${r.overdue ? html` ${tag('Overdue', 'red')}` : ''}`]) })
    : html`<p class="onestory-muted">No plans are due for review in the next four weeks.</p>`}</section>
  <section class="onestory-section" aria-labelledby="mdt-title" id="mdt-actions"><h2 id="mdt-title">MDT actions due (${String(o.actions.length)})</h2>
  ${o.actions.length ? table({ caption: 'Open MDT actions for you and your organisation', captionHidden: true, responsive: true, head: ['Action', 'Person', 'Owner', 'Due'],
    rows: o.actions.map((a) => [html`<a href="/work/tasks/${a.id}">${a.what}</a>`, a.patientId ? html`<a href="/people/${a.patientId}">${o.names.get(a.patientId) ?? 'A person'}</a>` : '', a.who?.name ?? '', a.due ? formatDate(a.due) : 'No date']) })
    : html`<p class="onestory-muted">No open MDT actions.</p>`}</section>
  <section class="onestory-section" aria-labelledby="without-title" id="without"><h2 id="without-title">People without a plan (${String(o.withoutPlan.people.length)}${o.withoutPlan.more ? ' or more' : ''})</h2>
  ${o.withoutPlan.people.length ? html`<ul class="nhsuk-list">${o.withoutPlan.people.map((p) => html`<li><a href="/people/${p.id}/plan">${p.name}</a></li>`)}</ul>
    ${o.withoutPlan.more ? html`<p class="onestory-muted">Only the first ${String(o.withoutPlan.people.length)} are shown.</p>` : ''}`
    : html`<p class="onestory-muted">Everyone in your care has a plan.</p>`}</section>`;
}
