/**
 * The few HTML pages identity serves itself: sign-in (for a browser sent to /oauth2/authorize
 * without a session) and the SMART standalone-launch patient picker. Plain forms, no script.
 */
import { htmlPageHeaders } from '../../page-headers.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Served with every page: the shared page headers (nosniff, no framing, no referrer, no-store) and a
 * CSP allowing no script, only the page's own inline style. No form-action: the forms lead, by
 * redirect, to the client app's registered redirect URI, which form-action would block.
 */
export const PAGE_HEADERS = htmlPageHeaders("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'");

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · OneStory</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input,select{width:100%;padding:.4rem}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b00020}</style>
</head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

export function signInPage(opts: { returnTo?: string; error?: string; username?: string; organizations?: { id: string; name: string }[] }): string {
  const orgs = opts.organizations?.length
    ? `<label for="organization">Organisation to act for</label><select id="organization" name="organization">${opts.organizations
      .map((o) => `<option value="${esc(o.id)}">${esc(o.name)}</option>`)
      .join('')}</select>`
    : '';
  return page(
    'Sign in',
    `${opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : ''}
<form method="post" action="/auth/sign-in">
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required value="${esc(opts.username ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
${orgs}${opts.returnTo ? `<input type="hidden" name="return_to" value="${esc(opts.returnTo)}">` : ''}
<button type="submit">Sign in</button></form>`,
  );
}

export function choosePatientPage(opts: { params: Record<string, string>; candidates?: { id: string; name: string }[]; error?: string; clientName: string }): string {
  const hidden = Object.entries(opts.params)
    .filter(([k]) => k !== 'patient')
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  const choice = opts.candidates
    ? opts.candidates.map((c) => `<label><input type="radio" name="patient" value="${esc(c.id)}" required> ${esc(c.name)}</label>`).join('')
    : '<label for="patient">Patient id</label><input id="patient" name="patient" required pattern="[A-Za-z0-9\\-.]{1,64}">';
  return page(
    'Choose a patient',
    `<p>${esc(opts.clientName)} asks to open one person's record.</p>${opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : ''}
<form method="get" action="/oauth2/authorize">${hidden}${choice}<button type="submit">Continue</button></form>`,
  );
}

export function errorPage(message: string): string {
  return page('This sign-in request cannot be completed', `<p class="error">${esc(message)}</p>`);
}
