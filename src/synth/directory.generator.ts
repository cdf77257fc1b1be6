import type { HealthcareService, HealthcareServiceAvailableTime, Location, Organization, Resource } from '@medplum/fhirtypes';
import { postcodeDistrictCentroids } from '../directory/postcode-geography.js';
import { LAST_CHECKED_EXTENSION } from '../directory/service-freshness.js';
import { SERVICE_EXTENSIONS } from '../directory/directory-index.table.js';
import { BASE, concept, ext, extString, isoDate, local, ref, dayOf } from './fhir.helpers.js';
import { fictionalLandline, fictionalPostcode, type Directory } from './organisation.generator.js';
import { hashString, Prng } from './prng.js';
import type { ReferenceData } from './reference-data.js';
import { STREETS } from './names.js';

/**
 * The service directory's extra detail (issue 11), on its own PRNG streams so the organisations and
 * residents generated before it do not shift:
 * - every HealthcareService gets the day it was last checked (spread so some entries are stale: about
 *   a fifth possibly out of date, a tenth no longer taking referrals), the ages it serves and its
 *   languages (from the kind of service, no draws);
 * - each district gains services run by councils and the NHS beside the voluntary ones already there
 *   (housing options, a council family hub, a memory assessment service, stop smoking in pregnancy,
 *   specialist weight management), and a Saturday befriending club run by a voluntary group meeting
 *   in every postcode district of the district, so wherever a resident lives there is one nearby.
 */

/** Ages a kind of service serves (ORUK minimum_age / maximum_age), as a FHIR Range in years. */
const AGE_RANGE_EXTENSION = SERVICE_EXTENSIONS.ageRange;
const AGES: Record<string, [number | undefined, number | undefined]> = {
  'family-hub': [0, 25], 'crisis-cafe': [18, undefined], 'stop-smoking': [12, undefined], befriending: [18, undefined],
  'weight-management': [18, undefined], 'social-prescribing': [18, undefined], 'dementia-support': [18, undefined],
  'adult-social-care': [18, undefined], reablement: [18, undefined], 'early-intervention-psychosis': [14, 65],
};

const WEEKDAYS: HealthcareServiceAvailableTime['daysOfWeek'] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const hours = (days: HealthcareServiceAvailableTime['daysOfWeek'], start: string, end: string): HealthcareServiceAvailableTime =>
  ({ daysOfWeek: days, availableStartTime: `${start}:00`, availableEndTime: `${end}:00` });

const OTHER_LANGUAGES: [string, string][] = [['pl', 'Polish'], ['ne', 'Nepali'], ['pa', 'Punjabi'], ['ro', 'Romanian'], ['gu', 'Gujarati'], ['lt', 'Lithuanian'], ['bfi', 'British Sign Language']];

interface Extra {
  key: string;
  kind: string;
  category: string;
  categoryDisplay: string;
  orgId: (district: string) => string;
  name: (districtName: string) => string;
  description: string;
  eligibility: string;
  cost: string;
  selfReferral: boolean;
  hours: HealthcareServiceAvailableTime[];
}

