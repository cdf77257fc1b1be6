import type { Extension, HealthcareService, Resource } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import { localReference } from '../fhir/reference.js';
import { SERVICE_EXTENSIONS } from './directory-index.table.js';
import { isUuid, OPENREFERRAL_ID_SYSTEM, orukIdOf } from './oruk-ids.js';

/**
 * What a batch of mapped feed records meets in the directory before it is written (issue 11:
 * "incremental: re-running updates, never duplicates"; nothing lost).
 *
 * 1. **Entries already there under another record.** The directory publishes its own services,
 *    organisations and locations under stable UUIDs (`oruk-ids.ts`); a feed carrying one of those ids
 *    (the directory's own feed imported back, or a partner's copy of it) would otherwise be written
 *    as a second entry (`oruk-svc-<uuid>`) with the same Open Referral id, so the API published that
 *    id twice. A service already there is left as it is and the record refused with the reason (a
 *    feed does not overwrite what is kept here, with its referral settings and checks), unless it
 *    is itself an import (the same UUID in another case), which is updated; an organisation or
 *    location already there is linked to, not copied or changed.
 * 2. **What a record leaves out.** A `/services` page carries only one-to-one fields (the profile's
 *    `service_list`), so a service's phones, opening times, locations, areas, languages, taxonomy
 *    terms and costs are missing from it, not empty: importing such a page after the full records
 *    emptied them. A field the record does not carry at all now leaves the stored value as it is; a
 *    field given, even as an empty list, replaces it.
 */

/** A service's elements fed by one-to-many feed fields: absent from the record when every one of its fields is. */
export const ONE_TO_MANY = {
  phones: ['phones', 'contacts'],
  availableTime: ['schedules'],
  location: ['service_at_locations'],
  coverageArea: ['service_areas'],
  communication: ['languages'],
  type: ['attributes'],
  cost: ['cost_options', 'fees_description', 'fees'],
} as const;
export type KeptElement = keyof typeof ONE_TO_MANY;

/** The elements a feed record does not carry at all (a key missing, not a list given empty). */
export function absentElements(r: Record<string, unknown>): KeptElement[] {
  return (Object.keys(ONE_TO_MANY) as KeptElement[]).filter((e) => ONE_TO_MANY[e].every((f) => r[f] === undefined));
}

/** A mapped record of a batch, as the import holds it until it is written. */
export interface ResolvableRecord {
  resources: Resource[];
  service: HealthcareService;
  warnings: string[];
  absent: readonly KeptElement[];
}

/** The feed's own id a mapped entry carries (as given), and its Open Referral id (UUIDs in lower case). */
const upstreamOf = (r: { identifier?: { system?: string; value?: string }[] }) => r.identifier?.find((i) => i.system === OPENREFERRAL_ID_SYSTEM)?.value;
/** The feed UUID behind an import's record id (`oruk-org-<uuid>`), if it is one. */
function uuidBehind(recordId: string | undefined, kind: 'org' | 'loc'): string | undefined {
  const rest = recordId?.startsWith(`oruk-${kind}-`) ? recordId.slice(kind.length + 6) : undefined;
  return isUuid(rest) ? rest.toLowerCase() : undefined;
}

/**
 * Every organisation in the record by its Open Referral id, where that id is not the one an import
 * of it would write (`oruk-org-<id>`): the directory's own and the record's organisations. Read once
 * per import; an organisation written by the import itself is found by its record id anyway.
 */
export async function organisationsByOrukId(db: Database): Promise<Map<string, string>> {
  const res = await db.query<{ id: string; identifier: string | null }>(
    "SELECT id, content::jsonb -> 'identifier' AS identifier FROM resource WHERE resource_type = 'Organization' AND NOT deleted",
  );
  const out = new Map<string, string>();
  for (const row of res.rows) {
    const identifier = typeof row.identifier === 'string' ? JSON.parse(row.identifier) : row.identifier;
    const oruk = orukIdOf({ resourceType: 'Organization', id: row.id, identifier: Array.isArray(identifier) ? identifier : undefined });
    if (row.id !== `oruk-org-${oruk}`) out.set(oruk, row.id);
  }
  return out;
}

/**
 * Resolves a batch against the directory (see above), changing the records in place: references
 * re-pointed to entries already there, their copies dropped, left-out elements taken from the stored
 * service. Answers the reason each refused record (by position) is refused.
 */
