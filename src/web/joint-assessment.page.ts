import type { QuestionnaireItem } from '@medplum/fhirtypes';
import { TO_ANSWER_LIMIT, type AssessmentView, type PartView, type PlanOffer } from '../care-planning/joint-assessment.service.js';
import { JOINT_ASSESSMENT_PART_KIND, PARTS } from '../care-planning/joint-assessment.vocabulary.js';
import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import {
  button, characterCount, checkboxes, csrfField, errorSummary, notificationBanner, notShownNote, radios, select, summaryList, table, tag, type FieldErrors,
} from './components/index.js';
import { html, type Html } from './html.js';

export const ASSESSMENT_DONE: Record<string, string> = {
  started: 'Joint assessment started: each part is on the work list of whoever answers it',
  answered: 'Thank you: your answers have been saved', completed: 'The joint assessment is complete', plan: 'The answers have been added to the care plan',
  'plan-none': 'The care plan already has everything these answers say',
  // A reader shown only their own part (a voluntary organisation) no longer sees it once it is answered.
  'answered-handed-back': 'Thank you: your answers have been saved. Your part is done, so this assessment is no longer shown to your organisation',
};

const STATUS_TAG = (s: string) => (s === 'completed' ? tag('Answered', 'green') : s === 'cancelled' ? tag('Cancelled', 'grey') : tag('Waiting', 'orange'));
const banner = (done?: string) => (done && ASSESSMENT_DONE[done] ? notificationBanner({ kind: 'success', heading: ASSESSMENT_DONE[done] }) : '');

/** The link that signposts a carer to carers' support near the person (the directory's filter). */
export function carersSupportLink(district?: string): string {
  return `/services?kind=carers-support${district ? `&postcode=${encodeURIComponent(district)}` : ''}`;
}

/** The answers of a part, as a summary list; "not answered yet" said, never an empty box. */
function answersOf(part: PartView): Html {
  if (!part.answered) return html`<p class="onestory-muted">Not answered yet.</p>`;
  return html`<p>Answered by ${part.answered.by}${part.answered.organisation ? ` (${part.answered.organisation})` : ''} on ${formatDateTime(part.answered.at)}.</p>
    ${summaryList(part.answered.answers.map((a) => ({ key: a.question, value: html`${a.answer.split('\n').map((l, i) => html`${i ? html`<br>` : ''}${l}`)}` })))}`;
}

/** One question as a form field: radios for a choice, a text box for words; the user's answers kept. */
function field(q: QuestionnaireItem, errors: FieldErrors, values: Record<string, string | undefined>, plain: boolean): Html {
  const label = `${q.text}${q.required ? '' : ' (optional)'}`;
  if (q.type === 'choice') {
    return radios({ name: q.linkId, label, errors, value: values[q.linkId], items: (q.answerOption ?? []).map((o) => ({ value: o.valueCoding!.code!, text: o.valueCoding!.display! })) });
  }
  return characterCount({ name: q.linkId, label, ...(plain ? { hint: 'In your own words' } : {}), errors, value: values[q.linkId], maxlength: 2000, rows: 4 });
}

export function partForm(action: string, part: PartView, versionField: Html, csrfToken: string, errors: FieldErrors, values: Record<string, string | undefined>, plain: boolean): Html {
  const def = PARTS[part.code];
  return html`<form method="post" action="${action}" novalidate>${csrfField(csrfToken)}${versionField}
    ${(def.questionnaire.item ?? []).map((q) => field(q, errors, values, plain))}
    ${button(plain ? 'Send my answers' : 'Save the answers')}</form>`;
}

export interface StartPageData {
  personName: string;
  patientId: string;
  assessments: AssessmentView[];
  canStart: boolean;
  organisations: { reference: string; name: string }[];
  carers: { reference: string; name: string }[];
  myOrganisation?: string;
  errors: FieldErrors;
  values: Record<string, string | undefined>;
  carersChosen: string[];
  csrfToken: string;
}

