import { html, trusted, type Html } from '../html.js';

/**
 * Form components of the NHS design system, and the one way every form reports errors: a list of
 * field errors, shown in the error summary at the top (each linking to its field) and again beside
 * the field, which keeps the user's answer.
 */
export interface FieldError {
  /** The id of the input the error is about (for a date input: its first box, e.g. `due-day`). */
  field: string;
  text: string;
}
export type FieldErrors = FieldError[];

export const errorOf = (errors: FieldErrors, field: string) => errors.find((e) => e.field === field || e.field.startsWith(`${field}-`));

export function errorSummary(errors: FieldErrors): Html {
  if (errors.length === 0) return html``;
  return html`<div class="nhsuk-error-summary" data-module="nhsuk-error-summary" aria-labelledby="error-summary-title" role="alert" tabindex="-1">
  <h2 class="nhsuk-error-summary__title" id="error-summary-title">There is a problem</h2>
  <div class="nhsuk-error-summary__body"><ul class="nhsuk-list nhsuk-error-summary__list">
    ${errors.map((e) => html`<li><a href="#${e.field}">${e.text}</a></li>`)}
  </ul></div>
</div>`;
}

/** The error message beside a field (empty when it has none). */
export function errorMessage(errors: FieldErrors, field: string): Html {
  const e = errorOf(errors, field);
  return e ? html`<span class="nhsuk-error-message" id="${field}-error"><span class="nhsuk-u-visually-hidden">Error:</span> ${e.text}</span>` : html``;
}

const groupClass = (errors: FieldErrors, field: string) => (errorOf(errors, field) ? 'nhsuk-form-group nhsuk-form-group--error' : 'nhsuk-form-group');
const describedBy = (...ids: (string | false | undefined)[]) => {
  const s = ids.filter(Boolean).join(' ');
  return s ? html` aria-describedby="${s}"` : html``;
};
const hintOf = (id: string, hint?: string | Html) => (hint ? html`<div class="nhsuk-hint" id="${id}-hint">${hint}</div>` : html``);

interface FieldOptions {
  /** The input's id and name. */
  name: string;
  label: string | Html;
  hint?: string | Html;
  errors: FieldErrors;
  /** Show the label as a page-level heading (a question page). */
  isPageHeading?: boolean;
}

function label(o: FieldOptions, forId = o.name): Html {
  return o.isPageHeading
    ? html`<h1 class="nhsuk-label-wrapper"><label class="nhsuk-label nhsuk-label--l" for="${forId}">${o.label}</label></h1>`
    : html`<label class="nhsuk-label" for="${forId}">${o.label}</label>`;
}

/** The hidden field every state-changing form carries. */
export const csrfField = (token: string): Html => html`<input type="hidden" name="csrf_token" value="${token}">`;

export function button(text: string, o: { variant?: 'secondary' | 'warning' | 'reverse'; name?: string; value?: string } = {}): Html {
  return html`<button class="nhsuk-button${o.variant ? ` nhsuk-button--${o.variant}` : ''}" data-module="nhsuk-button" type="submit"${o.name ? html` name="${o.name}" value="${o.value ?? ''}"` : ''}>${text}</button>`;
}

export function textInput(o: FieldOptions & { value?: string; width?: 2 | 3 | 4 | 5 | 10 | 20 | 30; autocomplete?: string; inputmode?: string }): Html {
  const err = errorOf(o.errors, o.name);
  const width = o.width ? ` nhsuk-input--width-${o.width}` : '';
  return html`<div class="${groupClass(o.errors, o.name)}">
  ${label(o)}${hintOf(o.name, o.hint)}${errorMessage(o.errors, o.name)}
  <input class="nhsuk-input${width}${err ? ' nhsuk-input--error' : ''}" id="${o.name}" name="${o.name}" type="text" value="${o.value ?? ''}"${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${describedBy(o.hint && `${o.name}-hint`, err && `${o.name}-error`)}>
</div>`;
}

