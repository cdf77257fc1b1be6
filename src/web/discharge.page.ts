import type { CarePlan } from '@medplum/fhirtypes';
import type { Board, BoardStay, BoardTask, HubItem } from '../discharge/discharge-board.service.js';
import type { Partner } from '../discharge/discharge-partners.repository.js';
import type { PlanNotice } from '../discharge/discharge.rules.js';
import {
  DELAY_REASONS, DESTINATIONS, DISCHARGE_TASKS, PATHWAYS, PLACES_ON_DAY_91, PLAN_PARTS, REQUESTABLE_TASKS, type DischargeTaskType, type PlanPart,
} from '../discharge/discharge.vocabulary.js';
import { formatNhsNumber } from '../fhir/nhs-number.js';
import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import {
  button, characterCount, csrfField, dateInput, errorSummary, notificationBanner, pager, radios, select, summaryList, table, tag,
  type DateParts, type FieldErrors,
} from './components/index.js';
import { html, query, type Html } from './html.js';
import { statusTag } from './work.page.js';

/** Success banners after a discharge form (Post/Redirect/Get), from this fixed set only. */
export const DISCHARGE_DONE: Record<string, string> = {
  criteria: 'Today’s decision on the criteria to reside is recorded.',
  plan: 'The discharge plan is saved. Any request the pathway needs has been sent.',
  task: 'The request has been sent. It is on the other organisation’s hub and work list.',
  shared: 'The plan for leaving hospital is shared with the person and, if they agreed, their carer.',
  discharged: 'The discharge is recorded. Their GP practice has been told.',
  outcome: 'Where they are on day 91 is recorded, and the follow-up is complete.',
};

const NOTICE: Record<PlanNotice, Html> = {
  'in-time': tag('Shared in time', 'green'),
  late: tag('Shared late', 'orange'),
  due: tag('Not shared yet', 'yellow'),
  overdue: tag('Not shared: overdue', 'red'),
  'no-date': tag('No date yet', 'grey'),
};

const bandTag = (s: BoardStay): Html => (s.band ? tag(`${s.band}+ days`, s.band >= 21 ? 'red' : s.band >= 14 ? 'orange' : 'yellow') : html``);

function readiness(s: BoardStay): Html {
  if (s.readyDate) return html`${tag('Does not meet criteria', 'red')}<br><span class="nhsuk-body-s">Ready since ${formatDate(s.readyDate)} (${String(s.delayDays)} ${s.delayDays === 1 ? 'day' : 'days'} delayed)</span>`;
  if (s.meets) return tag('Meets criteria', 'blue');
  return tag('Not reviewed today', 'grey');
}

function personCell(s: { person: BoardStay['person'] }, link: string): Html {
  const p = s.person;
  return html`<a href="${link}">${p.name}</a><br><span class="nhsuk-body-s">${p.nhsNumber ? html`NHS number <span class="onestory-nowrap">${formatNhsNumber(p.nhsNumber)}</span>` : 'No NHS number'}${p.age !== undefined ? `, ${p.age} years` : ''}</span>`;
}

function tasksCell(tasks: BoardTask[]): Html {
  if (tasks.length === 0) return html`None requested`;
  return html`<ul class="nhsuk-list nhsuk-u-margin-bottom-0">${tasks.map((t) => html`<li>${t.what}: ${statusTag(t.status)} <span class="nhsuk-body-s">${t.owner ? t.ownerName : html`<strong>nobody owns this</strong>`}${t.overdue ? html` ${tag('Overdue', 'red')}` : ''}</span></li>`)}</ul>`;
}

