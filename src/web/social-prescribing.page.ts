import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import type { Referral } from '../referrals/referral.service.js';
import { improved, ONWARD_WITHIN_M, type Caseload, type CaseloadEntry, type CaseloadPerson, type OnwardChoices } from '../social-prescribing/social-prescribing.service.js';
import { CONTACT_MODES, ONS4_ITEMS, ONS4_SHORT, TIMEPOINTS, type Ons4Item } from '../social-prescribing/social-prescribing.vocabulary.js';
import {
  button, characterCount, csrfField, dateInput, errorSummary, notificationBanner, radios, select, summaryList, table, textInput,
  type DateParts, type FieldErrors,
} from './components/index.js';
import { html, type Html } from './html.js';
import { kilometres } from './directory.page.js';
import { statusTag } from './work.page.js';

/** Success banners after a caseload form (`?done=`, from this fixed set only). */
export const CASELOAD_DONE_TEXT: Record<string, string> = {
  contact: 'Contact recorded.',
  'what-matters': 'What matters to them is recorded, and written into their plan.',
  wellbeing: 'Wellbeing scores recorded.',
};

const ITEMS = Object.keys(ONS4_ITEMS) as Ons4Item[];
const scoresText = (e: CaseloadEntry, tp: 'start' | 'end') => {
  const r = e.wellbeing[tp];
  return r ? ITEMS.map((i) => r.scores[i]).join(' / ') : 'Not recorded';
};
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const personLink = (e: CaseloadEntry) => html`<a href="/caseload/${e.referral.id}">${e.referral.personName}</a>`;

/** The link worker's caseload: the worklist (waiting, follow-ups due, declined onward referrals), everyone referred, and the ONS4 change. */
export function socialPrescribingBody(c: Caseload, orgName: string): Html {
  const waiting = c.waiting.length === 0
    ? html`<p>Nobody is waiting for a first contact.</p>`
    : table({ caption: 'Waiting for a first contact', captionHidden: true, responsive: true, head: ['Person', 'Referred', 'Reason', 'Referral'],
      rows: c.waiting.map((e) => [personLink(e), formatDate(e.referral.authoredOn) || 'Not recorded', e.referral.reason, statusTag(e.referral.status)]) });
  const due = c.dueFollowUp.length === 0
    ? html`<p>No follow-ups are due.</p>`
    : table({ caption: 'Due a follow-up', captionHidden: true, responsive: true, head: ['Person', 'Follow-up due', 'Last contact'],
      rows: c.dueFollowUp.map((e) => [personLink(e), formatDate(e.followUpDue), formatDateTime(e.lastContact) || 'None']) });
  const declined = c.declined.length === 0
    ? html`<p>No onward referral has been declined.</p>`
    : table({ caption: 'Onward referrals declined', captionHidden: true, responsive: true, head: ['Person', 'Service', 'Why', 'Next step'],
      rows: c.declined.map((r: Referral) => [r.personName, r.serviceName, r.statusReason ?? 'No reason given', html`<a href="/referrals/${r.id}/reroute">Send to another service<span class="nhsuk-u-visually-hidden"> for ${r.personName}</span></a>`]) });
  const w = c.wellbeing;
  const change = w.meanChange
    ? table({ caption: 'Mean change in ONS4 wellbeing, start to end', responsive: true, head: ['Question', 'Mean change (0–10 scale)', 'Better or worse'],
      rows: ITEMS.map((i) => [ONS4_SHORT[i], signed(w.meanChange![i]), w.meanChange![i] === 0 ? 'No change' : improved(i, w.meanChange![i]) ? 'Better' : 'Worse']) })
    : html``;
  return html`<h1>Social prescribing caseload</h1>
  <p>People referred to ${orgName} for social prescribing, and the onward referrals made for them. <a href="/caseload?all=1">Everyone in your care</a></p>
  <h2 id="waiting">Waiting for a first contact (${String(c.waiting.length)})</h2>${waiting}
  <h2 id="follow-up">Due a follow-up (${String(c.dueFollowUp.length)})</h2>${due}
  <h2 id="declined">Onward referrals declined (${String(c.declined.length)})</h2>${declined}
  <h2 id="everyone">Everyone referred (${String(c.people.length)})</h2>
  ${c.people.length === 0 ? html`<p>Nobody has been referred to ${orgName} that you can see.</p>` : table({
    caption: 'Everyone referred', captionHidden: true, responsive: true, head: ['Person', 'Referral', 'Last contact', 'Wellbeing at start', 'Wellbeing at end'],
    rows: c.people.map((e) => [personLink(e), statusTag(e.referral.status), formatDateTime(e.lastContact) || 'None yet', scoresText(e, 'start'), scoresText(e, 'end')]),
  })}
  <p class="nhsuk-body-s">Wellbeing scores are ONS4: life satisfaction / worthwhile / happiness / anxiety, each 0 to 10 (for anxiety, lower is better).</p>
  <h2 id="wellbeing">Wellbeing change</h2>
  <p>${w.withBoth === 0 ? 'Nobody has both a start and an end score yet.' : `${w.withBoth} ${w.withBoth === 1 ? 'person has' : 'people have'} both a start and an end score.`}
  ${w.startOnly > 0 ? ` ${w.startOnly} ${w.startOnly === 1 ? 'person has' : 'people have'} a start score only and ${w.startOnly === 1 ? 'is' : 'are'} not counted.` : ''}</p>
  ${change}`;
}

