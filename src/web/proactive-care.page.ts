import { formatNhsNumber } from '../fhir/nhs-number.js';
import type { CaseFindingList } from '../proactive-care/case-finding.service.js';
import type { CohortMember, CohortResult, ShownCount } from '../proactive-care/cohort.service.js';
import type { RiskSummary } from '../proactive-care/risk-summary.service.js';
import { formatDate } from '../record-view/fhir-text.js';
import {
  button, checkboxes, csrfField, errorSummary, notificationBanner, radios, select, summaryList, table, tag, textInput, type Choice, type FieldErrors,
} from './components/index.js';
import { html, type Html } from './html.js';

const countText = (c: ShownCount): string => (c.suppressed ? 'fewer than 5' : (c.count ?? 0).toLocaleString('en-GB'));

const efiTag = (category?: string) =>
  category === 'severe' ? tag('Severe frailty', 'red') : category === 'moderate' ? tag('Moderate frailty', 'orange') : category === 'mild' ? tag('Mild frailty', 'yellow') : category === 'fit' ? tag('Fit', 'green') : html``;

function stepsTable(r: CohortResult): Html {
  return table({
    caption: 'People left after each criterion', head: ['Criterion', 'People left'],
    rows: r.steps.map((s) => [s.words, countText(s.count)]),
  });
}

function membersTable(members: CohortMember[], caption: string, mdt: boolean): Html {
  return table({
    caption, responsive: true,
    head: ['Name', 'NHS number', 'Age', 'Why they are on this list', ...(mdt ? ['Next step'] : [])],
    rows: members.map((m) => [
      html`<a href="/people/${m.id}">${m.name}</a>`,
      m.nhsNumber ? html`<span class="onestory-nowrap">${formatNhsNumber(m.nhsNumber)}</span>` : 'Not recorded',
      m.age !== undefined ? `${m.age}` : 'Not recorded',
      html`${efiTag(m.efiCategory)}<ul class="nhsuk-list nhsuk-list--bullet nhsuk-u-margin-bottom-0">${m.why.map((w) => html`<li>${w}</li>`)}</ul>`,
      ...(mdt ? [html`<a href="/mdt/add?patient=${encodeURIComponent(m.id)}">Add to an MDT meeting<span class="nhsuk-u-visually-hidden"> (${m.name})</span></a>`] : []),
    ]),
  });
}

