import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import type { Referral, ReferralAction } from '../referrals/referral.service.js';
import {
  FAIL_REASONS, OUTCOMES, PERSON_STATUS_TEXT, PRIORITIES, PRIORITY_TEXT, REJECT_REASONS, SHARE_ITEMS, SHARE_OPTIONAL,
} from '../referrals/referral.vocabulary.js';
import {
  button, characterCount, checkboxes, csrfField, errorSummary, notificationBanner, notShownNote, radios, summaryList, table, tag, textInput,
  type FieldErrors,
} from './components/index.js';
import { html, type Html } from './html.js';
import { statusTag } from './work.page.js';

/** Success banners after a referral form (Post/Redirect/Get): `?done=` names which, from this fixed set only. */
export const REFERRAL_DONE_TEXT: Record<string, string> = {
  sent: 'Referral sent. The service has been asked to reply, and you will see each change here.',
  acknowledge: 'You have told the referrer the referral is received.',
  accept: 'Referral accepted. The person’s details are shared with your organisation while you support them.',
  reject: 'Referral not accepted. The referrer can see why.',
  start: 'Support has started.',
  hold: 'The referral is on hold. Its clock is paused.',
  resume: 'The referral is resumed.',
  complete: 'Referral completed. The referrer can see the outcome.',
  fail: 'Referral closed. The referrer can see why.',
  cancel: 'Referral cancelled. The service has been told.',
  reroute: 'Referral sent on to the other service.',
  redirect: 'Referral re-routed. The new service has been asked to reply, and you will see each change here.',
};

const clockText = (r: Referral): Html => {
  if (r.clocks.length === 0) return html`No clock`;
  return html`${r.clocks.map((c) => {
    const what = c.kind === 'acknowledge' ? 'Acknowledge' : 'Decide';
    const state = c.stoppedAt ? (c.breached ? tag('Late', 'red') : tag('Met', 'green')) : c.paused ? tag('Paused', 'yellow') : c.breached ? tag('Overdue', 'red') : tag('Running', 'white');
    return html`<span class="onestory-nowrap">${what} by ${formatDateTime(c.due.toISOString())}</span> ${state}<br>`;
  })}`;
};

/** The staff list: referrals the user's organisation sent, and those sent to it. */
export function referralListBody(o: { sent: Referral[]; received: Referral[]; orgName: string; done?: string; receiverFirst: boolean; canSend: boolean }): Html {
  const rows = (list: Referral[], other: 'service' | 'from') => list.map((r) => [
    html`<a href="/referrals/${r.id}">${r.personName}</a>`,
    other === 'service' ? r.serviceName : r.requester,
    html`${statusTag(r.status)}${r.statusReason && ['rejected', 'failed', 'cancelled', 'on-hold'].includes(r.status) ? html`<br><span class="nhsuk-body-s">${r.statusReason}</span>` : ''}`,
    html`${formatDateTime(r.lastChanged)}`,
    r.breached ? tag('Past its clock', 'red') : r.clocks.some((c) => !c.stoppedAt) ? 'On time' : 'Decided',
  ]);
  const sentTable = o.sent.length === 0
    ? html`<p>You and ${o.orgName} have not sent any referrals.</p>`
    : table({ caption: 'Referrals you sent', captionHidden: true, responsive: true, head: ['Person', 'Service', 'Status', 'Last change', 'Clock'], rows: rows(o.sent, 'service') });
  const receivedTable = o.received.length === 0
    ? html`<p>No referrals have been sent to ${o.orgName} that you can see.</p>`
    : table({ caption: 'Referrals sent to you', captionHidden: true, responsive: true, head: ['Person', 'From', 'Status', 'Last change', 'Clock'], rows: rows(o.received, 'from') });
  const sections = [
    html`<h2 id="received">Sent to ${o.orgName}</h2>${receivedTable}`,
    html`<h2 id="sent">Sent by you and ${o.orgName}</h2>${o.canSend ? html`<p>To refer someone, <a href="/services">find a service</a> and choose “Refer someone”.</p>` : ''}${sentTable}`,
  ];
  return html`${o.done && REFERRAL_DONE_TEXT[o.done] ? notificationBanner({ kind: 'success', heading: REFERRAL_DONE_TEXT[o.done] }) : ''}
  <h1>Referrals</h1>
  <p>Referrals between partners, the latest change first (up to 100 of each). A referral past its clock — not acknowledged within 2 working days, or not decided within 10, unless the service sets its own — is marked, and escalated to the service.</p>
  ${o.receiverFirst ? sections : [...sections].reverse()}`;
}

