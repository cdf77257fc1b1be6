import type { HealthcareService, Resource } from '@medplum/fhirtypes';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { StaffPrincipal, StaffRole } from '../access/principal.js';
import type { Platform } from '../platform.js';
import { testNhsNumber } from '../record-view/care.fixtures.js';
import { NHS_NUMBER_SYSTEM } from '../fhir/nhs-number.js';
import type { NewReferral } from './referral.service.js';

/**
 * A small world for the referral tests (synthetic people, 999-range NHS numbers): a practice with a
 * link worker and a GP, two voluntary organisations (A runs a befriending service, B a carers'
 * service), a service that has closed, and two people registered at the practice.
 */
export const REF = {
  practice: 'org-ref-practice', vcsA: 'org-ref-vcs-a', vcsB: 'org-ref-vcs-b',
  serviceA: 'hs-ref-befriending', serviceB: 'hs-ref-carers', closed: 'hs-ref-closed',
  linkWorker: 'pr-ref-link', gp: 'pr-ref-gp', vcsWorkerA: 'pr-ref-vcs-a', vcsWorkerB: 'pr-ref-vcs-b',
  pat: 'pat-ref-ada', other: 'pat-ref-bill',
} as const;
export const REF_PASSWORD = 'onestory-demo';

export function refPrincipal(role: StaffRole, org: string, practitionerId: string, name = practitionerId): StaffPrincipal {
  return { kind: 'staff', id: `u-${practitionerId}`, displayName: name, role, organizationId: org, organizationIds: [org], practitionerId, via: 'session', credentialId: 'test' };
}

export const PEOPLE = {
  linkWorker: refPrincipal('link-worker', REF.practice, REF.linkWorker, 'Lena Link'),
  gp: refPrincipal('gp', REF.practice, REF.gp, 'Dr Gita Patel'),
  vcsA: refPrincipal('vcse-worker', REF.vcsA, REF.vcsWorkerA, 'Val Ames'),
  vcsB: refPrincipal('vcse-worker', REF.vcsB, REF.vcsWorkerB, 'Ben Brook'),
};

const service = (id: string, org: string, name: string, extra: Partial<HealthcareService> = {}): Resource => ({
  resourceType: 'HealthcareService', id, active: true, providedBy: { reference: `Organization/${org}` }, name,
  type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/service-type', code: 'befriending' }], text: name }],
  availableTime: [{ daysOfWeek: ['sat'], availableStartTime: '10:00:00', availableEndTime: '13:00:00' }], ...extra,
} as Resource);

export async function seedReferralWorld(platform: Platform): Promise<void> {
  const put = (r: Resource) => platform.resources.update(r.resourceType, r.id!, r);
  for (const [id, name] of [[REF.practice, 'Orchard Practice'], [REF.vcsA, 'Ashford Good Neighbours'], [REF.vcsB, 'Carers First Ashford']]) {
    await put({ resourceType: 'Organization', id, name } as Resource);
  }
  for (const [id, given, family, org] of [[REF.linkWorker, 'Lena', 'Link', REF.practice], [REF.gp, 'Gita', 'Patel', REF.practice], [REF.vcsWorkerA, 'Val', 'Ames', REF.vcsA], [REF.vcsWorkerB, 'Ben', 'Brook', REF.vcsB]]) {
    await put({ resourceType: 'Practitioner', id, name: [{ given: [given], family }] } as Resource);
    await put({ resourceType: 'PractitionerRole', id: `role-${id}`, practitioner: { reference: `Practitioner/${id}` }, organization: { reference: `Organization/${org}` } } as Resource);
  }
  await put(service(REF.serviceA, REF.vcsA, 'Befriending, Ashford'));
  await put(service(REF.serviceB, REF.vcsB, 'Carers’ support, Ashford'));
  await put(service(REF.closed, REF.vcsB, 'Lunch club (closed)', { active: false }));
  for (const [id, given, family, n] of [[REF.pat, 'Ada', 'Lovelace', 710], [REF.other, 'Bill', 'Baker', 720]] as const) {
    await put({
      resourceType: 'Patient', id, meta: { tag: [recordedByTag(REF.practice)] }, name: [{ given: [given], family }],
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: testNhsNumber(n) }], birthDate: '1944-02-03',
      telecom: [{ system: 'phone', value: '01632 960555' }], address: [{ line: ['1 Mill Lane'], city: 'Ashford', postalCode: 'TN23 1AA' }],
      generalPractitioner: [{ reference: `Organization/${REF.practice}` }],
    } as Resource);
    await put({
      resourceType: 'Condition', id: `cond-${id}`, subject: { reference: `Patient/${id}` }, meta: { tag: [recordedByTag(REF.practice)] },
      code: { text: 'Depression' }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    } as Resource);
  }
  await createStaff(platform, 'ref.link', REF_PASSWORD, [{ organizationId: REF.practice, role: 'link-worker', practitionerId: REF.linkWorker }]);
  await createStaff(platform, 'ref.vcs.a', REF_PASSWORD, [{ organizationId: REF.vcsA, role: 'vcse-worker', practitionerId: REF.vcsWorkerA }]);
  await createStaff(platform, 'ref.vcs.b', REF_PASSWORD, [{ organizationId: REF.vcsB, role: 'vcse-worker', practitionerId: REF.vcsWorkerB }]);
}

let keys = 0;
/** A referral of Ada to the befriending service, with a fresh idempotency key unless given. */
export function newReferral(o: Partial<NewReferral> = {}): NewReferral {
  return {
    patientId: REF.pat, serviceId: REF.serviceA, reason: 'Lonely since her husband died; would like company', priority: 'routine',
    consentGiven: true, share: ['what-matters'], whatMatters: 'Getting back to the allotment', idempotencyKey: `test-key-${String(++keys).padStart(6, "0")}`, ...o,
  };
}
