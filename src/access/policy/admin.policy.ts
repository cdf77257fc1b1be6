import type { Principal, StaffRole } from '../principal.js';
import type { Decision } from './policy.js';

/**
 * Account administration: staff accounts and API clients. A system administrator manages every
 * organisation's; a local administrator (role `local-admin`) only those of the organisation they act
 * for, and never a system administrator's account or the system-admin role, so a local administrator
 * cannot make themself (or take over) a system administrator.
 */
export type AdminVerb = 'admin.users.manage' | 'admin.clients.manage' | 'admin.people.link';

/**
 * admin.people.link: an account for a resident (their own Patient) or a carer (a RelatedPerson of
 * the person they care for). `registeredWith`: the organisations the person's Patient names as GP or
 * managing organisation, resolved by the caller; a local administrator links only their own
 * organisation's registered people (absent: using the form at all).
 */
export interface AdminPersonSubject {
  registeredWith: string[];
}

/**
 * admin.users.manage: what an action touches. Absent: using the users pages at all. The caller
 * resolves the account's memberships (the policy reads no data).
 */
export interface AdminUserSubject {
  /** The organisation of a membership being given or ended, or of a new account. */
  organizationId?: string;
  /** The role being given. */
  role?: StaffRole;
  /** The account acted on, with its memberships. */
  user?: { memberships: { organizationId: string; role: StaffRole }[] };
  /**
   * The action changes the whole account (disable, enable, reset its password), not one
   * membership: it then reaches every organisation the account works for.
   */
  account?: boolean;
}

/** admin.clients.manage: the organisation of the client (absent: using the clients pages at all). */
export interface AdminClientSubject {
  organizationId: string;
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

/** The organisations whose accounts and clients `p` administers: 'all', or the one they act for (none for others). */
export function administeredOrganizations(p: Principal): 'all' | string[] {
  if (p.kind !== 'staff') return [];
  if (p.role === 'system-admin') return 'all';
  return p.role === 'local-admin' ? [p.organizationId] : [];
}

export function canAdmin(p: Principal, verb: AdminVerb, s?: AdminUserSubject | AdminClientSubject | AdminPersonSubject): Decision {
  // Administration is a person's job in the web app: never a token's (an app or integration acting through the API).
  if (p.kind !== 'staff' || p.via !== 'session') return deny('accounts are administered by an administrator signed in to the workspace');
  if (p.role === 'system-admin') return allow('a system administrator manages every organisation\'s accounts and clients');
  if (p.role !== 'local-admin') return deny('only administrators manage accounts and API clients');
  const own = p.organizationId;
  if (!s) return allow('a local administrator manages their organisation\'s accounts and clients');
  if (verb === 'admin.people.link') {
    return (s as AdminPersonSubject).registeredWith.includes(own)
      ? allow('a local administrator links accounts for people registered with their organisation')
      : deny('a local administrator links accounts only for people registered with their organisation');
  }
  const c = s as AdminUserSubject | AdminClientSubject;
  if (c.organizationId !== undefined && c.organizationId !== own) return deny('a local administrator manages only the organisation they act for');
  if (verb === 'admin.clients.manage') return allow('a local administrator manages their organisation\'s API clients');
  const u = c as AdminUserSubject;
  if (u.role === 'system-admin') return deny('only a system administrator gives the system administrator role');
  if (u.user) {
    const ms = u.user.memberships;
    if (!ms.some((m) => m.organizationId === own)) return deny('the account does not work for the local administrator\'s organisation');
    if (ms.some((m) => m.role === 'system-admin')) return deny('only a system administrator manages a system administrator\'s account');
    if (u.account && ms.some((m) => m.organizationId !== own)) {
      return deny('the account works for other organisations too: a system administrator changes the whole account');
    }
  }
  return allow('a local administrator manages their organisation\'s accounts');
}
