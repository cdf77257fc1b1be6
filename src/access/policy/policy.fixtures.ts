import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import { PLATFORM_WRITTEN } from '../../fhir/resource.service.js';
import type { Platform } from '../../platform.js';
import { writeAsPlatform } from '../../testing/test-platform.js';
import type { ClientPrincipal, ProxyPrincipal, ResidentPrincipal, Scope, StaffPrincipal, StaffRole } from '../principal.js';
import { ACT_CODE_SYSTEM, CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, ONESTORY_LABEL_SYSTEM, recordedByTag, RESOURCE_TYPES_SYSTEM, WITHHELD_FROM_PATIENT } from './policy-codes.js';
import './index.js';
import { recordAuditEventFixture } from '../../testing/audit-events.js';

/**
 * A small world for policy tests. Organisations: two practices (gp-a, gp-b), a mental health trust
 * (mh, with service hs-mh), an acute trust (acute), a council (council), the ICB (icb).
 *   pat-a   registered at gp-a; obs-a (gp-a), cond-a-psy (labelled PSY, recorded by mh),
 *           obs-a-withheld (withheld from the patient, gp-a), obs-a-sg (safeguarding, gp-a);
 *           proxy rp-a (carer) granted Observation by consent-proxy-a.
 *   pat-b   registered at gp-b; obs-b (gp-b). Nobody else is related.
 *   pat-c   registered at gp-a, objects to sharing (consent-c); open Encounter enc-c at acute;
 *           obs-c-gp (gp-a), obs-c-acute (acute).
 *   pat-d   registered at gp-b; an active referral (sr-d) to hs-mh; obs-d (gp-b).
 *   ae-a    an AuditEvent about pat-a.
 */
export const NOW = new Date('2025-03-01T10:00:00Z');

const org = (id: string): Resource => ({ resourceType: 'Organization', id, name: id } as Resource);
const tagged = (r: any, by: string) => ({ ...r, meta: { ...(r.meta ?? {}), tag: [recordedByTag(by)] } });
const obs = (id: string, patient: string, by: string, security?: { system: string; code: string }[]) =>
  tagged({
    resourceType: 'Observation', id, status: 'final', code: { text: id },
    subject: { reference: `Patient/${patient}` }, ...(security ? { meta: { security } } : {}),
  }, by);
const patient = (id: string, gp: string, by = gp) =>
  tagged({ resourceType: 'Patient', id, name: [{ family: id }], generalPractitioner: [{ reference: `Organization/${gp}` }], managingOrganization: { reference: `Organization/${gp}` } }, by);

