import { html, type Html } from '../html.js';

export interface SummaryRow {
  key: string;
  value: string | Html;
  /** A change link: the text is completed for screen readers with the row's key. */
  action?: { href: string; text: string };
}

/** An NHS summary list: key and value pairs (rows with an empty value say so rather than vanish). */
export function summaryList(rows: SummaryRow[], o: { noBorder?: boolean } = {}): Html {
  return html`<dl class="nhsuk-summary-list${o.noBorder ? ' nhsuk-summary-list--no-border' : ''}">
  ${rows.map((r) => html`<div class="nhsuk-summary-list__row">
    <dt class="nhsuk-summary-list__key">${r.key}</dt>
    <dd class="nhsuk-summary-list__value">${r.value === '' ? 'Not recorded' : r.value}</dd>
    ${r.action ? html`<dd class="nhsuk-summary-list__actions"><a href="${r.action.href}">${r.action.text}<span class="nhsuk-u-visually-hidden"> ${r.key.toLowerCase()}</span></a></dd>` : ''}
  </div>`)}
</dl>`;
}
