import type { Resource } from '@medplum/fhirtypes';
import { identityFor } from '../access/identity/identity.js';
import { hashPassword } from '../access/identity/password.service.js';
import { recordedByTag, WITHHELD_FROM_PATIENT } from '../access/policy/index.js';
import { NHS_NUMBER_SYSTEM, nhsCheckDigit } from '../fhir/nhs-number.js';
import type { Platform } from '../platform.js';

/**
 * A small hand-made world for the web app's tests (synthetic people only, NHS numbers from the 999
 * test range). One person with a full joined-up record across six organisations, one who objects to
 * sharing, one nobody here cares for (break-glass), and staff, resident and carer accounts.
 *
 *   pat-hollis   Margaret Hollis, registered at Riverside Surgery; care team: community nurse, social
 *                worker, GP; carer Peter Hollis (proxy: care plan, care team, goals, medicines, allergies,
 *                contacts, flags); a mental health entry labelled PSY (withheld from the nurse), an entry
 *                withheld from the patient; 30 contacts across every organisation.
 *   pat-penfold  Arthur Penfold, registered at Riverside Surgery, in the nurse's care team, objects to
 *                sharing: the hospital's entries are withheld from the nurse.
 *   pat-baxter   Doreen Baxter, registered elsewhere: the nurse has no relationship (break-glass).
 */
export const CARE_PASSWORD = 'onestory-demo';

/** A valid 999-range NHS number from a 7-digit seed (the first one with a check digit). */
export function testNhsNumber(seed: number): string {
  for (let s = seed; ; s++) {
    const stem = `999${String(s).padStart(6, '0')}`;
    const check = nhsCheckDigit(stem);
    if (check !== undefined) return `${stem}${check}`;
  }
}

export const NHS = { hollis: testNhsNumber(100), penfold: testNhsNumber(200), baxter: testNhsNumber(300) };

const tag = (org: string) => ({ tag: [recordedByTag(org)] });
const org = (id: string, name: string, phone: string): Resource => ({ resourceType: 'Organization', id, name, telecom: [{ system: 'phone', value: phone, use: 'work' }] } as Resource);
const practitioner = (id: string, given: string, family: string, phone: string): Resource =>
  ({ resourceType: 'Practitioner', id, name: [{ given: [given], family }], telecom: [{ system: 'phone', value: phone, use: 'work' }] } as Resource);
const subject = (p: string) => ({ reference: `Patient/${p}` });
const text = (t: string) => ({ text: t });

const ORGS = {
  gp: 'org-riverside', gp2: 'org-hillview', acute: 'org-weald-hospital', community: 'org-kent-community', council: 'org-kcc-asc',
  mh: 'org-kmmh', vcs: 'org-carers-support',
};

function contacts(): Resource[] {
  const out: Resource[] = [];
  const kinds: [string, string, string, string][] = [
    [ORGS.gp, 'gp-appointment', 'GP practice appointment', 'AMB'],
    [ORGS.acute, 'ae-attendance', 'A&E attendance', 'EMER'],
    [ORGS.community, 'community-nursing-visit', 'Community nursing home visit', 'HH'],
    [ORGS.council, 'social-care-review', 'Social care review', 'HH'],
    [ORGS.mh, 'memory-clinic', 'Memory clinic appointment', 'AMB'],
    [ORGS.vcs, 'carers-support-call', "Carers' support call", 'VR'],
  ];
  for (let i = 0; i < 30; i++) {
    const [by, code, display, cls] = kinds[i % kinds.length];
    const day = new Date(Date.UTC(2024, 0, 5) + i * 9 * 86_400_000).toISOString().slice(0, 10);
    out.push({
      resourceType: 'Encounter', id: `enc-hollis-${i + 1}`, status: 'finished', meta: tag(by),
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls },
      type: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/encounter-type', code, display }], text: display }],
      subject: subject('pat-hollis'), serviceProvider: { reference: `Organization/${by}` },
      period: { start: `${day}T10:00:00Z`, end: `${day}T10:40:00Z` },
    } as Resource);
  }
  return out;
}

