import { createStaff } from '../access/identity/identity.test-helpers.js';
import { CONSENT_SCOPE_PRIVACY, CONSENT_SCOPE_SYSTEM, recordedByTag } from '../access/policy/policy-codes.js';
import { NHS_NUMBER_SYSTEM, nhsCheckDigit } from '../fhir/nhs-number.js';
import type { Platform } from '../platform.js';
import { CARE_PASSWORD } from '../record-view/care.fixtures.js';

/**
 * A small world for the lists behind the indicators: one network (pcn-o) of two practices (prac-o1,
 * prac-o2), a hospital whose midwives record smoking at delivery, a Smokefree pregnancy service, and
 * mothers in every state; a GP at each practice, a community nurse with no registered list, an ICB
 * analyst. Written through the record, so the index, relationships and objections are real.
 */
export const AL_NOW = new Date('2025-07-01T12:00:00Z');
export const AL_USERS = { gp1: 'al.gp1', gp2: 'al.gp2', nurse: 'al.nurse', analyst: 'al.analyst', reception: 'al.reception' } as const;

const SNOMED = 'http://snomed.info/sct';
const CS = 'https://onestory.example/fhir/CodeSystem';
const daysAgo = (n: number) => new Date(AL_NOW.getTime() - n * 86_400_000).toISOString().slice(0, 10);

interface Mother {
  id: string;
  practice: 'prac-o1' | 'prac-o2';
  smoker: boolean;
  /** Days before AL_NOW of the delivery. */
  delivered: number;
  /** A referral to the Smokefree pregnancy service, this many days before the delivery (negative: after), with this status. */
  referral?: { before: number; status: string };
  objects?: boolean;
}

export const AL_MOTHERS: Mother[] = [
  { id: 'o1-smoker-a', practice: 'prac-o1', smoker: true, delivered: 60 },
  { id: 'o1-smoker-c', practice: 'prac-o1', smoker: true, delivered: 200, referral: { before: 100, status: 'revoked' } },
  { id: 'o1-postnatal', practice: 'prac-o1', smoker: true, delivered: 30, referral: { before: 500, status: 'completed' } },
  { id: 'o1-referred', practice: 'prac-o1', smoker: true, delivered: 150, referral: { before: 90, status: 'active' } },
  { id: 'o1-referred-after', practice: 'prac-o1', smoker: true, delivered: 120, referral: { before: -10, status: 'completed' } },
  { id: 'o1-non-smoker', practice: 'prac-o1', smoker: false, delivered: 40 },
  { id: 'o1-last-year', practice: 'prac-o1', smoker: true, delivered: 400 },
  { id: 'o1-objects', practice: 'prac-o1', smoker: true, delivered: 90, objects: true },
  { id: 'o2-smoker', practice: 'prac-o2', smoker: true, delivered: 70 },
];
/** Who GP 1 sees on the O1.1 list for their practice, most recent delivery first. */
export const AL_GP1_LIST = ['o1-postnatal', 'o1-smoker-a', 'o1-smoker-c'];

export async function seedActionableListWorld(platform: Platform): Promise<void> {
  const put = (type: string, id: string, body: object) => platform.resources.update(type, id, { resourceType: type, id, ...body });
  await put('Organization', 'pcn-o', { name: 'Orchard Primary Care Network', active: true });
  await put('Organization', 'prac-o1', { name: 'Orchard Surgery', active: true, partOf: { reference: 'Organization/pcn-o' } });
  await put('Organization', 'prac-o2', { name: 'Brookside Practice', active: true, partOf: { reference: 'Organization/pcn-o' } });
  await put('Organization', 'acute-o', { name: 'Orchard County Hospital', active: true });
  await put('Organization', 'community-o', { name: 'Orchard Community Health', active: true });
  await put('HealthcareService', 'hs-smokefree', {
    active: true, name: 'Smokefree pregnancy service, Orchard', providedBy: { reference: 'Organization/acute-o' },
    type: [{ coding: [{ system: `${CS}/service-type`, code: 'stop-smoking', display: 'Stop smoking' }] }],
  });
  for (const m of AL_MOTHERS) {
    await put('Patient', m.id, {
      name: [{ family: `Mother-${m.id}`, given: ['Test'] }], gender: 'female', birthDate: '1995-03-01',
      identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumberFor(AL_MOTHERS.indexOf(m)) }],
      generalPractitioner: [{ reference: `Organization/${m.practice}` }], managingOrganization: { reference: `Organization/${m.practice}` },
      meta: { tag: [recordedByTag(m.practice)] },
    });
    await put('Observation', `${m.id}-satod`, {
      status: 'final', meta: { tag: [recordedByTag('acute-o')] },
      code: { coding: [{ system: `${CS}/observation`, code: 'smoking-at-delivery', display: 'Smoking status at time of delivery' }] },
      subject: { reference: `Patient/${m.id}` }, effectiveDateTime: daysAgo(m.delivered),
      valueCodeableConcept: { coding: [{ system: SNOMED, code: m.smoker ? '77176002' : '8392000', display: m.smoker ? 'Smoker' : 'Non-smoker' }] },
    });
    if (m.referral) {
      await put('ServiceRequest', `${m.id}-sr`, {
        status: m.referral.status, intent: 'order', subject: { reference: `Patient/${m.id}` }, authoredOn: daysAgo(m.delivered + m.referral.before),
        performer: [{ reference: 'HealthcareService/hs-smokefree' }], meta: { tag: [recordedByTag(m.practice)] },
      });
    }
    if (m.objects) {
      await put('Consent', `${m.id}-objection`, {
        status: 'active', patient: { reference: `Patient/${m.id}` }, meta: { tag: [recordedByTag(m.practice)] },
        scope: { coding: [{ system: CONSENT_SCOPE_SYSTEM, code: CONSENT_SCOPE_PRIVACY }] }, category: [{ text: 'sharing objection' }],
        policyRule: { text: 'no sharing beyond the recording organisation' }, provision: { type: 'deny' },
      });
    }
  }
  await createStaff(platform, AL_USERS.gp1, CARE_PASSWORD, [{ organizationId: 'prac-o1', role: 'gp' }]);
  await createStaff(platform, AL_USERS.gp2, CARE_PASSWORD, [{ organizationId: 'prac-o2', role: 'gp' }]);
  await createStaff(platform, AL_USERS.nurse, CARE_PASSWORD, [{ organizationId: 'community-o', role: 'community-nurse' }]);
  await createStaff(platform, AL_USERS.analyst, CARE_PASSWORD, [{ organizationId: 'community-o', role: 'icb-analyst' }]);
  await createStaff(platform, AL_USERS.reception, CARE_PASSWORD, [{ organizationId: 'prac-o1', role: 'receptionist' }]);
}

/** A valid NHS number in the 999 test range. */
function nhsNumberFor(i: number): string {
  for (let n = 999010000 + i * 10; ; n++) {
    const check = nhsCheckDigit(String(n));
    if (check !== undefined) return `${n}${check}`;
  }
}
