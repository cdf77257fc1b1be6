import { html } from './html.js';
import { page } from './layout.js';

/** Paths that belong to an API (answered in FHIR's or OAuth's shape), not to the web app. */
const API_PREFIXES = ['/fhir/', '/api/', '/auth/', '/oauth2/', '/.well-known/', '/assets/', '/healthz', '/bench/'];
const isApiPath = (url: string): boolean => API_PREFIXES.some((p) => url.startsWith(p) || url === p.replace(/\/$/, ''));

/** A browser asking for a page (Accept: text/html) at a path outside the APIs gets a page; API clients keep their JSON. */
export const wantsPage = (rawUrl: string, accept: string | undefined): boolean => !isApiPath(rawUrl) && /\btext\/html\b/.test(accept ?? '');

/** The web app's "Page not found", in the NHS design system's words, for any path that is not a page. */
export function notFoundPage(): string {
  return page({
    title: 'Page not found',
    body: html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      <h1>Page not found</h1>
      <p>If you typed the web address, check it is correct.</p>
      <p>If you pasted the web address, check you copied the entire address.</p>
      <p><a href="/">Go to the start page</a></p></div></div>`,
  });
}
