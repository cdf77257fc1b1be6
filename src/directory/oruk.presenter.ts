import type { HealthcareService, Location, Organization } from '@medplum/fhirtypes';
import { costOf, ageRangeOf } from './directory-index.table.js';
import type { DirectoryEntry, DirectoryRecord } from './directory.service.js';
import { termsOf, type Term } from './directory-taxonomy.js';
import { DAYS, minutesOf, openingTimesInWords } from './opening-hours.js';
import { serviceAtLocationId, uuidFor } from './oruk-ids.js';
import { lastCheckedOf } from './service-freshness.js';

/**
 * The record's directory entries in the shapes of the Open Referral UK profile of HSDS 3.0
 * (data/openreferral/schema/compiled/*.json): a service's one-to-one fields for lists, the fully
 * nested service for /services/{id}, service_at_location rows, taxonomies and terms, the page
 * envelope. Ids are UUIDs (oruk-ids.ts); child rows (schedules, phones…) get UUIDs named after
 * their parent and position, so they are stable between calls.
 *
 * Beyond the profile, as HSDS allows ("further properties so long as they do not conflict"): a
 * service's `phones` and `eligibility_description` (HSDS core fields the UK profile leaves out, kept
 * because people need the number and who it is for), languages' `name` and `code`, and `distance`
 * (metres from the asked postcode's point) on a list item when a postcode was given.
 */

type Json = Record<string, unknown>;
const RRULE_DAY: Record<string, string> = { mon: 'MO', tue: 'TU', wed: 'WE', thu: 'TH', fri: 'FR', sat: 'SA', sun: 'SU' };