/** The discharge board: counts, filters, one row per person in hospital at the trust. */
export function boardBody(b: Board, o: { trustNames: Map<string, string>; errors: FieldErrors; done?: string; canPlan: boolean }): Html {
  const f = b.filter;
  const trustName = b.org ? o.trustNames.get(b.org) ?? b.org : undefined;
  const counts = summaryList([
    { key: 'In hospital (shown to you)', value: String(b.counts.total) },
    { key: 'Length of stay 7 days or more', value: String(b.counts.band7) },
    { key: 'Length of stay 14 days or more', value: String(b.counts.band14) },
    { key: 'Length of stay 21 days or more', value: String(b.counts.band21) },
    { key: 'No longer meet the criteria to reside', value: `${b.counts.ready} (${b.counts.ready21} of them in hospital 21 days or more)` },
    { key: 'Not reviewed today', value: String(b.counts.notReviewed) },
    { key: 'Plan not shared 24 hours before the expected date', value: String(b.counts.planOverdue) },
  ]);
  const delays = b.delayDaysByReason.length === 0
    ? html`<p>Nobody shown is waiting to leave.</p>`
    : table({ caption: 'Delay days by reason (since each person’s Discharge Ready Date)', head: ['Reason', 'People', 'Days'], rows: b.delayDaysByReason.map((d) => [d.text, String(d.people), String(d.days)]) });
  const filters = html`<details class="nhsuk-details"${f.band || f.readiness || f.pathway || f.ward || f.sort !== 'los' ? html` open` : ''}>
    <summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Filter and sort</span></summary>
    <div class="nhsuk-details__text"><form method="get" action="/discharge" novalidate>
      ${b.trusts.length > 1 ? select({ name: 'trust', label: 'Hospital trust', errors: o.errors, value: b.org, items: b.trusts.map((t) => ({ value: t, text: o.trustNames.get(t) ?? t })) }) : b.org ? html`<input type="hidden" name="trust" value="${b.org}">` : ''}
      ${select({ name: 'ward', label: 'Ward', errors: o.errors, blank: 'Every ward', value: f.ward, items: b.wards.map((w) => ({ value: w.id, text: w.name })) })}
      ${select({ name: 'band', label: 'Length of stay', errors: o.errors, blank: 'Any length', value: f.band ? String(f.band) : undefined, items: [{ value: '7', text: '7 days or more' }, { value: '14', text: '14 days or more' }, { value: '21', text: '21 days or more' }] })}
      ${select({ name: 'readiness', label: 'Criteria to reside', errors: o.errors, blank: 'Anyone', value: f.readiness, items: [{ value: 'ready', text: 'No longer meet the criteria (ready to leave)' }, { value: 'not-ready', text: 'Meet the criteria today' }, { value: 'not-reviewed', text: 'Not reviewed today' }] })}
      ${select({ name: 'pathway', label: 'Discharge pathway', errors: o.errors, blank: 'Any pathway', value: f.pathway, items: [{ value: 'none', text: 'Not chosen yet' }, ...Object.entries(PATHWAYS).map(([value, text]) => ({ value, text }))] })}
      ${select({ name: 'sort', label: 'Order', errors: o.errors, value: f.sort, items: [{ value: 'los', text: 'Longest stay first' }, { value: 'ready', text: 'Ready longest first' }, { value: 'expected', text: 'Expected date of discharge' }, { value: 'name', text: 'Name' }] })}
      ${button('Apply', { variant: 'secondary' })}
      <p><a href="/discharge${query({ trust: f.org })}">Clear filters</a></p>
    </form></div></details>`;
  const rows = b.stays.map((s) => [
    personCell(s, `/discharge/stays/${s.id}`),
    html`${s.ward ?? 'Ward not recorded'}<br><span class="nhsuk-body-s">Admitted ${formatDate(s.admittedOn)}</span>`,
    html`${String(s.los)} ${s.los === 1 ? 'day' : 'days'} ${bandTag(s)}`,
    readiness(s),
    html`${s.expectedDate ? formatDate(s.expectedDate) : 'Not set'}<br><span class="nhsuk-body-s">${s.pathway ? PATHWAYS[s.pathway] : 'Pathway not chosen'}</span>${s.delayReason ? html`<br><span class="nhsuk-body-s">Delay: ${DELAY_REASONS[s.delayReason]}</span>` : ''}`,
    NOTICE[s.planNotice],
    tasksCell(s.tasks),
  ]);
  const pg = b.page;
  const from = (pg.number - 1) * pg.size + 1;
  const pageHref = (n: number) => `/discharge${query({ trust: f.org, ward: f.ward, band: f.band ? String(f.band) : undefined, readiness: f.readiness, pathway: f.pathway, sort: f.sort === 'los' ? undefined : f.sort, page: n > 1 ? String(n) : undefined })}`;
  const list = b.stays.length === 0
    ? html`<p>${b.counts.total === 0 && !f.band && !f.readiness && !f.pathway ? 'Nobody in hospital at this trust is shown to you. People appear here when your organisation has a part in their care.' : 'Nobody matches these filters.'}</p>`
    : html`${pg.pages > 1 ? html`<p>Showing ${String(from)} to ${String(from + b.stays.length - 1)} of ${String(b.counts.total)} people (page ${String(pg.number)} of ${String(pg.pages)}). The counts above are of all ${String(b.counts.total)}.</p>` : ''}
    ${table({ caption: `People in hospital${trustName ? ` at ${trustName}` : ''}`, head: ['Person', 'Ward', 'Length of stay', 'Criteria to reside', 'Expected discharge and pathway', 'Plan shared', 'Work for other organisations'], rows, responsive: true })}
    ${pager({
      previous: pg.number > 1 ? { href: pageHref(pg.number - 1), label: `Page ${pg.number - 1} of ${pg.pages}` } : undefined,
      next: pg.number < pg.pages ? { href: pageHref(pg.number + 1), label: `Page ${pg.number + 1} of ${pg.pages}` } : undefined,
      label: 'Pages of people in hospital',
    })}`;
  return html`${o.done && DISCHARGE_DONE[o.done] ? notificationBanner({ kind: 'success', heading: DISCHARGE_DONE[o.done] }) : ''}
  ${errorSummary(o.errors)}
  <h1>Discharge board</h1>
  <p>${trustName ? `Everyone in hospital at ${trustName} whom you may see, seven days a week.` : 'No hospital trust has people in hospital.'} Rows you may not see are not shown or counted. ${o.canPlan ? '' : 'Only the trust’s discharge coordinators change a discharge plan.'} <a href="/discharge/hub">Transfer of care hub</a></p>
  ${counts}
  <h2 class="nhsuk-heading-m">Delays</h2>${delays}
  <h2 class="nhsuk-heading-m">People</h2>${filters}${list}`;
}

