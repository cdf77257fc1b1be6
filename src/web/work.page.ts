import { formatNhsNumber } from '../fhir/nhs-number.js';
import { formatDate } from '../record-view/fhir-text.js';
import { OPEN_TASK_STATUSES, TASK_KINDS, TASK_STATUS_TEXT, taskHeadline, type TaskStatus } from '../workflow/task.vocabulary.js';
import type { WorkItem, Worklist } from '../workflow/worklist.service.js';
import type { WorkView } from '../workflow/worklist.repository.js';
import {
  button, characterCount, csrfField, errorSummary, notificationBanner, pager, select, summaryList, table, tag,
  type FieldErrors, type TagColour,
} from './components/index.js';
import { html, query, type Html } from './html.js';

const VIEW_TEXT: Record<WorkView, string> = {
  all: 'All my work',
  mine: 'Assigned to me',
  pool: 'Team pool (unassigned)',
  overdue: 'Overdue',
  week: 'Due this week',
};
const VIEW_ORDER: WorkView[] = ['all', 'mine', 'pool', 'overdue', 'week'];

const STATUS_COLOUR: Partial<Record<TaskStatus, TagColour>> = {
  requested: 'blue', received: 'blue', accepted: 'aqua-green', ready: 'aqua-green', 'in-progress': 'purple', 'on-hold': 'yellow',
  completed: 'green', cancelled: 'grey', rejected: 'grey', failed: 'red', 'entered-in-error': 'grey',
};

export const statusTag = (s: TaskStatus): Html => tag(TASK_STATUS_TEXT[s] ?? s, STATUS_COLOUR[s]);

/** Success banners after a task form (Post/Redirect/Get): `?done=` names which, from this fixed set only. */
export const DONE_TEXT: Record<string, string> = {
  claimed: 'You have taken this task. It is now assigned to you.',
  started: 'You have started this task.',
  held: 'The task is on hold. The reason is recorded on it.',
  resumed: 'You have resumed this task.',
  completed: 'Task completed. The outcome note is on the person’s record.',
  reassigned: 'The task has been handed over.',
};

function person(item: WorkItem): Html {
  if (!item.person) return html`<span class="nhsuk-body-s">Not shown to you: your organisation has no care relationship with this person</span>`;
  const p = item.person;
  return html`<a href="/people/${p.id}">${p.name || 'Unnamed person'}</a><br>
    <span class="nhsuk-body-s">${p.nhsNumber ? html`NHS number <span class="onestory-nowrap">${formatNhsNumber(p.nhsNumber)}</span>` : 'No NHS number'}${p.age !== undefined ? `, ${p.age} years` : ''}</span>`;
}

function due(item: WorkItem): Html {
  if (!item.due) return html`No due date`;
  return html`${formatDate(item.due)}${item.overdue ? html`<br>${tag('Overdue', 'red')}` : ''}`;
}

/** The "My work" page: counts per view, filters, the list of work, and paging. */
export function worklistBody(list: Worklist, o: { orgName: string; done?: string; errors: FieldErrors; noWork?: string }): Html {
  const f = list.filter;
  const keep = { status: f.status, kind: f.kind, person: f.patientId, from: f.fromOrg, sort: f.sort === 'due' ? undefined : f.sort };
  const views = html`<nav aria-label="Lists of work" class="onestory-views"><ul class="nhsuk-list onestory-views__list">
    ${VIEW_ORDER.map((v) => {
      const text = html`${VIEW_TEXT[v]} <span class="onestory-views__count">(${String(list.counts[v])})</span>`;
      return html`<li class="onestory-views__item">${v === list.view ? html`<strong aria-current="page">${text}</strong>` : html`<a href="/work${query({ ...keep, view: v === 'all' ? undefined : v })}">${text}</a>`}</li>`;
    })}
  </ul></nav>`;
  const filters = html`<details class="nhsuk-details"${f.status || f.kind || f.sort !== 'due' ? html` open` : ''}>
    <summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Filter and sort</span></summary>
    <div class="nhsuk-details__text">
    <form method="get" action="/work" novalidate>
      ${list.view !== 'all' ? html`<input type="hidden" name="view" value="${list.view}">` : ''}
      ${f.patientId ? html`<input type="hidden" name="person" value="${f.patientId}">` : ''}
      ${select({ name: 'status', label: 'Status', errors: o.errors, blank: 'Any open status', value: f.status, items: OPEN_TASK_STATUSES.map((s) => ({ value: s, text: TASK_STATUS_TEXT[s] })) })}
      ${select({ name: 'kind', label: 'Kind of work', errors: o.errors, blank: 'Any kind', value: f.kind, items: Object.entries(TASK_KINDS).map(([value, text]) => ({ value, text })) })}
      ${select({ name: 'sort', label: 'Order', errors: o.errors, value: f.sort, items: [{ value: 'due', text: 'Due soonest first' }, { value: '-due', text: 'Due latest first' }] })}
      ${button('Apply', { variant: 'secondary' })}
      <p><a href="/work${query({ view: list.view === 'all' ? undefined : list.view })}">Clear filters</a></p>
    </form></div></details>`;
  const rows = list.items.map((it) => [
    person(it),
    html`<a href="/work/tasks/${it.id}">${taskHeadline(it.kindText, it.description)}</a>`,
    html`${it.requester ?? 'Not recorded'}${it.authoredOn ? html`<br><span class="nhsuk-body-s">${formatDate(it.authoredOn)}</span>` : ''}`,
    due(it),
    html`${statusTag(it.status)}<br><span class="nhsuk-body-s">${it.mine ? 'You' : it.ownerName ?? 'Unassigned'}</span>`,
  ]);
  const empty = list.items.length === 0
    ? html`<p>${list.counts.all === 0 ? 'You have no open work. New tasks for you or your team will appear here.' : `Nothing in “${VIEW_TEXT[list.view]}” with these filters.`}</p>`
    : table({ caption: `${VIEW_TEXT[list.view]}${f.patientId ? ' for this person' : ''}`, head: ['Person', 'What is asked', 'Asked by', 'Due', 'Status and owner'], rows, responsive: true });
  const next = list.next ? { href: `/work${query({ ...keep, view: list.view === 'all' ? undefined : list.view, cursor: list.next })}` } : undefined;
  const first = f.cursor ? { href: `/work${query({ ...keep, view: list.view === 'all' ? undefined : list.view })}` } : undefined;
  // A role with no work list is told so, without tabs, filters or a link to find people it may not see.
  if (o.noWork) return html`${errorSummary(o.errors)}<h1>My work</h1><p>${o.noWork}</p>`;
  return html`${o.done && DONE_TEXT[o.done] ? notificationBanner({ kind: 'success', heading: DONE_TEXT[o.done] }) : ''}
  ${errorSummary(o.errors)}
  <h1>My work</h1>
  <p>Tasks for you and for ${o.orgName}, across every organisation that shares the record. <a href="/people">Find a person</a> to see their record.</p>
  ${views}${filters}${empty}${pager({ previous: first, next, label: 'Pages of work' })}`;
}

