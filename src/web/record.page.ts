import { BREAK_GLASS_REASONS } from '../access/policy/index.js';
import { formatDate, formatDateTime } from '../record-view/fhir-text.js';
import type { RecordPart } from '../record-view/not-shown.js';
import { TIMELINE_KINDS, type CareTeamMember, type RecordSummary, type TimelinePage } from '../record-view/record-summary.service.js';
import { formatNhsNumber } from '../fhir/nhs-number.js';
import { dateInput, datePartsFrom, errorSummary, notShownNote, table, tag, type DateParts, type FieldErrors } from './components/index.js';
import { html, query, type Html } from './html.js';

/** The timeline filter's dates as the user typed them, and what was wrong with them, when the form comes back. */
export interface TimelineForm {
  errors: FieldErrors;
  from?: DateParts;
  to?: DateParts;
}

/** Who the page speaks to: staff read clinical wording; the person and their carer read plain English. */
export type Audience = 'staff' | 'self' | 'carer';

const section = (id: string, title: string, body: Html | Html[] | string) => html`<section class="onestory-section" aria-labelledby="${id}-title" id="${id}">
  <h2 id="${id}-title">${title}</h2>${body}</section>`;
const empty = (text: string) => html`<p class="onestory-muted">${text}</p>`;

function banner(s: RecordSummary, audience: Audience): Html {
  const p = s.patient;
  const born = p.birthDate ? `${formatDate(p.birthDate)}${p.age !== undefined ? ` (${p.age} years)` : ''}` : 'Not recorded';
  const facts: [string, string][] = [
    ['NHS number', p.nhsNumber ? formatNhsNumber(p.nhsNumber) : 'Not recorded'],
    ['Born', born],
    ...(p.gender ? [['Gender', p.gender[0].toUpperCase() + p.gender.slice(1)] as [string, string]] : []),
    ['Address', p.address ?? 'Not recorded'],
    ['GP practice', p.gp?.name ?? 'Not recorded'],
    ...(s.namedProfessional ? [[audience === 'staff' ? 'Named professional' : audience === 'self' ? 'Your main contact' : 'Main contact', s.namedProfessional.name] as [string, string]] : []),
    ...(p.contacts.length ? [['Phone', p.contacts.join(', ')] as [string, string]] : []),
  ];
  const tags: Html[] = s.alerts.map((a) => html`<li><strong class="nhsuk-tag ${a.kind === 'safeguarding' ? 'nhsuk-tag--red' : a.kind === 'communication' ? 'nhsuk-tag--yellow' : 'nhsuk-tag--orange'}">${a.kind === 'safeguarding' ? 'Safeguarding: ' : a.kind === 'communication' ? 'Communication: ' : 'Alert: '}${a.text}</strong></li>`);
  if (audience === 'staff') {
    tags.push(html`<li><strong class="nhsuk-tag ${s.consent.sharingWithheld ? 'nhsuk-tag--red' : 'nhsuk-tag--green'}">${s.consent.sharingWithheld ? 'Consent: objects to sharing' : 'Consent: sharing allowed'}</strong></li>`);
  }
  const title = audience === 'staff' ? p.name : audience === 'self' ? 'Your record' : `${p.name}'s record`;
  return html`<div class="onestory-banner" aria-label="Person" role="region">
    <h1>${title}${audience === 'self' ? html` <span class="nhsuk-caption-l">${p.name}</span>` : ''}</h1>
    <dl class="onestory-banner__facts">${facts.map(([k, v]) => html`<div><dt>${k}:</dt> <dd>${v}</dd></div>`)}</dl>
    ${tags.length ? html`<ul class="onestory-tags" aria-label="Alerts and consent">${tags}</ul>` : ''}
  </div>`;
}

export function breakGlassBanner(s: RecordSummary): Html {
  const g = s.access.breakGlass;
  if (!g) return html``;
  const reason = (BREAK_GLASS_REASONS as Record<string, string>)[g.reason] ?? g.reason;
  return html`<div class="nhsuk-warning-callout" role="region" aria-labelledby="break-glass-title">
    <h2 class="nhsuk-warning-callout__label" id="break-glass-title"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>Emergency access: this access is audited</span></h2>
    <p>You are seeing this record without a recorded care relationship (break-glass), until ${formatDateTime(g.expiresAt)} UTC.
    Every view is recorded, reviewed by the privacy officer, and shown to the person.</p>
    <p>Your reason: ${reason}. “${g.text}”</p>
  </div>`;
}