export const WORLD: Resource[] = [
  ...['gp-a', 'gp-b', 'mh', 'acute', 'council', 'icb'].map(org),
  { resourceType: 'HealthcareService', id: 'hs-mh', providedBy: { reference: 'Organization/mh' }, name: 'Crisis team' } as Resource,
  { resourceType: 'Practitioner', id: 'pr-gp', name: [{ family: 'Doc' }] } as Resource,
  { resourceType: 'Questionnaire', id: 'q1', status: 'active' } as Resource,
  patient('pat-a', 'gp-a'),
  patient('pat-b', 'gp-b'),
  patient('pat-c', 'gp-a'),
  patient('pat-d', 'gp-b'),
  obs('obs-a', 'pat-a', 'gp-a'),
  tagged({ resourceType: 'Condition', id: 'cond-a-psy', subject: { reference: 'Patient/pat-a' }, code: { text: 'depression' }, meta: { security: [{ system: ACT_CODE_SYSTEM, code: 'PSY' }] } }, 'mh'),
  obs('obs-a-withheld', 'pat-a', 'gp-a', [WITHHELD_FROM_PATIENT]),
  obs('obs-a-sg', 'pat-a', 'gp-a', [{ system: ONESTORY_LABEL_SYSTEM, code: 'safeguarding' }]),
  obs('obs-b', 'pat-b', 'gp-b'),
  obs('obs-c-gp', 'pat-c', 'gp-a'),
  obs('obs-c-acute', 'pat-c', 'acute'),
  tagged({ resourceType: 'Encounter', id: 'enc-c', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/pat-c' }, serviceProvider: { reference: 'Organization/acute' } }, 'acute'),
  tagged({
    resourceType: 'Consent', id: 'consent-c', status: 'active', patient: { reference: 'Patient/pat-c' },
    scope: { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] }, category: [{ text: 'sharing objection' }],
    policyRule: { text: 'no sharing beyond the recording organisation' }, provision: { type: 'deny' },
  }, 'gp-a'),
  obs('obs-d', 'pat-d', 'gp-b'),
  tagged({ resourceType: 'ServiceRequest', id: 'sr-d', status: 'active', intent: 'order', subject: { reference: 'Patient/pat-d' }, performer: [{ reference: 'HealthcareService/hs-mh' }] }, 'gp-b'),
  tagged({ resourceType: 'RelatedPerson', id: 'rp-a', patient: { reference: 'Patient/pat-a' }, name: [{ family: 'Carer' }] }, 'gp-a'),
  tagged({
    resourceType: 'Consent', id: 'consent-proxy-a', status: 'active', patient: { reference: 'Patient/pat-a' },
    scope: { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] }, category: [{ text: 'proxy access' }],
    policyRule: { text: 'carer access' },
    provision: { type: 'permit', actor: [{ role: { text: 'carer' }, reference: { reference: 'RelatedPerson/rp-a' } }], class: [{ system: RESOURCE_TYPES_SYSTEM, code: 'Observation' }] },
  }, 'gp-a'),
  {
    resourceType: 'AuditEvent', id: 'ae-a', type: { code: 'rest' }, recorded: '2025-01-01T00:00:00Z',
    agent: [{ requestor: true, who: { reference: 'Practitioner/pr-gp' } }], source: { observer: { display: 'onestory' } },
    entity: [{ what: { reference: 'Patient/pat-a' } }],
  } as Resource,
];

export async function seedWorld(platform: Platform): Promise<void> {
  for (const r of WORLD) {
    // AuditEvents are recorded by the platform in its audit table, never through the client-facing service.
    if (r.resourceType === 'AuditEvent') await recordAuditEventFixture(platform, r as AuditEvent & { id: string });
    else if (PLATFORM_WRITTEN.has(r.resourceType)) await writeAsPlatform(platform, r as Resource & { id: string });
    else await platform.resources.update(r.resourceType, r.id!, r);
  }
}

export function staff(role: StaffRole, organizationId: string, extra: Partial<StaffPrincipal> = {}): StaffPrincipal {
  return {
    kind: 'staff', id: `u-${role}-${organizationId}`, displayName: `${role} at ${organizationId}`, role, organizationId,
    organizationIds: [organizationId], via: 'session', credentialId: 's1', ...extra,
  };
}

export const resident = (patientId: string): ResidentPrincipal => ({ kind: 'resident', id: `u-${patientId}`, displayName: patientId, patientId, via: 'session', credentialId: 's2' });

export const proxy = (relatedPersonIds: string[], patientIds: string[]): ProxyPrincipal => ({
  kind: 'proxy', id: `u-proxy-${relatedPersonIds.join('-')}`, displayName: 'carer', relatedPersonIds, patientIds, via: 'session', credentialId: 's3',
});

export function scope(text: string): Scope {
  const m = /^(patient|user|system)\/([A-Za-z*]+)\.([cruds]+|read|write|\*)$/.exec(text)!;
  const v1: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
  return { context: m[1] as Scope['context'], resourceType: m[2], interactions: new Set((v1[m[3]] ?? m[3]).split('') as any) };
}

export const client = (organizationId: string, scopes: string[]): ClientPrincipal => ({
  kind: 'client', id: `c-${organizationId}`, displayName: `client of ${organizationId}`, organizationId, scopes: scopes.map(scope), via: 'token', credentialId: 't1',
});