/**
 * A textarea with the NHS character count: the limit is said in the hint and enforced on the
 * server (without JavaScript the count is not live, but the form still refuses an over-long answer
 * with an error and keeps the text).
 */
export function characterCount(o: FieldOptions & { value?: string; maxlength: number; rows?: number }): Html {
  const err = errorOf(o.errors, o.name);
  return html`<div class="nhsuk-form-group nhsuk-character-count" data-module="nhsuk-character-count" data-maxlength="${String(o.maxlength)}">
  <div class="${groupClass(o.errors, o.name)}">
  ${label(o)}${hintOf(o.name, o.hint)}${errorMessage(o.errors, o.name)}
  <textarea class="nhsuk-textarea nhsuk-js-character-count${err ? ' nhsuk-textarea--error' : ''}" id="${o.name}" name="${o.name}" rows="${String(o.rows ?? 5)}"${describedBy(o.hint && `${o.name}-hint`, `${o.name}-info`, err && `${o.name}-error`)}>${o.value ?? ''}</textarea>
  </div>
  <div class="nhsuk-hint nhsuk-character-count__message" id="${o.name}-info">You can enter up to ${o.maxlength.toLocaleString('en-GB')} characters</div>
</div>`;
}

export interface Choice {
  value: string;
  text: string | Html;
  hint?: string;
}

function choices(kind: 'radios' | 'checkboxes', o: FieldOptions & { items: Choice[]; checked: string[]; inline?: boolean; legendSize?: 's' | 'm' | 'l'; filter?: string }): Html {
  const err = errorOf(o.errors, o.name);
  const legendClass = o.isPageHeading ? 'nhsuk-fieldset__legend nhsuk-fieldset__legend--l' : `nhsuk-fieldset__legend nhsuk-fieldset__legend--${o.legendSize ?? 's'}`;
  const legend = o.isPageHeading ? html`<legend class="${legendClass}"><h1 class="nhsuk-fieldset__heading">${o.label}</h1></legend>` : html`<legend class="${legendClass}">${o.label}</legend>`;
  const type = kind === 'radios' ? 'radio' : 'checkbox';
  return html`<div class="${groupClass(o.errors, o.name)}">
  <fieldset class="nhsuk-fieldset"${describedBy(o.hint && `${o.name}-hint`, err && `${o.name}-error`)}>
    ${legend}${hintOf(o.name, o.hint)}${errorMessage(o.errors, o.name)}
    <div class="nhsuk-${kind}${o.inline ? ` nhsuk-${kind}--inline` : ''}" data-module="nhsuk-${kind}"${o.filter ? html` data-filter="${o.filter}"` : ''}>
      ${o.items.map((c, i) => {
        // The first item carries the field's own id, so the error summary's link lands on it.
        const id = i === 0 ? o.name : `${o.name}-${i + 1}`;
        return html`<div class="nhsuk-${kind}__item">
        <input class="nhsuk-${kind}__input" id="${id}" name="${o.name}" type="${type}" value="${c.value}"${o.checked.includes(c.value) ? trusted(' checked') : ''}${c.hint ? html` aria-describedby="${id}-item-hint"` : ''}>
        <label class="nhsuk-label nhsuk-${kind}__label" for="${id}">${c.text}</label>
        ${c.hint ? html`<div class="nhsuk-hint nhsuk-${kind}__hint" id="${id}-item-hint">${c.hint}</div>` : ''}
      </div>`;
      })}
    </div>
  </fieldset>
</div>`;
}

export const radios = (o: FieldOptions & { items: Choice[]; value?: string; inline?: boolean; legendSize?: 's' | 'm' | 'l' }) =>
  choices('radios', { ...o, checked: o.value ? [o.value] : [] });
/** `filter`: for a long list, the label of a box that narrows it by name as the user types (with JavaScript; the whole list without). */
export const checkboxes = (o: FieldOptions & { items: Choice[]; values: string[]; legendSize?: 's' | 'm' | 'l'; filter?: string }) =>
  choices('checkboxes', { ...o, checked: o.values });

