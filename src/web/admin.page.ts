import type { StaffAccount } from '../access/identity/user.repository.js';
import { ROLE_NAMES, type StaffRole } from '../access/principal.js';
import {
  button, csrfField, errorSummary, notificationBanner, pager, radios, select, summaryList, table, tag, textInput, type FieldErrors,
} from './components/index.js';
import { html, query, type Html } from './html.js';

/** Success banners after an administration form (Post/Redirect/Get): `?done=` names which, from this fixed set only. */
export const ADMIN_DONE_TEXT: Record<string, string> = {
  created: 'Account created.',
  disabled: 'Account disabled. Its sessions have ended and it cannot sign in.',
  enabled: 'Account enabled. It can sign in again.',
  reset: 'Password reset. The person must choose a new password when they next sign in.',
  given: 'Membership given.',
  ended: 'Membership ended.',
  registered: 'API client registered.',
  rotated: 'Secret rotated. The old secret and its tokens no longer work.',
  revoked: 'API client revoked. It gets no new tokens and its current ones no longer work.',
  linked: 'Account created for the person. They must choose their own password when they first sign in.',
};

/** A secret shown once, on the page the form redirected to. */
export interface Revealed {
  label: string;
  value: string;
}

const when = (d?: Date) => (d ? d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/London' }) : 'Never');

function banners(done?: string, revealed?: Revealed): Html {
  const ok = done && ADMIN_DONE_TEXT[done] ? notificationBanner({
    kind: 'success', heading: ADMIN_DONE_TEXT[done],
    ...(revealed ? { body: html`${revealed.label}: <code>${revealed.value}</code>. Copy it now: it is shown only once and cannot be shown again.` } : {}),
  }) : '';
  return html`${ok}`;
}

const roleItems = (roles: StaffRole[]) => roles.map((r) => ({ value: r, text: ROLE_NAMES[r] }));

function organisationField(o: { errors: FieldErrors; value?: string; fixedOrg?: string }): Html {
  // A local administrator manages one organisation: it is shown, not asked for.
  if (o.fixedOrg) return html`<p>Organisation: <strong>${o.fixedOrg}</strong></p>`;
  return textInput({ name: 'organization', label: 'Organisation', hint: 'Its ODS code (for example M85001) or its Organization id', errors: o.errors, value: o.value, width: 20 });
}

export interface UsersListData {
  users: StaffAccount[];
  orgNames: Map<string, string>;
  search?: string;
  after?: string;
  next?: string;
  done?: string;
  revealed?: Revealed;
  errors: FieldErrors;
  canLinkPeople: boolean;
}

const memberships = (a: StaffAccount, names: Map<string, string>): Html =>
  a.memberships.length ? html`${a.memberships.map((m, i) => html`${i ? html`<br>` : ''}${ROLE_NAMES[m.role] ?? m.role}, ${names.get(m.organizationId) ?? m.organizationId}`)}` : html`No organisation`;

const statusOf = (a: StaffAccount): Html => (a.disabled ? tag('Disabled', 'grey') : a.mustChangePassword ? tag('Must choose a password', 'yellow') : tag('Active', 'green'));

/** /admin/users: search, the accounts (paged by user name), and a link to create one. */
export function usersListBody(d: UsersListData): Html {
  const rows = d.users.map((a) => [
    html`<a href="/admin/users/${a.id}">${a.displayName}</a><br><span class="nhsuk-body-s">${a.username}</span>`,
    memberships(a, d.orgNames),
    statusOf(a),
    when(a.lastSignIn),
  ]);
  return html`${banners(d.done, d.revealed)}${errorSummary(d.errors)}
  <h1>Users</h1>
  <p><a class="nhsuk-button" href="/admin/users/new">Create an account</a></p>
  ${d.canLinkPeople ? html`<p><a href="/admin/people/new">Create an account for a resident or a carer</a></p>` : ''}
  <form method="get" action="/admin/users" novalidate>
    ${textInput({ name: 'q', label: 'Search by name or user name', errors: d.errors, value: d.search, width: 20 })}
    ${button('Search', { variant: 'secondary' })}
  </form>
  ${d.users.length ? table({ caption: d.search ? `Accounts matching “${d.search}”` : 'Staff accounts', head: ['Name', 'Organisations and roles', 'Status', 'Last signed in'], rows, responsive: true }) : html`<p>No accounts${d.search ? ' match this search' : ''}.</p>`}
  ${pager({ previous: d.after ? { href: `/admin/users${query({ q: d.search })}` } : undefined, next: d.next ? { href: `/admin/users${query({ q: d.search, after: d.next })}` } : undefined, label: 'Pages of accounts' })}`;
}

export interface NewUserData {
  csrfToken: string;
  roles: StaffRole[];
  fixedOrg?: string;
  errors: FieldErrors;
  values: { username?: string; displayName?: string; organization?: string; role?: string };
}

/** /admin/users/new: the create-account form. */
export function newUserBody(d: NewUserData): Html {
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(d.errors)}
  <h1>Create an account</h1>
  <p>The account gets a temporary password, shown once when it is created. The person must choose their own when they first sign in.</p>
  <form method="post" action="/admin/users" novalidate>${csrfField(d.csrfToken)}
    ${textInput({ name: 'username', label: 'User name', hint: '3 to 64 letters, numbers, dots, hyphens, underscores or @', errors: d.errors, value: d.values.username, width: 20, autocomplete: 'off' })}
    ${textInput({ name: 'displayName', label: 'Full name', errors: d.errors, value: d.values.displayName, autocomplete: 'off' })}
    ${organisationField({ errors: d.errors, value: d.values.organization, fixedOrg: d.fixedOrg })}
    ${select({ name: 'role', label: 'Role', errors: d.errors, value: d.values.role, blank: 'Choose a role', items: roleItems(d.roles) })}
    ${button('Create account')}
  </form></div></div>`;
}

export interface UserPageData {
  account: StaffAccount;
  orgNames: Map<string, string>;
  canChangeAccount: boolean;
  endable: string[];
  roles: StaffRole[];
  fixedOrg?: string;
  isSelf: boolean;
  csrfToken: string;
  done?: string;
  revealed?: Revealed;
  errors: FieldErrors;
  values: { organization?: string; role?: string };
}

/** /admin/users/:id: the account, its memberships, and the forms to change them. */
export function userBody(d: UserPageData): Html {
  const a = d.account;
  const form = (action: string, body: Html) => html`<form method="post" action="/admin/users/${a.id}/${action}" novalidate>${csrfField(d.csrfToken)}${body}</form>`;
  const rows = [
    { key: 'User name', value: a.username },
    { key: 'Status', value: statusOf(a) },
    { key: 'Last signed in', value: when(a.lastSignIn) },
  ];
  const memberRows = a.memberships.map((m) => [
    d.orgNames.get(m.organizationId) ?? m.organizationId,
    ROLE_NAMES[m.role] ?? m.role,
    d.endable.includes(m.organizationId)
      ? form('memberships/end', html`<input type="hidden" name="organization" value="${m.organizationId}">${button('End membership', { variant: 'secondary' })}`)
      : html``,
  ]);
  const accountForms = d.canChangeAccount && !d.isSelf ? html`<h2 class="nhsuk-heading-m">Account</h2>
    ${form('reset-password', html`<p>A new temporary password is shown once. The person’s sessions end and they must choose their own password when they next sign in.</p>${button('Reset password', { variant: 'secondary' })}`)}
    ${a.disabled
      ? form('enable', html`${button('Enable account', { variant: 'secondary' })}`)
      : form('disable', html`<p>A disabled account cannot sign in, and its sessions end now.</p>${button('Disable account', { variant: 'warning' })}`)}`
    : d.isSelf ? html`<p>You cannot disable your own account or reset your own password here.</p>`
      : html`<p>This account works for other organisations too: only a system administrator can disable it or reset its password.</p>`;
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${banners(d.done, d.revealed)}${errorSummary(d.errors)}
  <span class="nhsuk-caption-l">Staff account</span>
  <h1>${a.displayName}</h1>
  ${summaryList(rows)}
  <h2 class="nhsuk-heading-m">Organisations and roles</h2>
  ${memberRows.length ? table({ caption: 'Memberships', captionHidden: true, head: ['Organisation', 'Role', 'Action'], rows: memberRows, responsive: true }) : html`<p>This account works for no organisation, so it cannot sign in.</p>`}
  ${form('memberships', html`<h3 class="nhsuk-heading-s">Give a membership</h3>
    <p>Gives the account a role at an organisation, or changes its role there.</p>
    ${organisationField({ errors: d.errors, value: d.values.organization, fixedOrg: d.fixedOrg })}
    ${select({ name: 'role', label: 'Role', errors: d.errors, value: d.values.role, blank: 'Choose a role', items: roleItems(d.roles) })}
    ${button('Give membership', { variant: 'secondary' })}`)}
  ${accountForms}
  <p><a href="/admin/users">Back to users</a></p>
  </div></div>`;
}