function withheld(s: RecordSummary, audience: Audience): Html {
  if (audience === 'self') {
    return html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
      <p>Some information may not be shown online. If you want to see everything in your record, ask your GP practice.</p></div>`;
  }
  if (audience === 'carer') {
    return html`<div class="nhsuk-inset-text"><span class="nhsuk-u-visually-hidden">Information: </span>
      <p>You see only the parts of ${s.patient.name}'s record they have agreed to share with you: ${s.consent.proxies.map((x) => x.scope).join('; ') || 'none yet'}.
      Other information is not shown.</p></div>`;
  }
  const parts: Html[] = [];
  if (s.consent.sharingWithheld) {
    parts.push(html`<p><strong>Sharing is withheld.</strong> ${s.patient.name} has objected to sharing their record beyond the organisations that recorded it, so entries from other organisations are not shown to you${s.access.breakGlass ? ' (your emergency access lifts this for now)' : ''}.</p>`);
  }
  if (s.withheld && s.withheld.count > 0) {
    parts.push(html`<p><strong>${s.withheld.count} ${s.withheld.count === 1 ? 'entry is' : 'entries are'} withheld from you.</strong> ${s.withheld.reason}</p>`);
  }
  if (parts.length === 0) return html``;
  return html`<div class="nhsuk-warning-callout" role="region" aria-labelledby="withheld-title">
    <h2 class="nhsuk-warning-callout__label" id="withheld-title"><span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>Some information is withheld</span></h2>
    ${parts}</div>`;
}

export function careTeamTable(s: RecordSummary, caption: string): Html {
  if (s.careTeam.length === 0) return absent(s, 'careTeam', 'No care team is recorded.');
  // The registration (the GP practice) is shown even to a reader who may not see care teams: say the rest is not shown.
  const hidden = s.notShown.parts.careTeam;
  return html`${table({
    caption, captionHidden: true, responsive: true, head: ['Name', 'Role', 'Organisation', 'Contact'],
    rows: s.careTeam.map((m: CareTeamMember) => [
      html`${m.name}${m.named ? html` ${tag('Named professional', 'blue')}` : ''}`, m.role ?? '', m.organisation ?? '',
      m.contacts.length ? m.contacts.join(', ') : html`<span class="onestory-muted">None recorded</span>`,
    ]),
  })}${hidden ? notShownNote(hidden) : ''}`;
}

/** The empty state of a part of the record: why it is not shown, when the policy hides it; else `none` (truly none recorded). */
function absent(s: RecordSummary, part: RecordPart, none: string): Html {
  const why = s.notShown.parts[part];
  return why ? notShownNote(why) : empty(none);
}

function list(items: Html[]): Html {
  return html`<ul class="nhsuk-list nhsuk-list--bullet">${items.map((i) => html`<li>${i}</li>`)}</ul>`;
}

/** The timeline with its filters and paging; `base` is the page's own path. */
export function timeline(s: RecordSummary, page: TimelinePage, base: string, audience: Audience, form: TimelineForm = { errors: [] }): Html {
  const f = page.filter;
  const kinds = Object.entries(TIMELINE_KINDS);
  const filters = html`${errorSummary(form.errors)}<form class="onestory-filters" method="get" action="${base}#timeline" data-loading="Loading…" aria-label="Filter the timeline">
    <div class="onestory-filters__row">
      ${audience === 'staff' ? html`<div class="nhsuk-form-group"><label class="nhsuk-label" for="organisation">Organisation</label>
        <select class="nhsuk-select" id="organisation" name="organisation"><option value="">All organisations</option>
        ${s.organisations.map((o) => html`<option value="${o.id}"${o.id === f.organisation ? html` selected` : ''}>${o.name} (${o.entries})</option>`)}</select></div>` : ''}
      <div class="nhsuk-form-group"><label class="nhsuk-label" for="kind">${audience === 'staff' ? 'Kind of entry' : 'Show'}</label>
        <select class="nhsuk-select" id="kind" name="kind"><option value="">Everything</option>
        ${kinds.map(([k, v]) => html`<option value="${k}"${k === f.kind ? html` selected` : ''}>${v.label}</option>`)}</select></div>
      ${dateInput({ name: 'from', label: 'From', errors: form.errors, value: form.from ?? datePartsFrom(f.from) })}
      ${dateInput({ name: 'to', label: 'To', errors: form.errors, value: form.to ?? datePartsFrom(f.to) })}
      <div class="nhsuk-form-group"><button class="nhsuk-button nhsuk-button--secondary" data-module="nhsuk-button" type="submit">Apply filters</button></div>
    </div>
    ${f.kind || f.organisation || f.from || f.to ? html`<p><a href="${base}#timeline">Clear filters</a></p>` : ''}
  </form>`;
  const items = page.entries.length === 0
    ? empty(f.kind || f.organisation || f.from || f.to ? 'Nothing matches these filters. Clear the filters to see everything.' : 'Nothing has been recorded yet.')
    : html`<ol class="onestory-timeline">${page.entries.map((e) => html`<li class="onestory-timeline__item">
        <p class="onestory-timeline__meta">${e.date ? html`<time datetime="${e.date}">${formatDate(e.date)}</time>` : 'Date not recorded'} · ${e.kindLabel}</p>
        <h3 class="onestory-timeline__title">${e.title}</h3>
        <p class="onestory-timeline__detail">Recorded by <strong>${e.organisation?.name ?? 'organisation not recorded'}</strong>${e.detail ? html`. ${e.detail}` : ''}</p>
      </li>`)}</ol>`;
  const keep = { kind: f.kind, organisation: f.organisation, from: f.from, to: f.to };
  const pager = page.next
    ? html`<nav class="nhsuk-pagination" role="navigation" aria-label="Timeline pages"><ul class="nhsuk-list nhsuk-pagination__list">
        <li class="nhsuk-pagination-item--next"><a class="nhsuk-pagination__link nhsuk-pagination__link--next" href="${base}${query({ ...keep, cursor: page.next })}#timeline">
          <span class="nhsuk-pagination__title">Older entries</span><span class="nhsuk-u-visually-hidden">:</span><span class="nhsuk-pagination__page">next ${f.count}</span>
          <svg class="nhsuk-icon nhsuk-icon--arrow-right" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="m14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z"/></svg></a></li>
      </ul></nav>`
    : page.entries.length ? html`<p class="onestory-muted">End of the timeline.</p>` : '';
  return section('timeline', audience === 'staff' ? 'Timeline across all organisations' : 'Appointments, visits and other contacts', html`
    <p>Newest first. Each entry says which organisation recorded it.</p>${s.notShown.timeline ? notShownNote(s.notShown.timeline) : ''}${filters}${items}${pager}`);
}

/** The whole record page body (after any break-glass banner). */
/** `extra`: a part of another capability shown between the banner and the contents (staff: frailty and risk). */
export function recordBody(s: RecordSummary, page: TimelinePage, base: string, audience: Audience, form?: TimelineForm, extra?: Html): Html {
  const staff = audience === 'staff';
  const you = audience === 'self';
  const contents = [
    ['care-team', staff ? 'Care team' : 'Care team'], ['what-matters', you ? 'What matters to you' : 'What matters to them'],
    ['problems', staff ? 'Active problems' : 'Health conditions'], ['medicines', 'Medicines and allergies'], ['carers', 'Carers and relationships'],
    ['care-plan', 'Care plan'], ['referrals', staff ? 'Open referrals' : 'Referrals'], ['timeline', staff ? 'Timeline' : 'Appointments and contacts'],
  ];
  const named = s.namedProfessional;
  return html`${banner(s, audience)}
  ${withheld(s, audience)}
  ${extra ?? ''}
  <nav class="nhsuk-contents-list" role="navigation" aria-label="Sections of this record">
    <h2 class="nhsuk-u-visually-hidden">Contents</h2>
    <ol class="nhsuk-contents-list__list">${contents.map(([id, t]) => html`<li class="nhsuk-contents-list__item"><a class="nhsuk-contents-list__link" href="#${id}">${t}</a></li>`)}</ol>
  </nav>
  ${section('care-team', staff ? 'Named professional and care team' : you ? 'Who is caring for you' : 'Who is caring for them', html`
    ${named ? html`<p>${staff ? 'Named professional' : you ? 'Your main contact' : 'Main contact'}: <strong>${named.name}</strong>${named.role ? `, ${named.role}` : ''}${named.organisation ? `, ${named.organisation}` : ''}${named.contacts.length ? html` (${named.contacts.join(', ')})` : ''}</p>` : ''}
    ${careTeamTable(s, 'Care team')}`)}
  ${section('what-matters', you ? 'What matters to you' : 'What matters to them and communication needs', html`
    ${s.whatMatters.length ? list(s.whatMatters.map((w) => html`${w}`)) : absent(s, 'whatMatters', you ? 'Nothing is recorded yet. You can tell your care team what matters to you.' : 'Nothing is recorded yet: ask them what matters to them.')}
    <h3>${you ? 'How you like to communicate' : 'Communication needs'}</h3>
    ${s.communicationNeeds.length ? list(s.communicationNeeds.map((w) => html`${w}`)) : empty(`No communication needs are recorded${s.patient.language ? `; preferred language ${s.patient.language}` : ''}.`)}`)}
  ${section('problems', staff ? 'Active problems' : you ? 'Your health conditions' : 'Health conditions', s.problems.length
    ? table({ caption: 'Active problems', captionHidden: true, responsive: true, head: [staff ? 'Problem' : 'Condition', 'Since', 'Recorded by'],
      rows: s.problems.map((p) => [p.text, p.since ?? '', p.organisation ?? 'Not recorded']) })
    : absent(s, 'problems', 'No active problems are recorded.'))}
  ${section('medicines', 'Medicines and allergies', html`
    <h3>${staff ? 'Current medicines' : you ? 'Medicines you take' : 'Current medicines'}</h3>
    ${s.medications.length ? table({ caption: 'Current medicines', captionHidden: true, responsive: true, head: ['Medicine', 'How to take it', 'Prescribed by'],
      rows: s.medications.map((m) => [m.text, m.dosage ?? '', m.organisation ?? 'Not recorded']) })
      : absent(s, 'medicines', 'No current medicines are recorded.')}
    <h3>Allergies</h3>
    ${s.allergies.length ? list(s.allergies.map((a) => html`<strong>${a.text}</strong>${a.reaction ? `: ${a.reaction}` : ''}${a.criticality ? html` <strong class="nhsuk-tag nhsuk-tag--red">${a.criticality}</strong>` : ''}`))
      : absent(s, 'allergies', 'No allergies are recorded. This does not mean there are none: always ask.')}`)}
  ${section('carers', 'Carers and relationships', s.carers.length
    ? list(s.carers.map((c) => html`<strong>${c.name}</strong>, ${c.relationship}${c.contacts.length ? ` (${c.contacts.join(', ')})` : ''}${c.proxy ? html` <strong class="nhsuk-tag nhsuk-tag--blue">Has proxy access</strong>` : ''}`))
    : absent(s, 'carers', 'No carers or relationships are recorded.'))}
  ${section('care-plan', you ? 'Your care plan' : 'Care plan', html`${staff ? html`<p><a href="/people/${s.patient.id}/plan">Open the personalised care and support plan</a> · <a href="/people/${s.patient.id}/assessment">Joint assessment</a> · <a href="/mdt/add?patient=${encodeURIComponent(s.patient.id)}">Add to an MDT meeting</a></p>`
    : html`<p><a href="${you ? '/my-plan' : `/my-plan?person=${encodeURIComponent(s.patient.id)}`}">${you ? 'See and agree your plan' : 'See their plan'}</a></p>`}${s.carePlans.length
    ? s.carePlans.map((cp) => html`<div class="nhsuk-card"><div class="nhsuk-card__content">
        <h3 class="nhsuk-card__heading">${cp.title}</h3>
        <p class="onestory-muted">${cp.period ?? ''}${cp.organisation ? ` · ${cp.organisation}` : ''}</p>
        <h4>Goals</h4>${cp.goals.length ? list(cp.goals.map((g) => html`${g}`)) : empty('No goals recorded.')}
        <h4>Actions</h4>${cp.actions.length ? list(cp.actions.map((a) => html`${a.text}${a.status ? html` <span class="onestory-muted">(${a.status.replace(/-/g, ' ')})</span>` : ''}`)) : empty('No actions recorded.')}
        <p><strong>Next review:</strong> ${cp.nextReview ?? 'not set'}</p>
      </div></div>`)
    : absent(s, 'carePlan', 'There is no care plan.')}`)}
  ${section('referrals', staff ? 'Open referrals' : 'Referrals in progress', html`${s.referrals.length
    ? table({ caption: 'Open referrals', captionHidden: true, responsive: true, head: ['Referral', 'To', 'From', 'Date', 'Status'],
      rows: s.referrals.map((r) => [r.text, r.to ?? '', r.from ?? '', r.date ?? '', r.status]) })
    : absent(s, 'referrals', 'No open referrals.')}
    ${audience === 'self' ? html`<p>For where a referral to a local service (such as a group or charity) has got to, see <a href="/my-referrals">My referrals</a>.</p>` : ''}`)}
  ${timeline(s, page, base, audience, form)}`;
}
