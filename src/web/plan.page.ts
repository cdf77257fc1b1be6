import type { NamedProfessional, Handover } from '../care-planning/named-professional.service.js';
import type { PlanView } from '../care-planning/plan.view.js';
import { PLAN_STATUS_TEXT } from '../care-planning/care-planning.vocabulary.js';
import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import { TASK_STATUS_TEXT, type TaskStatus } from '../workflow/task.vocabulary.js';
import {
  button, characterCount, checkboxes, csrfField, dateInput, errorSummary, notificationBanner, radios, select, summaryList, table, tag, textInput,
  type DateParts, type FieldErrors,
} from './components/index.js';
import { html, type Html } from './html.js';

/** Who reads the plan page: a professional (clinical words, every form they may use), the person, or their carer (plain English). */
export type PlanAudience = 'staff' | 'self' | 'carer';

export interface PlanPageData {
  audience: PlanAudience;
  personName: string;
  patientId: string;
  plan?: PlanView;
  earlier: { id: string; title: string; status: string }[];
  rights: { edit: boolean; agree: boolean; contribute: boolean; review: boolean };
  named?: { current?: NamedProfessional; pending?: Handover; canAssign: boolean; canAccept: boolean };
  carers: { reference: string; name: string }[];
  /** People and organisations an action or a review may be given to. */
  owners: { value: string; text: string }[];
  colleagues: { value: string; text: string }[];
  done?: string;
  errors: FieldErrors;
  values: Record<string, string | undefined>;
  dates: Record<string, DateParts>;
  csrfToken: string;
}

export const PLAN_DONE: Record<string, string> = {
  started: 'Plan started', sections: 'Plan saved', goal: 'Goal added', action: 'Action added and sent to its owner', review: 'Next review set',
  agreed: 'Agreement recorded', active: 'The plan is now in use', revoked: 'The plan has been stopped', 'what-matters': 'What matters to you has been saved',
  confidence: 'Thank you: your answer has been saved', 'review-requested': 'Your request for a review has been sent', named: 'Named professional recorded',
  handover: 'Handover proposed: it waits for the successor to accept', accepted: 'You are now the named professional',
  'carer-assessment': 'You have asked for a carer\'s assessment: the team will be in touch',
};

/** A plan activity's status (FHIR codes such as not-started) in words. */
const statusWords = (s: string) => (s ? `${s[0].toUpperCase()}${s.slice(1).replace(/-/g, ' ')}` : 'Not recorded');

const CONFIDENCE_WORDS = (n: number) => (n <= 3 ? 'not very confident' : n <= 6 ? 'fairly confident' : 'very confident');

/** The agreement, said truthfully: agreed as it is now, changed since it was agreed, or not agreed. */
function agreementLine(p: PlanView, you: boolean, personName: string): Html {
  const a = p.agreement;
  if (!a) return html`${tag('Not agreed yet', 'orange')} ${you ? 'You have not agreed this plan yet.' : 'Nobody has agreed this plan yet.'}`;
  const who = a.agreedBy === `Patient/${p.patientId}` ? (you ? 'you' : personName) : (a.agreedByName ?? 'their representative');
  if (!p.agreedAsItIs) {
    return html`${tag('Changed since it was agreed', 'orange')} Agreed by ${who} on ${formatDate(a.date)}, but the plan has changed since: it needs agreeing again.`;
  }
  return html`${tag('Agreed', 'green')} Agreed by ${who} on ${formatDate(a.date)}.`;
}

const para = (text: string | undefined, none: string) => (text ? html`<p>${text}</p>` : html`<p class="onestory-muted">${none}</p>`);
const section = (id: string, title: string, body: Html | Html[]) => html`<section class="onestory-section" aria-labelledby="${id}-title" id="${id}"><h2 id="${id}-title">${title}</h2>${body}</section>`;