export function generateDirectoryDetail(data: ReferenceData, seed: number, asOf: string, organisations: Resource[], directory: Directory): Resource[] {
  const rng = new Prng(seed, hashString('directory-services'));
  const fresh = new Prng(seed, hashString('directory-freshness'));
  const out: Resource[] = [];
  const districts = data.places.districts;
  const centroids = postcodeDistrictCentroids(data.localities);
  const asOfDay = dayOf(`${asOf}T00:00:00Z`);
  const districtName = new Map(districts.map((d) => [d.id, d.name]));

  const addLocation = (id: string, name: string, orgId: string, district: string, postcodeDistrict: string, at: { lat: number; lon: number }, city: string): string => {
    const location: Location = {
      resourceType: 'Location', id, status: 'active', name, mode: 'instance',
      address: { use: 'work', type: 'physical', line: [`${rng.range(1, 180)} ${rng.pick(STREETS)}`], city, district: districtName.get(district), postalCode: fictionalPostcode(rng, postcodeDistrict), country: 'GB' },
      // Within about 300 m of the postcode district's point.
      position: { latitude: round5(at.lat + (rng.next() - 0.5) * 0.004), longitude: round5(at.lon + (rng.next() - 0.5) * 0.006) },
      telecom: [{ system: 'phone', value: fictionalLandline(rng) }],
      managingOrganization: ref('Organization', orgId),
    };
    out.push(location);
    return id;
  };

  const addService = (id: string, orgId: string, spec: Omit<Extra, 'key' | 'orgId' | 'name'> & { name: string }, district: string, locationIds: string[]): HealthcareService => {
    const hs: HealthcareService = {
      resourceType: 'HealthcareService', id, active: true, providedBy: ref('Organization', orgId),
      category: [local('service-category', spec.category, spec.categoryDisplay)],
      type: [local('service-type', spec.kind, spec.name)],
      name: spec.name, comment: `${spec.description} Cost: ${spec.cost}.`,
      telecom: [{ system: 'phone', value: fictionalLandline(rng) }],
      eligibility: [{ code: { text: spec.eligibility }, comment: spec.eligibility }],
      referralMethod: spec.selfReferral
        ? [concept('http://terminology.hl7.org/CodeSystem/service-referral-method', 'phone', 'Phone'), concept('http://terminology.hl7.org/CodeSystem/service-referral-method', 'elec', 'Secure Messaging')]
        : [concept('http://terminology.hl7.org/CodeSystem/service-referral-method', 'elec', 'Secure Messaging')],
      appointmentRequired: false,
      availableTime: spec.hours,
      location: locationIds.map((l) => ref('Location', l)),
      coverageArea: [{ reference: `Location/loc-area-${district}`, display: districtName.get(district) }],
      extension: [extString(ext.cost, spec.cost), { url: ext.referralRoute, valueCode: spec.selfReferral ? 'self-or-professional' : 'professional' }, extString(ext.district, district)],
    };
    out.push(hs);
    return hs;
  };

  const councilOf = (d: string) => (d === 'medway' ? 'org-medway-council' : `org-council-${d}`);
  const socialCareOf = (d: string) => directory.socialCareByDistrict.get(d)!.orgId;
  const EXTRAS: Extra[] = [
    { key: 'housing', kind: 'debt-housing-advice', category: 'housing', categoryDisplay: 'Housing', orgId: councilOf,
      name: (n) => `Housing options and homelessness prevention, ${n}`, description: 'Advice if you are homeless or may lose your home, help to keep a tenancy, and housing register applications.',
      eligibility: 'Anyone living in the district who is homeless or at risk of homelessness', cost: 'Free', selfReferral: true, hours: [hours(WEEKDAYS, '09:00', '17:00')] },
    { key: 'family-hub', kind: 'family-hub', category: 'children-and-families', categoryDisplay: 'Children and families', orgId: socialCareOf,
      name: (n) => `${n} Family Hub (council)`, description: 'Health visitors, midwives, parenting support and early help in one place, from pregnancy to 19 (25 with SEND).',
      eligibility: 'Families with children and young people aged 0 to 19 (25 with SEND)', cost: 'Free', selfReferral: true,
      hours: [hours(WEEKDAYS, '08:30', '17:00'), hours(['wed'], '17:00', '19:00'), hours(['sat'], '09:30', '12:30')] },
    { key: 'memory', kind: 'dementia-support', category: 'mental-health', categoryDisplay: 'Mental health', orgId: () => directory.orgIds.mentalHealthTrust,
      name: (n) => `Memory assessment service, ${n}`, description: 'Assessment and diagnosis of memory problems and dementia, with post-diagnostic support.',
      eligibility: 'Adults referred by their GP with memory concerns', cost: 'Free (NHS)', selfReferral: false, hours: [hours(WEEKDAYS, '09:00', '17:00')] },
    { key: 'smokefree-pregnancy', kind: 'stop-smoking', category: 'public-health', categoryDisplay: 'Public health', orgId: (d) => directory.acuteByDistrict.get(d)!.orgId,
      name: (n) => `Smokefree pregnancy service, ${n}`, description: 'Specialist stop-smoking support for pregnant women and their households, with free nicotine replacement.',
      eligibility: 'Pregnant women and birthing people who smoke, and their partners', cost: 'Free (NHS)', selfReferral: true,
      hours: [hours(WEEKDAYS, '08:00', '18:00'), hours(['sat'], '09:00', '12:00')] },
    { key: 'weight', kind: 'weight-management', category: 'community-health', categoryDisplay: 'Community health', orgId: () => directory.orgIds.communityTrust,
      name: (n) => `Specialist weight management (tier 3), ${n}`, description: 'Dietitians, psychologists and physical activity specialists for people living with severe obesity.',
      eligibility: 'Adults with a BMI of 40 or more (35 with a related condition), referred by their GP', cost: 'Free (NHS)', selfReferral: false,
      hours: [hours(WEEKDAYS, '09:00', '17:00'), hours(['thu'], '17:00', '20:00')] },
  ];

  for (const d of districts) {
    const localities = directory.localitiesByDistrict.get(d.id)!;
    for (const x of EXTRAS) {
      const l = rng.pick(localities);
      const orgId = x.orgId(d.id);
      const loc = addLocation(`loc-dir-${x.key}-${d.id}`, `${x.name(d.name)}`, orgId, d.id, l.postcodeDistrict, l, l.name);
      addService(`hs-dir-${x.key}-${d.id}`, orgId, { ...x, name: x.name(d.name) }, d.id, [loc]);
    }
    // The Saturday befriending club: one voluntary group meeting in every postcode district of the district.
    const orgId = `org-dir-befriend-${d.id}`;
    const org: Organization = {
      resourceType: 'Organization', id: orgId, active: true, name: `${d.name} Saturday Friends`,
      type: [concept('http://terminology.hl7.org/CodeSystem/organization-type', 'cg', 'Community Group')],
      identifier: [{ system: `${BASE}/Id/organisation`, value: orgId }],
      telecom: [{ system: 'phone', value: fictionalLandline(rng), use: 'work' }, { system: 'email', value: `hello@${d.id}-saturday-friends.example.org`, use: 'work' }],
      extension: [extString(ext.district, d.id)],
    };
    out.push(org);
    const postcodeDistricts = [...new Set(localities.map((l) => l.postcodeDistrict))].sort();
    const locs = postcodeDistricts.map((pd) => {
      const at = centroids.get(pd) ?? localities[0];
      const town = localities.find((l) => l.postcodeDistrict === pd)?.name ?? d.name;
      return addLocation(`loc-dir-befriend-${d.id}-${pd.toLowerCase()}`, `${town} community centre`, orgId, d.id, pd, at, town);
    });
    const hs = addService(`hs-dir-befriend-${d.id}`, orgId, {
      kind: 'befriending', category: 'community', categoryDisplay: 'Community and voluntary', name: `Saturday befriending club, ${d.name}`,
      description: 'A friendly Saturday club for people who feel lonely: tea, lunch, games and a volunteer befriender who keeps in touch in the week.',
      eligibility: 'Adults who feel lonely or isolated, and their carers', cost: 'Free; lunch £3 if you can', selfReferral: true,
      hours: [hours(['sat'], '10:00', '15:00'), hours(['wed'], '14:00', '16:00')],
    }, d.id, locs);
    hs.telecom!.push({ system: 'email', value: `hello@${d.id}-saturday-friends.example.org` });
  }

  // Every service (the organisations' and these): last checked, ages, languages.
  for (const r of [...organisations, ...out]) {
    if (r.resourceType !== 'HealthcareService') continue;
    const hs = r as HealthcareService;
    const kind = hs.type?.[0]?.coding?.[0]?.code ?? '';
    const draw = fresh.next();
    // The Saturday clubs and the PCNs' social prescribing services are kept current (the demo refers
    // people to them, and a link worker checks their own entry); most others were checked within the
    // last four months, so they stay current for two months of the demo's clock after its first
    // start; a few are stale on purpose: possibly out of date (over 6 months) or not taking
    // referrals (over 12).
    const daysAgo = hs.id!.startsWith('hs-dir-befriend-') || kind === 'social-prescribing' ? 5 + fresh.int(60)
      : draw < 0.78 ? fresh.int(120) : draw < 0.91 ? 190 + fresh.int(160) : 380 + fresh.int(520);
    hs.extension = [...(hs.extension ?? []), { url: LAST_CHECKED_EXTENSION, valueDate: isoDate(asOfDay - daysAgo) }];
    const ages = AGES[kind];
    if (ages) hs.extension.push({ url: AGE_RANGE_EXTENSION, valueRange: { ...(ages[0] !== undefined ? { low: { value: ages[0], unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' } } : {}), ...(ages[1] !== undefined ? { high: { value: ages[1], unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' } } : {}) } });
    const languages = [concept('urn:ietf:bcp:47', 'en', 'English')];
    if (fresh.chance(0.15)) {
      const [code, display] = fresh.pick(OTHER_LANGUAGES);
      languages.push(concept('urn:ietf:bcp:47', code, display));
    }
    hs.communication = languages;
  }
  return out;
}

function round5(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