export interface ClientRow {
  clientId: string;
  name: string;
  organisation: string;
  scopes: string;
  kind: 'system' | 'app';
  disabled: boolean;
  confidential: boolean;
  createdAt: Date;
}

export interface ClientsData {
  clients: ClientRow[];
  csrfToken: string;
  done?: string;
  revealed?: Revealed;
  errors: FieldErrors;
}

/** /admin/clients: the API clients with their scopes, and the forms to rotate a secret or revoke a client. */
export function clientsBody(d: ClientsData): Html {
  const act = (c: ClientRow) => c.disabled ? html`` : html`${c.confidential && c.kind === 'system' ? html`<form method="post" action="/admin/clients/${c.clientId}/rotate" novalidate>${csrfField(d.csrfToken)}${button('Rotate secret', { variant: 'secondary' })}</form>` : ''}
    <form method="post" action="/admin/clients/${c.clientId}/revoke" novalidate>${csrfField(d.csrfToken)}${button('Revoke', { variant: 'warning' })}</form>`;
  const rows = d.clients.map((c) => [
    html`${c.name}<br><span class="nhsuk-body-s">${c.clientId}</span>`,
    c.organisation,
    c.scopes,
    html`${c.disabled ? tag('Revoked', 'grey') : tag('Active', 'green')}<br><span class="nhsuk-body-s">Registered ${when(c.createdAt)}</span>`,
    act(c),
  ]);
  return html`${banners(d.done, d.revealed)}${errorSummary(d.errors)}
  <h1>API clients</h1>
  <p>Systems that call the FHIR API with their own credentials (OAuth 2.0 client credentials).</p>
  <p><a class="nhsuk-button" href="/admin/clients/new">Register an API client</a></p>
  ${d.clients.length ? table({ caption: 'API clients', captionHidden: true, head: ['Name and client id', 'Organisation', 'Scopes', 'Status', 'Action'], rows, responsive: true }) : html`<p>No API clients are registered.</p>`}`;
}