/** The plan's content, in the PRSB standard's order; the person and their carer read it in plain English. */
export function planContent(d: PlanPageData): Html {
  const p = d.plan!;
  const staff = d.audience === 'staff';
  const you = d.audience === 'self';
  const them = you ? 'you' : d.personName;
  const goals = p.goals.length
    ? table({
      caption: staff ? 'Goals in the person\'s words' : 'Goals', captionHidden: true, responsive: true,
      head: ['Goal', staff ? 'Confidence (0 to 10)' : 'How confident you feel'],
      rows: p.goals.map((g) => [g.text, g.confidence === undefined ? 'Not said yet' : staff ? `${g.confidence} out of 10` : `${g.confidence} out of 10 (${CONFIDENCE_WORDS(g.confidence)})`]),
    })
    : html`<p class="onestory-muted">No goals recorded yet.</p>`;
  const actions = p.actions.length
    ? table({
      caption: 'Actions', captionHidden: true, responsive: true, head: ['What', 'Who', 'By when', 'Status'],
      rows: p.actions.map((a) => [a.what, a.who?.name ?? 'Nobody named', a.due ? formatDate(a.due) : 'No date', TASK_STATUS_TEXT[a.status as TaskStatus] ?? statusWords(a.status)]),
    })
    : html`<p class="onestory-muted">No actions recorded yet.</p>`;
  const hidden = (n: number, what: string) => (n > 0 ? html`<p class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>${n} ${what}${n === 1 ? ' is' : ' are'} not shared with you.</p>` : '');
  return html`
  ${section('plan-agreement', staff ? 'Agreement' : 'Have you agreed this plan?', html`<p>${agreementLine(p, you, d.personName)}</p>`)}
  ${section('plan-about-me', 'About me', para(p.aboutMe, 'Nothing written yet.'))}
  ${section('plan-what-matters', you ? 'What matters to me' : `What matters to ${them}`, para(p.whatMatters, 'Nothing written yet.'))}
  ${section('plan-needs', staff ? 'Needs' : 'What help is needed', p.needs.length ? html`<ul class="nhsuk-list nhsuk-list--bullet">${p.needs.map((n) => html`<li>${n}</li>`)}</ul>` : html`<p class="onestory-muted">None recorded.</p>`)}
  ${section('plan-goals', you ? 'My goals' : 'Goals', html`${goals}${hidden(p.goalsNotShown, 'goal')}`)}
  ${section('plan-actions', staff ? 'Actions: who, what, by when' : 'Who will do what, and when', html`${actions}${hidden(p.actionsNotShown, 'action')}`)}
  ${section('plan-contingency', staff ? 'Contingency and crisis plan' : 'If things go wrong', p.contingency.length
    ? summaryList(p.contingency.map((c) => ({ key: `If ${c.trigger}`, value: c.action })))
    : html`<p class="onestory-muted">None recorded.</p>`)}
  ${section('plan-involved', 'Who was involved', p.involved.length ? html`<ul class="nhsuk-list nhsuk-list--bullet">${p.involved.map((i) => html`<li>${i.name}</li>`)}</ul>` : html`<p class="onestory-muted">None recorded.</p>`)}
  ${section('plan-review', staff ? 'Next review' : 'When the plan will be looked at again', html`${p.review ? html`<p>${formatDate(p.review.date)}${p.review.owner ? `, with ${p.review.owner.name}` : ''}</p>` : html`<p class="onestory-muted">No review date set yet.</p>`}
    ${p.reviewRequested ? html`<p>${p.reviewRequested.by} asked for a review on ${formatDate(p.reviewRequested.date)}.</p>` : ''}`)}
  ${section('plan-contributions', staff ? 'Changes and who made them' : 'Who has changed the plan', p.contributions.length
    ? table({ caption: 'Changes', captionHidden: true, responsive: true, head: ['When', 'Who', 'What'], rows: [...p.contributions].reverse().map((c) => [formatDateTime(c.time), c.by, c.text]) })
    : html`<p class="onestory-muted">None recorded.</p>`)}`;
}

