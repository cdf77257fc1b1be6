import { html, type Html } from '../html.js';

/**
 * Previous and next links of the NHS pagination component, for keyset-paged lists: the server
 * knows the next page's cursor; "previous" is the first page (or a link the caller kept).
 */
export function pager(o: { previous?: { href: string; label?: string }; next?: { href: string; label?: string }; label?: string }): Html {
  if (!o.previous && !o.next) return html``;
  return html`<nav class="nhsuk-pagination" role="navigation" aria-label="${o.label ?? 'Pagination'}">
  ${o.previous ? html`<a href="${o.previous.href}" class="nhsuk-pagination__previous" rel="prev"><svg class="nhsuk-icon nhsuk-icon--arrow-left" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="M10.7 6.3c.4.4.4 1 0 1.4L7.4 11H19a1 1 0 0 1 0 2H7.4l3.3 3.3c.4.4.4 1 0 1.4a1 1 0 0 1-1.4 0l-5-5A1 1 0 0 1 4 12c0-.3.1-.5.3-.7l5-5a1 1 0 0 1 1.4 0Z"/></svg><span class="nhsuk-pagination__title">${o.previous.label ?? 'First page'}</span></a>` : ''}
  ${o.next ? html`<a href="${o.next.href}" class="nhsuk-pagination__next" rel="next"><span class="nhsuk-pagination__title">${o.next.label ?? 'Next page'}</span><svg class="nhsuk-icon nhsuk-icon--arrow-right" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="m14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z"/></svg></a>` : ''}
</nav>`;
}