export interface ReferralFormData {
  csrfToken: string;
  key: string;
  service?: { id: string; name: string; refusal?: string };
  person?: { id: string; name: string };
  values: Record<string, string | string[] | undefined>;
  errors: FieldErrors;
}

/** A new referral: who, to which service, why, how urgent, and the person's consent to share (and what). */
export function referralFormBody(d: ReferralFormData): Html {
  const v = d.values;
  const share = Array.isArray(v.share) ? v.share : v.share ? [v.share] : [];
  if (!d.service) {
    return html`${errorSummary(d.errors)}<h1>Refer someone</h1><p>Start from the service: <a href="/services">find a service</a>, open it, and choose “Refer someone”.</p>`;
  }
  return html`${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">Refer someone to</span>
  <h1>${d.service.name}</h1>
  ${d.service.refusal ? notificationBanner({ kind: 'important', heading: 'This service is not taking referrals', body: d.service.refusal }) : ''}
  <form method="post" action="/referrals" novalidate>
    ${csrfField(d.csrfToken)}
    <input type="hidden" name="key" value="${d.key}">
    <input type="hidden" name="service" value="${d.service.id}">
    ${d.person
      ? html`<input type="hidden" name="person" value="${d.person.id}">${summaryList([{ key: 'Person', value: d.person.name }])}`
      : textInput({ name: 'nhsNumber', label: 'NHS number of the person', hint: 'For example, 999 123 4567. You can refer people you care for.', errors: d.errors, value: typeof v.nhsNumber === 'string' ? v.nhsNumber : '', width: 10, inputmode: 'numeric' })}
    ${characterCount({ name: 'reason', label: 'Why are you referring them?', hint: 'What help is needed, in words the service and the person will understand.', errors: d.errors, value: typeof v.reason === 'string' ? v.reason : '', maxlength: 2000, rows: 4 })}
    ${radios({ name: 'priority', label: 'How urgent is it?', errors: d.errors, value: typeof v.priority === 'string' ? v.priority : 'routine', items: PRIORITIES.slice(0, 2).map((p) => ({ value: p, text: PRIORITY_TEXT[p] })), inline: true })}
    ${radios({ name: 'consent', label: 'Has the person agreed to this referral, and to their name and contact details being shared with the service?', errors: d.errors, value: typeof v.consent === 'string' ? v.consent : undefined, items: [{ value: 'yes', text: 'Yes, they have agreed' }, { value: 'no', text: 'No' }], legendSize: 'm' })}
    ${checkboxes({ name: 'share', label: 'What else have they agreed to share?', hint: 'Only what is ticked is sent. Nothing else from their record is shared with the service.', errors: d.errors, values: share, items: SHARE_OPTIONAL.map((s) => ({ value: s, text: SHARE_ITEMS[s] })) })}
    ${characterCount({ name: 'whatMatters', label: 'What matters to them (if they agreed to share it)', errors: d.errors, value: typeof v.whatMatters === 'string' ? v.whatMatters : '', maxlength: 2000, rows: 3 })}
    ${characterCount({ name: 'healthInfo', label: 'Relevant health information (if they agreed to share it)', hint: 'Only what the service needs to support them safely.', errors: d.errors, value: typeof v.healthInfo === 'string' ? v.healthInfo : '', maxlength: 2000, rows: 3 })}
    ${button('Send referral')}
  </form>`;
}

export interface ReferralPageData {
  r: Referral;
  actions: ReferralAction[];
  viewerIsReceiver: boolean;
  csrfToken: string;
  errors: FieldErrors;
  values: Record<string, string | undefined>;
  done?: string;
  /** The requester may send it on to another service (the service declined it). */
  canRedirect?: boolean;
}