function namedProfessionalPanel(d: PlanPageData): Html {
  const n = d.named;
  if (!n) return html``;
  const err = d.errors;
  const cur = n.current
    ? html`<p>Named professional: <strong>${n.current.manager.name}</strong>${n.current.since ? `, since ${formatDate(n.current.since)}` : ''}.</p>`
    : html`<p>${tag('No named professional', 'orange')} Nobody has been named to join up this person's care.</p>`;
  const pending = n.pending ? html`<p>Handover to <strong>${n.pending.manager.name}</strong> is waiting for them to accept.</p>
    ${n.canAccept ? html`<form method="post" action="/people/${d.patientId}/named-professional/accept" novalidate>${csrfField(d.csrfToken)}${button('Accept the handover')}</form>` : ''}` : '';
  const form = n.canAssign && !n.pending && d.colleagues.length
    ? html`<form method="post" action="/people/${d.patientId}/named-professional" novalidate>${csrfField(d.csrfToken)}
      ${select({ name: 'successor', label: n.current ? 'Hand over to' : 'Name the named professional', hint: n.current ? 'They accept the handover before the current named professional is released.' : undefined, errors: err, blank: 'Choose someone', value: d.values.successor, items: d.colleagues })}
      ${button(n.current ? 'Propose the handover' : 'Name them', { variant: 'secondary' })}</form>` : '';
  return section('named-professional', 'Named professional', html`${cur}${pending}${form}`);
}

