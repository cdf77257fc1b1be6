import { html, trusted, type Html } from './html.js';

/** Served with every page: scripts and styles from this server only, no framing, nothing cached. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
};

export interface Viewer {
  name: string;
  /** Staff: "Community nurse, Kent Community Nursing"; residents and carers: a plain description. */
  detail: string;
  csrfToken: string;
  kind: 'staff' | 'resident' | 'proxy';
  /** Where the header's logo takes them: their first page (`homeOf`). */
  home: string;
}

export interface NavItem {
  href: string;
  text: string;
  current?: boolean;
}

export interface PageOptions {
  title: string;
  viewer?: Viewer;
  nav?: NavItem[];
  /** Shown above the main heading, inside the width container (back links, banners). */
  before?: Html;
  body: Html;
  /** true for pages with an error summary: the title starts "Error: ". */
  error?: boolean;
}

const NHS_LOGO = trusted(`<svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS"><title>NHS</title><path fill="currentcolor" d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"/></svg>`);
const USER_ICON = trusted('<svg class="nhsuk-icon nhsuk-icon--user" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="M12 1a11 11 0 1 1 0 22 11 11 0 0 1 0-22Zm0 2a9 9 0 0 0-5 16.5V18a4 4 0 0 1 4-4h2a4 4 0 0 1 4 4v1.5A9 9 0 0 0 12 3Zm0 3a3.5 3.5 0 1 1-3.5 3.5A3.4 3.4 0 0 1 12 6Z"/></svg>');

function header(o: PageOptions): Html {
  const v = o.viewer;
  const home = v ? v.home : '/sign-in';
  const account = v
    ? html`<nav class="nhsuk-header__account" aria-label="Account">
      <ul class="nhsuk-header__account-list">
        <li class="nhsuk-header__account-item">${USER_ICON} <span class="onestory-account-name">${v.name}</span> <span class="onestory-account-detail">${v.detail}</span></li>
        <li class="nhsuk-header__account-item">
          <form class="nhsuk-header__account-form" action="/sign-out" method="post">
            <input type="hidden" name="csrf_token" value="${v.csrfToken}">
            <button class="nhsuk-header__account-button">Sign out</button>
          </form>
        </li>
      </ul>
    </nav>`
    : '';
  const nav = o.nav?.length
    ? html`<nav class="nhsuk-header__navigation" aria-label="Menu">
    <div class="nhsuk-header__navigation-container nhsuk-width-container">
      <ul class="nhsuk-header__navigation-list">
        ${o.nav.map((n) => html`<li class="nhsuk-header__navigation-item${n.current ? ' nhsuk-header__navigation-item--current' : ''}">
          <a class="nhsuk-header__navigation-link" href="${n.href}"${n.current ? trusted(' aria-current="page"') : ''}>${n.current ? html`<strong class="nhsuk-header__navigation-item-current-fallback">${n.text}</strong>` : n.text}</a></li>`)}
        <li class="nhsuk-header__menu" hidden>
          <button class="nhsuk-header__menu-toggle nhsuk-header__navigation-link" id="toggle-menu" aria-expanded="false"><span class="nhsuk-u-visually-hidden">Browse </span>More</button>
        </li>
      </ul>
    </div>
  </nav>`
    : '';
  return html`<header class="nhsuk-header" data-module="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="${home}" aria-label="NHS OneStory homepage">${NHS_LOGO}<span class="nhsuk-header__service-name">OneStory</span></a>
    </div>
    ${account}
  </div>
  ${nav}
</header>`;
}

export function page(o: PageOptions): string {
  const doc = html`<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.error ? 'Error: ' : ''}${o.title} – OneStory</title>
<link rel="icon" href="/assets/images/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/nhsuk-frontend.min.css">
<link rel="stylesheet" href="/assets/onestory.css">
<script type="module" src="/assets/onestory.js"></script>
</head>
<body>
<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
${header(o)}
<div class="nhsuk-width-container">
${o.before ?? ''}
<main class="nhsuk-main-wrapper" id="maincontent" role="main" tabindex="-1">
${o.body}
</main>
</div>
<footer class="nhsuk-footer" role="contentinfo">
  <div class="nhsuk-width-container">
    <div class="nhsuk-footer__meta">
      <h2 class="nhsuk-u-visually-hidden">Support links</h2>
      <p class="nhsuk-body-s">OneStory: one shared care record for Kent and Medway. Every access is recorded. Synthetic demonstration data only.</p>
    </div>
  </div>
</footer>
</body>
</html>`;
  return doc.value;
}


/** A page for an error the user can do something about (or not), never a stack trace. */
export function errorPage(status: number, viewer: Viewer | undefined, title: string, message: string, nav?: NavItem[]): string {
  return page({
    title, viewer, nav,
    body: html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      <h1>${title}</h1><p>${message}</p>
      ${status >= 500 ? html`<p>Try again in a moment. If it keeps happening, contact the service desk and quote the time.</p>` : ''}
      <p><a href="/">Go to the start page</a></p></div></div>`,
  });
}
