import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { FhirError, forbidden, notFound, outcome } from '../../fhir/outcome.js';
import { administeredOrganizations, type AdminUserSubject } from '../policy/admin.policy.js';
import { can } from '../policy/policy.js';
import { isStaff, ROLE_NAMES, STAFF_ROLES, type Principal, type StaffRole } from '../principal.js';
import type { ClientRecord } from './client.repository.js';
import { ClientRegistrationError, type ClientService } from './client.service.js';
import type { FhirLookupRepository } from './fhir-lookup.repository.js';
import type { Clock } from './identity.config.js';
import { hashPassword } from './password.service.js';
import { randomToken } from './secrets.js';
import type { SessionService } from './session.service.js';
import type { TokenVerifier } from './token.verifier.js';
import { isUsableText } from './text-input.js';
import type { StaffAccount, UserProfile, UserRepository } from './user.repository.js';

/** One or more problems with what an administrator entered, each naming its form field (`expression`). */
export class AdminInputError extends FhirError {
  constructor(readonly problems: { field: string; text: string }[]) {
    super(400, outcome(problems.map((p): OperationOutcomeIssue => ({ severity: 'error', code: 'invalid', diagnostics: p.text, expression: [p.field] }))));
  }
}

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/;
export const MAX_DISPLAY_NAME = 200;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1024;
export const USERS_PAGE_SIZE = 25;
const CLIENTS_LIMIT = 500;

export interface NewStaffAccount {
  username?: string;
  displayName?: string;
  /** An Organization id or ODS code. */
  organization?: string;
  role?: string;
}

export interface NewClient {
  organization?: string;
  scope?: string;
  name?: string;
}

/** A staff account with what the administrator may do to it. */
export interface ManagedAccount {
  account: StaffAccount;
  /** Disable, enable, reset the password (the whole account). */
  canChangeAccount: boolean;
  /** The memberships the administrator may end. */
  endable: string[];
}

/**
 * Administration of staff accounts and API clients for the web app's /admin pages. Every command
 * takes the administrator's Principal and asks the policy (admin.policy.ts) about exactly what it
 * touches, then checks the input (a problem is an AdminInputError naming the field; nothing is
 * written), then writes. Temporary passwords and client secrets are returned once and never stored.
 */
