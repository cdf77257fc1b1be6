import type { Resource } from '@medplum/fhirtypes';
import { staff } from '../access/policy/policy.fixtures.js';
import { CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, recordedByTag, RESOURCE_TYPES_SYSTEM } from '../access/policy/policy-codes.js';
import { ext } from '../synth/fhir.helpers.js';
import { EXT } from './discharge.vocabulary.js';

/**
 * A small hand-built world for the discharge tests, dated from DISCHARGE_NOW (a Monday):
 * - the acute trust org-trust (ward loc-ward-a at site loc-site), another trust org-trust2;
 * - Kent County Council (org-kcc: reablement and adult social care), the community trust
 *   (org-community: urgent community response), a voluntary group (org-vcs: befriending in Maidstone),
 *   the practice org-practice;
 * - in hospital at org-trust: pat-a (born 1940, admitted 25 days ago, ready for 6 days: awaiting
 *   reablement), pat-b (born 1950, 10 days, meets the criteria), pat-c (born 1990, 2 days, not reviewed);
 *   at org-trust2: pat-x (nobody at org-trust may see them);
 * - pat-a's carer rp-a, with a proxy grant covering CarePlan and Encounter.
 */
export const DISCHARGE_NOW = new Date('2026-03-02T09:00:00Z');
const day = (n: number) => new Date(DISCHARGE_NOW.getTime() + n * 86_400_000).toISOString().slice(0, 10);

export const coordinator = staff('discharge-coordinator', 'org-trust', { id: 'u-dc', practitionerId: 'pr-dc', displayName: 'Dee Cole' });
export const otherCoordinator = staff('discharge-coordinator', 'org-trust2', { id: 'u-dc2', practitionerId: 'pr-dc2', displayName: 'Di Coe' });
export const councilWorker = staff('social-worker', 'org-kcc', { id: 'u-sw', practitionerId: 'pr-sw', displayName: 'Sam Wells' });
export const communityNurse = staff('community-nurse', 'org-community', { id: 'u-cn', practitionerId: 'pr-cn', displayName: 'Cal North' });
export const practiceGp = staff('gp', 'org-practice', { id: 'u-gp', practitionerId: 'pr-gp', displayName: 'Gia Park' });

const hs = (id: string, org: string, kind: string, name: string, district?: string): Resource => ({
  resourceType: 'HealthcareService', id, active: true, providedBy: { reference: `Organization/${org}` }, name,
  type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/service-type', code: kind, display: name }] }],
  ...(district ? { extension: [{ url: ext.district, valueString: district }] } : {}),
} as Resource);

const patient = (id: string, birthDate: string, name: string): Resource => ({
  resourceType: 'Patient', id, birthDate, name: [{ given: [name.split(' ')[0]], family: name.split(' ')[1] }],
  generalPractitioner: [{ reference: 'Organization/org-practice' }], extension: [{ url: ext.district, valueString: 'maidstone' }],
  meta: { tag: [recordedByTag('org-practice')] },
} as Resource);

const stay = (id: string, pat: string, trust: string, admitted: number, extra: Record<string, unknown> = {}): Resource => ({
  resourceType: 'Encounter', id, status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
  subject: { reference: `Patient/${pat}` }, serviceProvider: { reference: `Organization/${trust}` }, period: { start: `${day(admitted)}T10:00:00Z` },
  location: [{ location: { reference: 'Location/loc-site' } }, { location: { reference: 'Location/loc-ward-a', display: 'Ward A' }, physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'wa' }] } }],
  meta: { tag: [recordedByTag(trust)] }, ...extra,
} as Resource);

export const DISCHARGE_WORLD: Resource[] = [
  ...[['org-trust', 'Maidstone Hospital Trust'], ['org-trust2', 'Other Hospital Trust'], ['org-kcc', 'Kent County Council'], ['org-community', 'Kent Community Health'],
    ['org-vcs', 'Maidstone Good Neighbours'], ['org-vcs2', 'Thanet Good Neighbours'], ['org-practice', 'Orchard Practice']]
    .map(([id, name]) => ({ resourceType: 'Organization', id, name }) as Resource),
  ...['pr-dc', 'pr-dc2', 'pr-sw', 'pr-cn', 'pr-gp'].map((id) => ({ resourceType: 'Practitioner', id, name: [{ text: id }] }) as Resource),
  { resourceType: 'Location', id: 'loc-site', name: 'Maidstone Hospital', status: 'active' } as Resource,
  { resourceType: 'Location', id: 'loc-ward-a', name: 'Ward A', status: 'active' } as Resource,
  hs('hs-reablement', 'org-kcc', 'reablement', 'Kent Enablement at Home'),
  hs('hs-asc', 'org-kcc', 'adult-social-care', 'Kent adult social care'),
  hs('hs-ucr', 'org-community', 'urgent-community-response', 'Urgent community response'),
  hs('hs-vcs', 'org-vcs', 'befriending', 'Befriending, Maidstone', 'maidstone'),
  hs('hs-vcs2', 'org-vcs2', 'befriending', 'Befriending, Thanet', 'thanet'),
  patient('pat-a', '1940-05-01', 'Ada Aske'),
  patient('pat-b', '1950-06-01', 'Bea Birch'),
  patient('pat-c', '1990-07-01', 'Cy Cole'),
  patient('pat-x', '1945-01-01', 'Xan Xu'),
  stay('enc-a', 'pat-a', 'org-trust', -25, {
    extension: [
      { url: EXT.readyDate, valueDateTime: day(-6) },
      { url: EXT.delayReason, valueCodeableConcept: { coding: [{ system: 'https://onestory.example/fhir/CodeSystem/discharge-delay-reason', code: 'awaiting-reablement' }] } },
      { url: EXT.expectedDate, valueDate: day(2) },
      { url: EXT.criteriaReviewed, valueDateTime: `${day(0)}T08:00:00Z` },
    ],
  }),
  stay('enc-b', 'pat-b', 'org-trust', -10, { extension: [{ url: EXT.criteriaReviewed, valueDateTime: `${day(0)}T08:30:00Z` }] }),
  stay('enc-c', 'pat-c', 'org-trust', -2),
  stay('enc-x', 'pat-x', 'org-trust2', -30, { extension: [{ url: EXT.readyDate, valueDateTime: day(-3) }] }),
  { resourceType: 'RelatedPerson', id: 'rp-a', patient: { reference: 'Patient/pat-a' }, name: [{ text: 'Rae Aske' }], meta: { tag: [recordedByTag('org-practice')] } } as Resource,
  {
    resourceType: 'Consent', id: 'consent-rp-a', status: 'active', patient: { reference: 'Patient/pat-a' },
    scope: { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] },
    category: [{ text: 'proxy access' }], policyRule: { text: 'Carer access agreed with the person' },
    provision: { type: 'permit', actor: [{ role: { text: 'carer' }, reference: { reference: 'RelatedPerson/rp-a' } }], class: ['CarePlan', 'Encounter'].map((code) => ({ system: RESOURCE_TYPES_SYSTEM, code })) },
    meta: { tag: [recordedByTag('org-practice')] },
  } as Resource,
];

export { day as dischargeDay };
