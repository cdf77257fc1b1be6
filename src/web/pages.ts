import type { AccessVisit } from '../access/audit/access-log.grouping.js';
import { BREAK_GLASS_REASONS, type BreakGlassGrant } from '../access/policy/index.js';
import { ROLE_NAMES, type StaffRole } from '../access/principal.js';
import { formatDate, formatDateTime, humanName } from '../record-view/fhir-text.js';
import type { CaseloadPerson } from '../record-view/caseload.service.js';
import type { PersonSearchResult } from '../record-view/person-search.service.js';
import { typeWords } from '../record-view/type-words.js';
import { formatNhsNumber, NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import { html, type Html } from './html.js';
import { notificationBanner } from './components/notification-banner.js';
import { pager } from './components/pager.js';
import { table } from './components/table.js';
import { errorSummary } from './components/form.js';

export type FieldErrors = { field: string; text: string }[];

const fieldError = (errors: FieldErrors, field: string): Html => {
  const e = errors.find((x) => x.field === field);
  return e ? html`<span class="nhsuk-error-message" id="${field}-error"><span class="nhsuk-u-visually-hidden">Error:</span> ${e.text}</span>` : html``;
};
const groupClass = (errors: FieldErrors, ...fields: string[]) => (errors.some((e) => fields.includes(e.field)) ? 'nhsuk-form-group nhsuk-form-group--error' : 'nhsuk-form-group');
const inputClass = (errors: FieldErrors, field: string, base: string) => (errors.some((e) => e.field === field) ? `${base} nhsuk-input--error` : base);
const described = (errors: FieldErrors, field: string, hint?: string) =>
  [hint, errors.some((e) => e.field === field) ? `${field}-error` : undefined].filter(Boolean).join(' ') || undefined;

/** The sign-in form; `notice` is something to know before signing in (OneStory is still starting up), not a mistake in the form. */
export function signInBody(o: { error?: string; notice?: string; username?: string; organizations?: { id: string; name: string }[] }): Html {
  const errors: FieldErrors = o.error ? [{ field: 'username', text: o.error }] : [];
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(errors)}
  ${o.notice ? notificationBanner({ kind: 'important', heading: o.notice }) : ''}
  <h1>Sign in to OneStory</h1>
  <p>Staff sign in to the care workspace. Residents and carers sign in to see their own record.</p>
  <form method="post" action="/sign-in" novalidate data-loading="Signing in…">
    <div class="${groupClass(errors, 'username')}">
      <label class="nhsuk-label" for="username">User name</label>
      ${fieldError(errors, 'username')}
      <input class="${inputClass(errors, 'username', 'nhsuk-input nhsuk-u-width-two-thirds')}" id="username" name="username" type="text" autocomplete="username" spellcheck="false" value="${o.username ?? ''}"${described(errors, 'username') ? html` aria-describedby="${described(errors, 'username')}"` : ''}>
    </div>
    <div class="nhsuk-form-group">
      <label class="nhsuk-label" for="password">Password</label>
      <input class="nhsuk-input nhsuk-u-width-two-thirds" id="password" name="password" type="password" autocomplete="current-password">
    </div>
    ${o.organizations?.length ? html`<div class="nhsuk-form-group"><label class="nhsuk-label" for="organization">Organisation you are acting for</label>
      <select class="nhsuk-select" id="organization" name="organization">${o.organizations.map((x) => html`<option value="${x.id}">${x.name}</option>`)}</select></div>` : ''}
    <button class="nhsuk-button" data-module="nhsuk-button" type="submit">Sign in</button>
  </form>
  <div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
    <p>Demonstration accounts are printed on the console when OneStory starts. All data here is synthetic.</p></div>
  <h2 class="nhsuk-heading-m">Looking for local help?</h2>
  <p>You do not need to sign in to <a href="/services">find help near me</a>: local groups, advice and support in Kent and Medway, with their phone numbers.</p>
  </div></div>`;
}

export interface SearchForm {
  mode: 'nhs' | 'name';
  nhsNumber?: string;
  name?: string;
  day?: string;
  month?: string;
  year?: string;
  postcode?: string;
}

export function searchBody(form: SearchForm, errors: FieldErrors, result?: PersonSearchResult): Html {
  const nhsHint = 'nhs-number-hint nhs-number-status';
  const results = result ? resultsBlock(form, result) : html``;
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(errors)}
  <h1>Find a person</h1>
  <form method="get" action="/people" novalidate data-loading="Searching…" aria-label="Find by NHS number">
    <input type="hidden" name="by" value="nhs">
    <div class="${groupClass(errors, 'nhs-number')}">
      <h2 class="nhsuk-label-wrapper"><label class="nhsuk-label nhsuk-label--m" for="nhs-number">By NHS number</label></h2>
      <div class="nhsuk-hint" id="nhs-number-hint">For example, 999 123 4567. It is checked as you type.</div>
      ${fieldError(errors, 'nhs-number')}
      <input class="${inputClass(errors, 'nhs-number', 'nhsuk-input nhsuk-input--width-10')}" id="nhs-number" name="nhs-number" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" maxlength="14"
        value="${form.mode === 'nhs' ? form.nhsNumber ?? '' : ''}" aria-describedby="${described(errors, 'nhs-number', nhsHint)}" data-nhs-number="nhs-number-status">
      <span id="nhs-number-status" class="onestory-nhs-status" aria-live="polite"></span>
    </div>
    <button class="nhsuk-button" data-module="nhsuk-button" type="submit">Search by NHS number</button>
  </form>
  <form method="get" action="/people" novalidate data-loading="Searching…" aria-label="Find by name and date of birth">
    <input type="hidden" name="by" value="name">
    <h2 class="nhsuk-heading-m">Or by name and date of birth</h2>
    <div class="${groupClass(errors, 'name')}">
      <label class="nhsuk-label" for="name">Name</label>
      ${fieldError(errors, 'name')}
      <input class="${inputClass(errors, 'name', 'nhsuk-input nhsuk-u-width-two-thirds')}" id="name" name="name" type="text" autocomplete="off" spellcheck="false" value="${form.mode === 'name' ? form.name ?? '' : ''}"${described(errors, 'name') ? html` aria-describedby="${described(errors, 'name')}"` : ''}>
    </div>
    <div class="${groupClass(errors, 'birth-date')}">
      <fieldset class="nhsuk-fieldset" role="group" aria-describedby="${described(errors, 'birth-date', 'birth-date-hint')}">
        <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Date of birth</legend>
        <div class="nhsuk-hint" id="birth-date-hint">For example, 14 5 1941</div>
        ${fieldError(errors, 'birth-date')}
        <div class="nhsuk-date-input" id="birth-date">
          <div class="nhsuk-date-input__item"><div class="nhsuk-form-group"><label class="nhsuk-label nhsuk-date-input__label" for="birth-date-day">Day</label>
            <input class="nhsuk-input nhsuk-date-input__input nhsuk-input--width-2" id="birth-date-day" name="day" type="text" inputmode="numeric" value="${form.mode === 'name' ? form.day ?? '' : ''}"></div></div>
          <div class="nhsuk-date-input__item"><div class="nhsuk-form-group"><label class="nhsuk-label nhsuk-date-input__label" for="birth-date-month">Month</label>
            <input class="nhsuk-input nhsuk-date-input__input nhsuk-input--width-2" id="birth-date-month" name="month" type="text" inputmode="numeric" value="${form.mode === 'name' ? form.month ?? '' : ''}"></div></div>
          <div class="nhsuk-date-input__item"><div class="nhsuk-form-group"><label class="nhsuk-label nhsuk-date-input__label" for="birth-date-year">Year</label>
            <input class="nhsuk-input nhsuk-date-input__input nhsuk-input--width-4" id="birth-date-year" name="year" type="text" inputmode="numeric" value="${form.mode === 'name' ? form.year ?? '' : ''}"></div></div>
        </div>
      </fieldset>
    </div>
    <div class="${groupClass(errors, 'postcode')}">
      <label class="nhsuk-label" for="postcode">Postcode (optional)</label>
      ${fieldError(errors, 'postcode')}
      <input class="${inputClass(errors, 'postcode', 'nhsuk-input nhsuk-input--width-10')}" id="postcode" name="postcode" type="text" autocomplete="off" value="${form.mode === 'name' ? form.postcode ?? '' : ''}"${described(errors, 'postcode') ? html` aria-describedby="${described(errors, 'postcode')}"` : ''}>
    </div>
    <button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit">Search by name</button>
  </form>
  </div></div>
  ${results}`;
}

