import type { HealthcareService, Location, Organization, Task } from '@medplum/fhirtypes';
import { recordedByTag } from '../access/policy/policy-codes.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { badRequest, notFound } from '../fhir/outcome.js';
import { isValidId, localReference } from '../fhir/reference.js';
import type { ResourceService } from '../fhir/resource.service.js';
import { hasControlCharacter } from '../text-checks.js';
import { TASK_KIND_SYSTEM, TASK_KINDS } from '../workflow/task.vocabulary.js';
import { locationIdsOf } from './directory-index.table.js';
import { DirectorySearchRepository, type DirectoryHit, type DirectoryQuery } from './directory-search.repository.js';
import { TAXONOMY_NAMES, type Term } from './directory-taxonomy.js';
import { isUuid, orukIdOf, serviceAtLocationId } from './oruk-ids.js';

/** A service as the directory shows it: the HealthcareService, its Open Referral id, and how far away it is when asked. */
export interface DirectoryEntry {
  service: HealthcareService;
  orukId: string;
  /** The location of this row when searched per location (service_at_location). */
  locationId?: string;
  distance?: number;
}

/** A service with everything its page and its full Open Referral record need. */
export interface DirectoryRecord extends DirectoryEntry {
  organization?: Organization & { orukId: string };
  locations: (Location & { orukId: string })[];
}

/** `Task.identifier` of an out-of-date report: its value is the service's id, so a service has one open report at a time. */
export const OUT_OF_DATE_REPORT_SYSTEM = 'https://onestory.example/fhir/Id/directory-out-of-date-report';
export const OUT_OF_DATE_REPORT_SOURCE = 'urn:onestory:directory:out-of-date-report';
const OPEN_TASK_STATUSES = 'requested,received,accepted,ready,in-progress,on-hold';

/**
 * The service directory: search (directory-search.repository.ts over the derived tables of
 * migration 011), a service with its organisation and locations, the taxonomies, and the one write
 * anyone may cause: reporting an entry as out of date, which gives its owning organisation a Task.
 * The directory is public (Open Referral feeds are open by rule): it reads without a row restriction.
 */
export class DirectoryService {
  private readonly repo: DirectorySearchRepository;

  constructor(
    private readonly db: Database,
    private readonly resources: ResourceService,
    private readonly clock: Clock,
  ) {
    this.repo = new DirectorySearchRepository(db);
  }

  /** The search statement with its parameters (the bench EXPLAINs it). */
  statementOf(q: DirectoryQuery): { sql: string; params: unknown[] } {
    return this.repo.build(q);
  }

  async search(q: DirectoryQuery): Promise<{ total: number; entries: DirectoryEntry[] }> {
    const { total, hits } = await this.repo.search(q);
    return { total, entries: hits.map(entryOf) };
  }

  /**
   * A page of results with each service's organisation and locations (what lists show), in one
   * statement: the same rows as search() then detailsOf(), without two more round trips.
   */
  async searchRecords(q: DirectoryQuery): Promise<{ total: number; records: DirectoryRecord[] }> {
    const { total, hits } = await this.repo.search(q, { details: true });
    return {
      total,
      records: hits.map((h) => {
        const entry = entryOf(h);
        const org = h.organization ? (JSON.parse(h.organization) as Organization) : undefined;
        const locById = new Map((h.locations ?? []).map((l) => [l.id, { ...l.content, orukId: l.oruk }]));
        return { ...entry, ...detailsFrom(entry.service, org && org.id ? new Map([[org.id, org]]) : new Map(), locById) };
      }),
    };
  }

  /** A service by its record id or its Open Referral id; 404 when missing or inactive alike. */
  async get(id: string): Promise<DirectoryRecord> {
    if (!isValidId(id) && !isUuid(id)) throw notFound('No such service in the directory');
    const res = await this.db.query<{ content: string; oruk_id: string }>(
      `SELECT r.content, s.oruk_id FROM directory_service s JOIN resource r ON r.rid = s.rid AND NOT r.deleted
        WHERE (s.service_id = $1 OR s.oruk_id = lower($1)) AND s.status = 'active' ORDER BY s.service_id = $1 DESC LIMIT 1`,
      [id],
    );
    if (!res.rows[0]) throw notFound('No such service in the directory');
    const service = JSON.parse(res.rows[0].content) as HealthcareService;
    return { service, orukId: res.rows[0].oruk_id, ...(await this.detailsOf([service]))[0] };
  }

  /**
   * A service by the id of one of its service-at-locations (`/service_at_locations/{id}`), which the
   * profile answers with the full service. Those ids are name-based UUIDs of the service's and the
   * location's ids, so they are found by deriving each pair's (one statement, then hashing in
   * process): a rare call, kept off the search path. 404 when missing or inactive alike.
   */
  async getByServiceAtLocation(id: string): Promise<DirectoryRecord> {
    if (!isUuid(id)) throw notFound('No such service at a location in the directory');
    const res = await this.db.query<{ service_id: string; service_oruk: string; location_oruk: string }>(
      `SELECT s.service_id, s.oruk_id AS service_oruk, l.oruk_id AS location_oruk
         FROM directory_service s CROSS JOIN LATERAL unnest(s.locations) AS at(location_id)
         JOIN directory_location l ON l.location_id = at.location_id
        WHERE s.status = 'active'`,
    );
    const want = id.toLowerCase();
    const hit = res.rows.find((r) => serviceAtLocationId(r.service_oruk, r.location_oruk) === want);
    if (!hit) throw notFound('No such service at a location in the directory');
    return this.get(hit.service_id);
  }