export interface StayPageData {
  stay: BoardStay;
  versionId: number;
  trustName: string;
  canPlan: boolean;
  partners: Record<DischargeTaskType, Partner[]>;
  plan?: CarePlan;
  csrfToken: string;
  errors: FieldErrors;
  done?: string;
  values: { fields?: Record<string, string | undefined>; ready?: DateParts; expected?: DateParts; pathway?: string; delayReason?: string };
}

/** One stay: its facts, the work for other organisations, and (for the trust's coordinators) the forms that plan the discharge. */
export function stayBody(d: StayPageData): Html {
  const s = d.stay;
  const v = { ...d.values.fields, pathway: d.values.pathway, delayReason: d.values.delayReason } as Record<string, string | undefined>;
  const form = (action: string, body: Html) => html`<form method="post" action="/discharge/stays/${s.id}/${action}" novalidate>${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${String(d.versionId)}">${body}</form>`;
  const facts = summaryList([
    { key: 'Person', value: personCell(s, `/people/${s.person.id}`) },
    { key: 'Where', value: `${d.trustName}${s.ward ? `, ${s.ward}` : ''}` },
    { key: 'Admitted', value: `${formatDate(s.admittedOn)} (${s.los} ${s.los === 1 ? 'day' : 'days'} ago)` },
    { key: 'Criteria to reside', value: readiness(s) },
    { key: 'Discharge Ready Date', value: s.readyDate ? formatDate(s.readyDate) : 'None: still meets the criteria, or not reviewed' },
    { key: 'Expected date of discharge', value: s.expectedDate ? formatDate(s.expectedDate) : 'Not set' },
    { key: 'Discharge pathway', value: s.pathway ? PATHWAYS[s.pathway] : 'Not chosen' },
    { key: 'Reason for delay', value: s.delayReason ? DELAY_REASONS[s.delayReason] : 'None recorded' },
    { key: 'Plan for leaving hospital', value: html`${NOTICE[s.planNotice]}${s.planShared ? html` <span class="nhsuk-body-s">${formatDateTime(s.planShared)}</span>` : ''}` },
  ]);
  const tasks = s.tasks.length === 0
    ? html`<p>No work asked of other organisations yet.</p>`
    : table({ caption: 'Work for other organisations', head: ['What', 'Owner', 'Status', 'Due'], rows: s.tasks.map((t) => [html`<a href="/work/tasks/${t.id}">${t.what}</a>`, t.owner ? t.ownerName : html`<strong>Nobody owns this</strong>`, statusTag(t.status), html`${t.due ? formatDate(t.due) : 'No date'}${t.overdue ? html` ${tag('Overdue', 'red')}` : ''}`]) });
  const forms: Html[] = [];
  if (d.canPlan) {
    forms.push(form('criteria', html`${radios({ name: 'meets', label: 'Do they meet the criteria to reside today?', hint: 'Decided at today’s board round. You are recorded as the person who decided.', errors: d.errors, value: v.meets, inline: true, legendSize: 'm', items: [{ value: 'yes', text: 'Yes, they still need to be in hospital' }, { value: 'no', text: 'No, they no longer meet the criteria' }] })}
      ${button('Record today’s decision', { variant: 'secondary' })}`));
    forms.push(form('plan', html`<h2 class="nhsuk-heading-m">Discharge plan</h2>
      ${dateInput({ name: 'readyDate', label: 'Discharge Ready Date', hint: 'The first day they no longer met the criteria to reside. Leave empty if they still meet them.', errors: d.errors, value: d.values.ready ?? {} })}
      ${dateInput({ name: 'expectedDate', label: 'Expected date of discharge', hint: 'For example, 27 3 2026', errors: d.errors, value: d.values.expected ?? {} })}
      ${radios({ name: 'pathway', label: 'Discharge pathway', hint: 'Pathways 1, 2 and 3 send their request to the service that provides it.', errors: d.errors, value: v.pathway, items: [{ value: '', text: 'Not chosen yet' }, ...Object.entries(PATHWAYS).map(([value, text]) => ({ value, text }))] })}
      ${select({ name: 'delayReason', label: 'Reason for delay', hint: 'Only for someone who no longer meets the criteria to reside.', errors: d.errors, value: v.delayReason, blank: 'No delay', items: Object.entries(DELAY_REASONS).map(([value, text]) => ({ value, text })) })}
      ${button('Save the discharge plan')}`));
    const owners = REQUESTABLE_TASKS.flatMap((t) => d.partners[t].map((p) => ({ value: `${t}|Organization/${p.orgId}`, text: `${DISCHARGE_TASKS[t]}: ${p.name}` })));
    forms.push(form('tasks', html`<h2 class="nhsuk-heading-m">Ask another organisation</h2>
      ${select({ name: 'request', label: 'What is needed, and from whom', hint: 'Only organisations that provide this for the person’s area are listed.', errors: d.errors, value: v.request, blank: 'Choose', items: owners })}
      ${button('Send the request', { variant: 'secondary' })}`));
    const plan = (part: PlanPart) => d.plan?.activity?.find((a) => a.detail?.code?.coding?.[0]?.code === part)?.detail?.description;
    forms.push(form('share', html`<h2 class="nhsuk-heading-m">Share the plan for leaving hospital</h2>
      <p>In plain English, for the person and their carer. It appears in their NHS account at least 24 hours before they leave.</p>
      ${(Object.keys(PLAN_PARTS) as PlanPart[]).map((part) => characterCount({ name: part, label: PLAN_PARTS[part], errors: d.errors, value: v[part] ?? plan(part), maxlength: 2000, rows: 2 }))}
      ${button('Share the plan')}`));
    forms.push(form('discharge', html`<h2 class="nhsuk-heading-m">Record the discharge</h2>
      ${radios({ name: 'destination', label: 'Where are they going?', errors: d.errors, value: v.destination, items: Object.entries(DESTINATIONS).map(([value, text]) => ({ value, text })) })}
      ${button('Record the discharge', { variant: 'warning' })}`));
  }
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${d.done && DISCHARGE_DONE[d.done] ? notificationBanner({ kind: 'success', heading: DISCHARGE_DONE[d.done] }) : ''}
  ${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">In hospital</span>
  <h1>${s.person.name}</h1>
  ${facts}
  <h2 class="nhsuk-heading-m">Work for other organisations</h2>${tasks}
  ${d.canPlan ? forms : html`<p>Only the discharge coordinators of ${d.trustName} change this plan.</p>`}
  </div></div>`;
}

/** The transfer of care hub: what discharges need from the user's organisation, and what it asked of others. */
export function hubBody(h: { mine: HubItem[]; asked: HubItem[] }, o: { orgName: string; csrfToken: string; errors: FieldErrors; done?: string; values: Record<string, string | undefined> }): Html {
  const person = (i: HubItem) => (i.person ? personCell({ person: i.person }, `/people/${i.person.id}`) : html`<span class="nhsuk-body-s">Not shown to you</span>`);
  const due = (i: HubItem) => html`${i.due ? formatDate(i.due) : 'No date'}${i.overdue ? html`<br>${tag('Overdue', 'red')}` : ''}`;
  const outcome = (i: HubItem) => (i.type === 'reablement-91'
    ? html`<form method="post" action="/discharge/hub/tasks/${i.id}/outcome" novalidate>${csrfField(o.csrfToken)}<input type="hidden" name="version" value="${i.versionId}">
        ${select({ name: i.id === o.values.task ? 'place' : `place-${i.id}`, label: 'Where are they on day 91?', errors: i.id === o.values.task ? o.errors : [], blank: 'Choose', value: i.id === o.values.task ? o.values.place : undefined, items: Object.entries(PLACES_ON_DAY_91).map(([value, w]) => ({ value, text: w.text })) })}
        ${button('Record', { variant: 'secondary' })}</form>`
    : html`<a href="/work/tasks/${i.id}">Open<span class="nhsuk-u-visually-hidden"> ${i.what} for ${i.person?.name ?? 'this person'}</span></a>`);
  const mine = h.mine.length === 0
    ? html`<p>No discharge needs anything from ${o.orgName} now.</p>`
    : table({ caption: `What discharges need from ${o.orgName}`, head: ['Person', 'What is needed', 'Asked by', 'Due', 'Status', 'Act'], responsive: true,
      rows: h.mine.map((i) => [person(i), i.what, i.requester ?? 'Not recorded', due(i), statusTag(i.status), outcome(i)]) });
  const asked = h.asked.length === 0
    ? html`<p>${o.orgName} has no open requests with other organisations.</p>`
    : table({ caption: `Asked of other organisations by ${o.orgName}`, head: ['Person', 'What is needed', 'Owner', 'Due', 'Status'], responsive: true,
      rows: h.asked.map((i) => [person(i), html`<a href="/work/tasks/${i.id}">${i.what}</a>`, i.owner ? i.ownerName : html`<strong>Nobody owns this</strong>`, due(i), statusTag(i.status)]) });
  return html`${o.done && DISCHARGE_DONE[o.done] ? notificationBanner({ kind: 'success', heading: DISCHARGE_DONE[o.done] }) : ''}
  ${errorSummary(o.errors)}
  <h1>Transfer of care hub</h1>
  <p>What each discharge from hospital needs from hospital, community and council teams. Take a request from your team’s pool on its task page; overdue requests are escalated to the owning organisation. <a href="/discharge">Discharge board</a></p>
  ${mine}<h2 class="nhsuk-heading-m">Requests your organisation made</h2>${asked}`;
}

/** The person's (or their carer's) page: the plan for leaving hospital, in plain English. */
export function dischargePlanBody(plans: CarePlan[], o: { whose: string; carer: boolean }): Html {
  if (plans.length === 0) {
    return html`<h1>Leaving hospital</h1><p>No plan for leaving hospital has been shared with ${o.carer ? 'you about them' : 'you'}. When ${o.whose === 'your' ? 'you are' : 'they are'} in hospital, the ward shares the plan here at least a day before ${o.whose === 'your' ? 'you go' : 'they go'} home.</p>
      <p>Some information may not be shown online. Ask the ward if you have questions.</p>`;
  }
  return html`<h1>Leaving hospital</h1>
  ${plans.map((p) => html`<h2 class="nhsuk-heading-m">${o.whose === 'your' ? 'Your plan' : `${o.whose} plan`} for leaving hospital</h2>
    <p class="nhsuk-body-s">Shared ${formatDateTime(p.created)}</p>
    ${summaryList((p.activity ?? []).map((a) => ({ key: a.detail?.code?.text ?? '', value: a.detail?.description ?? '' })))}`)}
  <div class="nhsuk-care-card nhsuk-care-card--urgent"><div class="nhsuk-care-card__heading-container"><h2 class="nhsuk-care-card__heading"><span role="text"><span class="nhsuk-u-visually-hidden">Urgent advice: </span>If it is urgent</span></h2><span class="nhsuk-care-card__arrow" aria-hidden="true"></span></div>
  <div class="nhsuk-care-card__content"><p>Call 111 if you need help now, or 999 in an emergency.</p></div></div>`;
}
