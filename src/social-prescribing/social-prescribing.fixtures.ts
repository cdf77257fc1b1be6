import type { Resource } from '@medplum/fhirtypes';
import { createStaff } from '../access/identity/identity.test-helpers.js';
import type { Platform } from '../platform.js';
import { refPrincipal, REF, REF_PASSWORD, seedReferralWorld } from '../referrals/referral.fixtures.js';

/**
 * The referral world (referral.fixtures.ts) with social prescribing: the practice runs a social
 * prescribing service (its link worker's caseload), and another organisation (a PCN elsewhere) has a
 * link worker of its own and a service, so "another organisation's link worker" can be tried.
 */
export const SP = { service: 'hs-sp-orchard', otherOrg: 'org-sp-other-pcn', otherService: 'hs-sp-other', otherLinkWorker: 'pr-sp-other-link' } as const;

export const SP_PEOPLE = {
  linkWorker: refPrincipal('link-worker', REF.practice, REF.linkWorker, 'Lena Link'),
  gp: refPrincipal('gp', REF.practice, REF.gp, 'Dr Gita Patel'),
  otherLinkWorker: refPrincipal('link-worker', SP.otherOrg, SP.otherLinkWorker, 'Omar Other'),
};

export async function seedSocialPrescribingWorld(platform: Platform): Promise<void> {
  await seedReferralWorld(platform);
  const put = (r: Resource) => platform.resources.update(r.resourceType, r.id!, r);
  await put({ resourceType: 'Organization', id: SP.otherOrg, name: 'Elsewhere PCN' } as Resource);
  await put({ resourceType: 'Practitioner', id: SP.otherLinkWorker, name: [{ given: ['Omar'], family: 'Other' }] } as Resource);
  await put({ resourceType: 'PractitionerRole', id: `role-${SP.otherLinkWorker}`, practitioner: { reference: `Practitioner/${SP.otherLinkWorker}` }, organization: { reference: `Organization/${SP.otherOrg}` } } as Resource);
  for (const [id, org, name] of [[SP.service, REF.practice, 'Social prescribing, Orchard'], [SP.otherService, SP.otherOrg, 'Social prescribing, Elsewhere']]) {
    await put({
      resourceType: 'HealthcareService', id, active: true, providedBy: { reference: `Organization/${org}` }, name,
      type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/service-type', code: 'social-prescribing' }], text: 'Social prescribing' }],
    } as Resource);
  }
  await createStaff(platform, 'sp.other', REF_PASSWORD, [{ organizationId: SP.otherOrg, role: 'link-worker', practitionerId: SP.otherLinkWorker }]);
}
