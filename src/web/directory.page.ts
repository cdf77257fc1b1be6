import type { HealthcareService, Location } from '@medplum/fhirtypes';
import { costOf, selfReferralOf } from '../directory/directory-index.table.js';
import type { DirectoryEntry, DirectoryRecord } from '../directory/directory.service.js';
import { SERVICE_KINDS } from '../directory/directory-taxonomy.js';
import { openingTimesInWords } from '../directory/opening-hours.js';
import { distanceMetres, kentPostcodeDistricts, type Point } from '../directory/postcode-geography.js';
import { freshnessOf, FRESHNESS_WORDS } from '../directory/service-freshness.js';
import { button, characterCount, csrfField, errorSummary, notificationBanner, pager, table, tag, textInput, type FieldErrors } from './components/index.js';
import { html, trusted, type Html } from './html.js';
import { DISTANCES, PER_PAGE, searchQueryString, WHEN, type ServiceSearchForm } from './service-search.form.js';

/** Who the directory pages speak to: staff in the workspace, or a resident (or anyone) not signed in. */
export type Audience = 'staff' | 'public';

export interface ResultRow {
  entry: DirectoryEntry;
  locations: Location[];
}

const phoneOf = (s: HealthcareService) => s.telecom?.find((t) => t.system === 'phone' && t.value)?.value;
const emailOf = (s: HealthcareService) => s.telecom?.find((t) => t.system === 'email' && t.value)?.value;
const telHref = (n: string) => `tel:${n.replace(/[^0-9+]/g, '')}`;

export function kilometres(m: number): string {
  return m < 1000 ? 'less than 1 km' : `about ${(m / 1000).toFixed(m < 10_000 ? 1 : 0)} km`;
}

function freshnessTag(s: HealthcareService, now: Date): Html {
  const f = freshnessOf(s, now);
  const colour = f.state === 'current' ? 'green' : f.state === 'possibly-out-of-date' ? 'yellow' : 'red';
  return tag(FRESHNESS_WORDS[f.state], colour);
}