export interface TaskPageData {
  item: WorkItem;
  /** Which actions the user may take now (decided by the policy and the task's status). */
  actions: { claim: boolean; start: boolean; hold: boolean; resume: boolean; complete: boolean; reassign: boolean };
  owners: { value: string; text: string }[];
  statusReason?: string;
  notes: { text: string; time?: string; author?: string }[];
  done?: string;
  errors: FieldErrors;
  /** What the user typed, kept when a form comes back with errors. */
  values: { reason?: string; note?: string; owner?: string };
  csrfToken: string;
}

/** One task: what is asked, for whom, by whom, its state, its history of notes, and the forms to act on it. */
export function taskBody(d: TaskPageData): Html {
  const it = d.item;
  const v = it.versionId;
  const form = (action: string, body: Html) => html`<form method="post" action="/work/tasks/${it.id}/${action}" novalidate>${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${v}">${body}</form>`;
  const a = d.actions;
  const forms: Html[] = [];
  if (a.claim) forms.push(form('claim', html`<p>This task is in your team’s pool. Take it to make it yours.</p>${button('Take this task')}`));
  if (a.start) forms.push(form('start', button('Start this task')));
  if (a.resume) forms.push(form('resume', button('Resume this task')));
  if (a.complete) {
    forms.push(form('complete', html`<h2 class="nhsuk-heading-m">Complete the task</h2>
      ${characterCount({ name: 'note', label: 'Outcome note', hint: 'What was done, and anything the next person should know. It is kept on the person’s record.', errors: d.errors, value: d.values.note, maxlength: 2000 })}
      ${button('Complete task')}`));
  }
  if (a.hold) {
    forms.push(form('hold', html`<h2 class="nhsuk-heading-m">Put on hold</h2>
      ${characterCount({ name: 'reason', label: 'Why is it on hold?', hint: 'For example, waiting for a reply from the person’s GP.', errors: d.errors, value: d.values.reason, maxlength: 2000, rows: 3 })}
      ${button('Put on hold', { variant: 'secondary' })}`));
  }
  if (a.reassign && d.owners.length > 0) {
    forms.push(form('reassign', html`<h2 class="nhsuk-heading-m">Hand over</h2>
      ${select({ name: 'owner', label: 'Give this task to', errors: d.errors, value: d.values.owner, blank: 'Choose a person or team', items: d.owners })}
      ${button('Hand over', { variant: 'secondary' })}`));
  }
  const rows = [
    { key: 'Person', value: person(it) },
    { key: 'What is asked', value: taskHeadline(it.kindText, it.description) },
    { key: 'Status', value: html`${statusTag(it.status)}${it.businessStatus ? html` <span class="nhsuk-body-s">${it.businessStatus}</span>` : ''}${d.statusReason ? html`<br>Reason: ${d.statusReason}` : ''}` },
    { key: 'Due', value: due(it) },
    { key: 'Asked by', value: html`${it.requester ?? 'Not recorded'}${it.authoredOn ? `, ${formatDate(it.authoredOn)}` : ''}` },
    { key: 'Owner', value: it.mine ? 'You' : it.ownerName ?? (it.owner ? it.owner : 'Unassigned') },
    ...(it.outcome ? [{ key: 'Outcome', value: it.outcome }] : []),
  ];
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${d.done && DONE_TEXT[d.done] ? notificationBanner({ kind: 'success', heading: DONE_TEXT[d.done] }) : ''}
  ${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">${it.kindText}</span>
  <h1>${it.description || it.kindText}</h1>
  ${summaryList(rows)}
  ${d.notes.length ? html`<h2 class="nhsuk-heading-m">Notes</h2><ul class="nhsuk-list">${d.notes.map((n) => html`<li><p>${n.text}</p><p class="nhsuk-body-s">${[n.author, formatDate(n.time)].filter(Boolean).join(', ')}</p></li>`)}</ul>` : ''}
  ${forms.length ? forms : html`<p>${it.status === 'completed' || it.status === 'cancelled' ? 'This task is closed.' : 'Only the task’s owner, or a member of the team or organisation whose pool it is in, can act on it.'}</p>`}
  ${it.person ? html`<p><a href="/work?person=${it.person.id}">Other work for this person</a></p>` : ''}
  </div></div>`;
}