/** A person's joint assessments, and the form to start one (staff, from the record or the plan). */
export function personAssessmentsBody(d: StartPageData): Html {
  const e = d.errors;
  const open = d.assessments.find((a) => a.status !== 'completed' && a.status !== 'cancelled');
  const list = d.assessments.length
    ? table({
      caption: 'Joint assessments', captionHidden: true, responsive: true, head: ['Started', 'By', 'Parts answered', 'Status'],
      rows: d.assessments.map((a) => [
        html`<a href="/assessments/${a.id}">${a.startedAt ? formatDate(a.startedAt) : 'Not recorded'}</a>`, a.startedBy,
        `${a.parts.filter((x) => x.status === 'completed').length} of ${a.parts.length}${a.partsNotShown ? ` (${a.partsNotShown} not shown to you)` : ''}`,
        a.status === 'completed' ? tag('Complete', 'green') : tag('In progress', 'orange'),
      ]),
    })
    : html`<p class="onestory-muted">No joint assessments recorded.</p>`;
  const orgs = d.organisations.map((o) => ({ value: o.reference, text: o.name }));
  const start = !open && d.canStart ? html`<h2>Start a joint assessment</h2>
    <p>Health and social care answer their own parts; ${d.personName} answers "about me" online; a carer's assessment is offered to each carer.</p>
    <form method="post" action="/people/${d.patientId}/assessment" novalidate>${csrfField(d.csrfToken)}
      ${select({ name: 'health-owner', label: 'Who answers the health part', errors: e, blank: 'Choose an organisation', value: d.values['health-owner'] ?? d.myOrganisation, items: orgs })}
      ${select({ name: 'social-care-owner', label: 'Who answers the social care part', hint: 'Another organisation: the assessment is joint', errors: e, blank: 'Choose an organisation', value: d.values['social-care-owner'], items: orgs })}
      ${d.carers.length ? html`${checkboxes({ name: 'carers', label: "Offer a carer's assessment to", hint: 'Every carer has a right to an assessment of their own needs', errors: e, values: d.carersChosen, items: d.carers.map((c) => ({ value: c.reference, text: c.name })) })}
        ${select({ name: 'carer-owner', label: "Who does the carer's assessment", errors: e, blank: 'Choose an organisation', value: d.values['carer-owner'], items: orgs })}`
        : html`<p class="nhsuk-inset-text">No carer is recorded for ${d.personName}. If someone cares for them, record them as a carer so they can be offered a carer's assessment.</p>`}
      ${button('Start the joint assessment')}</form>` : open ? html`<p><a href="/assessments/${open.id}">Go to the joint assessment in progress</a></p>` : '';
  return html`${errorSummary(e)}<span class="nhsuk-caption-l">${d.personName}</span><h1>Joint assessment</h1>
    <p><a href="/people/${d.patientId}/plan">Care and support plan</a> · <a href="/people/${d.patientId}">Back to the record</a></p>
    ${list}${start}`;
}

export interface AssessmentPageData {
  personName: string;
  a: AssessmentView;
  offer: PlanOffer;
  carersDistrict?: string;
  done?: string;
  errors: FieldErrors;
  csrfToken: string;
}

/** One joint assessment: every part, who it is assigned to, who answered it and what; complete it; add the answers to the plan. */
export function assessmentBody(d: AssessmentPageData): Html {
  const a = d.a;
  const parts = table({
    caption: 'Parts of the assessment', responsive: true, head: ['Part', 'Assigned to', 'Status', 'Action or due date'],
    rows: a.parts.map((x) => [
      `${x.title}${x.carer ? ` (${x.carer.name})` : ''}`, x.owner.name, STATUS_TAG(x.status),
      x.mine ? html`<a href="/assessments/${a.id}/parts/${x.id}">Answer<span class="nhsuk-u-visually-hidden"> ${x.title}</span></a>` : x.due && x.status !== 'completed' ? `Due ${formatDate(x.due)}` : '',
    ]),
  });
  const carerParts = a.parts.filter((x) => x.code === 'carer');
  const carers = html`<section class="onestory-section" aria-labelledby="carers-title"><h2 id="carers-title">Carers</h2>
    ${carerParts.length ? html`<p>A carer's assessment was offered to ${carerParts.map((x) => x.carer?.name ?? 'their carer').join(' and ')}.</p>`
      : html`<p class="nhsuk-inset-text"><strong>No carer's assessment is part of this assessment.</strong> If someone cares for ${d.personName}, offer them one.</p>`}
    <p><a href="${carersSupportLink(d.carersDistrict)}">Carers' support services near ${d.personName}</a> (information, breaks and help for carers).</p></section>`;
  const offer = d.offer;
  const feed = !a.limited && a.parts.some((x) => x.answered) ? html`<section class="onestory-section" aria-labelledby="feed-title"><h2 id="feed-title">For the care and support plan</h2>
    ${summaryList([
      { key: 'About me', value: offer.aboutMe ?? 'Not answered yet' }, { key: 'What matters to me', value: offer.whatMatters ?? 'Not answered yet' },
      { key: 'Needs', value: offer.needs.length ? html`${offer.needs.map((n, i) => html`${i ? html`<br>` : ''}${n}`)}` : 'None answered yet' },
      { key: 'Carers involved', value: offer.carers.length ? offer.carers.map((c) => c.name).join(', ') : 'None' },
    ])}
    ${a.canComplete || a.status === 'completed' ? html`<form method="post" action="/assessments/${a.id}/plan" novalidate>${csrfField(d.csrfToken)}${button('Add these answers to the care plan', { variant: 'secondary' })}</form>` : ''}
    <p class="onestory-muted">Only what the plan does not say yet is added: about me and what matters where the plan is empty, needs not already listed, and the carers assessed as involved.</p></section>` : '';
  // Offered once every part is in (the record refuses it before, naming what is missing).
  const complete = a.canComplete && a.allAnswered ? html`<form method="post" action="/assessments/${a.id}/complete" novalidate>${csrfField(d.csrfToken)}<input type="hidden" name="version" value="${String(a.versionId)}">
    ${button('Complete the assessment')}</form>` : '';
  return html`${errorSummary(d.errors)}${banner(d.done)}<span class="nhsuk-caption-l">${d.personName}</span><h1>Joint assessment</h1>
    <p>${a.status === 'completed' ? tag('Complete', 'green') : tag('In progress', 'orange')} Started by ${a.startedBy}${a.startedAt ? ` on ${formatDate(a.startedAt)}` : ''}.
      ${a.limited ? html`<a href="/assessments">Back to assessments to answer</a>` : html`<a href="/people/${a.patientId}/plan">Care and support plan</a> · <a href="/people/${a.patientId}">Back to the record</a>`}</p>
    ${parts}
    ${a.limited
    ? html`<p class="nhsuk-inset-text">${String(a.partsNotShown)} other part${a.partsNotShown === 1 ? ' of this assessment is' : 's of this assessment are'} not shown to you: your organisation sees only the parts given to it, while it has them to answer. The staff who started the assessment see all of it.</p>`
    : a.partsNotShown ? html`<p class="nhsuk-inset-text">${a.partsNotShown} part${a.partsNotShown === 1 ? ' is' : 's are'} not shown to you.</p>` : ''}
    ${a.parts.map((x) => html`<section class="onestory-section" aria-labelledby="part-${x.id}"><h2 id="part-${x.id}">${x.title}${x.carer ? `: ${x.carer.name}` : ''}</h2>${answersOf(x)}</section>`)}
    ${carers}${feed}${complete || (a.canComplete ? html`<p class="onestory-muted">The assessment can be completed once every part is answered.</p>` : '')}`;
}