function resultsBlock(form: SearchForm, r: PersonSearchResult): Html {
  if (r.matches.length === 0) {
    if (r.unrelated) {
      return html`<section aria-labelledby="results-title"><h2 id="results-title">No one you are caring for</h2>
        <div class="nhsuk-warning-callout"><h3 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>No care relationship</span></h3>
        <p>A record exists for NHS number ${formatNhsNumber(form.nhsNumber?.replace(/\D/g, '') ?? '')}, but your organisation has no recorded care relationship with this person.</p>
        <p>If you are caring for them now and cannot wait, you can request emergency access. It is audited, reviewed, and shown to the person.</p>
        <a class="nhsuk-button nhsuk-button--warning" data-module="nhsuk-button" href="/people/${r.unrelated.patientId}/break-glass">Request emergency access</a></div></section>`;
    }
    return html`<section aria-labelledby="results-title"><h2 id="results-title">No results</h2>
      <p>No one you have a care relationship with matches. Check the details and try again.</p>
      ${form.mode === 'name' ? html`<p>If you are providing care now, search by NHS number to request emergency access.</p>` : ''}</section>`;
  }
  return html`<section aria-labelledby="results-title"><h2 id="results-title">${r.matches.length} ${r.matches.length === 1 ? 'person' : 'people'} found</h2>
    ${r.more ? html`<p>More people match than are shown. Add a postcode or check the date of birth to narrow the search.</p>` : ''}
    <table class="nhsuk-table-responsive"><caption class="nhsuk-table__caption nhsuk-u-visually-hidden">People found</caption>
    <thead class="nhsuk-table__head"><tr role="row"><th role="columnheader" scope="col">Name</th><th role="columnheader" scope="col">NHS number</th><th role="columnheader" scope="col">Date of birth</th><th role="columnheader" scope="col">Postcode</th><th role="columnheader" scope="col">GP practice</th></tr></thead>
    <tbody class="nhsuk-table__body">${r.matches.map((m) => html`<tr role="row" class="nhsuk-table__row">
      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Name </span><a href="/people/${m.id}">${m.name}</a></td>
      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">NHS number </span>${m.nhsNumber ? formatNhsNumber(m.nhsNumber) : 'Not recorded'}</td>
      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Date of birth </span>${formatDate(m.birthDate)}${m.age !== undefined ? ` (${m.age})` : ''}</td>
      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">Postcode </span>${m.postcode ?? ''}</td>
      <td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">GP practice </span>${m.gp ?? ''}</td></tr>`)}</tbody></table></section>`;
}