export function select(o: FieldOptions & { items: Choice[]; value?: string; blank?: string }): Html {
  const err = errorOf(o.errors, o.name);
  return html`<div class="${groupClass(o.errors, o.name)}">
  ${label(o)}${hintOf(o.name, o.hint)}${errorMessage(o.errors, o.name)}
  <select class="nhsuk-select${err ? ' nhsuk-select--error' : ''}" id="${o.name}" name="${o.name}"${describedBy(o.hint && `${o.name}-hint`, err && `${o.name}-error`)}>
    ${o.blank !== undefined ? html`<option value="">${o.blank}</option>` : ''}
    ${o.items.map((c) => html`<option value="${c.value}"${c.value === o.value ? trusted(' selected') : ''}>${c.text}</option>`)}
  </select>
</div>`;
}

/** What a person typed into the three boxes of a date input, kept as typed. */
export interface DateParts {
  day?: string;
  month?: string;
  year?: string;
}

/**
 * The NHS three-box date input. The boxes are named `<name>-day`, `<name>-month`, `<name>-year`;
 * an error on the field (`<name>` or `<name>-day`…) marks all three.
 */
export function dateInput(o: FieldOptions & { value: DateParts; legendSize?: 's' | 'm' }): Html {
  const err = errorOf(o.errors, o.name);
  const box = (part: 'day' | 'month' | 'year', text: string, width: 2 | 4) => html`<div class="nhsuk-date-input__item">
      <div class="nhsuk-form-group">
        <label class="nhsuk-label nhsuk-date-input__label" for="${o.name}-${part}">${text}</label>
        <input class="nhsuk-input nhsuk-date-input__input nhsuk-input--width-${String(width)}${err ? ' nhsuk-input--error' : ''}" id="${o.name}-${part}" name="${o.name}-${part}" type="text" inputmode="numeric" value="${o.value[part] ?? ''}">
      </div>
    </div>`;
  return html`<div class="${groupClass(o.errors, o.name)}">
  <fieldset class="nhsuk-fieldset" role="group"${describedBy(o.hint && `${o.name}-hint`, err && `${o.name}-error`)}>
    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--${o.legendSize ?? 's'}">${o.label}</legend>
    ${hintOf(o.name, o.hint)}${errorMessage(o.errors, o.name)}
    <div class="nhsuk-date-input" id="${o.name}">
      ${box('day', 'Day', 2)}${box('month', 'Month', 2)}${box('year', 'Year', 4)}
    </div>
  </fieldset>
</div>`;
}

/**
 * Reads a three-box date: undefined when all boxes are empty; `{ error }` naming the problem in the
 * design system's words when it is not a real date; else the ISO date (YYYY-MM-DD).
 */
export function readDate(parts: DateParts, what: string): { date?: string; error?: string } {
  const [d, m, y] = [parts.day, parts.month, parts.year].map((x) => (x ?? '').trim());
  if (!d && !m && !y) return {};
  const missing = [!d && 'day', !m && 'month', !y && 'year'].filter(Boolean);
  if (missing.length) return { error: `${what} must include a ${missing.join(' and ')}` };
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return { error: `${what} must be a real date, like 27 3 2026` };
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const t = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== iso) return { error: `${what} must be a real date, like 27 3 2026` };
  return { date: iso };
}

/** The three boxes of a date input from a form or query, as typed. */
export const datePartsOf = (fields: Record<string, unknown>, name: string): DateParts => {
  const s = (k: string) => (typeof fields[k] === 'string' ? (fields[k] as string).slice(0, 10) : undefined);
  return { day: s(`${name}-day`), month: s(`${name}-month`), year: s(`${name}-year`) };
};

/** The three boxes of an ISO date, for a form showing a stored value. */
export const datePartsFrom = (iso?: string): DateParts => {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso ?? '');
  return m ? { day: String(Number(m[3])), month: String(Number(m[2])), year: m[1] } : {};
};