export interface CaseloadPersonData {
  e: CaseloadPerson;
  /** Where they might be referred on to: nearest their home first when it is known. */
  services: OnwardChoices;
  csrfToken: string;
  errors: FieldErrors;
  /** Which form the errors and values are from. */
  form?: 'contact' | 'what-matters' | 'wellbeing';
  values: Record<string, string | undefined>;
  followUp: DateParts;
  done?: string;
}

/** Says how the list of onward services is ordered, and why by name when their home is not known to the reader. */
function onwardHint(c: OnwardChoices): string {
  return c.from
    ? `Nearest their home (${c.from}) first, within ${String(ONWARD_WITHIN_M / 1000)} km, measured from the middle of the postcode district. Or find a service by what, where and when in the directory.`
    : 'By kind and name: their home postcode is not recorded in Kent and Medway, or not shown to you. Or find a service by what, where and when in the directory.';
}

/** One person on the caseload: the referral, what matters, the plan, wellbeing, contacts and onward referrals, with the forms. */
export function caseloadPersonBody(d: CaseloadPersonData): Html {
  const { e } = d;
  const r = e.referral;
  const v = (form: CaseloadPersonData['form'], k: string) => (d.form === form ? d.values[k] : undefined);
  const errs = (form: CaseloadPersonData['form']) => (d.form === form ? d.errors : []);
  const followUp = (form: CaseloadPersonData['form']) => dateInput({ name: 'followUp', label: 'Next follow-up by (optional)', hint: 'For example, 27 3 2026. It shows on your caseload when it is due.', errors: errs(form), value: d.form === form ? d.followUp : {} });
  const post = (what: string, body: Html) => html`<form method="post" action="/caseload/${r.id}/${what}" novalidate>${csrfField(d.csrfToken)}${body}</form>`;
  const wellbeingRows = (['start', 'end'] as const).map((tp) => {
    const x = e.wellbeing[tp];
    return [TIMEPOINTS[tp], ...(x ? ITEMS.map((i) => String(x.scores[i])) : ITEMS.map(() => '–')), x ? formatDate(x.authored) : 'Not recorded'];
  });
  const contacts = e.contacts.length === 0
    ? html`<p>No contacts recorded yet.</p>`
    : html`<ul class="nhsuk-list nhsuk-list--border">${[...e.contacts].reverse().map((c) => html`<li>
        <p><strong>${c.kind === 'what-matters' ? 'What matters to me conversation' : c.mode ?? 'Contact'}</strong>, ${formatDateTime(c.when)}${c.by ? `, ${c.by}` : ''}</p>
        <p>${c.note}</p>${c.followUp ? html`<p class="nhsuk-body-s">Follow up by ${formatDate(c.followUp)}</p>` : ''}</li>`)}</ul>`;
  const onward = e.onward.length === 0
    ? html`<p>No onward referrals yet.</p>`
    : table({ caption: 'Onward referrals', captionHidden: true, responsive: true, head: ['Service', 'Status', 'Last change'],
      rows: e.onward.map((o) => [html`<a href="/referrals/${o.id}">${o.serviceName}</a>`, html`${statusTag(o.status)}${o.status === 'rejected' ? html`<br><a href="/referrals/${o.id}/reroute">Send to another service</a>` : ''}`, formatDateTime(o.lastChanged)]) });
  const plan = e.planHidden
    ? 'Their care plans are not shown to you.'
    : e.plan ? html`<a href="/people/${r.patientId}/plan">Their care and support plan</a> (${e.plan.status})` : 'No plan yet: recording what matters to them starts one.';
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${d.done && CASELOAD_DONE_TEXT[d.done] ? notificationBanner({ kind: 'success', heading: CASELOAD_DONE_TEXT[d.done] }) : ''}
  ${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">Social prescribing</span>
  <h1>${r.personName}</h1>
  ${summaryList([
    { key: 'Referral', value: html`<a href="/referrals/${r.id}">${r.serviceName}</a> ${statusTag(r.status)}` },
    { key: 'Referred by', value: html`${r.requester}${r.authoredOn ? `, ${formatDate(r.authoredOn)}` : ''}` },
    { key: 'Reason', value: r.reason },
    { key: 'What matters to them', value: e.whatMatters ?? r.whatMatters ?? 'Not recorded yet' },
    { key: 'Plan', value: plan },
    { key: 'Next follow-up', value: e.followUpDue ? formatDate(e.followUpDue) : 'None set' },
  ])}
  ${e.canRecord ? '' : html`<p>You can see this referral but not record on it: the caseload is kept by the link workers it was sent to.</p>`}
  <h2 id="wellbeing">Wellbeing (ONS4)</h2>
  ${table({ caption: 'ONS4 wellbeing scores, 0 to 10', responsive: true, head: ['When', ...ITEMS.map((i) => ONS4_SHORT[i]), 'Recorded'], rows: wellbeingRows })}
  ${e.canRecord && (!e.wellbeing.start || !e.wellbeing.end) ? post('wellbeing', html`<h3>Record wellbeing scores</h3>
    ${radios({ name: 'timepoint', label: 'When are these scores from?', errors: errs('wellbeing'), value: v('wellbeing', 'timepoint') ?? (e.wellbeing.start ? 'end' : 'start'), items: (['start', 'end'] as const).filter((tp) => !e.wellbeing[tp]).map((tp) => ({ value: tp, text: TIMEPOINTS[tp] })), inline: true })}
    <p class="nhsuk-body-s">Ask each question in these words. Each answer is a whole number from 0 (not at all) to 10 (completely).</p>
    ${ITEMS.map((i) => textInput({ name: i, label: ONS4_ITEMS[i], errors: errs('wellbeing'), value: v('wellbeing', i) ?? '', width: 2, inputmode: 'numeric' }))}
    ${button('Save scores', { variant: 'secondary' })}`) : ''}
  <h2 id="what-matters">What matters to me</h2>
  ${e.canRecord ? post('what-matters', html`
    ${characterCount({ name: 'whatMatters', label: 'What matters to them, in their own words', hint: 'From your conversation. It is written into their care and support plan.', errors: errs('what-matters'), value: v('what-matters', 'whatMatters') ?? '', maxlength: 2000, rows: 3 })}
    ${followUp('what-matters')}
    ${button('Record the conversation', { variant: 'secondary' })}`) : ''}
  <h2 id="contacts">Contacts</h2>
  ${contacts}
  ${e.canRecord ? post('contacts', html`<h3>Record a contact</h3>
    ${radios({ name: 'mode', label: 'How were you in contact?', errors: errs('contact'), value: v('contact', 'mode'), items: Object.entries(CONTACT_MODES).map(([value, text]) => ({ value, text })) })}
    ${characterCount({ name: 'note', label: 'What happened', errors: errs('contact'), value: v('contact', 'note') ?? '', maxlength: 2000, rows: 3 })}
    ${followUp('contact')}
    ${button('Record contact', { variant: 'secondary' })}`) : ''}
  <h2 id="onward">Onward referrals</h2>
  ${onward}
  ${d.services.services.length > 0 ? html`<form method="get" action="/referrals/new">
    <input type="hidden" name="person" value="${r.patientId ?? ''}">
    ${select({ name: 'service', label: 'Refer them on to', hint: onwardHint(d.services), errors: [],
      items: d.services.services.map((s) => ({ value: s.id, text: [s.name, s.kind ? ` (${s.kind})` : '', s.distance !== undefined ? `, ${kilometres(s.distance)}` : ''].join('') })) })}
    ${button('Continue', { variant: 'secondary' })}
  </form>` : d.services.from ? html`<p>No service in the directory within ${String(ONWARD_WITHIN_M / 1000)} km of their home (${d.services.from}) is taking referrals.</p>` : ''}
  <p><a href="/services${d.services.from ? `?postcode=${encodeURIComponent(d.services.from)}` : ''}">Find a service in the directory${d.services.from ? ` near ${d.services.from}` : ''}</a></p>
  <p><a href="/caseload">Back to the caseload</a></p>
  </div></div>`;
}