/** What the list does not show by name, said in words (never silence). */
function notNamedText(r: CohortResult): Html {
  if (!r.notNamed.suppressed && !r.notNamed.count) return html``;
  return html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
    <p>${countText(r.notNamed)} more ${r.notNamed.count === 1 ? 'person matches' : 'people match'} whom you may not see by name: you have no care relationship with them. They are counted above, not listed.</p></div>`;
}

function computedText(r: CohortResult): Html {
  return r.computedAt
    ? html`<p class="nhsuk-body-s">Frailty (eFI), emergency admissions and carers as computed on ${formatDate(new Date(r.computedAt).toISOString())}; care plans and named professionals as recorded now.</p>`
    : html`<div class="nhsuk-warning-callout"><h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>Frailty not yet computed</span></h3><p>The frailty index has not been computed on this record yet, so nobody can be found by it. Ask your administrator to run <code>npx onestory efi compute</code>.</p></div>`;
}

export function caseFindingBody(l: CaseFindingList): Html {
  const scopeLinks = l.scopes.length > 1
    ? html`<nav aria-label="Practice or network"><ul class="nhsuk-list">${l.scopes.map((s) => {
        const current = l.scope && s.kind === l.scope.kind && s.id === l.scope.id;
        const words = `${s.kind === 'pcn' ? 'Primary care network: ' : 'Practice: '}${s.name}`;
        return html`<li>${current ? html`<strong aria-current="page">${words}</strong>` : html`<a href="/case-finding?scope=${encodeURIComponent(`${s.kind}:${s.id}`)}">${words}</a>`}</li>`;
      })}</ul></nav>`
    : html``;
  return html`<h1>Case finding: frailty</h1>
  <p>People aged 65 and over with moderate or severe frailty (electronic Frailty Index), at least one emergency admission in the last 12 months, and no active care plan${l.scope ? html` at <strong>${l.scope.name}</strong>` : ''}. Highest frailty first.</p>
  ${scopeLinks}
  ${computedText(l)}
  ${stepsTable(l)}
  <h2>People to consider</h2>
  ${l.members.length === 0
    ? html`<p>${l.named === 0 ? 'Nobody you may see by name is on this list.' : 'There is nobody on this list.'}</p>`
    : membersTable(l.members, `People to consider for a care plan (${l.named.toLocaleString('en-GB')})`, true)}
  ${l.named > l.members.length ? html`<p>The first ${l.members.length} of ${l.named.toLocaleString('en-GB')} are shown. <a href="/cohorts">Build a cohort</a> to narrow the list.</p>` : ''}
  ${notNamedText(l)}`;
}

export interface CohortForm {
  age?: string;
  district?: string;
  practice?: string;
  pcn?: string;
  condition?: string;
  efi: string[];
  admissions?: string;
  quintile: string[];
  carePlan: boolean;
  namedProfessional: boolean;
  carer?: string;
  name?: string;
}

export function cohortsBody(o: {
  form: CohortForm; errors: FieldErrors; result?: CohortResult; criteriaQuery: string; csrfToken: string; saved?: { id: string; members: string };
  districts: Choice[]; conditionSets: Choice[];
}): Html {
  const f = o.form;
  const r = o.result;
  return html`${errorSummary(o.errors)}
  ${o.saved ? notificationBanner({ kind: 'success', heading: 'Cohort saved', body: html`<p>Saved as <code>Group/${o.saved.id}</code> with ${o.saved.members} ${o.saved.members === '1' ? 'person' : 'people'}, as of today. It can be read on the FHIR API.</p>` }) : ''}
  <h1>Build a cohort</h1>
  <p>Choose criteria; the count left after each is shown in the order they are listed. You see by name only people in your care; everyone else is counted.</p>
  <form method="get" action="/cohorts" novalidate>
    ${textInput({ name: 'age', label: 'Age', hint: 'For example 65- (65 and over) or 65-79', errors: o.errors, value: f.age, width: 5 })}
    ${select({ name: 'district', label: 'District', errors: o.errors, items: o.districts, value: f.district, blank: 'Any district' })}
    ${textInput({ name: 'practice', label: 'GP practice', hint: 'Organisation id, for example the one in the address of its page', errors: o.errors, value: f.practice, width: 20 })}
    ${textInput({ name: 'pcn', label: 'Primary care network', hint: 'Organisation id', errors: o.errors, value: f.pcn, width: 20 })}
    ${select({ name: 'condition', label: 'Condition', hint: 'A code set from the electronic Frailty Index', errors: o.errors, items: o.conditionSets, value: f.condition, blank: 'Any condition' })}
    ${checkboxes({ name: 'efi', label: 'Frailty (eFI category)', errors: o.errors, values: f.efi, items: [
      { value: 'fit', text: 'Fit' }, { value: 'mild', text: 'Mild frailty' }, { value: 'moderate', text: 'Moderate frailty' }, { value: 'severe', text: 'Severe frailty' }] })}
    ${textInput({ name: 'admissions', label: 'Emergency admissions in the last 12 months, at least', hint: 'For example 1', errors: o.errors, value: f.admissions, width: 3, inputmode: 'numeric' })}
    ${checkboxes({ name: 'quintile', label: 'Deprivation quintile', hint: '1 is the most deprived fifth of neighbourhoods', errors: o.errors, values: f.quintile, items: ['1', '2', '3', '4', '5'].map((q) => ({ value: q, text: q })) })}
    ${checkboxes({ name: 'care-plan', label: 'Care plan', errors: o.errors, values: f.carePlan ? ['none'] : [], items: [{ value: 'none', text: 'No active care plan' }] })}
    ${checkboxes({ name: 'named-professional', label: 'Named professional', errors: o.errors, values: f.namedProfessional ? ['none'] : [], items: [{ value: 'none', text: 'No named professional' }] })}
    ${radios({ name: 'carer', label: 'Carer', errors: o.errors, value: f.carer ?? '', items: [{ value: '', text: 'Either' }, { value: 'has-carer', text: 'Has an unpaid carer on record' }, { value: 'no-carer', text: 'No unpaid carer on record' }] })}
    ${button('Count', { variant: 'secondary' })}
  </form>
  ${r ? html`<h2>Result</h2>
    ${computedText(r)}
    ${stepsTable(r)}
    ${r.members.length > 0 ? membersTable(r.members, `People you may see by name (${r.named.toLocaleString('en-GB')})`, false) : html`<p>${r.named === 0 ? 'Nobody you may see by name is in this cohort.' : ''}</p>`}
    ${r.named > r.members.length ? html`<p>The first ${r.members.length} of ${r.named.toLocaleString('en-GB')} are shown.</p>` : ''}
    ${notNamedText(r)}
    ${r.criteria.length > 0 ? html`<h2>Save this cohort</h2>
      <p>A saved cohort is a FHIR Group of the people in it today, with its criteria and the day. It can be saved only when you may see everyone in it by name.</p>
      <form method="post" action="/cohorts" novalidate>${csrfField(o.csrfToken)}
        <input type="hidden" name="criteria" value="${o.criteriaQuery}">
        ${textInput({ name: 'name', label: 'Name of the cohort', errors: o.errors, value: f.name, width: 30 })}
        ${button('Save cohort')}
      </form>` : ''}` : ''}`;
}

/** The record page's "Frailty and risk" card: the eFI with its category and deficits, and the simple markers beside it. */
export function frailtyCard(r: RiskSummary | undefined, age: number | undefined): Html {
  const body = r
    ? html`<p>${efiTag(r.category)} eFI ${r.score.toFixed(2)}: ${r.deficits.length} of 36 deficits</p>
      ${summaryList([
        { key: 'Deficits recorded', value: r.deficits.length ? r.deficits.map((d) => d.name).join(', ') : 'None recorded' },
        { key: 'Emergency admissions in the last 12 months', value: String(r.emergencyAdmissions) },
        { key: 'Medicines in the last 12 months', value: `${r.medicines}${r.medicines >= 5 ? ' (polypharmacy)' : ''}` },
        { key: 'Computed', value: `${formatDate(r.computed)}, from coded problems, observations and medicines on the record` },
      ])}`
    : html`<p>${age !== undefined && age < 65 ? 'The electronic Frailty Index is computed for people aged 65 and over.' : 'No frailty index is shown: it has not been computed for this person yet, or it is not shared with you.'}</p>`;
  return html`<section class="nhsuk-card" aria-labelledby="frailty-heading"><div class="nhsuk-card__content">
    <h2 class="nhsuk-card__heading" id="frailty-heading">Frailty and risk</h2>${body}</div></section>`;
}
