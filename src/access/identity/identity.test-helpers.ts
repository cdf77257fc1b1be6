import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.js';
import type { StaffRole } from '../principal.js';
import { identityFor } from './identity.js';
import { hashPassword } from './password.service.js';

/** A mutable clock for tests: identity reads the time through it. */
export function fakeClock(platform: Pick<Platform, 'identity'>, start = new Date('2026-03-02T09:00:00Z')) {
  let t = start.getTime();
  identityFor(platform).clock.now = () => new Date(t);
  return {
    advance(ms: number) {
      t += ms;
    },
    now: () => new Date(t),
  };
}

export async function createOrganization(platform: Platform, id: string, ods?: string, name = `Org ${id}`) {
  await platform.resources.update('Organization', id, {
    resourceType: 'Organization', id, name,
    ...(ods ? { identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: ods }] } : {}),
  });
}

export async function createPatient(platform: Platform, id: string) {
  await platform.resources.update('Patient', id, { resourceType: 'Patient', id, name: [{ given: ['Pat'], family: id }] });
}

export async function createStaff(platform: Platform, username: string, password: string, memberships: { organizationId: string; role: StaffRole; practitionerId?: string }[]) {
  return identityFor(platform).users.create({ kind: 'staff', username, displayName: username, passwordHash: await hashPassword(password), memberships });
}

export async function createResident(platform: Platform, username: string, password: string, patientId: string) {
  return identityFor(platform).users.create({ kind: 'resident', username, displayName: username, passwordHash: await hashPassword(password), patientId });
}

/** Signs in through the API and returns the cookie header and CSRF token. */
export async function signIn(app: FastifyInstance, username: string, password: string, extra: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url: '/auth/sign-in', payload: { username, password, ...extra } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0], csrf: res.json().csrfToken as string, body: res.json(), setCookie };
}