/** One referral: what was asked, of whom, what is shared, its status and clocks, and the forms its user may use. */
export function referralBody(d: ReferralPageData): Html {
  const r = d.r;
  const form = (action: ReferralAction, body: Html) => html`<form method="post" action="/referrals/${r.id}/${action}" novalidate>${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${String(r.taskVersion ?? '')}">${body}</form>`;
  const forms: Html[] = [];
  const has = (a: ReferralAction) => d.actions.includes(a);
  if (has('acknowledge')) forms.push(form('acknowledge', html`<p>Let the referrer know you have it while you decide.</p>${button('Acknowledge receipt', { variant: 'secondary' })}`));
  if (has('accept')) forms.push(form('accept', button('Accept referral')));
  if (has('start')) forms.push(form('start', button('Start support')));
  if (has('resume')) forms.push(form('resume', button('Resume')));
  if (has('complete')) {
    forms.push(form('complete', html`<h2 class="nhsuk-heading-m">Complete the referral</h2>
      ${radios({ name: 'outcome', label: 'Outcome', errors: d.errors, value: d.values.outcome, items: Object.entries(OUTCOMES).map(([value, text]) => ({ value, text })) })}
      ${characterCount({ name: 'note', label: 'Outcome note', hint: 'What support was given. The referrer sees it.', errors: d.errors, value: d.values.note, maxlength: 2000, rows: 3 })}
      ${button('Complete referral')}`));
  }
  if (has('reject')) {
    forms.push(form('reject', html`<h2 class="nhsuk-heading-m">Not accepting it?</h2>
      ${radios({ name: 'reason', label: 'Why not', errors: d.errors, value: d.values.reason, items: Object.entries(REJECT_REASONS).map(([value, text]) => ({ value, text })) })}
      ${characterCount({ name: 'note', label: 'Anything the referrer should know (optional)', errors: d.errors, value: d.values.note, maxlength: 2000, rows: 2 })}
      ${button('Do not accept', { variant: 'secondary' })}`));
  }
  if (has('hold')) {
    forms.push(form('hold', html`<h2 class="nhsuk-heading-m">Put on hold</h2>
      ${characterCount({ name: 'reason', label: 'Why is it on hold?', hint: 'For example, waiting for more information from the referrer. The clock is paused meanwhile.', errors: d.errors, value: d.values.reason, maxlength: 2000, rows: 2 })}
      ${button('Put on hold', { variant: 'secondary' })}`));
  }
  if (has('fail')) {
    forms.push(form('fail', html`<h2 class="nhsuk-heading-m">Close without support</h2>
      ${radios({ name: 'reason', label: 'Why', errors: d.errors, value: d.values.reason, items: Object.entries(FAIL_REASONS).map(([value, text]) => ({ value, text })) })}
      ${button('Close referral', { variant: 'secondary' })}`));
  }
  if (has('cancel')) {
    forms.push(form('cancel', html`<h2 class="nhsuk-heading-m">Cancel this referral</h2>
      ${characterCount({ name: 'reason', label: 'Why is it cancelled?', errors: d.errors, value: d.values.reason, maxlength: 2000, rows: 2 })}
      ${button('Cancel referral', { variant: 'warning' })}`));
  }
  const shared = r.share.map((s) => SHARE_ITEMS[s]).join('; ');
  const rows = [
    { key: 'Person', value: r.patientId && !d.viewerIsReceiver ? html`<a href="/people/${r.patientId}">${r.personName}</a>` : r.personName },
    { key: 'Service', value: r.serviceName },
    { key: 'Status', value: html`${statusTag(r.status)}${r.statusReason ? html`<br>${r.statusReason}` : ''}` },
    { key: 'Referred by', value: html`${r.requester}${r.authoredOn ? `, ${formatDate(r.authoredOn)}` : ''}` },
    { key: 'Priority', value: PRIORITY_TEXT[r.priority] },
    { key: 'Reason', value: r.reason },
    { key: 'Clocks', value: clockText(r) },
    { key: 'Shared with the service', value: shared ? `With the person’s consent: ${shared}` : 'Not recorded' },
    ...(r.share.includes('what-matters') ? [{ key: 'What matters to them', value: r.whatMatters ?? 'Not recorded' }] : []),
    ...(r.share.includes('health') ? [{ key: 'Health information', value: r.healthInfo ?? 'Not recorded' }] : []),
    ...(r.outcome ? [{ key: 'Outcome', value: html`${r.outcome.text ?? ''}${r.outcome.note ? html`<br>${r.outcome.note}` : ''}` }] : []),
  ];
  const notes = (r.task?.note ?? []).map((n) => html`<li><p>${n.text}</p><p class="nhsuk-body-s">${[n.authorReference?.display ?? n.authorString, formatDateTime(n.time)].filter(Boolean).join(', ')}</p></li>`);
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${d.done && REFERRAL_DONE_TEXT[d.done] ? notificationBanner({ kind: 'success', heading: REFERRAL_DONE_TEXT[d.done] }) : ''}
  ${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">Referral</span>
  <h1>${r.personName} to ${r.serviceName}</h1>
  ${r.breached ? notificationBanner({ kind: 'important', heading: 'This referral is past its clock', body: 'It was not acknowledged or decided in time, and has been escalated to the service.' }) : ''}
  ${summaryList(rows)}
  ${d.viewerIsReceiver ? html`<p class="nhsuk-body-s">You see what the person agreed to share with your service, and nothing else from their record.</p>` : ''}
  ${notes.length ? html`<h2 class="nhsuk-heading-m">Notes</h2><ul class="nhsuk-list">${notes}</ul>` : ''}
  ${d.canRedirect ? html`<h2 class="nhsuk-heading-m">The service declined this referral</h2><p><a href="/referrals/${r.id}/reroute">Send it to another service</a></p>` : ''}
  ${forms.length ? forms : html`<p>${['completed', 'rejected', 'failed', 'cancelled'].includes(r.status) ? 'This referral is closed.' : 'Only the service it was sent to moves it on; only the referrer can cancel it.'}</p>`}
  <p><a href="/referrals">All referrals</a></p>
  </div></div>`;
}

/** The requester's re-route page: a declined referral sent on to another service. */
export function rerouteFormBody(d: { r: Referral; choices: { id: string; name: string }[]; csrfToken: string; errors: FieldErrors; values: Record<string, string | undefined> }): Html {
  const { r } = d;
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">Re-route a declined referral</span>
  <h1>Send ${r.personName}’s referral to another service</h1>
  ${summaryList([{ key: 'Declined by', value: r.serviceName }, { key: 'Why', value: r.statusReason ?? 'No reason given' }, { key: 'Reason for referral', value: r.reason }])}
  <form method="post" action="/referrals/${r.id}/reroute" novalidate>
    ${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${String(r.taskVersion ?? '')}">
    ${d.choices.length === 0
      ? html`<p>No other service is taking referrals. <a href="/services">Search the directory</a>.</p>`
      : radios({ name: 'service', label: 'Which service should it go to?', hint: 'Services of the same kind first. The same reason, what they agreed to share and what matters to them go with it.', errors: d.errors, value: d.values.service, items: d.choices.map((c) => ({ value: c.id, text: c.name })), legendSize: 'm' })}
    ${radios({ name: 'consent', label: 'Has the person agreed to their referral going to this service?', errors: d.errors, value: d.values.consent, items: [{ value: 'yes', text: 'Yes, they have agreed' }, { value: 'no', text: 'No' }], legendSize: 'm' })}
    ${characterCount({ name: 'note', label: 'Anything the new service should know (optional)', errors: d.errors, value: d.values.note, maxlength: 2000, rows: 2 })}
    ${button('Send to this service')}
  </form>
  <p><a href="/referrals/${r.id}">Back to the referral</a></p>
  </div></div>`;
}

/**
 * The portal's referrals, in plain English: the person's own (`whose` 'your'), or a carer's view of the person they
 * care for (`whose` their name). `hidden` says why the policy shows none (the person has not shared
 * referrals with this carer), so that an empty list never reads as "none".
 */
export function myReferralsBody(list: Referral[], whose: 'your' | string, hidden?: string): Html {
  const mine = whose === 'your';
  return html`<h1>${mine ? 'My referrals' : `${whose}'s referrals`}</h1>
  <p>Referrals ${mine ? 'you have' : 'they have'} been given to services, such as local groups and charities, and what is happening with each.</p>
  ${hidden ? notShownNote(hidden) : list.length === 0
    ? html`<p>There are no referrals to show. Some information may not be shown online.</p>`
    : table({
      caption: 'Referrals', captionHidden: true, responsive: true, head: ['Service', 'Sent', 'What is happening'],
      rows: list.map((r) => [r.serviceName, formatDate(r.authoredOn) || 'Not recorded', html`<strong>${PERSON_STATUS_TEXT[r.status] ?? r.statusText}</strong>${r.outcome?.note ? html`<br>${r.outcome.note}` : ''}`]),
    })}
  ${mine ? html`<p>This page shows referrals to services in the local directory. Other referrals made for you, for example to a hospital or council service, are listed in <a href="/my-record#referrals">your record</a>.</p>` : ''}
  <p>If you have a question about a referral, contact the person who referred ${mine ? 'you' : 'them'} or the service.</p>`;
}