export class AccountAdminService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionService,
    private readonly clients: ClientService,
    private readonly lookup: FhirLookupRepository,
    private readonly tokens: TokenVerifier,
    private readonly clock: Clock,
  ) {}

  /** The organisations whose accounts and clients `p` administers ('all' for a system administrator). */
  scopeOf(p: Principal): 'all' | string[] {
    return administeredOrganizations(p);
  }

  private need(p: Principal, subject?: AdminUserSubject): void {
    const d = can(p, 'admin.users.manage', subject);
    if (!d.allowed) throw forbidden(`You cannot do this: ${d.reason}`);
  }

  private needClients(p: Principal, organizationId?: string): void {
    const d = can(p, 'admin.clients.manage', organizationId ? { organizationId } : undefined);
    if (!d.allowed) throw forbidden(`You cannot do this: ${d.reason}`);
  }

  async listUsers(p: Principal, o: { search?: string; after?: string }): Promise<{ users: StaffAccount[]; next?: string }> {
    this.need(p);
    const search = o.search?.trim() || undefined;
    if (search !== undefined && !isUsableText(search, { max: 200 })) throw new AdminInputError([{ field: 'q', text: 'Search for at most 200 characters, without control characters' }]);
    const after = o.after && isUsableText(o.after, { max: 200 }) ? o.after : undefined;
    const rows = await this.users.listStaff({ orgIds: this.scopeOf(p), search, after, limit: USERS_PAGE_SIZE + 1 });
    const users = rows.slice(0, USERS_PAGE_SIZE);
    return { users, ...(rows.length > USERS_PAGE_SIZE ? { next: users[users.length - 1].username } : {}) };
  }

  /** A staff account the administrator may see (one of their organisation's, for a local administrator), else 404 or 403. */
  async account(p: Principal, id: string): Promise<ManagedAccount> {
    const user = await this.staffUser(p, id);
    const subject = { user: { memberships: user.memberships } };
    const lastSignIn = await this.users.lastSignIn(id);
    return {
      account: { id: user.id, username: user.username, displayName: user.displayName, disabled: user.disabled, mustChangePassword: user.mustChangePassword, memberships: user.memberships, ...(lastSignIn ? { lastSignIn } : {}) },
      canChangeAccount: can(p, 'admin.users.manage', { ...subject, account: true }).allowed,
      endable: user.memberships.filter((m) => can(p, 'admin.users.manage', { ...subject, organizationId: m.organizationId }).allowed).map((m) => m.organizationId),
    };
  }

  /** The staff account `id`, if the administrator may manage it at all (a local administrator: one of their organisation's), else 404 or 403. */
  private async staffUser(p: Principal, id: string): Promise<UserProfile> {
    this.need(p);
    const user = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await this.users.findById(id) : undefined;
    if (!user || user.kind !== 'staff') throw notFound('There is no staff account at this address');
    this.need(p, { user: { memberships: user.memberships } });
    return user;
  }

  /** Roles the administrator may give (a local administrator never gives system-admin). */
  assignableRoles(p: Principal): StaffRole[] {
    const org = isStaff(p) ? p.organizationId : undefined;
    return STAFF_ROLES.filter((role) => can(p, 'admin.users.manage', { ...(org && this.scopeOf(p) !== 'all' ? { organizationId: org } : {}), role }).allowed);
  }

  /** Creates a staff account with one membership and a temporary password (returned once; the user must change it). */
  async createUser(p: Principal, input: NewStaffAccount): Promise<{ id: string; temporaryPassword: string }> {
    this.need(p);
    const problems: { field: string; text: string }[] = [];
    const username = (input.username ?? '').trim();
    const displayName = (input.displayName ?? '').trim();
    if (!username) problems.push({ field: 'username', text: 'Enter a user name' });
    else if (!USERNAME_PATTERN.test(username)) problems.push({ field: 'username', text: 'User name must be 3 to 64 letters, numbers, dots, hyphens, underscores or @, starting with a letter or number' });
    if (!displayName) problems.push({ field: 'displayName', text: 'Enter the person’s name' });
    else if (!isUsableText(displayName, { max: MAX_DISPLAY_NAME })) problems.push({ field: 'displayName', text: `Name must be ${MAX_DISPLAY_NAME} characters or fewer, without control characters` });
    const role = this.roleOf(input.role, problems);
    const organizationId = await this.organizationOf(p, input.organization, problems);
    if (problems.length === 0 && (await this.users.findByUsername(username))) problems.push({ field: 'username', text: 'An account with this user name already exists' });
    if (problems.length > 0) throw new AdminInputError(problems);
    this.need(p, { organizationId, role });
    const temporaryPassword = temporary();
    let id: string;
    try {
      id = await this.users.create({ kind: 'staff', username, displayName, passwordHash: await hashPassword(temporaryPassword), mustChangePassword: true, memberships: [{ organizationId: organizationId!, role: role! }] });
    } catch (err) {
      // Two administrators creating the same user name at once: the unique index decides.
      if ((err as { code?: string }).code === '23505') throw new AdminInputError([{ field: 'username', text: 'An account with this user name already exists' }]);
      throw err;
    }
    return { id, temporaryPassword };
  }

  /** Disables (ending every session at once) or re-enables an account. */
  async setDisabled(p: Principal, id: string, disabled: boolean): Promise<void> {
    const user = await this.staffUser(p, id);
    this.need(p, { user: { memberships: user.memberships }, account: true });
    if (disabled && user.id === p.id) throw new AdminInputError([{ field: 'disable', text: 'You cannot disable your own account' }]);
    await this.users.setDisabled(id, disabled);
    if (disabled) await this.sessions.endAllFor(id);
    else this.sessions.forgetUser(id);
  }

  /** A new temporary password (returned once): the account's sessions end, and the user must choose their own at next sign-in. */
  async resetPassword(p: Principal, id: string): Promise<string> {
    const user = await this.staffUser(p, id);
    this.need(p, { user: { memberships: user.memberships }, account: true });
    const temporaryPassword = temporary();
    await this.users.setPassword(id, await hashPassword(temporaryPassword), true);
    await this.sessions.endAllFor(id);
    return temporaryPassword;
  }

  /** Gives a membership of an organisation with a role (or changes the role there). */
  async giveMembership(p: Principal, id: string, input: { organization?: string; role?: string }): Promise<void> {
    const user = await this.staffUser(p, id);
    const problems: { field: string; text: string }[] = [];
    const role = this.roleOf(input.role, problems);
    const organizationId = await this.organizationOf(p, input.organization, problems);
    if (problems.length > 0) throw new AdminInputError(problems);
    this.need(p, { user: { memberships: user.memberships }, organizationId, role });
    await this.users.putMembership(id, organizationId!, role!);
    this.sessions.forgetUser(id);
  }

  /** Ends a membership; sessions acting for that organisation stop working at their next request. */
  async endMembership(p: Principal, id: string, organizationId: string | undefined): Promise<void> {
    const user = await this.staffUser(p, id);
    const m = user.memberships.find((x) => x.organizationId === organizationId);
    if (!m) throw new AdminInputError([{ field: 'maincontent', text: 'The account has no membership of that organisation' }]);
    this.need(p, { user: { memberships: user.memberships }, organizationId: m.organizationId });
    await this.users.endMembership(id, m.organizationId);
    this.sessions.forgetUser(id);
  }

  /**
   * An account for a resident (linked to their own Patient) or a carer (linked to their RelatedPerson,
   * acting for that person as the person's consent allows), with a temporary password returned once.
   * Identity is the administrator's to have checked (in person, or against the practice's record):
   * the link gives the account the person's record, so one Patient or RelatedPerson has one account.
   */
  async linkPerson(p: Principal, input: { kind?: string; username?: string; displayName?: string; record?: string }): Promise<{ id: string; temporaryPassword: string; patientId: string }> {
    this.needPeople(p);
    const problems: { field: string; text: string }[] = [];
    const kind = input.kind === 'resident' || input.kind === 'carer' ? input.kind : undefined;
    if (!kind) problems.push({ field: 'kind', text: 'Choose whether the account is for a resident or a carer' });
    const username = (input.username ?? '').trim();
    const displayName = (input.displayName ?? '').trim();
    const record = (input.record ?? '').trim();
    if (!username) problems.push({ field: 'username', text: 'Enter a user name' });
    else if (!USERNAME_PATTERN.test(username)) problems.push({ field: 'username', text: 'User name must be 3 to 64 letters, numbers, dots, hyphens, underscores or @, starting with a letter or number' });
    if (!displayName) problems.push({ field: 'displayName', text: 'Enter the person’s name' });
    else if (!isUsableText(displayName, { max: MAX_DISPLAY_NAME })) problems.push({ field: 'displayName', text: `Name must be ${MAX_DISPLAY_NAME} characters or fewer, without control characters` });
    let patientId: string | undefined;
    if (!record) problems.push({ field: 'record', text: 'Enter the id of the person’s record' });
    else if (!/^[A-Za-z0-9\-.]{1,64}$/.test(record)) problems.push({ field: 'record', text: 'A record id is letters, numbers, hyphens and dots, up to 64' });
    else if (kind) {
      patientId = kind === 'resident' ? record : await this.lookup.relatedPersonPatient(record);
      const registeredWith = patientId ? await this.lookup.patientRegistration(patientId) : undefined;
      if (!patientId || !registeredWith) problems.push({ field: 'record', text: kind === 'resident' ? 'There is no Patient with this id' : 'There is no RelatedPerson with this id, or it names no person' });
      else if (!can(p, 'admin.people.link', { registeredWith }).allowed) problems.push({ field: 'record', text: 'You can create accounts only for people registered with your organisation' });
      else if (await this.users.personLinked(kind === 'resident' ? { patientId } : { relatedPersonId: record })) problems.push({ field: 'record', text: 'This person already has an account' });
    }
    if (problems.length === 0 && (await this.users.findByUsername(username))) problems.push({ field: 'username', text: 'An account with this user name already exists' });
    if (problems.length > 0) throw new AdminInputError(problems);
    const temporaryPassword = temporary();
    const common = { username, displayName, passwordHash: await hashPassword(temporaryPassword), mustChangePassword: true };
    try {
      const id = await this.users.create(kind === 'resident'
        ? { ...common, kind: 'resident', patientId: patientId! }
        : { ...common, kind: 'proxy', proxyLinks: [{ relatedPersonId: record, patientId: patientId! }] });
      return { id, temporaryPassword, patientId: patientId! };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AdminInputError([{ field: 'username', text: 'An account with this user name already exists' }]);
      throw err;
    }
  }

  private needPeople(p: Principal): void {
    const d = can(p, 'admin.people.link');
    if (!d.allowed) throw forbidden(`You cannot do this: ${d.reason}`);
  }

  async listClients(p: Principal): Promise<(ClientRecord & { createdAt: Date })[]> {
    this.needClients(p);
    return this.clients.list(this.scopeOf(p), CLIENTS_LIMIT);
  }

  /** Registers a system integration (client credentials, system/ scopes); its secret is returned once. */
  async registerClient(p: Principal, input: NewClient): Promise<{ clientId: string; clientSecret: string }> {
    this.needClients(p);
    const problems: { field: string; text: string }[] = [];
    const name = (input.name ?? '').trim();
    const scope = (input.scope ?? '').trim();
    if (!name) problems.push({ field: 'name', text: 'Enter a name for the client' });
    else if (!isUsableText(name, { max: MAX_DISPLAY_NAME })) problems.push({ field: 'name', text: `Name must be ${MAX_DISPLAY_NAME} characters or fewer, without control characters` });
    if (!scope) problems.push({ field: 'scope', text: 'Enter the scopes, for example system/Patient.rs' });
    else if (!isUsableText(scope, { max: 2000 })) problems.push({ field: 'scope', text: 'Scopes must be 2,000 characters or fewer, without control characters' });
    const organizationId = await this.organizationOf(p, input.organization, problems, 'admin.clients.manage');
    if (problems.length > 0) throw new AdminInputError(problems);
    this.needClients(p, organizationId);
    try {
      const r = await this.clients.register({ organizationId, scope, name });
      return { clientId: r.clientId, clientSecret: r.clientSecret! };
    } catch (err) {
      if (err instanceof ClientRegistrationError) throw new AdminInputError([{ field: 'scope', text: err.message }]);
      throw err;
    }
  }

  private async client(p: Principal, clientId: string): Promise<ClientRecord> {
    this.needClients(p);
    const c = await this.clients.find(clientId);
    if (!c) throw notFound('There is no API client at this address');
    this.needClients(p, c.organizationId);
    return c;
  }

  async rotateSecret(p: Principal, clientId: string): Promise<string> {
    await this.client(p, clientId);
    try {
      const r = await this.clients.rotateSecret(clientId, this.clock.now());
      this.tokens.forget(r.revokedTokens);
      return r.secret;
    } catch (err) {
      if (err instanceof ClientRegistrationError) throw new AdminInputError([{ field: 'maincontent', text: err.message }]);
      throw err;
    }
  }

  /** Disables the client and revokes its tokens: it gets no new token, and its current ones stop working. */
  async revokeClient(p: Principal, clientId: string): Promise<void> {
    await this.client(p, clientId);
    this.tokens.forget(await this.clients.revoke(clientId, this.clock.now()));
  }

  private roleOf(value: string | undefined, problems: { field: string; text: string }[]): StaffRole | undefined {
    if (!value) {
      problems.push({ field: 'role', text: 'Choose a role' });
      return undefined;
    }
    if (!(STAFF_ROLES as readonly string[]).includes(value)) {
      problems.push({ field: 'role', text: `Choose one of the roles: ${Object.values(ROLE_NAMES).join(', ')}` });
      return undefined;
    }
    return value as StaffRole;
  }

  /**
   * The Organization an administrator named (its id or ODS code). A local administrator's is always
   * their own organisation's: what they typed, if anything, must name it.
   */
  private async organizationOf(p: Principal, value: string | undefined, problems: { field: string; text: string }[], verb: 'admin.users.manage' | 'admin.clients.manage' = 'admin.users.manage'): Promise<string | undefined> {
    const scope = this.scopeOf(p);
    const typed = (value ?? '').trim();
    if (!typed && scope !== 'all' && scope.length === 1) return scope[0];
    if (!typed) {
      problems.push({ field: 'organization', text: 'Enter the organisation’s ODS code or id' });
      return undefined;
    }
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(typed)) {
      problems.push({ field: 'organization', text: 'Enter an ODS code or Organization id: letters, numbers, hyphens and dots, up to 64' });
      return undefined;
    }
    let id: string | undefined;
    if (await this.lookup.exists('Organization', typed)) id = typed;
    else {
      const ids = /^[A-Z0-9]{3,10}$/i.test(typed) ? await this.lookup.organizationsByOds(typed.toUpperCase()) : [];
      if (ids.length === 1) id = ids[0];
      else if (ids.length > 1) {
        problems.push({ field: 'organization', text: `Several organisations have the ODS code ${typed.toUpperCase()}: enter the Organization id` });
        return undefined;
      }
    }
    if (!id) {
      problems.push({ field: 'organization', text: 'No organisation has this ODS code or id' });
      return undefined;
    }
    const d = can(p, verb, { organizationId: id });
    if (!d.allowed) {
      problems.push({ field: 'organization', text: 'You manage the accounts of your own organisation only' });
      return undefined;
    }
    return id;
  }
}

/** A temporary password: 16 random characters from an alphabet without look-alikes, easy to read out. */
function temporary(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = Buffer.from(randomToken(48), 'base64url');
  let out = '';
  for (const b of bytes) {
    if (b >= 256 - (256 % alphabet.length)) continue; // no modulo bias
    out += alphabet[b % alphabet.length];
    if (out.length === 16) break;
  }
  return out;
}
