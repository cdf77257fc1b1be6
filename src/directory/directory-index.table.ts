import type { HealthcareService, Location } from '@medplum/fhirtypes';
import type { DerivedTable, VersionWrite } from '../fhir/resource.repository.js';
import { localReference } from '../fhir/reference.js';
import { ext, SD } from '../synth/fhir.helpers.js';
import { termsOf, SERVICE_KINDS, SERVICE_TYPE_SYSTEM } from './directory-taxonomy.js';
import { multirangeLiteral, weeklyRanges } from './opening-hours.js';
import { orukIdOf } from './oruk-ids.js';
import { locatePostcode } from './postcode-geography.js';
import { lastCheckedOf } from './service-freshness.js';

/** Where the cost, referral route, district and ages are recorded on a HealthcareService. */
export const SERVICE_EXTENSIONS = {
  cost: ext.cost,
  referralRoute: ext.referralRoute,
  district: ext.district,
  /** The ages served, a Range in years (Open Referral's minimum_age and maximum_age). */
  ageRange: `${SD}/age-range`,
} as const;

export function extensionString(s: HealthcareService, url: string): string | undefined {
  const e = s.extension?.find((x) => x.url === url);
  return e?.valueString ?? e?.valueCode;
}

/** What a service costs, in words, when recorded. */
export function costOf(s: HealthcareService): string | undefined {
  return extensionString(s, SERVICE_EXTENSIONS.cost);
}

/** Free when its cost says so first ("Free", "Free; lunch £3"); paid when a cost is recorded that does not; unknown otherwise. */
export function isFree(s: HealthcareService): boolean | undefined {
  const cost = costOf(s);
  if (!cost) return undefined;
  return /^\s*free\b/i.test(cost);
}

/** Whether a person may refer themselves: the referral route when recorded, else a phone referral method. */
export function selfReferralOf(s: HealthcareService): boolean | undefined {
  const route = extensionString(s, SERVICE_EXTENSIONS.referralRoute);
  if (route === 'self-or-professional' || route === 'self') return true;
  if (route === 'professional') return false;
  if (s.referralMethod?.length) return s.referralMethod.some((m) => m.coding?.some((c) => c.code === 'phone'));
  return undefined;
}

export function ageRangeOf(s: HealthcareService): { min?: number; max?: number } {
  const r = s.extension?.find((x) => x.url === SERVICE_EXTENSIONS.ageRange)?.valueRange;
  return { min: r?.low?.value, max: r?.high?.value };
}

/** The Location ids a service is offered at. */
export function locationIdsOf(s: HealthcareService): string[] {
  return (s.location ?? []).map((l) => localReference(l.reference)).filter((r) => r?.type === 'Location').map((r) => r!.id);
}

/** The words a search matches: name, description, kinds, categories, eligibility, languages. */
function searchText(s: HealthcareService): string {
  const kinds = (s.type ?? []).flatMap((t) => t.coding ?? []).map((c) => (c.system === SERVICE_TYPE_SYSTEM ? SERVICE_KINDS[c.code ?? ''] : undefined) ?? c.display ?? '');
  const parts = [
    s.name, s.comment, s.extraDetails, ...kinds, ...(s.type ?? []).map((t) => t.text), ...(s.category ?? []).map((c) => c.text ?? c.coding?.[0]?.display),
    ...(s.specialty ?? []).map((c) => c.text ?? c.coding?.[0]?.display), ...(s.eligibility ?? []).map((e) => e.comment ?? e.code?.text),
    ...(s.communication ?? []).map((c) => c.text ?? c.coding?.[0]?.display), s.providedBy?.display,
  ];
  // The tsvector is built from this: keep it bounded however long an imported description is.
  return parts.filter((x): x is string => typeof x === 'string' && x.trim() !== '').join(' \n').slice(0, 20_000);
}

/** One directory_service row of a HealthcareService (see migration 011). */
export function directoryServiceRow(s: HealthcareService, lastUpdated: string): unknown[] {
  const terms = termsOf([...(s.category ?? []), ...(s.type ?? [])]);
  const org = localReference(s.providedBy?.reference);
  const ages = ageRangeOf(s);
  return [
    s.id,
    orukIdOf({ resourceType: 'HealthcareService', id: s.id, identifier: s.identifier }),
    (s.name ?? '').slice(0, 500),
    org?.type === 'Organization' ? org.id : null,
    s.active === false ? 'inactive' : 'active',
    searchText(s),
    terms.map((t) => t.id).join(' '),
    [...new Set(terms.map((t) => t.taxonomyId))].join(' '),
    locationIdsOf(s).join(' '),
    JSON.stringify(terms),
    isFree(s) ?? null,
    selfReferralOf(s) ?? null,
    multirangeLiteral(weeklyRanges(s.availableTime)),
    lastCheckedOf(s) ?? null,
    typeof ages.min === 'number' ? ages.min : null,
    typeof ages.max === 'number' ? ages.max : null,
    extensionString(s, SERVICE_EXTENSIONS.district) ?? null,
    lastUpdated,
  ];
}

/** One directory_location row of a Location: its position, else its postcode district's point. */
export function directoryLocationRow(l: Location): unknown[] {
  const pos = l.position;
  const postcode = l.address?.postalCode;
  let lat: number | null = null, lon: number | null = null;
  if (pos && Number.isFinite(pos.latitude) && Number.isFinite(pos.longitude) && Math.abs(pos.latitude) <= 90 && Math.abs(pos.longitude) <= 180) {
    [lat, lon] = [pos.latitude, pos.longitude];
  } else if (postcode) {
    const at = locatePostcode(postcode)?.point;
    if (at) [lat, lon] = [at.lat, at.lon];
  }
  return [l.id, orukIdOf({ resourceType: 'Location', id: l.id, identifier: l.identifier }), lat, lon, postcode ?? null];
}

export const DIRECTORY_SERVICE_TABLE: DerivedTable = {
  table: 'directory_service',
  columns: ['service_id', 'oruk_id', 'name', 'org_id', 'status', 'search_text', 'term_list', 'taxonomy_list', 'location_list', 'terms_json',
    'free', 'self_referral', 'open_week', 'last_checked', 'min_age', 'max_age', 'district', 'modified'],
  types: ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'bool', 'bool', 'int4multirange', 'date', 'numeric', 'numeric', 'text', 'timestamptz'],
  rows: (w: VersionWrite) => (w.resourceType === 'HealthcareService' && w.content ? [directoryServiceRow(JSON.parse(w.content) as HealthcareService, w.lastUpdated)] : []),
};

export const DIRECTORY_LOCATION_TABLE: DerivedTable = {
  table: 'directory_location',
  columns: ['location_id', 'oruk_id', 'lat', 'lon', 'postcode'],
  types: ['text', 'text', 'float8', 'float8', 'text'],
  rows: (w: VersionWrite) => (w.resourceType === 'Location' && w.content ? [directoryLocationRow(JSON.parse(w.content) as Location)] : []),
};
