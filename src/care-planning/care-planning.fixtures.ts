import type { Resource } from '@medplum/fhirtypes';
import { identityFor } from '../access/identity/identity.js';
import { hashPassword } from '../access/identity/password.service.js';
import type { StaffPrincipal } from '../access/principal.js';
import { CARE_ORGS, CARE_PASSWORD, seedCareWorld } from '../record-view/care.fixtures.js';
import type { Platform } from '../platform.js';

/**
 * The care world (src/record-view/care.fixtures.ts) with the people who plan care together: Margaret
 * Hollis's GP (Helen Shah, Riverside Surgery), her social worker (Tom Reilly, Adult Social Care) and
 * her community nurse (Amira Okafor, already a user), a voluntary organisation (Carers' Support
 * Maidstone) to give actions to, and a GP at another practice with no relationship with her.
 */
export const PLAN_USERS = {
  gp: { username: 'gp.plans', displayName: 'Helen Shah', role: 'gp' as const, organizationId: CARE_ORGS.gp, practitionerId: 'pr-gp' },
  socialWorker: { username: 'sw.plans', displayName: 'Tom Reilly', role: 'social-worker' as const, organizationId: CARE_ORGS.council, practitionerId: 'pr-sw' },
  /** Amira Okafor, the community nurse on Margaret's team, acting as her care coordinator. */
  coordinator: { username: 'cc.plans', displayName: 'Amira Okafor', role: 'care-coordinator' as const, organizationId: CARE_ORGS.community, practitionerId: 'pr-nurse' },
  stranger: { username: 'gp.hillview', displayName: 'Ravi Patel', role: 'gp' as const, organizationId: CARE_ORGS.gp2, practitionerId: 'pr-hillview' },
};

const EXTRA: Resource[] = [
  { resourceType: 'Practitioner', id: 'pr-hillview', name: [{ given: ['Ravi'], family: 'Patel' }] } as Resource,
  { resourceType: 'PractitionerRole', id: 'role-sw', practitioner: { reference: 'Practitioner/pr-sw' }, organization: { reference: `Organization/${CARE_ORGS.council}` }, code: [{ text: 'Social worker' }] } as Resource,
];

export async function seedPlanWorld(platform: Platform): Promise<void> {
  await seedCareWorld(platform);
  for (const r of EXTRA) await platform.resources.update(r.resourceType, r.id!, r);
  const users = identityFor(platform).users;
  const passwordHash = await hashPassword(CARE_PASSWORD);
  for (const u of Object.values(PLAN_USERS)) {
    await users.create({ kind: 'staff', username: u.username, displayName: u.displayName, passwordHash, memberships: [{ organizationId: u.organizationId, role: u.role, practitionerId: u.practitionerId }] });
  }
}

/** The principal a fixture user acts as (for service-level tests). */
export function staffPrincipal(u: (typeof PLAN_USERS)[keyof typeof PLAN_USERS] | { username: string; displayName: string; role: StaffPrincipal['role']; organizationId: string; practitionerId?: string }): StaffPrincipal {
  return {
    kind: 'staff', id: u.username, displayName: u.displayName, role: u.role, organizationId: u.organizationId, organizationIds: [u.organizationId],
    ...(u.practitionerId ? { practitionerId: u.practitionerId } : {}), via: 'session', credentialId: `test-${u.username}`,
  };
}