export async function resolveAgainstDirectory(db: Database, records: ResolvableRecord[], organisations: () => Promise<Map<string, string>>): Promise<Map<number, string>> {
  const refused = new Map<number, string>();
  const serviceIds = [...new Set(records.map((r) => upstreamOf(r.service)).filter(isUuid).map((u) => u.toLowerCase()))];
  const locationIds = [...new Set(records.flatMap((r) => (r.service.location ?? []).map((l) => uuidBehind(localReference(l.reference)?.id, 'loc'))).filter((u): u is string => !!u))];
  const [services, locations] = await Promise.all([
    serviceIds.length ? db.query<{ oruk_id: string; service_id: string }>('SELECT oruk_id, service_id FROM directory_service WHERE oruk_id = ANY($1::text[])', [serviceIds]) : { rows: [] },
    locationIds.length ? db.query<{ oruk_id: string; location_id: string }>('SELECT oruk_id, location_id FROM directory_location WHERE oruk_id = ANY($1::text[])', [locationIds]) : { rows: [] },
  ]);
  const serviceHere = new Map<string, string>();
  for (const s of services.rows) serviceHere.set(s.oruk_id, s.service_id);
  const locationHere = new Map(locations.rows.map((l) => [l.oruk_id, l.location_id]));
  const needOrganisations = records.some((r) => uuidBehind(localReference(r.service.providedBy?.reference)?.id, 'org'));
  const organisationHere = needOrganisations ? await organisations() : new Map<string, string>();

  records.forEach((r, k) => {
    const upstream = upstreamOf(r.service);
    const already = isUuid(upstream) ? serviceHere.get(upstream.toLowerCase()) : undefined;
    if (already && already !== r.service.id) {
      // An entry imported from a feed under the same id (in another case) is the one updated.
      if (already.startsWith('oruk-svc-')) r.service.id = already;
      else {
        refused.set(k, `already in the directory as HealthcareService/${already}, which is kept as it is: a feed does not overwrite an entry kept here`);
        return;
      }
    }
    const relink = new Map<string, string>();
    const org = localReference(r.service.providedBy?.reference)?.id;
    const orgHere = organisationHere.get(uuidBehind(org, 'org') ?? '');
    if (org && orgHere && orgHere !== org) {
      relink.set(`Organization/${org}`, `Organization/${orgHere}`);
      r.warnings.push(`organisation already in the directory (Organization/${orgHere}): linked to it, not changed`);
    }
    for (const l of r.service.location ?? []) {
      const id = localReference(l.reference)?.id;
      const here = locationHere.get(uuidBehind(id, 'loc') ?? '');
      if (id && here && here !== id) {
        relink.set(`Location/${id}`, `Location/${here}`);
        r.warnings.push(`location already in the directory (Location/${here}): linked to it, not changed`);
      }
    }
    if (relink.size === 0) return;
    const to = (ref: string | undefined) => (ref && relink.get(ref)) ?? ref;
    r.resources = r.resources.filter((x) => !relink.has(`${x.resourceType}/${x.id}`));
    for (const x of r.resources) if (x.resourceType === 'Location' && x.managingOrganization) x.managingOrganization = { reference: to(x.managingOrganization.reference) };
    if (r.service.providedBy) r.service.providedBy = { reference: to(r.service.providedBy.reference) };
    if (r.service.location) r.service.location = [...new Set(r.service.location.map((l) => to(l.reference)!))].map((reference) => ({ reference }));
  });

  // Left-out elements: from the stored service, for the records that leave some out and are there already.
  const keeping = records.filter((r, k) => !refused.has(k) && r.absent.length > 0);
  if (keeping.length) {
    const stored = await db.query<{ id: string; content: string }>(
      "SELECT id, content FROM resource WHERE resource_type = 'HealthcareService' AND id = ANY($1::text[]) AND NOT deleted", [keeping.map((r) => r.service.id!)],
    );
    const byId = new Map(stored.rows.map((s) => [s.id, JSON.parse(s.content) as HealthcareService]));
    for (const r of keeping) {
      const was = byId.get(r.service.id!);
      if (was) keepStored(r, was);
    }
  }
  return refused;
}

/** Copies into the mapped service each element its record left out, as the stored service has it. */
function keepStored(r: ResolvableRecord, was: HealthcareService): void {
  const s = r.service;
  for (const e of r.absent) {
    if (e === 'phones') {
      const phones = (was.telecom ?? []).filter((t) => t.system === 'phone');
      const rest = (s.telecom ?? []).filter((t) => t.system !== 'phone');
      if (phones.length + rest.length) s.telecom = [...phones, ...rest];
      if (phones.length) r.warnings = r.warnings.filter((w) => w !== NO_PHONE);
    } else if (e === 'cost') {
      const cost = (was.extension ?? []).filter((x) => x.url === SERVICE_EXTENSIONS.cost);
      const rest: Extension[] = (s.extension ?? []).filter((x) => x.url !== SERVICE_EXTENSIONS.cost);
      if (cost.length + rest.length) s.extension = [...cost, ...rest];
    } else if (was[e] !== undefined) {
      (s as unknown as Record<string, unknown>)[e] = was[e];
    }
  }
}

/** The warning of a record with no phone number (dropped when the stored service has one it keeps). */
export const NO_PHONE = 'no phone number';
