import type {
  HealthcareService, HealthcareServiceAvailableTime, Location, Organization, Practitioner, PractitionerRole,
  Questionnaire, Resource,
} from '@medplum/fhirtypes';
import { BASE, concept, ext, extString, local, ODS, ref } from './fhir.helpers.js';
import { CARE_HOME_WORDS, FAMILY_NAMES, GIVEN_FEMALE, GIVEN_MALE, PRACTICE_WORDS, STREETS } from './names.js';
import { hashString, Prng } from './prng.js';
import type { Locality, ReferenceData } from './reference-data.js';
import { QUESTIONNAIRES } from './survey.definitions.js';

/**
 * The system's organisations, services and staff, generated before any resident so that every
 * resident can be registered with a practice, admitted to a trust and referred to services.
 */

const ORG_TYPE = 'http://terminology.hl7.org/CodeSystem/organization-type';
const WEEKDAYS: HealthcareServiceAvailableTime['daysOfWeek'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const ALL_DAYS: HealthcareServiceAvailableTime['daysOfWeek'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Trusts serving each district's acute admissions; Sevenoaks splits, so it goes to the larger. */
const ACUTE_FOR_DISTRICT: Record<string, string> = {
  dartford: 'RN7', gravesham: 'RN7', sevenoaks: 'RWF', medway: 'RPA', swale: 'RPA', maidstone: 'RWF',
  'tonbridge-and-malling': 'RWF', 'tunbridge-wells': 'RWF', ashford: 'RVV', canterbury: 'RVV', thanet: 'RVV',
  dover: 'RVV', 'folkestone-and-hythe': 'RVV',
};

/** Main hospital sites (public facts) so admissions have somewhere real-sounding to happen. */
const HOSPITAL_SITES: Record<string, { name: string; district: string }[]> = {
  RN7: [{ name: 'Darent Valley Hospital', district: 'dartford' }],
  RPA: [{ name: 'Medway Maritime Hospital', district: 'medway' }],
  RWF: [{ name: 'Maidstone Hospital', district: 'maidstone' }, { name: 'Tunbridge Wells Hospital', district: 'tunbridge-wells' }],
  RVV: [
    { name: 'William Harvey Hospital', district: 'ashford' },
    { name: 'Queen Elizabeth The Queen Mother Hospital', district: 'thanet' },
    { name: 'Kent and Canterbury Hospital', district: 'canterbury' },
  ],
};

export type StaffRole =
  | 'gp' | 'practice-nurse' | 'community-nurse' | 'social-worker' | 'mental-health-practitioner'
  | 'discharge-coordinator' | 'care-coordinator' | 'social-prescribing-link-worker';

const ROLE_DISPLAY: Record<StaffRole, string> = {
  gp: 'General practitioner',
  'practice-nurse': 'Practice nurse',
  'community-nurse': 'Community nurse',
  'social-worker': 'Social worker',
  'mental-health-practitioner': 'Mental health practitioner',
  'discharge-coordinator': 'Discharge coordinator',
  'care-coordinator': 'Care coordinator',
  'social-prescribing-link-worker': 'Social prescribing link worker',
};

export interface Practice {
  orgId: string;
  name: string;
  ods: string;
  district: string;
  pcnId: string;
  locationId: string;
  gpRoles: string[];
  nurseRoles: string[];
}

export interface Site {
  orgId: string;
  locationId: string;
  name: string;
}

/** What resident generation needs to know about the organisations, by id. */
export interface Directory {
  practicesByDistrict: Map<string, Practice[]>;
  localitiesByDistrict: Map<string, Locality[]>;
  acuteByDistrict: Map<string, { orgId: string; ods: string; sites: Site[]; dischargeRoles: string[] }>;
  socialCareByDistrict: Map<string, { orgId: string; socialWorkerRoles: string[]; reablementServiceId: string; longTermSupportServiceId: string }>;
  communityNurseRolesByDistrict: Map<string, string[]>;
  mentalHealthRolesByDistrict: Map<string, string[]>;
  careHomesByDistrict: Map<string, Site[]>;
  services: Record<'mentalHealthCommunity' | 'mentalHealthCrisis' | 'earlyIntervention', string>;
  carersSupportByDistrict: Map<string, string>;
  orgIds: { icb: string; communityTrust: string; mentalHealthTrust: string; ambulanceTrust: string };
  /** The Practitioner behind each PractitionerRole (care teams name the person; relationships follow Practitioners). */
  practitionerOfRole: Map<string, string>;
  /** Each PractitionerRole's family name, so a care team can avoid giving someone a namesake (pickStaff). */
  familyOfRole: Map<string, string>;
  /** PCN-employed care coordinators and social prescribing link workers (role ids), and the PCN's social prescribing service. */
  pcnStaff: Map<string, { careCoordinatorRoles: string[]; linkWorkerRoles: string[]; socialPrescribingServiceId: string }>;
}

/**
 * A role from the pool as rng.pick would choose it, stepping on to the next person when that one shares
 * the resident's family name: a namesake on the care team reads as a relative, and the synthetic staff
 * are nobody's relatives. The same one draw as rng.pick, so the rest of the generator is unchanged.
 */
export function pickStaff(rng: Prng, roles: readonly string[], directory: Pick<Directory, 'familyOfRole'>, residentFamily: string | undefined): string {
  const first = rng.int(roles.length);
  for (let k = 0; k < roles.length; k++) {
    const role = roles[(first + k) % roles.length];
    if (directory.familyOfRole.get(role) !== residentFamily) return role;
  }
  return roles[first];
}

/** A family name other than `avoid`, as rng.pick would choose it, stepping on when it is the same (one draw). */
export function pickFamilyOtherThan(rng: Prng, names: readonly string[], avoid: readonly (string | undefined)[]): string {
  const first = rng.int(names.length);
  for (let k = 0; k < names.length; k++) {
    const name = names[(first + k) % names.length];
    if (!avoid.includes(name)) return name;
  }
  return names[first];
}

export interface OrganisationOutput {
  resources: Resource[];
  directory: Directory;
}

/** Largest-remainder apportionment: integer counts summing to total, each district at least `min`. */
export function apportion(total: number, weights: number[], min = 0): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const rest = total - min * weights.length;
  const raw = weights.map((w) => (w / sum) * rest);
  const out = raw.map((x) => min + Math.floor(x));
  const order = raw.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = total - out.reduce((s, x) => s + x, 0);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]++;
    left--;
  }
  return out;
}