function lastCheckedWords(s: HealthcareService, now: Date): string {
  const f = freshnessOf(s, now);
  const when = f.lastChecked ? new Date(`${f.lastChecked}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) : undefined;
  return when ? `Last checked ${when}` : 'Never checked: the details may be wrong';
}

function kindOf(s: HealthcareService): string | undefined {
  const code = s.type?.[0]?.coding?.[0]?.code;
  return code ? SERVICE_KINDS[code] : undefined;
}

/** A radio or checkbox group of the design system. */
function choices(o: { name: string; legend: string; type: 'radio' | 'checkbox'; items: [string, string][]; value: string[]; errors: FieldErrors; small?: boolean }): Html {
  const err = o.errors.find((e) => e.field === o.name);
  return html`<div class="nhsuk-form-group${err ? ' nhsuk-form-group--error' : ''}"><fieldset class="nhsuk-fieldset"${err ? html` aria-describedby="${o.name}-error"` : ''}>
    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">${o.legend}</legend>
    ${err ? html`<span class="nhsuk-error-message" id="${o.name}-error"><span class="nhsuk-u-visually-hidden">Error:</span> ${err.text}</span>` : ''}
    <div class="nhsuk-${o.type === 'radio' ? 'radios' : 'checkboxes'}${o.small ? ` nhsuk-${o.type === 'radio' ? 'radios' : 'checkboxes'}--small` : ''}">
    ${o.items.map(([v, label], i) => html`<div class="nhsuk-${o.type === 'radio' ? 'radios' : 'checkboxes'}__item">
      <input class="nhsuk-${o.type === 'radio' ? 'radios' : 'checkboxes'}__input" id="${i === 0 ? o.name : `${o.name}-${i + 1}`}" name="${o.name}" type="${o.type}" value="${v}"${o.value.includes(v) ? trusted(' checked') : ''}>
      <label class="nhsuk-label nhsuk-${o.type === 'radio' ? 'radios' : 'checkboxes'}__label" for="${i === 0 ? o.name : `${o.name}-${i + 1}`}">${label}</label></div>`)}
    </div></fieldset></div>`;
}

function searchForm(form: ServiceSearchForm, errors: FieldErrors, audience: Audience, action: string): Html {
  const kinds = Object.entries(SERVICE_KINDS).slice(0, 12);
  return html`<form method="get" action="${action}" novalidate class="onestory-service-search" data-loading="Searching…">
    ${textInput({ name: 'what', label: audience === 'public' ? 'What do you need help with?' : 'What (words)', hint: audience === 'public' ? 'For example: lonely, money worries, stop smoking, carer' : 'For example: befriending, debt advice, dementia', value: form.what, errors, width: 30 })}
    <div class="nhsuk-form-group${errors.some((e) => e.field === 'kind') ? ' nhsuk-form-group--error' : ''}">
      <label class="nhsuk-label" for="kind">${audience === 'public' ? 'Or choose a kind of help' : 'Kind of service'}</label>
      <select class="nhsuk-select" id="kind" name="kind"><option value="">Any kind</option>
      ${kinds.map(([code, words]) => html`<option value="${code}"${form.kind === code ? trusted(' selected') : ''}>${words}</option>`)}</select>
    </div>
    ${textInput({ name: 'postcode', label: audience === 'public' ? 'Your postcode' : 'Where (postcode)', hint: 'For example ME7 1AB. Leave it empty to search all of Kent and Medway.', value: form.postcode, errors, width: 10, autocomplete: 'postal-code' })}
    <div class="nhsuk-form-group${errors.some((e) => e.field === 'distance') ? ' nhsuk-form-group--error' : ''}">
      <label class="nhsuk-label" for="distance">${audience === 'public' ? 'How far can you travel?' : 'Within'}</label>
      <select class="nhsuk-select" id="distance" name="distance">${DISTANCES.map((d) => html`<option value="${d}"${form.distance === d ? trusted(' selected') : ''}>${d} km</option>`)}</select>
    </div>
    ${choices({ name: 'when', legend: audience === 'public' ? 'When do you need it?' : 'Open when', type: 'checkbox', items: Object.entries(WHEN), value: form.when, errors, small: true })}
    ${choices({ name: 'cost', legend: audience === 'public' ? 'Does it need to be free?' : 'Free or paid', type: 'radio', items: [['', 'Either'], ['free', 'Free'], ['paid', 'Paid']], value: [form.cost], errors, small: true })}
    ${choices({ name: 'referral', legend: audience === 'public' ? 'How do you want to get in touch?' : 'Referral route', type: 'radio', items: audience === 'public' ? [['', 'Any way'], ['self', 'I can contact them myself']] : [['', 'Any'], ['self', 'Self-referral'], ['professional', 'Professional referral only']], value: [form.referral], errors, small: true })}
    ${button('Search')}
  </form>`;
}

/** The results on a map of Kent and Medway: an SVG drawn on the server (no script, no tiles), with a table of the same. */
export function resultsMap(rows: ResultRow[], from: Point | undefined, offset: number): Html {
  const W = 640, H = 400, west = 0.0, east = 1.5, south = 50.9, north = 51.55;
  const x = (lon: number) => ((lon - west) / (east - west)) * W;
  const y = (lat: number) => ((north - lat) / (north - south)) * H;
  const towns = [...kentPostcodeDistricts().values()];
  const marks = rows.map((r, i) => {
    const located = r.locations.filter((l) => l.position);
    const nearest = from ? located.sort((a, b) => distanceMetres(from, { lat: a.position!.latitude, lon: a.position!.longitude }) - distanceMetres(from, { lat: b.position!.latitude, lon: b.position!.longitude }))[0] : located[0];
    return { n: offset + i + 1, row: r, at: nearest?.position ? { lat: nearest.position.latitude, lon: nearest.position.longitude } : undefined, place: nearest?.address?.city ?? nearest?.name };
  });
  const svg = html`<svg class="onestory-map" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="map-title map-desc" focusable="false">
    <title id="map-title">Map of the services found</title>
    <desc id="map-desc">Kent and Medway, with each service found numbered as in the list${from ? ' and your postcode marked with a cross' : ''}. The same information is in the table below the map.</desc>
    <rect x="0" y="0" width="${W}" height="${H}" fill="#e8edee"></rect>
    ${towns.map((t) => html`<circle cx="${x(t.lon).toFixed(1)}" cy="${y(t.lat).toFixed(1)}" r="2" fill="#aeb7bd"></circle>`)}
    ${from ? html`<path d="M${(x(from.lon) - 8).toFixed(1)} ${(y(from.lat) - 8).toFixed(1)} l16 16 m0 -16 l-16 16" stroke="#d5281b" stroke-width="4"></path>` : ''}
    ${marks.filter((m) => m.at).map((m) => html`<g><circle cx="${x(m.at!.lon).toFixed(1)}" cy="${y(m.at!.lat).toFixed(1)}" r="11" fill="#005eb8" stroke="#ffffff" stroke-width="2"></circle>
      <text x="${x(m.at!.lon).toFixed(1)}" y="${(y(m.at!.lat) + 4).toFixed(1)}" text-anchor="middle" font-size="12" font-weight="bold" fill="#ffffff">${m.n}</text></g>`)}
  </svg>`;
  const rowsOf = marks.map((m) => [String(m.n), m.row.entry.service.name ?? '', m.place ?? 'No address (covers an area)', m.row.entry.distance !== undefined ? kilometres(m.row.entry.distance) : '']);
  return html`<div class="onestory-map-wrap">${svg}</div>
    <details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">The map as a table</span></summary>
    <div class="nhsuk-details__text">${table({ caption: 'Services found and where they are', head: ['Number', 'Service', 'Where', from ? 'Distance' : ''], rows: rowsOf })}</div></details>`;
}

function resultCard(r: ResultRow, n: number, audience: Audience, now: Date, shortlist: string[], form: ServiceSearchForm): Html {
  const s = r.entry.service;
  const phone = phoneOf(s);
  const hours = openingTimesInWords(s.availableTime);
  const self = selfReferralOf(s);
  const id = s.id!;
  const add = shortlist.includes(id) ? undefined : [...shortlist, id];
  return html`<li class="nhsuk-card onestory-service-result"><div class="nhsuk-card__content">
    <h3 class="nhsuk-card__heading nhsuk-heading-s"><span class="onestory-result-number">${n}.</span> <a href="/services/${id}">${s.name ?? 'Unnamed service'}</a></h3>
    ${phone ? html`<p class="nhsuk-body-l nhsuk-u-margin-bottom-2"><span class="nhsuk-u-visually-hidden">Phone: </span><a href="${telHref(phone)}">${phone}</a></p>` : html`<p>No phone number recorded.</p>`}
    <p class="nhsuk-body-s nhsuk-u-margin-bottom-2">${kindOf(s) ?? ''}${r.entry.distance !== undefined ? ` · ${kilometres(r.entry.distance)} away` : ''}</p>
    <p class="nhsuk-body-s nhsuk-u-margin-bottom-2">${hours.length ? hours.join('. ') : 'Opening times not recorded'}</p>
    <p class="nhsuk-body-s nhsuk-u-margin-bottom-2">${costOf(s) ?? 'Cost not recorded'} · ${self === true ? (audience === 'public' ? 'You can contact them yourself' : 'Self-referral') : self === false ? (audience === 'public' ? 'You need a professional (such as your GP) to refer you' : 'Professional referral only') : 'Referral route not recorded'}</p>
    <p class="nhsuk-body-s nhsuk-u-margin-bottom-0">${freshnessTag(s, now)} ${lastCheckedWords(s, now)}</p>
    ${audience === 'staff' ? html`<p class="nhsuk-body-s nhsuk-u-margin-top-2 nhsuk-u-margin-bottom-0">${add ? html`<a href="/services?${searchQueryString(form)}${searchQueryString(form) ? '&' : ''}shortlist=${add.join(',')}">Add to shortlist<span class="nhsuk-u-visually-hidden">: ${s.name}</span></a>` : 'On the shortlist'}</p>` : ''}
  </div></li>`;
}

export function searchBody(o: { audience: Audience; form: ServiceSearchForm; errors: FieldErrors; asked: boolean; total: number; rows: ResultRow[]; from?: Point; now: Date; shortlist: string[] }): Html {
  const { audience, form } = o;
  const pages = Math.max(1, Math.ceil(o.total / PER_PAGE));
  const qs = (p: number) => `/services?${searchQueryString(form, p)}${o.shortlist.length ? `&shortlist=${o.shortlist.join(',')}` : ''}`;
  const heading = audience === 'public' ? 'Find help near me' : 'Find a service';
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-full">
    ${errorSummary(o.errors)}
    <h1>${heading}</h1>
    ${audience === 'public' ? html`<p class="nhsuk-lede-text">Local groups, advice and support in Kent and Medway. Call them, or ask your GP practice to refer you.</p>
      <div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span><p>If you need help now, call 111. In an emergency, call 999.</p></div>` : ''}
    ${audience === 'staff' && o.shortlist.length ? html`<p><a href="/services/shortlist?ids=${o.shortlist.join(',')}">Shortlist (${o.shortlist.length}): print it or send it to the person</a></p>` : ''}
  </div></div>
  <div class="nhsuk-grid-row">
    <div class="nhsuk-grid-column-one-third">${searchForm(form, o.errors, audience, '/services')}${o.shortlist.length ? html`` : ''}</div>
    <div class="nhsuk-grid-column-two-thirds">
      ${!o.asked ? html`<p>Search by what you need, where, and when it needs to be open.</p>` : o.errors.length ? html`<p>Correct the search to see services.</p>` : html`
        <h2 class="nhsuk-heading-m" id="results">${o.total === 0 ? 'No services found' : `${o.total} ${o.total === 1 ? 'service' : 'services'} found`}</h2>
        ${o.total === 0 ? html`<p>Try fewer choices, a wider distance or other words.</p>` : html`
          ${resultsMap(o.rows, o.from, (form.page - 1) * PER_PAGE)}
          <ol class="nhsuk-list onestory-service-results" aria-labelledby="results">${o.rows.map((r, i) => resultCard(r, (form.page - 1) * PER_PAGE + i + 1, audience, o.now, o.shortlist, form))}</ol>
          ${pages > 1 ? pager({ previous: form.page > 1 ? { href: qs(form.page - 1), label: `Page ${form.page - 1} of ${pages}` } : undefined, next: form.page < pages ? { href: qs(form.page + 1), label: `Page ${form.page + 1} of ${pages}` } : undefined }) : ''}`}`}
    </div>
  </div>`;
}

export function serviceBody(o: { audience: Audience; record: DirectoryRecord; now: Date; reported?: 'raised' | 'open'; reportErrors: FieldErrors; what?: string; csrfToken?: string }): Html {
  const { service: s, organization, locations } = o.record;
  const phone = phoneOf(s), email = emailOf(s);
  const hours = openingTimesInWords(s.availableTime);
  const f = freshnessOf(s, o.now);
  const self = selfReferralOf(s);
  const addresses = locations.map((l) => [l.name, ...(l.address?.line ?? []), l.address?.city, l.address?.postalCode].filter(Boolean).join(', '));
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(o.reportErrors)}
    ${o.reported ? notificationBanner({ kind: 'success', heading: o.reported === 'raised' ? 'Thank you: we have told the people who run this service' : 'Thank you: this entry has already been reported and is being checked' }) : ''}
    <span class="nhsuk-caption-l">${kindOf(s) ?? 'Service'}</span>
    <h1>${s.name ?? 'Unnamed service'}</h1>
    ${f.state === 'not-taking-referrals' ? html`<div class="nhsuk-warning-callout"><h2 class="nhsuk-warning-callout__label"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>These details may be out of date</span></h2>
      <p>Nobody has checked this entry for over a year. Phone before you go. ${o.audience === 'staff' ? 'It does not take referrals through OneStory until its details are checked.' : ''}</p></div>`
      : f.state === 'possibly-out-of-date' ? html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span><p>These details may be out of date. Phone before you go.</p></div>` : ''}
    <h2 class="nhsuk-heading-m">Contact</h2>
    ${phone ? html`<p class="nhsuk-body-l">Phone: <a href="${telHref(phone)}">${phone}</a></p>` : html`<p>No phone number recorded.</p>`}
    ${email ? html`<p>Email: <a href="mailto:${email}">${email}</a></p>` : ''}
    ${addresses.length ? html`<h2 class="nhsuk-heading-m">Where</h2><ul>${addresses.map((a) => html`<li>${a}</li>`)}</ul>` : html`<p>No address: it covers ${s.coverageArea?.[0]?.display ?? 'an area'}.</p>`}
    <h2 class="nhsuk-heading-m">Opening times</h2>
    ${hours.length ? html`<ul>${hours.map((h) => html`<li>${h}</li>`)}</ul><p class="nhsuk-body-s">Closed on days not listed.</p>` : html`<p>Opening times not recorded: phone to ask.</p>`}
    <h2 class="nhsuk-heading-m">About</h2>
    <p>${s.comment ?? 'No description recorded.'}</p>
    <dl class="nhsuk-summary-list">
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Who it is for</dt><dd class="nhsuk-summary-list__value">${s.eligibility?.map((e) => e.comment ?? e.code?.text).join('; ') || 'Not recorded'}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Cost</dt><dd class="nhsuk-summary-list__value">${costOf(s) ?? 'Not recorded'}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">How to get in touch</dt><dd class="nhsuk-summary-list__value">${self === true ? 'You can contact them yourself, or a professional can refer you' : self === false ? 'A professional (such as a GP) needs to refer you' : 'Not recorded'}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Languages</dt><dd class="nhsuk-summary-list__value">${s.communication?.map((c) => c.text ?? c.coding?.[0]?.display).join(', ') || 'Not recorded'}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Run by</dt><dd class="nhsuk-summary-list__value">${organization?.name ?? 'Not recorded'}</dd></div>
      <div class="nhsuk-summary-list__row"><dt class="nhsuk-summary-list__key">Checked</dt><dd class="nhsuk-summary-list__value">${freshnessTag(s, o.now)} ${lastCheckedWords(s, o.now)}</dd></div>
    </dl>
    ${o.audience === 'staff' && f.state !== 'not-taking-referrals' && s.active !== false ? html`<a class="nhsuk-button" href="/referrals/new?service=${s.id}">Refer someone</a>` : ''}
    <h2 class="nhsuk-heading-m">Is something wrong?</h2>
    <form method="post" action="/services/${s.id}/report" novalidate>
      ${o.csrfToken ? csrfField(o.csrfToken) : ''}
      ${characterCount({ name: 'what', label: 'Tell us what is out of date (optional)', hint: 'For example: the phone number has changed, or it no longer meets on Saturdays. Do not include personal details.', value: o.what, maxlength: 1000, rows: 3, errors: o.reportErrors })}
      ${button('Report as out of date', { variant: 'secondary' })}
    </form>
  </div></div>`;
}

export function shortlistBody(o: { records: DirectoryRecord[]; ids: string[]; now: Date; csrfToken: string; sent?: string; errors: FieldErrors; answers: { channel?: string; to?: string } }): Html {
  const list = o.ids.join(',');
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(o.errors)}
    ${o.sent ? notificationBanner({ kind: 'success', heading: o.sent }) : ''}
    <h1>Services for you</h1>
    <p>These are services that could help. Phone them, or ask whoever gave you this list to refer you.</p>
    <ol class="nhsuk-list nhsuk-list--number">${o.records.map((r) => {
      const phone = phoneOf(r.service);
      return html`<li><h2 class="nhsuk-heading-s nhsuk-u-margin-bottom-1">${r.service.name}</h2>
        <p class="nhsuk-u-margin-bottom-1">${phone ? html`Phone <a href="${telHref(phone)}">${phone}</a>` : 'No phone number recorded'}</p>
        <p class="nhsuk-body-s">${openingTimesInWords(r.service.availableTime).join('. ') || 'Opening times not recorded'}. ${costOf(r.service) ?? ''}</p></li>`;
    })}</ol>
    <div class="onestory-no-print">
    <h2 class="nhsuk-heading-m">Send this list to the person</h2>
    <p>Print this page, or send it by text message or email. What you send is recorded.</p>
    <form method="post" action="/services/shortlist" novalidate>
      ${csrfField(o.csrfToken)}
      <input type="hidden" name="ids" value="${list}">
      ${choices({ name: 'channel', legend: 'How to send it', type: 'radio', items: [['sms', 'Text message'], ['email', 'Email']], value: [o.answers.channel ?? ''], errors: o.errors })}
      ${textInput({ name: 'to', label: 'Mobile number or email address', value: o.answers.to, errors: o.errors, width: 20 })}
      ${button('Send the list')}
    </form>
    <p><a href="/services?shortlist=${list}">Back to search</a></p>
    </div>
  </div></div>`;
}

export { Html };