export const CARE_WORLD: Resource[] = [
  org(ORGS.gp, 'Riverside Surgery', '01632 960001'),
  org(ORGS.gp2, 'Hillview Medical Centre', '01632 960002'),
  org(ORGS.acute, 'Weald General Hospital', '01632 960003'),
  org(ORGS.community, 'Kent Community Nursing', '01632 960004'),
  org(ORGS.council, 'Adult Social Care, Maidstone', '01632 960005'),
  org(ORGS.mh, 'Kent and Medway Mental Health', '01632 960006'),
  org(ORGS.vcs, "Carers' Support Maidstone", '01632 960007'),
  practitioner('pr-nurse', 'Amira', 'Okafor', '07700 900101'),
  practitioner('pr-sw', 'Tom', 'Reilly', '07700 900102'),
  practitioner('pr-gp', 'Helen', 'Shah', '01632 960001'),
  { resourceType: 'PractitionerRole', id: 'role-nurse', practitioner: { reference: 'Practitioner/pr-nurse' }, organization: { reference: `Organization/${ORGS.community}` }, code: [text('District nurse')] } as Resource,
  { resourceType: 'PractitionerRole', id: 'role-gp', practitioner: { reference: 'Practitioner/pr-gp' }, organization: { reference: `Organization/${ORGS.gp}` }, code: [text('GP')] } as Resource,

  {
    resourceType: 'Patient', id: 'pat-hollis', meta: tag(ORGS.gp),
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS.hollis }],
    name: [{ use: 'official', given: ['Margaret'], family: 'Hollis' }], gender: 'female', birthDate: '1941-05-14',
    address: [{ use: 'home', line: ['12 Orchard Close'], city: 'Maidstone', postalCode: 'ME15 6XX' }],
    telecom: [{ system: 'phone', value: '01632 960123', use: 'home' }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en', display: 'English' }], text: 'English' }, preferred: true }],
    extension: [{ url: 'https://onestory.example/fhir/StructureDefinition/communication-need', valueCodeableConcept: text('Hard of hearing: speak clearly, face her, hearing aid in left ear') }],
    generalPractitioner: [{ reference: `Organization/${ORGS.gp}` }], managingOrganization: { reference: `Organization/${ORGS.gp}` },
  } as Resource,
  {
    resourceType: 'CareTeam', id: 'ct-hollis', status: 'active', name: 'Integrated neighbourhood team', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    participant: [
      { role: [text('Named nurse (key worker)')], member: { reference: 'Practitioner/pr-nurse' }, onBehalfOf: { reference: `Organization/${ORGS.community}` } },
      { role: [text('Social worker')], member: { reference: 'Practitioner/pr-sw' }, onBehalfOf: { reference: `Organization/${ORGS.council}` } },
      { role: [text('GP')], member: { reference: 'Practitioner/pr-gp' }, onBehalfOf: { reference: `Organization/${ORGS.gp}` } },
      { role: [text('Adult social care')], member: { reference: `Organization/${ORGS.council}` } },
      { role: [text('Memory service')], member: { reference: `Organization/${ORGS.mh}` } },
    ],
  } as Resource,
  {
    // Her social worker manages the long-term support episode and is on the care team too: listed once.
    resourceType: 'EpisodeOfCare', id: 'eoc-hollis-asc', status: 'active', patient: subject('pat-hollis'), meta: tag(ORGS.council),
    type: [text('Long-term support')], managingOrganization: { reference: `Organization/${ORGS.council}` },
    careManager: { reference: 'Practitioner/pr-sw' }, period: { start: '2024-09-01' },
  } as Resource,
  {
    resourceType: 'Goal', id: 'goal-hollis-home', lifecycleStatus: 'active', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    category: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/goal-category', code: 'what-matters-to-me', display: 'What matters to me' }] }],
    description: text('To stay in my own home with my cat, Biscuit'),
  } as Resource,
  {
    resourceType: 'Goal', id: 'goal-hollis-garden', lifecycleStatus: 'active', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    category: [{ coding: [{ system: 'https://onestory.example/fhir/CodeSystem/goal-category', code: 'what-matters-to-me', display: 'What matters to me' }] }],
    description: text('To get out into the garden every day'),
  } as Resource,
  {
    resourceType: 'Goal', id: 'goal-hollis-falls', lifecycleStatus: 'active', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    description: text('No falls in the next three months'),
  } as Resource,
  {
    resourceType: 'CarePlan', id: 'cp-hollis', status: 'active', intent: 'plan', title: 'Staying well at home', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    period: { start: '2024-09-01', end: '2025-09-01' }, goal: [{ reference: 'Goal/goal-hollis-falls' }, { reference: 'Goal/goal-hollis-home' }],
    activity: [
      { detail: { status: 'in-progress', description: 'Twice-weekly nursing visits for leg ulcer dressings' } },
      { detail: { status: 'scheduled', description: 'Falls prevention exercise group (Tuesdays)' } },
      { detail: { status: 'scheduled', description: 'Care plan review with Margaret and Peter', scheduledString: '2025-10-15' } },
    ],
  } as Resource,
  {
    resourceType: 'Flag', id: 'flag-hollis-keysafe', status: 'active', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    category: [text('Home visit')], code: text('Key safe at front door: code held by the nursing team'),
  } as Resource,
  {
    resourceType: 'AllergyIntolerance', id: 'allergy-hollis-penicillin', patient: subject('pat-hollis'), meta: tag(ORGS.gp), criticality: 'high',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    code: text('Penicillin'), reaction: [{ manifestation: [text('Anaphylaxis')] }],
  } as Resource,
  ...[['Type 2 diabetes mellitus', '2009-03-02'], ['Heart failure', '2019-11-20'], ['Venous leg ulcer', '2024-08-14']].map(([name, onset], i) => ({
    resourceType: 'Condition', id: `cond-hollis-${i + 1}`, subject: subject('pat-hollis'), meta: tag(ORGS.gp),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: text(name), onsetDateTime: onset, recordedDate: onset,
  } as Resource)),
  {
    resourceType: 'Condition', id: 'cond-hollis-psy', subject: subject('pat-hollis'),
    meta: { ...tag(ORGS.mh), security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' }] },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: text('Mild cognitive impairment with low mood'), recordedDate: '2024-06-01',
  } as Resource,
  ...[['Metformin 500mg tablets', 'One tablet twice a day with food'], ['Bisoprolol 2.5mg tablets', 'One tablet in the morning'], ['Furosemide 40mg tablets', 'One tablet in the morning']].map(([name, dose], i) => ({
    resourceType: 'MedicationRequest', id: `med-hollis-${i + 1}`, status: 'active', intent: 'order', subject: subject('pat-hollis'), meta: tag(ORGS.gp),
    medicationCodeableConcept: text(name), dosageInstruction: [{ text: dose }], authoredOn: '2024-07-01', requester: { reference: 'PractitionerRole/role-gp' },
  } as Resource)),
  {
    resourceType: 'Observation', id: 'obs-hollis-withheld', status: 'final', subject: subject('pat-hollis'),
    meta: { ...tag(ORGS.gp), security: [WITHHELD_FROM_PATIENT] }, code: text('Third-party information from a neighbour'), effectiveDateTime: '2024-10-01',
    valueString: 'Withheld from the patient',
  } as Resource,
  {
    resourceType: 'RelatedPerson', id: 'rp-hollis', active: true, patient: subject('pat-hollis'), meta: tag(ORGS.gp),
    name: [{ given: ['Peter'], family: 'Hollis' }], relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'SONC', display: 'son' }] }, text('Unpaid carer')],
    telecom: [{ system: 'phone', value: '07700 900555', use: 'mobile' }],
  } as Resource,
  {
    resourceType: 'Consent', id: 'consent-hollis-proxy', status: 'active', patient: subject('pat-hollis'), meta: tag(ORGS.gp),
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [text('proxy access')],
    policyRule: text('Carer access agreed with Margaret'),
    provision: {
      type: 'permit', actor: [{ role: text('carer'), reference: { reference: 'RelatedPerson/rp-hollis' } }],
      class: ['CarePlan', 'CareTeam', 'Goal', 'MedicationRequest', 'AllergyIntolerance', 'RelatedPerson', 'Flag', 'Consent', 'Encounter']
        .map((code) => ({ system: 'http://hl7.org/fhir/resource-types', code })),
    },
  } as Resource,
  {
    resourceType: 'ServiceRequest', id: 'sr-hollis-ot', status: 'active', intent: 'order', subject: subject('pat-hollis'), meta: tag(ORGS.community),
    code: text('Occupational therapy home assessment (grab rails, stair rail)'), authoredOn: '2025-01-10',
    requester: { reference: 'Practitioner/pr-nurse' }, performer: [{ reference: `Organization/${ORGS.council}` }],
  } as Resource,
  ...contacts(),

  {
    resourceType: 'Patient', id: 'pat-penfold', meta: tag(ORGS.gp), identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS.penfold }],
    name: [{ use: 'official', given: ['Arthur'], family: 'Penfold' }], gender: 'male', birthDate: '1950-02-03',
    address: [{ use: 'home', line: ['4 Mill Lane'], city: 'Tonbridge', postalCode: 'TN9 1XX' }],
    generalPractitioner: [{ reference: `Organization/${ORGS.gp}` }], managingOrganization: { reference: `Organization/${ORGS.gp}` },
  } as Resource,
  {
    resourceType: 'CareTeam', id: 'ct-penfold', status: 'active', subject: subject('pat-penfold'), meta: tag(ORGS.community),
    participant: [{ role: [text('District nurse')], member: { reference: 'Practitioner/pr-nurse' }, onBehalfOf: { reference: `Organization/${ORGS.community}` } }],
  } as Resource,
  {
    resourceType: 'Consent', id: 'consent-penfold-objection', status: 'active', patient: subject('pat-penfold'), meta: tag(ORGS.gp),
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [text('sharing objection')],
    policyRule: text('No sharing beyond the recording organisation'), provision: { type: 'deny' },
  } as Resource,
  {
    resourceType: 'Encounter', id: 'enc-penfold-ae', status: 'finished', meta: tag(ORGS.acute), class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
    type: [text('A&E attendance')], subject: subject('pat-penfold'), serviceProvider: { reference: `Organization/${ORGS.acute}` }, period: { start: '2025-02-01T09:00:00Z' },
  } as Resource,
  {
    resourceType: 'Encounter', id: 'enc-penfold-nurse', status: 'finished', meta: tag(ORGS.community), class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HH' },
    type: [text('Community nursing home visit')], subject: subject('pat-penfold'), serviceProvider: { reference: `Organization/${ORGS.community}` }, period: { start: '2025-02-10T09:00:00Z' },
  } as Resource,

  {
    resourceType: 'Patient', id: 'pat-baxter', meta: tag(ORGS.gp2), identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS.baxter }],
    name: [{ use: 'official', given: ['Doreen'], family: 'Baxter' }], gender: 'female', birthDate: '1938-11-30',
    address: [{ use: 'home', line: ['9 Station Road'], city: 'Ashford', postalCode: 'TN23 1XX' }],
    generalPractitioner: [{ reference: `Organization/${ORGS.gp2}` }], managingOrganization: { reference: `Organization/${ORGS.gp2}` },
  } as Resource,
  {
    resourceType: 'Encounter', id: 'enc-baxter-gp', status: 'finished', meta: tag(ORGS.gp2), class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [text('GP practice appointment')], subject: subject('pat-baxter'), serviceProvider: { reference: `Organization/${ORGS.gp2}` }, period: { start: '2025-01-20T11:00:00Z' },
  } as Resource,
];