/** Ofcom reserves 01632 960xxx and 07700 900xxx for fiction: no real line is ever rung. */
export function fictionalLandline(rng: Prng): string {
  return `01632 960${String(rng.int(1000)).padStart(3, '0')}`;
}
export function fictionalMobile(rng: Prng): string {
  return `07700 900${String(rng.int(1000)).padStart(3, '0')}`;
}

export function generateOrganisations(data: ReferenceData, seed: number): OrganisationOutput {
  const rng = new Prng(seed, hashString('organisations'));
  const resources: Resource[] = [];
  const districts = data.places.districts;
  const localitiesByDistrict = new Map<string, Locality[]>();
  for (const d of districts) localitiesByDistrict.set(d.id, []);
  for (const l of data.localities) localitiesByDistrict.get(l.district)!.push(l);
  // A district with no locality nearer its own centroid still needs addresses: use its centroid.
  for (const d of districts) {
    const list = localitiesByDistrict.get(d.id)!;
    if (list.length === 0) list.push({ name: d.name, postcodeDistrict: 'ME1', lat: d.centroid[0], lon: d.centroid[1], district: d.id });
  }

  let practitionerCount = 0, roleCount = 0;
  const practitionerOfRole = new Map<string, string>();
  const familyOfRole = new Map<string, string>();
  const districtName = new Map(districts.map((d) => [d.id, d.name]));

  const addLocation = (id: string, name: string, orgId: string, district: string, locality?: Locality): string => {
    const l = locality ?? rng.pick(localitiesByDistrict.get(district)!);
    const location: Location = {
      resourceType: 'Location', id: `loc-${id}`, status: 'active', name,
      mode: 'instance',
      address: {
        use: 'work', type: 'physical',
        line: [`${rng.range(1, 180)} ${rng.pick(STREETS)}`], city: l.name, district: districtName.get(district),
        postalCode: fictionalPostcode(rng, l.postcodeDistrict), country: 'GB',
      },
      position: { latitude: round5(l.lat + (rng.next() - 0.5) * 0.01), longitude: round5(l.lon + (rng.next() - 0.5) * 0.01) },
      telecom: [{ system: 'phone', value: fictionalLandline(rng) }],
      managingOrganization: ref('Organization', orgId),
    };
    resources.push(location);
    return location.id!;
  };

  const addOrg = (
    id: string, name: string, type: 'prov' | 'govt' | 'cg' | 'other', opts: { ods?: string; partOf?: string; alias?: string[]; district?: string } = {},
  ): string => {
    const org: Organization = {
      resourceType: 'Organization', id, active: true, name,
      type: [concept(ORG_TYPE, type, { prov: 'Healthcare Provider', govt: 'Government', cg: 'Community Group', other: 'Other' }[type])],
      telecom: [{ system: 'phone', value: fictionalLandline(rng), use: 'work' }],
    };
    org.identifier = opts.ods
      ? [{ system: ODS, value: opts.ods }]
      : [{ system: `${BASE}/Id/organisation`, value: id }];
    if (opts.alias) org.alias = opts.alias;
    if (opts.partOf) org.partOf = ref('Organization', opts.partOf);
    if (opts.district) org.extension = [extString(ext.district, opts.district)];
    resources.push(org);
    return id;
  };

  const addStaff = (role: StaffRole, orgId: string, locationId?: string, serviceId?: string): string => {
    const female = rng.chance(role === 'gp' ? 0.55 : 0.8);
    const pid = `prac-${String(++practitionerCount).padStart(5, '0')}`;
    const family = rng.pick(FAMILY_NAMES);
    const given = rng.pick(female ? GIVEN_FEMALE : GIVEN_MALE);
    const practitioner: Practitioner = {
      resourceType: 'Practitioner', id: pid, active: true,
      identifier: [{ system: `${BASE}/Id/staff`, value: pid }],
      name: [{ use: 'official', family, given: [given], prefix: role === 'gp' ? ['Dr'] : undefined }],
      gender: female ? 'female' : 'male',
      telecom: [{ system: 'phone', value: fictionalLandline(rng), use: 'work' }],
    };
    if (!practitioner.name![0].prefix) delete practitioner.name![0].prefix;
    const rid = `role-${String(++roleCount).padStart(5, '0')}`;
    const pr: PractitionerRole = {
      resourceType: 'PractitionerRole', id: rid, active: true,
      practitioner: ref('Practitioner', pid, `${given} ${family}`),
      organization: ref('Organization', orgId),
      code: [local('staff-role', role, ROLE_DISPLAY[role])],
    };
    if (locationId) pr.location = [ref('Location', locationId)];
    if (serviceId) pr.healthcareService = [ref('HealthcareService', serviceId)];
    resources.push(practitioner, pr);
    practitionerOfRole.set(rid, pid);
    familyOfRole.set(rid, family);
    return rid;
  };

  const addService = (s: ServiceSpec): string => {
    const hs: HealthcareService = {
      resourceType: 'HealthcareService', id: s.id, active: true,
      providedBy: ref('Organization', s.orgId),
      category: [local('service-category', s.category, s.categoryDisplay ?? s.category)],
      type: [local('service-type', s.kind, s.name)],
      name: s.name,
      comment: `${s.description} Cost: ${s.cost}.`,
      telecom: [{ system: 'phone', value: s.phone ?? fictionalLandline(rng) }],
      eligibility: [{ code: { text: s.eligibility }, comment: s.eligibility }],
      referralMethod: s.selfReferral
        ? [concept('http://terminology.hl7.org/CodeSystem/service-referral-method', 'phone', 'Phone'), concept('http://terminology.hl7.org/CodeSystem/service-referral-method', 'elec', 'Secure Messaging')]
        : [concept('http://terminology.hl7.org/CodeSystem/service-referral-method', 'elec', 'Secure Messaging')],
      appointmentRequired: s.appointmentRequired ?? false,
      availableTime: s.hours,
      extension: [
        extString(ext.cost, s.cost),
        { url: ext.referralRoute, valueCode: s.selfReferral ? 'self-or-professional' : 'professional' },
      ],
    };
    if (s.locationIds.length) hs.location = s.locationIds.map((l) => ref('Location', l));
    if (s.district) {
      hs.coverageArea = [{ reference: `Location/loc-area-${s.district}`, display: districtName.get(s.district) }];
      hs.extension!.push(extString(ext.district, s.district));
    }
    resources.push(hs);
    return s.id;
  };

  // Areas first so services can say which district they cover.
  for (const d of districts) {
    resources.push({
      resourceType: 'Location', id: `loc-area-${d.id}`, status: 'active', name: d.name, mode: 'kind',
      physicalType: concept('http://terminology.hl7.org/CodeSystem/location-physical-type', 'area', 'Area'),
      position: { latitude: d.centroid[0], longitude: d.centroid[1] },
      address: { district: d.name, country: 'GB' },
    } as Location);
  }

  // Statutory bodies. QKS is the ICB's ODS code (public); councils carry OneStory ids, not ODS.
  const icb = addOrg('org-icb', 'NHS Kent and Medway Integrated Care Board', 'govt', { ods: 'QKS' });
  addLocation('icb', 'NHS Kent and Medway ICB offices', icb, 'maidstone');
  const kcc = addOrg('org-kcc', 'Kent County Council', 'govt');
  addLocation('kcc', 'Kent County Council, Sessions House', kcc, 'maidstone');
  const medwayCouncil = addOrg('org-medway-council', 'Medway Council', 'govt');
  addLocation('medway-council', 'Medway Council, Gun Wharf', medwayCouncil, 'medway');
  for (const d of districts) {
    if (d.id === 'medway') continue;
    const id = addOrg(`org-council-${d.id}`, d.council, 'govt', { district: d.id });
    addLocation(`council-${d.id}`, `${d.council} offices`, id, d.id);
  }

  // Trusts, with real names and ODS codes from places.json.
  const trustOrg = new Map<string, string>();
  const trustSites = new Map<string, Site[]>();
  for (const t of data.places.nhs_provider_trusts) {
    const id = addOrg(`org-${t.ods.toLowerCase()}`, t.name, 'prov', { ods: t.ods, partOf: undefined, alias: [t.kind] });
    trustOrg.set(t.ods, id);
    const sites = HOSPITAL_SITES[t.ods] ?? [{ name: `${t.name} headquarters`, district: 'maidstone' }];
    trustSites.set(t.ods, sites.map((s, i) => ({ orgId: id, name: s.name, locationId: addLocation(`${t.ods.toLowerCase()}-${i + 1}`, s.name, id, s.district) })));
  }
  const community = trustOrg.get('RYY')!, mental = trustOrg.get('RXY')!, ambulance = trustOrg.get('RYD')!;

  // GP practices grouped into PCNs, both in proportion to district population.
  const pops = districts.map((d) => d.population);
  const pcnCounts = apportion(data.places.system.primary_care_networks, pops, 1);
  const practiceCounts = apportion(data.places.system.gp_practices, pops, 1);
  const practicesByDistrict = new Map<string, Practice[]>();
  let pcnNo = 0, practiceNo = 0;
  const pcnsByDistrict = new Map<string, string[]>();
  districts.forEach((d, di) => {
    const pcns: string[] = [];
    for (let i = 0; i < pcnCounts[di]; i++) {
      pcnNo++;
      const code = `U82${String(pcnNo).padStart(3, '0')}`;
      const locality = rng.pick(localitiesByDistrict.get(d.id)!);
      const id = addOrg(`org-pcn-${code.toLowerCase()}`, `${locality.name} Primary Care Network`, 'prov', { ods: code, partOf: icb, district: d.id });
      pcns.push(id);
    }
    pcnsByDistrict.set(d.id, pcns);
    const list: Practice[] = [];
    for (let i = 0; i < practiceCounts[di]; i++) {
      practiceNo++;
      const ods = `G82${String(practiceNo).padStart(3, '0')}`;
      const locality = rng.pick(localitiesByDistrict.get(d.id)!);
      const name = `${locality.name} ${rng.pick(PRACTICE_WORDS)}`;
      const pcnId = pcns[i % pcns.length];
      const orgId = addOrg(`org-gp-${ods.toLowerCase()}`, name, 'prov', { ods, partOf: pcnId, district: d.id });
      const locationId = addLocation(`gp-${ods.toLowerCase()}`, name, orgId, d.id, locality);
      const serviceId = `hs-gp-${ods.toLowerCase()}`;
      const extended = rng.chance(0.5);
      addService({
        id: serviceId, orgId, kind: 'general-practice', category: 'primary-care', categoryDisplay: 'Primary care', name: `${name} GP services`,
        description: 'Appointments with GPs, nurses and the wider practice team, by phone, online or in person.',
        eligibility: `Patients registered with the practice; anyone living in the practice area may register.`,
        cost: 'Free (NHS)', selfReferral: true, appointmentRequired: true, locationIds: [locationId], district: d.id,
        hours: [
          { daysOfWeek: WEEKDAYS, availableStartTime: '08:00:00', availableEndTime: '18:30:00' },
          ...(extended ? [{ daysOfWeek: ['tue', 'thu'] as HealthcareServiceAvailableTime['daysOfWeek'], availableStartTime: '18:30:00', availableEndTime: '20:00:00' }] : []),
          ...(rng.chance(0.35) ? [{ daysOfWeek: ['sat'] as HealthcareServiceAvailableTime['daysOfWeek'], availableStartTime: '09:00:00', availableEndTime: '12:30:00' }] : []),
        ],
      });
      const gps: string[] = [], nurses: string[] = [];
      for (let k = rng.range(3, 6); k > 0; k--) gps.push(addStaff('gp', orgId, locationId, serviceId));
      for (let k = rng.range(2, 3); k > 0; k--) nurses.push(addStaff('practice-nurse', orgId, locationId, serviceId));
      list.push({ orgId, name, ods, district: d.id, pcnId, locationId, gpRoles: gps, nurseRoles: nurses });
    }
    practicesByDistrict.set(d.id, list);
  });
  // PCN-employed additional roles: care coordinators and social prescribing link workers.
  const pcnStaff: Directory['pcnStaff'] = new Map();
  for (const d of districts) {
    for (const pcnId of pcnsByDistrict.get(d.id)!) {
      const serviceId = addService({
        id: `hs-sp-${pcnId.slice(8)}`, orgId: pcnId, kind: 'social-prescribing', category: 'community', categoryDisplay: 'Community and voluntary',
        name: 'Social prescribing (PCN link workers)',
        description: 'Link workers who spend time with people to connect them to community groups, advice and activities.',
        eligibility: 'Adults registered with a practice in the network', cost: 'Free', selfReferral: true,
        locationIds: [], district: d.id,
        hours: [{ daysOfWeek: WEEKDAYS, availableStartTime: '09:00:00', availableEndTime: '17:00:00' }],
      });
      const careCoordinatorRoles: string[] = [], linkWorkerRoles: string[] = [];
      for (let k = 0; k < 2; k++) careCoordinatorRoles.push(addStaff('care-coordinator', pcnId));
      for (let k = 0; k < 2; k++) linkWorkerRoles.push(addStaff('social-prescribing-link-worker', pcnId, undefined, serviceId));
      pcnStaff.set(pcnId, { careCoordinatorRoles, linkWorkerRoles, socialPrescribingServiceId: serviceId });
    }
  }

  // Acute trusts: emergency departments, maternity, discharge teams.
  const acuteByDistrict: Directory['acuteByDistrict'] = new Map();
  const acuteStaff = new Map<string, string[]>();
  for (const t of data.places.nhs_provider_trusts.filter((x) => x.kind === 'acute')) {
    const orgId = trustOrg.get(t.ods)!;
    const sites = trustSites.get(t.ods)!;
    const locs = sites.map((s) => s.locationId);
    addService({
      id: `hs-ed-${t.ods.toLowerCase()}`, orgId, kind: 'emergency-department', category: 'urgent-care', categoryDisplay: 'Urgent and emergency care',
      name: `${t.name} emergency department`, description: 'Emergency department for serious illness and injury.',
      eligibility: 'Anyone', cost: 'Free (NHS)', selfReferral: true, locationIds: locs,
      hours: [{ daysOfWeek: ALL_DAYS, allDay: true }],
    });
    addService({
      id: `hs-mat-${t.ods.toLowerCase()}`, orgId, kind: 'maternity', category: 'hospital', categoryDisplay: 'Hospital services',
      name: `${t.name} maternity services`, description: 'Antenatal, birth and postnatal care, including stop-smoking support in pregnancy.',
      eligibility: 'Pregnant women and birthing people', cost: 'Free (NHS)', selfReferral: true, locationIds: locs,
      hours: [{ daysOfWeek: ALL_DAYS, allDay: true }],
    });
    const dischargeService = addService({
      id: `hs-discharge-${t.ods.toLowerCase()}`, orgId, kind: 'discharge-hub', category: 'hospital', categoryDisplay: 'Hospital services',
      name: `${t.name} integrated discharge team`, description: 'Plans discharge with health, social care and voluntary partners (discharge to assess).',
      eligibility: 'Inpatients of the trust', cost: 'Free (NHS)', selfReferral: false, locationIds: locs,
      hours: [{ daysOfWeek: ALL_DAYS, availableStartTime: '08:00:00', availableEndTime: '20:00:00' }],
    });
    const roles: string[] = [];
    for (let k = 0; k < 8; k++) roles.push(addStaff('discharge-coordinator', orgId, rng.pick(locs), dischargeService));
    acuteStaff.set(t.ods, roles);
  }
  for (const d of districts) {
    const ods = ACUTE_FOR_DISTRICT[d.id];
    acuteByDistrict.set(d.id, { orgId: trustOrg.get(ods)!, ods, sites: trustSites.get(ods)!, dischargeRoles: acuteStaff.get(ods)! });
  }

  // Community and mental health trusts, per district teams.
  const communityNurseRolesByDistrict = new Map<string, string[]>();
  const mentalHealthRolesByDistrict = new Map<string, string[]>();
  const mhLoc = trustSites.get('RXY')![0].locationId;
  const mhCommunity = addService({
    id: 'hs-mh-community', orgId: mental, kind: 'community-mental-health', category: 'mental-health', categoryDisplay: 'Mental health',
    name: 'Community mental health teams', description: 'Secondary mental health care for adults with severe or complex needs.',
    eligibility: 'Adults referred by their GP or another professional', cost: 'Free (NHS)', selfReferral: false, locationIds: [mhLoc],
    hours: [{ daysOfWeek: WEEKDAYS, availableStartTime: '09:00:00', availableEndTime: '17:00:00' }],
  });
  const mhCrisis = addService({
    id: 'hs-mh-crisis', orgId: mental, kind: 'crisis-resolution', category: 'mental-health', categoryDisplay: 'Mental health',
    name: 'Mental health crisis line and crisis resolution home treatment', description: 'Call 111 and choose the mental health option, any time.',
    eligibility: 'Anyone in mental health crisis', cost: 'Free (NHS)', selfReferral: true, locationIds: [mhLoc], phone: '111',
    hours: [{ daysOfWeek: ALL_DAYS, allDay: true }],
  });
  const eip = addService({
    id: 'hs-mh-eip', orgId: mental, kind: 'early-intervention-psychosis', category: 'mental-health', categoryDisplay: 'Mental health',
    name: 'Early intervention in psychosis service', description: 'Assessment and treatment within two weeks of a first episode of psychosis.',
    eligibility: 'People aged 14 to 65 with a suspected first episode of psychosis', cost: 'Free (NHS)', selfReferral: false, locationIds: [mhLoc],
    hours: [{ daysOfWeek: WEEKDAYS, availableStartTime: '09:00:00', availableEndTime: '17:00:00' }],
  });
  addService({
    id: 'hs-mh-open-dialogue', orgId: mental, kind: 'peer-supported-open-dialogue', category: 'mental-health', categoryDisplay: 'Mental health',
    name: 'Peer-supported open dialogue', description: 'Network meetings with the person, their family and peer workers, within 24 hours of referral.',
    eligibility: 'Adults in acute mental health crisis and their networks', cost: 'Free (NHS)', selfReferral: false, locationIds: [mhLoc],
    hours: [{ daysOfWeek: ALL_DAYS, availableStartTime: '08:00:00', availableEndTime: '22:00:00' }],
  });
  addService({
    id: 'hs-ambulance', orgId: ambulance, kind: 'ambulance', category: 'urgent-care', categoryDisplay: 'Urgent and emergency care',
    name: '999 emergency ambulance', description: 'Emergency ambulance response and hear-and-treat.',
    eligibility: 'Anyone in a medical emergency', cost: 'Free (NHS)', selfReferral: true, locationIds: [trustSites.get('RYD')![0].locationId], phone: '999',
    hours: [{ daysOfWeek: ALL_DAYS, allDay: true }],
  });
  const ucrService = addService({
    id: 'hs-urgent-community-response', orgId: community, kind: 'urgent-community-response', category: 'community-health', categoryDisplay: 'Community health',
    name: 'Urgent community response', description: 'Two-hour crisis response at home to avoid an unnecessary hospital admission.',
    eligibility: 'Adults at risk of admission, mostly older and frail people', cost: 'Free (NHS)', selfReferral: false,
    locationIds: [trustSites.get('RYY')![0].locationId], hours: [{ daysOfWeek: ALL_DAYS, availableStartTime: '08:00:00', availableEndTime: '20:00:00' }],
  });
  for (const d of districts) {
    const nurses: string[] = [];
    const n = Math.max(4, Math.round(d.population / 6000));
    for (let k = 0; k < n; k++) nurses.push(addStaff('community-nurse', community, undefined, ucrService));
    communityNurseRolesByDistrict.set(d.id, nurses);
    const mh: string[] = [];
    for (let k = 0; k < Math.max(4, Math.round(d.population / 12000)); k++) mh.push(addStaff('mental-health-practitioner', mental, mhLoc, mhCommunity));
    mentalHealthRolesByDistrict.set(d.id, mh);
  }

  // Adult social care: KCC for the 12 Kent districts, Medway Council for Medway.
  const socialCareByDistrict = new Map<string, { orgId: string; socialWorkerRoles: string[]; reablementServiceId: string; longTermSupportServiceId: string }>();
  const councilServices = new Map<string, { reablement: string; lts: string }>();
  for (const [orgId, label] of [[kcc, 'Kent'], [medwayCouncil, 'Medway']] as const) {
    const key = label.toLowerCase();
    councilServices.set(orgId, {
      reablement: addService({
        id: `hs-reablement-${key}`, orgId, kind: 'reablement', category: 'social-care', categoryDisplay: 'Adult social care',
        name: label === 'Kent' ? 'Kent Enablement at Home' : 'Medway reablement service',
        description: 'Up to six weeks of short-term support at home to regain independence, often after a hospital stay.',
        eligibility: 'Adults leaving hospital or at risk of losing independence', cost: 'Free for up to six weeks', selfReferral: false,
        locationIds: [], hours: [{ daysOfWeek: ALL_DAYS, availableStartTime: '07:00:00', availableEndTime: '22:00:00' }],
      }),
      lts: addService({
        id: `hs-asc-${key}`, orgId, kind: 'adult-social-care', category: 'social-care', categoryDisplay: 'Adult social care',
        name: `${label} adult social care`, description: 'Care needs assessments, carers assessments and long-term support.',
        eligibility: 'Adults with care and support needs, and their carers', cost: 'Means-tested; assessment is free', selfReferral: true,
        locationIds: [], hours: [{ daysOfWeek: WEEKDAYS, availableStartTime: '09:00:00', availableEndTime: '17:00:00' }, { daysOfWeek: ['sat', 'sun'], availableStartTime: '10:00:00', availableEndTime: '16:00:00' }],
      }),
    });
  }
  for (const d of districts) {
    const orgId = d.id === 'medway' ? medwayCouncil : kcc;
    const sw: string[] = [];
    for (let k = 0; k < Math.max(6, Math.round(d.population / 10000)); k++) sw.push(addStaff('social-worker', orgId, undefined, councilServices.get(orgId)!.lts));
    socialCareByDistrict.set(d.id, { orgId, socialWorkerRoles: sw, reablementServiceId: councilServices.get(orgId)!.reablement, longTermSupportServiceId: councilServices.get(orgId)!.lts });
  }

  // Care homes and pharmacies in proportion to population.
  const careHomesByDistrict = new Map<string, Site[]>();
  const careHomeCounts = apportion(data.places.system.care_homes, pops, 1);
  const pharmacyCounts = apportion(data.places.system.pharmacies, pops, 1);
  let chNo = 0, phNo = 0;
  districts.forEach((d, di) => {
    const homes: Site[] = [];
    for (let i = 0; i < careHomeCounts[di]; i++) {
      const code = `VK${String(++chNo).padStart(3, '0')}`;
      const locality = rng.pick(localitiesByDistrict.get(d.id)!);
      const nursing = rng.chance(0.35);
      const name = `${rng.pick(CARE_HOME_WORDS)} ${nursing ? 'Nursing Home' : 'Care Home'}, ${locality.name}`;
      const orgId = addOrg(`org-ch-${code.toLowerCase()}`, name, 'prov', { ods: code, district: d.id });
      const locationId = addLocation(`ch-${code.toLowerCase()}`, name, orgId, d.id, locality);
      homes.push({ orgId, locationId, name });
    }
    careHomesByDistrict.set(d.id, homes);
    for (let i = 0; i < pharmacyCounts[di]; i++) {
      const code = `FK${String(++phNo).padStart(3, '0')}`;
      const locality = rng.pick(localitiesByDistrict.get(d.id)!);
      const name = `${locality.name} ${rng.pick(['Pharmacy', 'Chemist', 'Community Pharmacy'])}`;
      const orgId = addOrg(`org-ph-${code.toLowerCase()}`, name, 'prov', { ods: code, district: d.id });
      const locationId = addLocation(`ph-${code.toLowerCase()}`, name, orgId, d.id, locality);
      const late = rng.chance(0.2);
      addService({
        id: `hs-ph-${code.toLowerCase()}`, orgId, kind: 'community-pharmacy', category: 'primary-care', categoryDisplay: 'Primary care',
        name: `${name}`, description: 'Prescriptions, Pharmacy First consultations, blood pressure checks and stop-smoking support.',
        eligibility: 'Anyone', cost: 'Prescription charges apply unless exempt; advice is free', selfReferral: true, locationIds: [locationId], district: d.id,
        hours: [
          { daysOfWeek: WEEKDAYS, availableStartTime: '09:00:00', availableEndTime: late ? '22:00:00' : '18:00:00' },
          { daysOfWeek: ['sat'], availableStartTime: '09:00:00', availableEndTime: '17:00:00' },
          ...(late ? [{ daysOfWeek: ['sun'] as HealthcareServiceAvailableTime['daysOfWeek'], availableStartTime: '10:00:00', availableEndTime: '16:00:00' }] : []),
        ],
      });
    }
  });

  // Voluntary and community services of the kinds the strategy names, in every district.
  const carersSupportByDistrict = new Map<string, string>();
  let vcsNo = 0;
  for (const d of districts) {
    for (const kind of VCS_KINDS) {
      const n = kind.perDistrict + (d.population > 150000 && kind.perDistrict > 1 ? 1 : 0);
      for (let i = 0; i < n; i++) {
        const locality = rng.pick(localitiesByDistrict.get(d.id)!);
        const id = `org-vcs-${String(++vcsNo).padStart(3, '0')}`;
        const orgName = kind.orgName(locality.name, d.name);
        addOrg(id, orgName, 'cg', { district: d.id });
        const locationId = addLocation(`vcs-${String(vcsNo).padStart(3, '0')}`, orgName, id, d.id, locality);
        const sid = addService({
          id: `hs-vcs-${String(vcsNo).padStart(3, '0')}`, orgId: id, kind: kind.kind, category: 'community', categoryDisplay: 'Community and voluntary',
          name: kind.serviceName(d.name), description: kind.description, eligibility: kind.eligibility, cost: rng.pick(kind.costs),
          selfReferral: kind.selfReferral, locationIds: [locationId], district: d.id, hours: kind.hours(rng),
        });
        if (kind.kind === 'carers-support' && !carersSupportByDistrict.has(d.id)) carersSupportByDistrict.set(d.id, sid);
      }
    }
  }

  for (const q of Object.values(QUESTIONNAIRES)) resources.push(q.resource as Questionnaire);

  return {
    resources,
    directory: {
      practicesByDistrict, localitiesByDistrict, acuteByDistrict, socialCareByDistrict, communityNurseRolesByDistrict,
      mentalHealthRolesByDistrict, careHomesByDistrict, carersSupportByDistrict,
      services: { mentalHealthCommunity: mhCommunity, mentalHealthCrisis: mhCrisis, earlyIntervention: eip },
      orgIds: { icb, communityTrust: community, mentalHealthTrust: mental, ambulanceTrust: ambulance },
      practitionerOfRole, familyOfRole, pcnStaff,
    },
  };
}

