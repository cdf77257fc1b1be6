import { button, csrfField, dateInput, errorSummary, notificationBanner, select, table, textInput, type DateParts, type FieldErrors } from './components/index.js';
import { html, type Html } from './html.js';
import type { SubmittedComputation } from '../outcomes/indicator.definitions.js';
import type { Indicator } from '../outcomes/indicator.registry.js';
import type { Place } from '../outcomes/place.directory.js';
import type { SubmittedVersion } from '../outcomes/submitted-figure.service.js';

/**
 * /outcomes/:id/submit: the form a partner submits (or corrects) a figure with, and every figure
 * already submitted for the indicator with who, when and which version. The fields are what the
 * indicator's scoring needs (submitted-figure.rules.ts); an error shows the summary and keeps answers.
 */

export interface SubmitFormValues {
  place?: string;
  periodStart: DateParts;
  periodEnd: DateParts;
  numerator?: string;
  denominator?: string;
  value?: string;
}

export interface SubmitPageData {
  indicator: Indicator & { computation: SubmittedComputation };
  places: Place[];
  versions: SubmittedVersion[];
  values: SubmitFormValues;
  errors: FieldErrors;
  csrfToken: string;
  done?: { version: number; unchanged: boolean };
}

const day = (iso: string) => new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const dayTime = (iso: string) => `${day(iso)}, ${new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' })}`;
const periodWords = (p: { start: string; end: string }) => `${day(p.start)} to ${day(p.end)}`;

/** A submitted version's figure in words. */
export function versionFigure(i: Indicator, v: Pick<SubmittedVersion, 'numerator' | 'denominator' | 'value'>): string {
  const c = i.computation as SubmittedComputation;
  if (c.scoring === 'count') return `${v.value ?? ''}`;
  if (c.scoring === 'score') return `${v.value ?? ''}`;
  return `${v.value ?? ''}%${v.numerator !== null && v.denominator !== null ? ` (${v.numerator} of ${v.denominator})` : ''}`;
}

export function submitBody(d: SubmitPageData): Html {
  const i = d.indicator;
  const c = i.computation;
  const v = d.values;
  const figureFields = c.scoring === 'proportion'
    ? html`<fieldset class="nhsuk-fieldset">
        <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">The figure</legend>
        <div class="nhsuk-hint">Give the numerator and the denominator (the percentage is worked out from them), or the percentage alone if that is all the return gives.</div>
        ${textInput({ name: 'numerator', label: `Numerator: ${c.numerator ?? 'numerator'}`, value: v.numerator, errors: d.errors, width: 10, inputmode: 'numeric' })}
        ${textInput({ name: 'denominator', label: `Denominator: ${c.denominator ?? 'denominator'}`, value: v.denominator, errors: d.errors, width: 10, inputmode: 'numeric' })}
        ${textInput({ name: 'value', label: 'Or the percentage', hint: 'From 0 to 100, for example 6.4', value: v.value, errors: d.errors, width: 5, inputmode: 'decimal' })}
      </fieldset>`
    : textInput({ name: 'value', label: c.scoring === 'count' ? 'The count' : 'The score', hint: c.scoring === 'count' ? 'A whole number' : 'A number, 0 or more', value: v.value, errors: d.errors, width: 10, inputmode: c.scoring === 'count' ? 'numeric' : 'decimal' });
  return html`<div class="nhsuk-back-link"><a class="nhsuk-back-link__link" href="/outcomes/${i.id}">${i.id} ${i.name}</a></div>
  ${errorSummary(d.errors)}
  ${d.done ? notificationBanner({
    kind: 'success',
    heading: d.done.unchanged ? 'That figure was already submitted: nothing changed' : d.done.version === 1 ? 'Figure submitted' : `Figure corrected: this is version ${d.done.version}`,
    body: d.done.unchanged ? 'The figure you sent is the same as the latest version, so no new version was made.' : 'ICB analysts see it on the outcomes dashboard now. Earlier versions are kept below.',
  }) : ''}
  <h1><span class="nhsuk-caption-l">${i.id} · Submit a figure</span>${i.name}</h1>
  <p>Figures for this indicator are submitted by ${c.owner}: ${c.why}. A figure for a place and period that already has one corrects it: a new version is made and the earlier one is kept.</p>
  <form method="post" action="/outcomes/${i.id}/submit" novalidate>
    ${csrfField(d.csrfToken)}
    ${select({ name: 'place', label: 'Place', hint: 'A council submits for places in its own area', items: d.places.map((p) => ({ value: p.id, text: p.name })), value: v.place, blank: 'Choose a place', errors: d.errors })}
    ${dateInput({ name: 'periodStart', label: 'First day of the period', hint: 'The 1st of a month, for example 1 9 2024', value: v.periodStart, errors: d.errors })}
    ${dateInput({ name: 'periodEnd', label: 'Last day of the period', hint: 'The last day of a month, at most 12 months after the start, for example 31 8 2025', value: v.periodEnd, errors: d.errors })}
    ${figureFields}
    ${button('Submit the figure')}
  </form>
  <section class="onestory-section" aria-labelledby="submitted">
    <h2 id="submitted">Figures submitted</h2>
    ${d.versions.length === 0 ? html`<p>No figure submitted yet by ${c.owner}.</p>` : table({
      caption: `Every version of the figures submitted for ${i.id}, newest first`, responsive: true,
      head: ['Place', 'Period', 'Figure', 'Version', 'Submitted by', 'When'],
      rows: d.versions.map((x) => [x.placeName, periodWords(x.period), versionFigure(i, x), String(x.version), `${x.by}, ${x.organisation}`, dayTime(x.at)]),
    })}
  </section>`;
}