export const CARE_USERS = {
  nurse: { username: 'nurse.test', displayName: 'Amira Okafor', role: 'community-nurse' as const, organizationId: ORGS.community, practitionerId: 'pr-nurse' },
  /** At the hospital, with no open relationship to anyone here: breaks glass in the end-to-end test. */
  discharge: { username: 'discharge.test', displayName: 'Jo Marsh', role: 'discharge-coordinator' as const, organizationId: ORGS.acute },
  receptionist: { username: 'reception.test', displayName: 'Sam Dale', role: 'receptionist' as const, organizationId: ORGS.gp },
  resident: { username: 'margaret.test', displayName: 'Margaret Hollis', patientId: 'pat-hollis' },
  carer: { username: 'peter.test', displayName: 'Peter Hollis (carer of Margaret Hollis)', relatedPersonId: 'rp-hollis', patientId: 'pat-hollis' },
};
export { ORGS as CARE_ORGS };

/** Writes the world and its accounts (password CARE_PASSWORD). */
export async function seedCareWorld(platform: Platform): Promise<void> {
  for (const r of CARE_WORLD) await platform.resources.update(r.resourceType, r.id!, r);
  const users = identityFor(platform).users;
  const passwordHash = await hashPassword(CARE_PASSWORD);
  const u = CARE_USERS;
  await users.create({ kind: 'staff', username: u.nurse.username, displayName: u.nurse.displayName, passwordHash,
    memberships: [{ organizationId: u.nurse.organizationId, role: u.nurse.role, practitionerId: u.nurse.practitionerId }] });
  await users.create({ kind: 'staff', username: u.discharge.username, displayName: u.discharge.displayName, passwordHash,
    memberships: [{ organizationId: u.discharge.organizationId, role: u.discharge.role }] });
  await users.create({ kind: 'staff', username: u.receptionist.username, displayName: u.receptionist.displayName, passwordHash,
    memberships: [{ organizationId: u.receptionist.organizationId, role: u.receptionist.role }] });
  await users.create({ kind: 'resident', username: u.resident.username, displayName: u.resident.displayName, passwordHash, patientId: u.resident.patientId });
  await users.create({ kind: 'proxy', username: u.carer.username, displayName: u.carer.displayName, passwordHash,
    proxyLinks: [{ relatedPersonId: u.carer.relatedPersonId, patientId: u.carer.patientId }] });
}
