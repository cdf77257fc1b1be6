import type { ClientPrincipal, ProxyPrincipal, ResidentPrincipal, StaffPrincipal } from '../principal.js';

/** Principals for the audit tests. */
export const gp: StaffPrincipal = {
  kind: 'staff', id: 'u-gp-1', displayName: 'Dr Asha Patel', via: 'session', credentialId: 'sess-1',
  role: 'gp', organizationId: 'org-practice-1', organizationIds: ['org-practice-1'], practitionerId: 'pr-1',
};
export const socialWorker: StaffPrincipal = {
  kind: 'staff', id: 'u-sw-1', displayName: 'Sam Jones', via: 'token', credentialId: 'jti-9',
  role: 'social-worker', organizationId: 'org-council-1', organizationIds: ['org-council-1'],
};
export const resident: ResidentPrincipal = {
  kind: 'resident', id: 'u-res-1', displayName: 'Jo Bloggs', via: 'session', credentialId: 'sess-2', patientId: 'pat-1',
};
export const carer: ProxyPrincipal = {
  kind: 'proxy', id: 'u-carer-1', displayName: 'Chris Bloggs', via: 'session', credentialId: 'sess-3',
  relatedPersonIds: ['rp-1'], patientIds: ['pat-1'],
};
export const client: ClientPrincipal = {
  kind: 'client', id: 'client-abc', displayName: 'Hospital EPR', via: 'token', credentialId: 'jti-7', organizationId: 'org-trust-1',
};
export const privacyOfficer: StaffPrincipal = {
  kind: 'staff', id: 'u-po-1', displayName: 'Pat Privacy', via: 'session', credentialId: 'sess-4',
  role: 'privacy-officer', organizationId: 'org-icb-1', organizationIds: ['org-icb-1'],
};