/** The staff plan page: the plan, and the forms the user may use. */
export function staffPlanBody(d: PlanPageData): Html {
  const p = d.plan;
  const e = d.errors;
  const v = d.values;
  const banner = d.done && PLAN_DONE[d.done] ? notificationBanner({ kind: 'success', heading: PLAN_DONE[d.done] }) : '';
  const head = html`${errorSummary(e)}${banner}
    <span class="nhsuk-caption-l">${d.personName}</span>
    <h1>${p ? p.title : 'Personalised care and support plan'}</h1>`;
  const named = namedProfessionalPanel(d);
  if (!p) {
    return html`${head}${named}
      <p>${d.personName} has no personalised care and support plan${d.earlier.length ? ' in use' : ''}. A <a href="/people/${d.patientId}/assessment">joint assessment</a> with health and social care, the person and their carer can start one.</p>
      ${d.rights.edit ? html`<form method="post" action="/people/${d.patientId}/plan" novalidate>${csrfField(d.csrfToken)}
        ${textInput({ name: 'title', label: 'Name of the plan', hint: 'In the person\'s words, for example "Staying well at home"', errors: e, value: v.title, width: 30 })}
        ${button('Start a plan')}</form>` : html`<p class="onestory-muted">Only professionals caring for ${d.personName} can start a plan.</p>`}`;
  }
  const form = (action: string, inner: Html, label: string, variant?: 'secondary') => html`<form method="post" action="/people/${d.patientId}/plan/${action}" novalidate>
    ${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${String(p.versionId)}">${inner}${button(label, variant ? { variant } : {})}</form>`;
  const edit = d.rights.edit ? html`
    <details class="nhsuk-details"${e.some((x) => ['title', 'about-me', 'what-matters', 'needs'].includes(x.field) || /^(trigger|action)-/.test(x.field)) ? html` open` : ''}><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Change the plan's sections</span></summary><div class="nhsuk-details__text">
    ${form('sections', html`
      ${textInput({ name: 'title', label: 'Name of the plan', errors: e, value: v.title ?? p.title, width: 30 })}
      ${characterCount({ name: 'about-me', label: 'About me', hint: 'Who the person is, in their words', errors: e, value: v['about-me'] ?? p.aboutMe, maxlength: 2000, rows: 3 })}
      ${characterCount({ name: 'what-matters', label: 'What matters to the person', errors: e, value: v['what-matters'] ?? p.whatMatters, maxlength: 2000, rows: 3 })}
      ${characterCount({ name: 'needs', label: 'Needs', hint: 'One need on each line', errors: e, value: v.needs ?? p.needs.join('\n'), maxlength: 2000, rows: 4 })}
      <h3>Contingency and crisis plan</h3>
      ${[1, 2, 3].map((i) => html`${textInput({ name: `trigger-${i}`, label: `If (what to look out for) ${i}`, errors: e, value: v[`trigger-${i}`] ?? p.contingency[i - 1]?.trigger })}
        ${textInput({ name: `action-${i}`, label: `Then (what to do) ${i}`, errors: e, value: v[`action-${i}`] ?? p.contingency[i - 1]?.action })}`)}
      ${d.carers.length ? checkboxes({ name: 'involved', label: 'Carers and representatives involved', errors: e, values: p.involved.map((x) => x.reference), items: d.carers.map((c) => ({ value: c.reference, text: c.name })) }) : ''}
    `, 'Save the plan')}</div></details>
    <details class="nhsuk-details"${e.some((x) => x.field === 'goal' || x.field === 'confidence') ? html` open` : ''}><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Add a goal</span></summary><div class="nhsuk-details__text">
    ${form('goals', html`${textInput({ name: 'goal', label: 'Goal, in the person\'s words', errors: e, value: v.goal })}
      ${select({ name: 'confidence', label: 'How confident they feel (0 to 10)', hint: 'Leave blank to let the person say in the portal', errors: e, blank: 'Not asked yet', value: v.confidence, items: Array.from({ length: 11 }, (_, i) => ({ value: String(i), text: String(i) })) })}`, 'Add the goal', 'secondary')}
    </div></details>
    <details class="nhsuk-details"${e.some((x) => ['what', 'owner'].includes(x.field) || x.field.startsWith('due')) ? html` open` : ''}><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Add an action</span></summary><div class="nhsuk-details__text">
    ${form('actions', html`${textInput({ name: 'what', label: 'What is to be done', errors: e, value: v.what })}
      ${select({ name: 'owner', label: 'Who will do it', errors: e, blank: 'Choose a person or an organisation', value: v.owner, items: d.owners })}
      ${dateInput({ name: 'due', label: 'By when', hint: 'For example, 27 3 2026', errors: e, value: d.dates.due ?? {} })}`, 'Add the action', 'secondary')}
    </div></details>
    <details class="nhsuk-details"${e.some((x) => x.field.startsWith('review')) ? html` open` : ''}><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Set the next review</span></summary><div class="nhsuk-details__text">
    ${form('review', html`${dateInput({ name: 'review', label: 'Date of the next review', errors: e, value: d.dates.review ?? {} })}
      ${select({ name: 'review-owner', label: 'Who leads it', errors: e, blank: 'Choose someone', value: v['review-owner'], items: d.colleagues })}`, 'Set the review', 'secondary')}
    </div></details>` : '';
  const agree = d.rights.agree ? html`
    <details class="nhsuk-details"${e.some((x) => x.field.startsWith('agreed')) ? html` open` : ''}><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Record that the plan was agreed</span></summary><div class="nhsuk-details__text">
    ${form('agree', html`${radios({ name: 'agreed-with', label: 'Who agreed it', hint: 'A plan is agreed with the person, or with their representative when they cannot', errors: e, value: v['agreed-with'],
      items: [{ value: `Patient/${d.patientId}`, text: `${d.personName} (the person)` }, ...d.carers.map((c) => ({ value: c.reference, text: `${c.name} (representative)` }))] })}
      ${dateInput({ name: 'agreed', label: 'Date agreed', errors: e, value: d.dates.agreed ?? {} })}`, 'Record the agreement', 'secondary')}
    </div></details>` : '';
  const status = d.rights.edit ? html`<div class="nhsuk-u-margin-top-4">
    ${p.status === 'draft' ? form('status', html`<input type="hidden" name="to" value="active">`, 'Put the plan in use') : ''}
    ${p.status === 'active' ? form('status', html`<input type="hidden" name="to" value="completed">`, 'End this plan', 'secondary') : ''}</div>` : '';
  return html`${head}
    <p>${tag(PLAN_STATUS_TEXT[p.status], p.status === 'active' ? 'green' : 'grey')} Version ${String(p.versionId)}. <a href="/people/${d.patientId}/plan.json">Download as a FHIR document</a> · <a href="/people/${d.patientId}/assessment">Joint assessment</a> · <a href="/people/${d.patientId}">Back to the record</a></p>
    ${named}
    ${planContent(d)}
    ${edit}${agree}${status}
    ${d.earlier.length ? section('earlier', 'Earlier plans', html`<ul class="nhsuk-list">${d.earlier.map((x) => html`<li>${x.title} (${PLAN_STATUS_TEXT[x.status as keyof typeof PLAN_STATUS_TEXT] ?? x.status})</li>`)}</ul>`) : ''}`;
}