  /** The organisations and locations of several services, in two statements. */
  async detailsOf(services: HealthcareService[]): Promise<ServiceDetails[]> {
    const orgIds = [...new Set(services.map((s) => localReference(s.providedBy?.reference)).filter((r) => r?.type === 'Organization').map((r) => r!.id))];
    const locIds = [...new Set(services.flatMap(locationIdsOf))];
    const [orgs, locs] = await Promise.all([
      orgIds.length ? this.db.query<{ id: string; content: string }>(`SELECT id, content FROM resource WHERE resource_type = 'Organization' AND id = ANY($1::text[]) AND NOT deleted`, [orgIds]) : { rows: [] },
      locIds.length ? this.db.query<{ id: string; content: string; oruk_id: string }>(
        `SELECT r.id, r.content, l.oruk_id FROM resource r JOIN directory_location l ON l.rid = r.rid
          WHERE r.resource_type = 'Location' AND r.id = ANY($1::text[]) AND NOT r.deleted`, [locIds]) : { rows: [] },
    ]);
    const orgById = new Map(orgs.rows.map((o) => [o.id, JSON.parse(o.content) as Organization]));
    const locById = new Map((locs.rows as { id: string; content: string; oruk_id: string }[]).map((l) => [l.id, { ...(JSON.parse(l.content) as Location), orukId: l.oruk_id }]));
    return services.map((s) => detailsFrom(s, orgById, locById));
  }

  /** Every taxonomy term in use by an active service, by taxonomy then name. */
  async terms(): Promise<Term[]> {
    const res = await this.db.query<{ terms_json: string }>(`SELECT DISTINCT terms_json FROM directory_service WHERE status = 'active'`);
    const byId = new Map<string, Term>();
    for (const r of res.rows) for (const t of JSON.parse(r.terms_json) as Term[]) if (!byId.has(t.id)) byId.set(t.id, t);
    return [...byId.values()].sort((a, b) => a.taxonomyName.localeCompare(b.taxonomyName) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** The taxonomies of those terms. */
  async taxonomies(): Promise<{ id: string; uri: string; name: string; description: string }[]> {
    const seen = new Map<string, { id: string; uri: string; name: string; description: string }>();
    for (const t of await this.terms()) {
      if (!seen.has(t.taxonomyId)) seen.set(t.taxonomyId, { id: t.taxonomyId, uri: t.taxonomyUri, name: t.taxonomyName, description: TAXONOMY_NAMES[t.taxonomyUri]?.description ?? `Terms from ${t.taxonomyUri}` });
    }
    return [...seen.values()];
  }

  /**
   * "Report as out of date": anyone, signed in or not, may say an entry is wrong. It becomes a Task
   * for the service's owning organisation (recorded as theirs, so it is on their worklist), raised
   * by the platform itself (no principal: the reporter may be a member of the public), one open
   * report per service (a conditional create on the service's id), so repeated reports do not flood
   * the owner. Returns whether a new task was raised (false: one is already open).
   */
  async reportOutOfDate(serviceId: string, what: string | undefined, reporter: string): Promise<{ raised: boolean }> {
    const words = (what ?? '').trim();
    if (words.length > 1000) throw badRequest('Say what is out of date in 1000 characters or fewer', 'what');
    if (hasControlCharacter(words, { allow: '\n\r\t' })) throw badRequest('What is out of date must be plain text', 'what');
    const { service } = await this.get(serviceId);
    const org = localReference(service.providedBy?.reference);
    if (org?.type !== 'Organization') throw badRequest('This entry has no owning organisation to tell; contact the directory team');
    const now = this.clock.now();
    const task: Task = {
      resourceType: 'Task',
      meta: { tag: [recordedByTag(org.id)], source: OUT_OF_DATE_REPORT_SOURCE },
      identifier: [{ system: OUT_OF_DATE_REPORT_SYSTEM, value: service.id! }],
      status: 'requested', intent: 'order',
      code: { coding: [{ system: TASK_KIND_SYSTEM, code: 'review', display: TASK_KINDS.review }], text: 'Check a directory entry' },
      description: `Directory entry reported as out of date: ${service.name ?? service.id}. Check it and update it (this also records it as checked).`,
      focus: { reference: `HealthcareService/${service.id}`, display: service.name },
      owner: { reference: `Organization/${org.id}` },
      authoredOn: now.toISOString(),
      restriction: { period: { end: new Date(now.getTime() + 14 * 86_400_000).toISOString().slice(0, 10) } },
      note: [{ text: `${reporter} said: ${words || '(no details given)'}`, time: now.toISOString() }],
    };
    const criteria = `identifier=${encodeURIComponent(`${OUT_OF_DATE_REPORT_SYSTEM}|${service.id}`)}&status=${OPEN_TASK_STATUSES}`;
    const done = await this.resources.create('Task', task, { ifNoneExist: criteria });
    return { raised: done.created };
  }
}

type ServiceDetails = Pick<DirectoryRecord, 'organization' | 'locations'>;

function entryOf(h: DirectoryHit): DirectoryEntry {
  return { service: JSON.parse(h.content) as HealthcareService, orukId: h.orukId, ...(h.locationId ? { locationId: h.locationId } : {}), ...(h.distance !== undefined ? { distance: h.distance } : {}) };
}

/** A service's organisation (when it names one that was found) and its found locations, in the service's own order. */
function detailsFrom(s: HealthcareService, orgById: Map<string, Organization>, locById: Map<string, Location & { orukId: string }>): ServiceDetails {
  const ref = localReference(s.providedBy?.reference);
  const org = ref?.type === 'Organization' ? orgById.get(ref.id) : undefined;
  return {
    ...(org ? { organization: { ...org, orukId: orukIdOf(org as Organization & { resourceType: 'Organization' }) } } : {}),
    locations: locationIdsOf(s).map((id) => locById.get(id)).filter((l): l is Location & { orukId: string } => !!l),
  };
}