/** Answering one part (staff). */
export function answerPartBody(personName: string, a: AssessmentView, part: PartView, errors: FieldErrors, values: Record<string, string | undefined>, csrfToken: string): Html {
  return html`${errorSummary(errors)}<span class="nhsuk-caption-l">${personName}: joint assessment</span><h1>${part.title}${part.carer ? `: ${part.carer.name}` : ''}</h1>
    <p>Assigned to ${part.owner.name}. <a href="/assessments/${a.id}">Back to the assessment</a></p>
    ${partForm(`/assessments/${a.id}/parts/${part.id}`, part, html`<input type="hidden" name="version" value="${String(part.versionId)}">`, csrfToken, errors, values, false)}`;
}

/** Parts assigned to the user's organisation (staff): their assessment work list. */
export function toAnswerBody(rows: { assessmentId: string; part: PartView; personName: string }[], more: boolean, done?: string): Html {
  // Every part is also a task: the work list, filtered to this kind, has them all.
  const work = `/work?kind=${JOINT_ASSESSMENT_PART_KIND}`;
  return html`${banner(done)}<h1>Assessments to answer</h1>
    <p>Parts of joint assessments assigned to your organisation. They are also on <a href="${work}">your team's work</a>.</p>
    ${more ? notShownNote(`More than ${TO_ANSWER_LIMIT} parts are waiting: these are the ${TO_ANSWER_LIMIT} due soonest. Your team's work list has them all.`) : ''}
    ${rows.length ? table({
    caption: 'Parts to answer', captionHidden: true, responsive: true, head: ['Person', 'Part', 'Due', 'Action'],
    rows: rows.map((r) => [r.personName, `${r.part.title}${r.part.carer ? ` (${r.part.carer.name})` : ''}`, r.part.due ? formatDate(r.part.due) : 'No date',
      html`<a href="/assessments/${r.assessmentId}/parts/${r.part.id}">Answer<span class="nhsuk-u-visually-hidden"> ${r.part.title} for ${r.personName}</span></a>`]),
  }) : html`<p class="onestory-muted">No parts are waiting for your organisation.</p>`}`;
}

/** The person's own part in the portal: "about me", in plain English. */
export function myAssessmentBody(parts: { assessmentId: string; part: PartView }[], done: string | undefined, errors: FieldErrors, values: Record<string, string | undefined>, csrfToken: string): Html {
  const open = parts.find((x) => x.part.mine);
  const answered = parts.filter((x) => x.part.answered);
  return html`${errorSummary(errors)}${banner(done)}<h1>About me</h1>
    ${open ? html`<p>The people who care for you are working out together with you what help you need. Tell them about yourself and what matters to you, in your own words. Your answers go into your care and support plan.</p>
      ${partForm(`/my-assessment/parts/${open.part.id}`, open.part, html`<input type="hidden" name="version" value="${String(open.part.versionId)}">`, csrfToken, errors, values, true)}`
    : html`<p>${answered.length ? 'You have told the people who care for you about yourself.' : 'Nobody has asked you to fill in an assessment online.'}</p>`}
    ${answered.map((x) => html`<h2>What you told us</h2>${answersOf(x.part)}`)}
    <p><a href="/my-plan">See your care and support plan</a></p>`;
}