/** The portal's plan page: the plan in plain English, and what the person or their carer may do. */
export function portalPlanBody(d: PlanPageData, carerSupport: Html): Html {
  const p = d.plan;
  const e = d.errors;
  const you = d.audience === 'self';
  const banner = d.done && PLAN_DONE[d.done] ? notificationBanner({ kind: 'success', heading: PLAN_DONE[d.done] }) : '';
  const title = you ? 'My care and support plan' : `${d.personName}'s care and support plan`;
  if (!p) {
    return html`${errorSummary(e)}${banner}<h1>${title}</h1>
      <p>${you ? 'You do not have a care and support plan yet, or it has not been shared online.' : `${d.personName} does not have a plan yet, or has not shared it with you.`}
      Ask ${you ? 'your' : 'their'} GP practice or care coordinator about making one together.</p>${carerSupport}`;
  }
  const form = (action: string, inner: Html, label: string, variant?: 'secondary') => html`<form method="post" action="/my-plan/${action}${d.audience === 'carer' ? `?person=${encodeURIComponent(d.patientId)}` : ''}" novalidate>
    ${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${String(p.versionId)}">${inner}${button(label, variant ? { variant } : {})}</form>`;
  const contribute = d.rights.contribute ? html`
    <h2>Have your say</h2>
    ${form('what-matters', characterCount({ name: 'what-matters', label: you ? 'What matters to you' : `What matters to ${d.personName}`, hint: 'In your own words: the things you want to keep doing, and what a good day looks like', errors: e, value: d.values['what-matters'] ?? p.whatMatters, maxlength: 2000, rows: 4 }), 'Save what matters')}
    ${p.goals.map((g) => form('confidence', html`<input type="hidden" name="goal" value="${g.id}">${select({
      name: `confidence-${g.id}`, label: html`How confident ${you ? 'do you' : `does ${d.personName}`} feel about: <strong>${g.text}</strong>`, hint: '0 means not at all confident, 10 means completely confident',
      errors: e, blank: 'Choose a number', value: d.values[`confidence-${g.id}`] ?? (g.confidence !== undefined ? String(g.confidence) : undefined),
      items: Array.from({ length: 11 }, (_, i) => ({ value: String(i), text: String(i) })),
    })}`, 'Save my answer', 'secondary'))}` : '';
  const agree = d.rights.agree && !(p.agreement && p.agreedAsItIs) ? html`<h2>Agree the plan</h2>
    <p>Agree the plan if it says what ${you ? 'you' : 'you both'} talked about. You can ask for a review at any time.</p>
    ${form('agree', html``, 'I agree this plan')}` : '';
  const review = d.rights.review ? html`<h2>Ask for a review</h2>
    ${form('review', characterCount({ name: 'reason', label: 'Why would you like the plan looked at again?', errors: e, value: d.values.reason, maxlength: 500, rows: 3 }), 'Ask for a review', 'secondary')}` : '';
  return html`${errorSummary(e)}${banner}<h1>${title}</h1>
    <p>This is the plan ${you ? 'you made' : `${d.personName} made`} with the people who care for ${you ? 'you' : 'them'}. It is written in ${you ? 'your' : 'their'} words.</p>
    ${planContent(d)}${contribute}${agree}${review}${carerSupport}`;
}