function hhmm(t: string | undefined): string | undefined {
  const m = minutesOf(t);
  return m === undefined ? undefined : `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

const telecom = (s: { telecom?: { system?: string; value?: string }[] }, system: string) => s.telecom?.find((t) => t.system === system && t.value)?.value;

function organizationOf(org: (Organization & { orukId: string }) | undefined): Json | undefined {
  if (!org) return undefined;
  const kind = org.type?.[0]?.text ?? org.type?.[0]?.coding?.[0]?.display;
  return {
    id: org.orukId, name: org.name ?? '(no name recorded)',
    description: org.alias?.[0] ?? (kind ? `${kind}: ${org.name ?? ''}`.trim() : org.name ?? ''),
    ...(telecom(org, 'email') ? { email: telecom(org, 'email') } : {}),
    ...(telecom(org, 'url') ? { website: telecom(org, 'url') } : {}),
  };
}

/** A service's one-to-one fields (services list, service_at_location's service). */
export function serviceListItem(e: DirectoryEntry, org: (Organization & { orukId: string }) | undefined): Json {
  const s = e.service;
  const ages = ageRangeOf(s);
  const assured = lastCheckedOf(s);
  const email = telecom(s, 'email');
  const url = telecom(s, 'url');
  const item: Json = {
    id: e.orukId,
    ...(org ? { organization_id: org.orukId } : {}),
    name: s.name ?? '(no name recorded)',
    ...(s.comment ? { description: s.comment } : {}),
    ...(url && /^https?:\/\//.test(url) ? { url } : {}),
    ...(email ? { email } : {}),
    status: s.active === false ? 'inactive' : 'active',
    ...(costOf(s) ? { fees: costOf(s) } : {}),
    ...(typeof ages.min === 'number' ? { minimum_age: ages.min } : {}),
    ...(typeof ages.max === 'number' ? { maximum_age: ages.max } : {}),
    ...(assured ? { assured_date: assured } : {}),
    // One-to-one in HSDS (the UK profile leaves it out): on list items too, so a page imported elsewhere
    // does not read as "no eligibility recorded".
    ...(s.eligibility?.length ? { eligibility_description: s.eligibility.map((e) => e.comment ?? e.code?.text).filter(Boolean).join('; ') } : {}),
    ...(s.meta?.lastUpdated ? { last_modified: new Date(s.meta.lastUpdated).toISOString() } : {}),
    ...(org ? { organization: organizationOf(org) } : {}),
  };
  if (e.distance !== undefined) item.distance = Math.round(e.distance);
  return item;
}

function locationOf(l: Location & { orukId: string }): Json {
  const a = l.address;
  const line = [...(a?.line ?? [])].join(', ');
  return {
    id: l.orukId, location_type: 'physical',
    ...(l.name ? { name: l.name } : {}),
    ...(l.description ? { description: l.description } : {}),
    ...(l.position ? { latitude: l.position.latitude, longitude: l.position.longitude } : {}),
    addresses: a && (line || a.city || a.postalCode) ? [{
      id: uuidFor(`${l.orukId}|address`), location_id: l.orukId, address_1: line || (a.city ?? ''), city: a.city ?? '',
      state_province: a.district ?? a.state ?? 'Kent', postal_code: a.postalCode ?? '', country: a.country ?? 'GB', address_type: 'physical',
    }] : [],
  };
}

export function serviceAtLocationOf(e: DirectoryEntry, org: (Organization & { orukId: string }) | undefined, l: Location & { orukId: string }, distance?: number): Json {
  return {
    id: serviceAtLocationId(e.orukId, l.orukId), service_id: e.orukId, location_id: l.orukId,
    location: locationOf(l), service: serviceListItem({ ...e, ...(distance !== undefined ? { distance } : {}) }, org),
  };
}

function termOf(t: Term): Json {
  return { id: t.id, name: t.name, description: t.name, taxonomy: t.taxonomyName, taxonomy_id: t.taxonomyId, term: t.code };
}

/** The fully nested service (/services/{id}). */
export function serviceFull(r: DirectoryRecord): Json {
  const s: HealthcareService = r.service;
  const id = r.orukId;
  const child = (kind: string, i: number) => uuidFor(`${id}|${kind}|${i}`);
  const schedules: Json[] = [];
  (s.availableTime ?? []).forEach((t, i) => {
    const days = (t.daysOfWeek ?? []).filter((d) => (DAYS as readonly string[]).includes(d)).map((d) => RRULE_DAY[d]);
    if (days.length === 0) return;
    const opens = t.allDay ? '00:00' : hhmm(t.availableStartTime), closes = t.allDay ? '23:59' : hhmm(t.availableEndTime);
    schedules.push({
      id: child('schedule', i), service_id: id, freq: 'WEEKLY', interval: 1, byday: days.join(','),
      ...(opens ? { opens_at: opens } : {}), ...(closes ? { closes_at: closes } : {}),
      description: openingTimesInWords([t]).join('; ') || 'Opening times not recorded', attending_type: 'in person',
    });
  });
  const terms = termsOf([...(s.category ?? []), ...(s.type ?? [])]);
  const phone = telecom(s, 'phone');
  const cost = costOf(s);
  return {
    ...serviceListItem(r, r.organization),
    schedules,
    service_areas: (s.coverageArea ?? []).map((a, i) => ({ id: child('area', i), service_id: id, name: a.display ?? 'Area served', extent_type: 'text', service_area: a.display ?? '' })),
    service_at_locations: r.locations.map((l) => ({ id: serviceAtLocationId(id, l.orukId), service_id: id, location_id: l.orukId, location: locationOf(l) })),
    languages: (s.communication ?? []).map((c, i) => ({ id: child('language', i), service_id: id, name: c.text ?? c.coding?.[0]?.display ?? '', code: c.coding?.[0]?.code ?? '' })),
    funding: [],
    cost_options: cost ? [{ id: child('cost', 0), service_id: id, option: cost, amount_description: cost }] : [],
    contacts: phone || telecom(s, 'email') ? [{ id: child('contact', 0), service_id: id, name: s.name ?? 'Service contact', title: 'Service contact' }] : [],
    phones: (s.telecom ?? []).filter((t) => t.system === 'phone' && t.value).map((t, i) => ({ id: child('phone', i), service_id: id, number: t.value, type: 'voice' })),
    attributes: terms.map((t) => ({ id: uuidFor(`${id}|attribute|${t.id}`), link_id: id, link_type: 'service', taxonomy_term_id: t.id, taxonomy_term: termOf(t) })),
  };
}

export function taxonomyTermOf(t: Term): Json {
  return termOf(t);
}

export function taxonomyOf(t: { id: string; uri: string; name: string; description: string }): Json {
  return { id: t.id, name: t.name, description: t.description, ...(/^https?:\/\//.test(t.uri) ? { uri: t.uri } : {}) };
}

/** The Page envelope around `contents` (OpenAPI components.schemas.Page). */
export function page(contents: Json[], total: number, pageNumber: number, perPage: number): Json {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  return {
    total_items: total, total_pages: totalPages, page_number: pageNumber, size: contents.length,
    first_page: pageNumber === 1, last_page: pageNumber >= totalPages, empty: contents.length === 0, contents,
  };
}