export function breakGlassBody(patientId: string, csrfToken: string, errors: FieldErrors, values: { reason?: string; text?: string }): Html {
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(errors)}
  <h1>Request emergency access</h1>
  <div class="nhsuk-warning-callout"><h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>This access is audited</span></h2>
    <p>You have no recorded care relationship with this person. Emergency access (break-glass) lets you see their record for 4 hours.
    Your name, role, organisation, reason and every view are recorded, reviewed by the privacy officer, and shown to the person.</p>
    <p>It does not show information labelled as sensitive, and misuse is a disciplinary matter.</p></div>
  <form method="post" action="/people/${patientId}/break-glass" novalidate data-loading="Requesting…">
    <input type="hidden" name="csrf_token" value="${csrfToken}">
    <div class="${groupClass(errors, 'reason')}">
      <fieldset class="nhsuk-fieldset"${errors.some((e) => e.field === 'reason') ? html` aria-describedby="reason-error"` : ''}>
        <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m"><h2 class="nhsuk-fieldset__heading">Why do you need access now?</h2></legend>
        ${fieldError(errors, 'reason')}
        <div class="nhsuk-radios" data-module="nhsuk-radios" id="reason">
          ${Object.entries(BREAK_GLASS_REASONS).map(([code, label], i) => html`<div class="nhsuk-radios__item">
            <input class="nhsuk-radios__input" id="reason-${i + 1}" name="reason" type="radio" value="${code}"${values.reason === code ? html` checked` : ''}>
            <label class="nhsuk-label nhsuk-radios__label" for="reason-${i + 1}">${label}</label></div>`)}
        </div>
      </fieldset>
    </div>
    <div class="${groupClass(errors, 'text')}">
      <label class="nhsuk-label nhsuk-label--s" for="text">Your statement</label>
      <div class="nhsuk-hint" id="text-hint">Say what is happening and why you cannot wait. At least 10 characters. The person will be able to read this.</div>
      ${fieldError(errors, 'text')}
      <textarea class="nhsuk-textarea${errors.some((e) => e.field === 'text') ? ' nhsuk-textarea--error' : ''}" id="text" name="text" rows="4" aria-describedby="${described(errors, 'text', 'text-hint')}">${values.text ?? ''}</textarea>
    </div>
    <button class="nhsuk-button nhsuk-button--warning" data-module="nhsuk-button" type="submit">I understand: open the record</button>
    <p><a href="/people">Cancel and go back to search</a></p>
  </form></div></div>`;
}

const sameDay = (a: string, b: string) => a.slice(0, 10) === b.slice(0, 10);
const clock = (iso: string) => iso.slice(11, 16);

/** When a visit happened: one time, or from its first access to its last. */
function visitWhen(v: AccessVisit): Html {
  const latest = html`<time datetime="${v.latest}">${formatDateTime(v.latest)}</time>`;
  if (v.times === 1 || v.earliest === v.latest) return latest;
  if (sameDay(v.earliest, v.latest)) return html`${formatDate(v.latest)}, <time datetime="${v.earliest}">${clock(v.earliest)}</time> to <time datetime="${v.latest}">${clock(v.latest)}</time>`;
  return html`<time datetime="${v.earliest}">${formatDateTime(v.earliest)}</time> to ${latest}`;
}

/** Who, in plain words: staff by role and organisation (never by name), a carer by name. */
function visitWho(v: AccessVisit): string {
  const org = v.organisation?.name ?? v.organisation?.id;
  switch (v.who.kind) {
    case 'resident':
      return 'You';
    case 'carer':
      return v.who.name ? `Your carer ${v.who.name}` : 'Your carer';
    case 'system':
      return org ? `A computer system at ${org}` : 'A computer system';
    case 'anonymous':
      return 'Someone who was not signed in';
    default:
      return org ? `${v.role.display}, ${org}` : v.role.display;
  }
}

/** "your record", or the kinds of entry looked at: "your medicines and allergies". */
function visitSubject(types: string[]): string {
  const words = [...new Set(types.filter((t) => t !== 'Patient').map(typeWords))];
  if (words.length === 0) return 'your record';
  return `your ${words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`}`;
}