export interface NewClientData {
  csrfToken: string;
  fixedOrg?: string;
  errors: FieldErrors;
  values: { organization?: string; scope?: string; name?: string };
}

/** /admin/clients/new: register a system integration. */
export function newClientBody(d: NewClientData): Html {
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(d.errors)}
  <h1>Register an API client</h1>
  <p>A system integration of one organisation. Its secret is shown once when it is registered.</p>
  <form method="post" action="/admin/clients" novalidate>${csrfField(d.csrfToken)}
    ${textInput({ name: 'name', label: 'Name', hint: 'For example, the name of the system and who runs it', errors: d.errors, value: d.values.name })}
    ${organisationField({ errors: d.errors, value: d.values.organization, fixedOrg: d.fixedOrg })}
    ${textInput({ name: 'scope', label: 'Scopes', hint: 'SMART system scopes, separated by spaces, for example system/Patient.rs system/Observation.rs', errors: d.errors, value: d.values.scope, autocomplete: 'off' })}
    ${button('Register client')}
  </form></div></div>`;
}

export interface NewPersonData {
  csrfToken: string;
  errors: FieldErrors;
  values: { kind?: string; username?: string; displayName?: string; record?: string };
}

/** /admin/people/new: an account for a resident (their own record) or a carer (acting for the person they care for). */
export function newPersonBody(d: NewPersonData): Html {
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(d.errors)}
  <h1>Create an account for a resident or a carer</h1>
  <p>Check who the person is before you create the account: it opens their record (a carer’s, what the person has agreed to share). The account gets a temporary password, shown once; the person chooses their own when they first sign in.</p>
  <form method="post" action="/admin/people" novalidate>${csrfField(d.csrfToken)}
    ${radios({ name: 'kind', label: 'Who is the account for?', errors: d.errors, value: d.values.kind, items: [
      { value: 'resident', text: 'A resident, for their own record', hint: 'Enter the id of their Patient record' },
      { value: 'carer', text: 'A carer, for the person they care for', hint: 'Enter the id of their RelatedPerson record' },
    ] })}
    ${textInput({ name: 'record', label: 'Record id', errors: d.errors, value: d.values.record, width: 20, autocomplete: 'off' })}
    ${textInput({ name: 'username', label: 'User name', hint: '3 to 64 letters, numbers, dots, hyphens, underscores or @', errors: d.errors, value: d.values.username, width: 20, autocomplete: 'off' })}
    ${textInput({ name: 'displayName', label: 'Full name', errors: d.errors, value: d.values.displayName, autocomplete: 'off' })}
    ${button('Create account')}
  </form></div></div>`;
}

/** /choose-password: the only page a user with a temporary password can reach. */
export function choosePasswordBody(d: { csrfToken: string; errors: FieldErrors; minLength: number }): Html {
  const field = (name: string, label: string, hint?: string) => {
    const err = d.errors.find((e) => e.field === name);
    return html`<div class="nhsuk-form-group${err ? ' nhsuk-form-group--error' : ''}">
    <label class="nhsuk-label" for="${name}">${label}</label>
    ${hint ? html`<div class="nhsuk-hint" id="${name}-hint">${hint}</div>` : ''}
    ${err ? html`<span class="nhsuk-error-message" id="${name}-error"><span class="nhsuk-u-visually-hidden">Error:</span> ${err.text}</span>` : ''}
    <input class="nhsuk-input nhsuk-input--width-20${err ? ' nhsuk-input--error' : ''}" id="${name}" name="${name}" type="password" autocomplete="new-password"${hint || err ? html` aria-describedby="${[hint ? `${name}-hint` : '', err ? `${name}-error` : ''].filter(Boolean).join(' ')}"` : ''}>
  </div>`;
  };
  return html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
  ${errorSummary(d.errors)}
  <h1>Choose a new password</h1>
  <p>You signed in with a temporary password. Choose your own before you continue.</p>
  <form method="post" action="/choose-password" novalidate>${csrfField(d.csrfToken)}
    ${field('password', 'New password', `At least ${d.minLength} characters`)}
    ${field('confirm', 'Enter the new password again')}
    ${button('Save password')}
  </form></div></div>`;
}
