import { randomBytes } from 'node:crypto';
import { identityFor } from '../src/access/identity/identity.js';
import { hashPassword } from '../src/access/identity/password.service.js';
import type { Platform } from '../src/platform.js';
import { BENCH_GP_ID, BENCH_PRACTICE_ID } from './fixtures.js';

/** How the bench signs in (bench/run.ts's scenarios, the discharge board, the outcomes dashboard): over HTTP, as a browser does. */
export interface SignedIn {
  headers: Record<string, string>;
  username: string;
}

/** A staff member the bench signs in as: by default the GP of the practice every fixture patient is registered with. */
export interface StaffMember {
  role: 'gp' | 'discharge-coordinator' | 'icb-analyst';
  organizationId: string;
  /** Clinical roles act with their Practitioner; an analyst has none. */
  practitionerId?: string;
  displayName: string;
}
export const BENCH_GP: StaffMember = { role: 'gp', organizationId: BENCH_PRACTICE_ID, practitionerId: BENCH_GP_ID, displayName: 'Dr Gwen Bench' };

/**
 * A staff member (by default a GP of the bench practice, acting for it, with its Practitioner), signed
 * in over HTTP as a browser does (POST /auth/sign-in): the session cookie on every request, and the
 * session's CSRF token (X-CSRF-Token), which writes made with a cookie need; GETs need none but carry it harmlessly.
 */
export async function signInStaff(platform: Platform, url: string, who: StaffMember = BENCH_GP): Promise<SignedIn> {
  const username = `bench.${who.role}.${process.pid}.${Date.now()}`;
  const password = randomBytes(18).toString('base64url');
  await identityFor(platform).users.create({
    kind: 'staff', username, displayName: who.displayName, passwordHash: await hashPassword(password),
    memberships: [{ organizationId: who.organizationId, role: who.role, ...(who.practitionerId ? { practitionerId: who.practitionerId } : {}) }],
  });
  const res = await fetch(`${url}/auth/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${text.slice(0, 500)}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const body = JSON.parse(text) as { csrfToken?: string; user?: { role?: string; organizationId?: string } };
  if (!cookie.includes('=') || !body.csrfToken) throw new Error(`sign-in answered 200 without a session cookie or CSRF token: ${text.slice(0, 500)}`);
  if (body.user?.role !== who.role || body.user?.organizationId !== who.organizationId) {
    throw new Error(`signed in as ${JSON.stringify(body.user)}, not a ${who.role} acting for ${who.organizationId}`);
  }
  return { headers: { cookie, 'x-csrf-token': body.csrfToken }, username };
}