/** What they did, as a sentence: "Viewed your record 7 times", "Asked for emergency access and was refused". */
function visitWhat(v: AccessVisit): string {
  const subject = visitSubject(v.types);
  const times = v.times > 1 ? ` ${v.times} times` : '';
  const refused = v.outcome === 'failure';
  switch (v.kind) {
    case 'view':
      return refused ? `Tried to view ${subject}${times} and was refused` : `Viewed ${subject}${times}`;
    case 'change':
      return refused ? `Tried to change ${subject}${times} and was refused` : `Added to or changed ${subject}${times}`;
    case 'export':
      return refused ? `Tried to copy ${subject} in a bulk export and was refused` : `Copied ${subject} in a bulk export${times}`;
    case 'emergency-access':
      return refused ? `Asked for emergency access${times} and was refused` : 'Used emergency access to open your record';
    default:
      return `${v.outcome === 'failure' ? 'Was refused: ' : ''}Other request${times}`;
  }
}

/**
 * "Who has looked at my record": one row per visit (repeated accesses grouped), in plain words.
 * A granted emergency access shows the reason given; a refused one never shows its statement.
 */
export function accessLogBody(visits: AccessVisit[], pages: { next?: string; later: boolean }, whose: string): Html {
  const rows = visits.map((v) => [
    visitWhen(v),
    visitWho(v),
    visitWhat(v),
    v.reason ? html`<strong class="nhsuk-tag nhsuk-tag--orange">Emergency access</strong> <span class="onestory-access-log__statement">${v.reason}</span>` : '',
  ]);
  return html`<h1>Who has looked at ${whose} record</h1>
  <p>Every time someone opens or searches ${whose} record, it is recorded here: the organisation, their role and when. Repeated looks by the same person within half an hour are shown together. If someone used emergency access, you also see the reason they gave.</p>
  <p>If you think someone looked at ${whose} record without a good reason, contact your GP practice or the Kent and Medway data protection officer.</p>
  ${visits.length === 0 ? html`<p class="onestory-muted">${pages.later ? 'There are no older entries.' : `No one has looked at ${whose} record yet.`}</p>`
    : html`<div class="onestory-access-log">${table({ caption: pages.later ? 'Older entries, newest first' : 'Newest first', head: ['When (UTC)', 'Who', 'What they did', 'Reason'], rows, responsive: true })}</div>`}
  ${pager({
    label: 'Access log pages',
    ...(pages.later ? { previous: { href: '/my-access-log', label: 'Newest entries' } } : {}),
    ...(pages.next ? { next: { href: `/my-access-log?cursor=${encodeURIComponent(pages.next)}`, label: 'Older entries' } } : {}),
  })}`;
}

/** One unreviewed break-glass grant, as the privacy officer's review list shows it. */
export interface ReviewRow {
  grant: BreakGlassGrant & { person?: { name?: unknown; identifier?: unknown } };
  organisation: string;
}

