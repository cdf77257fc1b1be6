import { html, type Html } from '../html.js';

/**
 * The NHS notification banner: `success` after a form did what was asked (Post/Redirect/Get lands
 * on a page with it), `important` for something the user needs to know on this page.
 */
export function notificationBanner(o: { kind: 'success' | 'important'; heading: string | Html; body?: string | Html }): Html {
  const success = o.kind === 'success';
  return html`<div class="nhsuk-notification-banner${success ? ' nhsuk-notification-banner--success' : ''}" role="${success ? 'alert' : 'region'}" aria-labelledby="nhsuk-notification-banner-title" data-module="nhsuk-notification-banner">
  <div class="nhsuk-notification-banner__header"><h2 class="nhsuk-notification-banner__title" id="nhsuk-notification-banner-title">${success ? 'Success' : 'Important'}</h2></div>
  <div class="nhsuk-notification-banner__content">
    <p class="nhsuk-notification-banner__heading">${o.heading}</p>
    ${o.body ? html`<p class="nhsuk-body">${o.body}</p>` : ''}
  </div>
</div>`;
}
