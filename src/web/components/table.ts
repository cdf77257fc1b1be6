import { html, type Html } from '../html.js';

export interface TableOptions {
  caption: string | Html;
  /** Hide the caption visually (it still names the table for screen readers). */
  captionHidden?: boolean;
  head: (string | Html)[];
  rows: (string | Html)[][];
  /** Stack each row as a card on small screens (the design system's responsive table). */
  responsive?: boolean;
}

/** An NHS table; responsive tables repeat each column's heading in its cells for narrow screens. */
export function table(o: TableOptions): Html {
  const caption = html`<caption class="nhsuk-table__caption${o.captionHidden ? ' nhsuk-u-visually-hidden' : ''}">${o.caption}</caption>`;
  if (o.responsive) {
    return html`<table class="nhsuk-table-responsive">${caption}
  <thead class="nhsuk-table__head"><tr role="row">${o.head.map((h) => html`<th role="columnheader" scope="col">${h}</th>`)}</tr></thead>
  <tbody class="nhsuk-table__body">${o.rows.map((r) => html`<tr role="row" class="nhsuk-table__row">${r.map((c, i) => html`<td role="cell" class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" aria-hidden="true">${o.head[i]} </span>${c}</td>`)}</tr>`)}</tbody>
</table>`;
  }
  return html`<table class="nhsuk-table">${caption}
  <thead class="nhsuk-table__head"><tr class="nhsuk-table__row">${o.head.map((h) => html`<th class="nhsuk-table__header" scope="col">${h}</th>`)}</tr></thead>
  <tbody class="nhsuk-table__body">${o.rows.map((r) => html`<tr class="nhsuk-table__row">${r.map((c) => html`<td class="nhsuk-table__cell">${c}</td>`)}</tr>`)}</tbody>
</table>`;
}