/** "Margaret Hollis, NHS number 999 000 1006" for a Patient as stored; says so when the record is gone. */
function personLine(person: { name?: unknown; identifier?: unknown } | undefined): string {
  if (!person) return 'A record that has since been removed';
  const nhs = (person.identifier as { system?: string; value?: string }[] | undefined)?.find((i) => i?.system === NHS_NUMBER_SYSTEM)?.value;
  const name = humanName(person.name) || 'Name not recorded';
  return nhs ? `${name}, NHS number ${formatNhsNumber(nhs)}` : name;
}

/** The privacy officer's list of emergency accesses not yet reviewed, oldest first, each with a review form. */
export function breakGlassReviewBody(rows: ReviewRow[], csrfToken: string, errors: FieldErrors, reviewedId?: string): Html {
  const reasons = BREAK_GLASS_REASONS as Record<string, string>;
  const items = rows.map(({ grant: g, organisation }, i) => html`<div class="nhsuk-card"><div class="nhsuk-card__content">
    <h2 class="nhsuk-card__heading nhsuk-heading-m">${g.userName}, ${ROLE_NAMES[g.role as StaffRole] ?? g.role}</h2>
    <dl class="nhsuk-summary-list">
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Organisation</dt><dd class="nhsuk-summary-list__value">${organisation}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Whose record</dt><dd class="nhsuk-summary-list__value">${personLine(g.person)}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">When</dt><dd class="nhsuk-summary-list__value"><time datetime="${g.grantedAt}">${formatDateTime(g.grantedAt)}</time> (access until <time datetime="${g.expiresAt}">${formatDateTime(g.expiresAt)}</time>)</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Reason</dt><dd class="nhsuk-summary-list__value">${reasons[g.reasonCode] ?? g.reasonCode}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Their statement</dt><dd class="nhsuk-summary-list__value">${g.reasonText}</dd></div>
    </dl>
    <form method="post" action="/break-glass-review/${g.id}" novalidate data-loading="Saving…">
      <input type="hidden" name="csrf_token" value="${csrfToken}">
      <div class="${groupClass(reviewedId === g.id ? errors : [], 'note')}">
        <label class="nhsuk-label" for="note-${i + 1}">Review note</label>
        <div class="nhsuk-hint" id="note-${i + 1}-hint">What you checked and what you concluded, for the audit trail.</div>
        ${reviewedId === g.id ? fieldError(errors, 'note') : ''}
        <textarea class="nhsuk-textarea" id="note-${i + 1}" name="note" rows="2" aria-describedby="note-${i + 1}-hint"></textarea>
      </div>
      <button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit">Mark as reviewed</button>
    </form></div></div>`);
  return html`${errorSummary(errors)}<h1>Emergency access to review</h1>
  <p>Every use of emergency access (break-glass) is listed here until a privacy officer has reviewed it. The person can see each one, with the statement, in their own access log.</p>
  ${rows.length === 0 ? html`<p class="onestory-muted">There is no emergency access waiting for review.</p>` : items}`;
}

/** "My people": the people this user or their organisation is recorded as caring for, by family name, paged. */
export function caseloadBody(c: { people: CaseloadPerson[]; next?: string }, orgName: string, paged: boolean): Html {
  const rows = c.people.map((p) => [
    html`<a href="/people/${p.id}">${p.name}</a>`,
    p.nhsNumber ? html`<span class="onestory-nowrap">${formatNhsNumber(p.nhsNumber)}</span>` : 'Not recorded',
    p.age !== undefined ? `${p.age}` : 'Not recorded',
    p.postcode ?? 'Not recorded',
  ]);
  return html`<h1>My people</h1>
  <p>The people you${orgName ? ` and ${orgName}` : ''} are recorded as caring for: registered with your practice, on a care team, in an open episode of care or referral, in hospital with you, or with open work for you. Anyone else can be found with <a href="/people">Find a person</a>.</p>
  ${c.people.length === 0
    ? html`<p>${paged ? 'There are no more people on this list.' : 'Nobody is recorded as in your care yet.'}</p>`
    : table({ caption: 'People in your care, by family name', captionHidden: true, responsive: true, head: ['Name', 'NHS number', 'Age', 'Postcode'], rows })}
  ${pager({ previous: paged ? { href: '/caseload', label: 'First page' } : undefined, next: c.next ? { href: `/caseload?cursor=${encodeURIComponent(c.next)}`, label: 'Next page' } : undefined, label: 'Pages of people' })}`;
}