interface ServiceSpec {
  id: string;
  orgId: string;
  kind: string;
  category: string;
  categoryDisplay?: string;
  name: string;
  description: string;
  eligibility: string;
  cost: string;
  selfReferral: boolean;
  appointmentRequired?: boolean;
  locationIds: string[];
  district?: string;
  phone?: string;
  hours: HealthcareServiceAvailableTime[];
}

type Hours = HealthcareServiceAvailableTime[];
const dayTime = (days: Hours[number]['daysOfWeek'], start: string, end: string): Hours[number] => ({ daysOfWeek: days, availableStartTime: `${start}:00:00`, availableEndTime: `${end}:00:00` });

interface VcsKind {
  kind: string;
  perDistrict: number;
  orgName: (locality: string, district: string) => string;
  serviceName: (district: string) => string;
  description: string;
  eligibility: string;
  costs: string[];
  selfReferral: boolean;
  hours: (rng: Prng) => Hours;
}

/** Some open evenings and weekends: the strategy asks for seven-day services. */
const VCS_KINDS: VcsKind[] = [
  { kind: 'social-prescribing', perDistrict: 1, orgName: (l) => `${l} Community Navigators`, serviceName: (d) => `Community navigation and social prescribing, ${d}`,
    description: 'Help to find local groups, activities and practical support.', eligibility: 'Adults 18+', costs: ['Free'], selfReferral: true,
    hours: () => [dayTime(WEEKDAYS, '09', '17')] },
  { kind: 'carers-support', perDistrict: 2, orgName: (_l, d) => `Carers' Support ${d}`, serviceName: (d) => `Carers' support and carers' assessments, ${d}`,
    description: "Information, breaks, peer groups and help with carers' assessments for unpaid carers.", eligibility: 'Unpaid carers of any age', costs: ['Free'], selfReferral: true,
    hours: (rng) => [dayTime(WEEKDAYS, '09', '17'), ...(rng.chance(0.5) ? [dayTime(['sat'], '10', '13')] : [])] },
  { kind: 'befriending', perDistrict: 2, orgName: (l) => `${l} Good Neighbours`, serviceName: (d) => `Befriending and loneliness support, ${d}`,
    description: 'Weekly befriending calls and visits, lunch clubs and social groups.', eligibility: 'Adults who feel lonely or isolated, especially over 65',
    costs: ['Free', 'Free; lunch club £4'], selfReferral: true, hours: () => [dayTime(WEEKDAYS, '10', '16'), dayTime(['sun'], '12', '15')] },
  { kind: 'weight-management', perDistrict: 1, orgName: (_l, d) => `One You ${d}`, serviceName: (d) => `Healthy weight programme, ${d}`,
    description: '12-week group weight management programme with a health trainer.', eligibility: 'Adults with a BMI of 25 or more (23 or more for some ethnic groups)',
    costs: ['Free'], selfReferral: true, hours: () => [dayTime(WEEKDAYS, '09', '17'), dayTime(['tue', 'wed'], '17', '20')] },
  { kind: 'stop-smoking', perDistrict: 1, orgName: (_l, d) => `Stop Smoking Service ${d}`, serviceName: (d) => `Stop smoking support, ${d}`,
    description: 'Behavioural support with nicotine replacement or vapes, in person or by phone.', eligibility: 'Anyone who smokes, 12+; priority in pregnancy',
    costs: ['Free'], selfReferral: true, hours: () => [dayTime(WEEKDAYS, '08', '20'), dayTime(['sat'], '09', '13')] },
  { kind: 'debt-housing-advice', perDistrict: 2, orgName: (_l, d) => `Citizens Advice ${d}`, serviceName: (d) => `Debt, benefits and housing advice, ${d}`,
    description: 'Free, confidential advice on debt, benefits, housing and employment.', eligibility: 'Anyone living in the district', costs: ['Free'], selfReferral: true,
    hours: (rng) => [dayTime(WEEKDAYS, '09', '17'), ...(rng.chance(0.4) ? [dayTime(['thu'], '17', '19')] : [])] },
  { kind: 'family-hub', perDistrict: 2, orgName: (l) => `${l} Family Hub`, serviceName: (d) => `Family hub, ${d}`,
    description: 'Support for families from pregnancy to 19 (25 with SEND): infant feeding, parenting, early help.', eligibility: 'Families with children and young people',
    costs: ['Free'], selfReferral: true, hours: () => [dayTime(WEEKDAYS, '09', '17'), dayTime(['sat'], '10', '13')] },
  { kind: 'domestic-abuse', perDistrict: 1, orgName: (_l, d) => `Domestic Abuse Support ${d}`, serviceName: (d) => `Domestic abuse support, ${d}`,
    description: 'Independent domestic violence advisers, safe accommodation and a helpline.', eligibility: 'Anyone affected by domestic abuse', costs: ['Free'], selfReferral: true,
    hours: () => [{ daysOfWeek: ALL_DAYS, allDay: true }] },
  { kind: 'veterans', perDistrict: 1, orgName: (_l, d) => `${d} Veterans' Hub`, serviceName: (d) => `Veterans' support, ${d}`,
    description: 'Peer support, welfare and signposting for armed forces veterans and their families.', eligibility: 'Veterans and their families', costs: ['Free'], selfReferral: true,
    hours: () => [dayTime(['wed', 'sat'], '10', '14')] },
  { kind: 'dementia-support', perDistrict: 1, orgName: (_l, d) => `Dementia Support ${d}`, serviceName: (d) => `Dementia support and memory cafés, ${d}`,
    description: 'Dementia advisers, memory cafés and carer groups after a diagnosis.', eligibility: 'People living with dementia and their carers',
    costs: ['Free', 'Free; memory café £2 donation'], selfReferral: true, hours: () => [dayTime(WEEKDAYS, '09', '17')] },
  { kind: 'crisis-cafe', perDistrict: 1, orgName: (l) => `${l} Safe Haven`, serviceName: (d) => `Mental health crisis café (safe haven), ${d}`,
    description: 'Drop-in evening support for anyone in emotional distress, as an alternative to A&E.', eligibility: 'Anyone 18+ in emotional distress; no appointment',
    costs: ['Free'], selfReferral: true, hours: () => [dayTime(ALL_DAYS, '18', '23')] },
  { kind: 'street-triage', perDistrict: 1, orgName: (_l, d) => `${d} Street Triage Partnership`, serviceName: (d) => `Mental health street triage, ${d}`,
    description: 'Mental health practitioners working alongside police to respond to people in crisis.', eligibility: 'People in crisis met by police or ambulance',
    costs: ['Free'], selfReferral: false, hours: () => [dayTime(['thu', 'fri', 'sat', 'sun'], '16', '23')] },
];

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}

/** Postcode district from the real locality; sector and unit invented (e.g. CT9 4XQ). */
export function fictionalPostcode(rng: Prng, postcodeDistrict: string): string {
  const letters = 'ABDEFGHJLNPQRSTUWXYZ';
  return `${postcodeDistrict} ${rng.int(10)}${letters[rng.int(letters.length)]}${letters[rng.int(letters.length)]}`;
}
