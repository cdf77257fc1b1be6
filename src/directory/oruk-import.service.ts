import { createHash } from 'node:crypto';
import type { HealthcareService, HealthcareServiceAvailableTime, Location, Organization, Resource } from '@medplum/fhirtypes';
import type { Database } from '../db/database.js';
import { FhirError } from '../fhir/outcome.js';
import { isValidId } from '../fhir/reference.js';
import type { ResourceService, WriteResult } from '../fhir/resource.service.js';
import { checkArrayLengths } from '../fhir/body-limits.js';
import { PreparePool } from '../fhir/import.pool.js';
import type { PreparedBatch, PreparedResource } from '../fhir/import.preparer.js';
import { SERVICE_EXTENSIONS } from './directory-index.table.js';
import { replaceControlCharacters } from '../text-checks.js';
import { jsonArrayRecords, MalformedJsonError } from './json-array.stream.js';
import { FeedStoppedError, harvestFeed, isServiceListUrl, type HarvestOptions } from './oruk-harvest.js';
import { DAYS, minutesOf } from './opening-hours.js';
import { isUuid, OPENREFERRAL_ID_SYSTEM } from './oruk-ids.js';
import { LAST_CHECKED_EXTENSION } from './service-freshness.js';
import { absentElements, NO_PHONE, organisationsByOrukId, resolveAgainstDirectory, type KeptElement } from './oruk-import.resolve.js';

/**
 * `npx onestory directory import <file|url>`: an Open Referral (HSDS 3.0 / UK profile) JSON export
 * — a `/services` page (`{ contents: [...] }`) or a list of full service records — mapped onto the
 * record's Organization, Location and HealthcareService, streamed one record at a time.
 *
 * Incremental: each entry's record id is derived from the feed's own id (`oruk-<id>`), so running
 * the import again updates what changed (the record's no-op rule leaves the rest untouched) and
 * never makes a second copy; an id the directory already publishes for an entry of its own is not
 * copied either, and a field a record leaves out (a `/services` page has only the one-to-one ones)
 * keeps its stored value (`oruk-import.resolve.ts`). A service is written with its organisation and locations or not at all
 * (a batch of records shares one transaction; a record with an invalid part is rejected whole). Every record ends as imported, imported with warnings (what was
 * dropped or guessed, e.g. HTML stripped, a schedule that could not be read), or rejected with the
 * reason; nothing is half-written. Text is stored as text: HTML and scripts in a feed are reduced to
 * their words, and pages escape whatever is left.
 */

export interface RecordOutcome {
  index: number;
  id?: string;
  name?: string;
  outcome: 'imported' | 'updated' | 'unchanged' | 'rejected';
  warnings: string[];
  reason?: string;
}

export interface DirectoryImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  withWarnings: number;
  rejected: number;
  records: RecordOutcome[];
  /** Set when the file itself could not be read to the end (malformed or truncated JSON): records before it stand. */
  stoppedBecause?: string;
  seconds: number;
}

const KNOWN_FIELDS = new Set(['id', 'organization_id', 'program_id', 'name', 'alternate_name', 'description', 'url', 'email', 'status', 'interpretation_services',
  'application_process', 'fees_description', 'fees', 'wait_time', 'accreditations', 'eligibility_description', 'minimum_age', 'maximum_age', 'assured_date',
  'assurer_email', 'licenses', 'alert', 'last_modified', 'phones', 'schedules', 'service_areas', 'service_at_locations', 'languages', 'organization', 'funding',
  'cost_options', 'program', 'required_documents', 'contacts', 'attributes', 'metadata', 'capacities', 'distance']);

const MAX_TEXT = 5000;

/** HTML to its words: scripts and styles dropped with their content, tags removed, entities decoded, whitespace tidied. */
export function htmlToText(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', pound: '£', ndash: '–', mdash: '—', rsquo: '’', lsquo: '‘', hellip: '…' };
  const text = s
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|\/p|\/div|\/li|\/h\d)\b[^>]*>/gi, '\n')
    .replace(/<\/?(b|i|em|strong|span|a|u|small|abbr)\b[^>]*>/gi, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
        return code > 0 && code < 0x110000 && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : ' ';
      }
      return named[e.toLowerCase()] ?? m;
    });
  // Control characters (as text-checks counts them, bar tab and line ends) become spaces.
  return replaceControlCharacters(text, ' ', { allow: '\n\t\r' })
    .replace(/[ \t]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n')
    .trim();
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x)) : []);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The record id of a feed entry: `oruk-` and the feed's id when it is a valid id, else a hash of it. */
export function recordIdOf(kind: 'svc' | 'org' | 'loc', upstream: string): string {
  const plain = `oruk-${kind}-${upstream}`;
  return isValidId(plain) ? plain : `oruk-${kind}-${createHash('sha1').update(upstream).digest('hex')}`;
}

function text(v: unknown, what: string, warnings: string[]): string | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const t = htmlToText(s);
  if (t !== s.trim().replace(/[ \t]+/g, ' ')) warnings.push(`${what}: markup removed, kept as plain text`);
  if (t.length > MAX_TEXT) {
    warnings.push(`${what}: cut to ${MAX_TEXT} characters`);
    return t.slice(0, MAX_TEXT);
  }
  return t || undefined;
}

const RRULE: Record<string, (typeof DAYS)[number]> = { MO: 'mon', TU: 'tue', WE: 'wed', TH: 'thu', FR: 'fri', SA: 'sat', SU: 'sun' };

function schedulesOf(list: Record<string, unknown>[], warnings: string[]): HealthcareServiceAvailableTime[] {
  const out: HealthcareServiceAvailableTime[] = [];
  list.forEach((s, i) => {
    const freq = str(s.freq)?.toUpperCase();
    if (freq && freq !== 'WEEKLY') { warnings.push(`schedule ${i + 1}: ${freq.toLowerCase()} schedules are not shown as opening times (left out)`); return; }
    const days = (str(s.byday) ?? '').split(',').map((d) => d.trim().toUpperCase().replace(/^[+-]?\d+/, '')).filter(Boolean);
    const mapped = days.map((d) => RRULE[d]);
    if (days.length === 0 || mapped.some((d) => !d)) { warnings.push(`schedule ${i + 1}: days '${str(s.byday) ?? ''}' could not be read (left out)`); return; }
    const opens = minutesOf(str(s.opens_at)), closes = minutesOf(str(s.closes_at));
    if (opens === undefined || closes === undefined) { warnings.push(`schedule ${i + 1}: times '${str(s.opens_at) ?? ''}'–'${str(s.closes_at) ?? ''}' could not be read (left out)`); return; }
    const hhmmss = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}:00`;
    if (opens === 0 && (closes === 1440 || closes === 1439)) out.push({ daysOfWeek: [...new Set(mapped)], allDay: true });
    else out.push({ daysOfWeek: [...new Set(mapped)], availableStartTime: hhmmss(opens), availableEndTime: hhmmss(closes) });
  });
  return out;
}

function finite(v: unknown, min: number, max: number): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
}

function dateOf(v: unknown): string | undefined {
  const s = str(v)?.trim();
  if (!s || !/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  const t = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().slice(0, 10);
}

/** One feed record → the resources to write (organisation, locations, service), or the reason it cannot be imported. */
export function mapService(r: Record<string, unknown>): { resources: Resource[]; service: HealthcareService; warnings: string[]; absent: KeptElement[] } | { reason: string } {
  const warnings: string[] = [];
  const upstream = str(r.id)?.trim();
  if (!upstream) return { reason: 'no id' };
  if (upstream.length > 200) return { reason: 'id longer than 200 characters' };
  const name = text(r.name, 'name', warnings);
  if (!name) return { reason: 'no name (empty or only markup)' };
  const unknown = Object.keys(r).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length) warnings.push(`unknown fields ignored: ${unknown.slice(0, 5).map((k) => k.slice(0, 40)).join(', ')}${unknown.length > 5 ? '…' : ''}`);
  const identifier = (v: string) => [{ system: OPENREFERRAL_ID_SYSTEM, value: v }];
  const resources: Resource[] = [];

  // The organisation: the nested object, else the id alone (named after the service).
  const o = obj(r.organization);
  const orgUpstream = str(o?.id) ?? str(r.organization_id);
  let orgId: string | undefined;
  if (orgUpstream) {
    orgId = recordIdOf('org', orgUpstream);
    const orgName = text(o?.name, 'organisation name', warnings) ?? `Provider of ${name}`;
    const org: Organization = {
      resourceType: 'Organization', id: orgId, active: true, name: orgName, identifier: identifier(orgUpstream),
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'cg', display: 'Community Group' }], text: 'Community Group' }],
    };
    const email = str(o?.email), web = str(o?.website);
    const telecom = [...(email && /^[^\s@]+@[^\s@]+$/.test(email) ? [{ system: 'email' as const, value: email }] : []), ...(web && /^https?:\/\/\S+$/.test(web) ? [{ system: 'url' as const, value: web }] : [])];
    if (telecom.length) org.telecom = telecom;
    resources.push(org);
  } else warnings.push('no organisation: reports that the entry is out of date cannot reach an owner');

  // Locations, with their address and position.
  const locationIds: string[] = [];
  arr(r.service_at_locations).forEach((sal, i) => {
    const l = obj(sal.location);
    const locUpstream = str(l?.id) ?? str(sal.location_id);
    if (!l || !locUpstream) { warnings.push(`location ${i + 1}: no location details (left out)`); return; }
    const id = recordIdOf('loc', locUpstream);
    if (locationIds.includes(id)) return;
    const a = arr(l.addresses)[0];
    const lat = finite(l.latitude, -90, 90), lon = finite(l.longitude, -180, 180);
    if ((l.latitude !== undefined || l.longitude !== undefined) && (lat === undefined || lon === undefined)) warnings.push(`location ${i + 1}: coordinates could not be read (placed by postcode instead)`);
    const postcode = str(a?.postal_code)?.trim().toUpperCase();
    const location: Location = {
      resourceType: 'Location', id, status: 'active', mode: 'instance', identifier: identifier(locUpstream),
      ...(text(l.name, `location ${i + 1} name`, warnings) ? { name: text(l.name, 'location name', []) } : {}),
      ...(a ? { address: {
        use: 'work', type: 'physical',
        ...(text(a.address_1, 'address', warnings) ? { line: [text(a.address_1, 'address', [])!] } : {}),
        ...(text(a.city, 'town', warnings) ? { city: text(a.city, 'town', [])! } : {}),
        ...(text(a.state_province ?? a.region, 'county', warnings) ? { district: text(a.state_province ?? a.region, 'county', [])! } : {}),
        ...(postcode && postcode.length <= 10 ? { postalCode: postcode } : {}), country: 'GB',
      } } : {}),
      ...(lat !== undefined && lon !== undefined ? { position: { latitude: lat, longitude: lon } } : {}),
      ...(orgId ? { managingOrganization: { reference: `Organization/${orgId}` } } : {}),
    };
    resources.push(location);
    locationIds.push(id);
  });

  const description = text(r.description, 'description', warnings);
  const status = str(r.status)?.toLowerCase();
  if (status && !['active', 'inactive', 'defunct', 'temporarily closed'].includes(status)) warnings.push(`status '${status.slice(0, 30)}' is not one of the profile's: taken as active`);
  const phones = [...arr(r.phones), ...arr(r.contacts).flatMap((c) => arr(c.phones))].map((p) => str(p.number)?.trim()).filter((p): p is string => !!p && /^[0-9+() -]{3,30}$/.test(p));
  const email = str(r.email)?.trim();
  const url = str(r.url)?.trim();
  const cost = text(arr(r.cost_options)[0]?.option, 'cost', warnings) ?? text(r.fees_description ?? r.fees, 'fees', warnings)
    ?? (finite(arr(r.cost_options)[0]?.amount, 0, 1e6) !== undefined ? `£${finite(arr(r.cost_options)[0]?.amount, 0, 1e6)!.toFixed(2)}` : undefined);
  const minAge = finite(r.minimum_age, 0, 130), maxAge = finite(r.maximum_age, 0, 130);
  const checked = dateOf(r.assured_date) ?? dateOf(r.last_modified);
  if (!checked) warnings.push('no assured date or last modified date: shown as never checked');
  const terms = arr(r.attributes).map((a) => obj(a.taxonomy_term)).filter((t): t is Record<string, unknown> => !!t);
  const schedules = schedulesOf(arr(r.schedules), warnings);
  const eligibility = text(r.eligibility_description, 'eligibility', warnings);

  const service: HealthcareService = {
    resourceType: 'HealthcareService', id: recordIdOf('svc', upstream), identifier: identifier(upstream),
    active: !status || status === 'active',
    ...(orgId ? { providedBy: { reference: `Organization/${orgId}` } } : {}),
    name,
    ...(description ? { comment: description } : {}),
    ...(terms.length ? { type: terms.map((t) => {
      const system = str(t.taxonomy_id) && isUuid(str(t.taxonomy_id)) ? `urn:uuid:${str(t.taxonomy_id)!.toLowerCase()}` : `urn:openreferral:taxonomy:${encodeURIComponent((str(t.taxonomy) ?? 'unnamed').slice(0, 100))}`;
      const code = (str(t.code) ?? str(t.term) ?? str(t.id) ?? str(t.name) ?? 'unknown').slice(0, 200);
      const display = text(t.name, 'taxonomy term', []) ?? code;
      return { coding: [{ system, code, display }], text: display };
    }) } : {}),
    ...(phones.length || (email && /^[^\s@]+@[^\s@]+$/.test(email)) || (url && /^https?:\/\/\S+$/.test(url)) ? { telecom: [
      ...phones.map((p) => ({ system: 'phone' as const, value: p })),
      ...(email && /^[^\s@]+@[^\s@]+$/.test(email) ? [{ system: 'email' as const, value: email }] : []),
      ...(url && /^https?:\/\/\S+$/.test(url) ? [{ system: 'url' as const, value: url }] : []),
    ] } : {}),
    ...(eligibility ? { eligibility: [{ comment: eligibility }] } : {}),
    ...(schedules.length ? { availableTime: schedules } : {}),
    ...(locationIds.length ? { location: locationIds.map((id) => ({ reference: `Location/${id}` })) } : {}),
    ...(arr(r.service_areas).length ? { coverageArea: arr(r.service_areas).map((a) => ({ display: text(a.name ?? a.service_area, 'service area', []) ?? 'Area served' })) } : {}),
    ...(arr(r.languages).length ? { communication: arr(r.languages).map((l) => ({ ...(str(l.code) ? { coding: [{ system: 'urn:ietf:bcp:47', code: str(l.code)!.slice(0, 20) }] } : {}), text: text(l.name, 'language', []) ?? str(l.code) ?? 'Unknown' })) } : {}),
  };
  const extension = [
    ...(cost ? [{ url: SERVICE_EXTENSIONS.cost, valueString: cost }] : []),
    ...(checked ? [{ url: LAST_CHECKED_EXTENSION, valueDate: checked }] : []),
    ...(minAge !== undefined || maxAge !== undefined ? [{ url: SERVICE_EXTENSIONS.ageRange, valueRange: {
      ...(minAge !== undefined ? { low: { value: minAge, unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' } } : {}),
      ...(maxAge !== undefined ? { high: { value: maxAge, unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' } } : {}) } }] : []),
  ];
  if (extension.length) service.extension = extension;
  if (phones.length === 0) warnings.push(NO_PHONE);
  return { resources: [...resources, service], service, warnings, absent: absentElements(r) };
}

/**
 * Reads an import source as text chunks: a file (streamed), an Open Referral API's `…/services`
 * (harvested: every page, each service's full record; `oruk-harvest.ts`), or any other http(s) URL
 * (streamed as an export file).
 */
export async function* readSource(source: string, harvest?: HarvestOptions): AsyncGenerator<string> {
  if (isServiceListUrl(source)) {
    yield* harvestFeed(source, harvest);
    return;
  }
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source, { headers: { accept: 'application/json' } }).catch((err: Error) => {
      throw new FeedStoppedError(`${source} could not be read (${err.message})`);
    });
    if (!res.ok || !res.body) throw new FeedStoppedError(`${source} answered ${res.status} ${res.statusText}`);
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) yield decoder.decode(chunk, { stream: true });
    yield decoder.decode();
    return;
  }
  const { createReadStream } = await import('node:fs');
  for await (const chunk of createReadStream(source, { encoding: 'utf8', highWaterMark: 256 * 1024 })) yield chunk as string;
}

/** Records per batch: prepared together on a worker thread and written in one transaction. */
export const IMPORT_BATCH = 250;

interface Accepted {
  index: number; id: string; name?: string; resources: Resource[]; warnings: string[];
  /** The service as mapped (also in `resources`), and the elements its record left out. */
  service: HealthcareService; absent: readonly KeptElement[];
  /** Its organisation and locations by `Type/id`, with a digest of each as mapped (see `shared`). */
  parts: [key: string, digest: string][];
}
type Pending = RecordOutcome | Accepted;

/**
 * Imports a feed's records a batch at a time. Each record is mapped on its own; a batch's resources
 * are then validated, put in their stored form and indexed on worker threads (the record's
 * `prepareBatch`, as the FHIR import does) while the batch before is written, and written in one
 * transaction through the record's bulk PUT (`ResourceService.putPrepared`), which makes no new
 * version of an unchanged resource. A record with any invalid resource is rejected whole and writes
 * nothing. Outcomes are reported in the feed's order.
 */
export async function importOpenReferral(db: Database, resources: ResourceService, chunks: AsyncIterable<string>, onRecord?: (o: RecordOutcome) => void, pool?: PreparePool): Promise<DirectoryImportSummary> {
  const started = performance.now();
  const summary: DirectoryImportSummary = { created: 0, updated: 0, unchanged: 0, withWarnings: 0, rejected: 0, records: [], seconds: 0 };
  const seen = new Map<string, number>();
  // The organisations and locations written by this import so far: `Type/id` → digest as mapped.
  const shared = new Map<string, string>();
  const record = (o: RecordOutcome) => {
    if (o.outcome === 'rejected') summary.rejected++;
    else {
      if (o.outcome === 'imported') summary.created++;
      else if (o.outcome === 'updated') summary.updated++;
      else summary.unchanged++;
      if (o.warnings.length) summary.withWarnings++;
    }
    summary.records.push(o);
    onRecord?.(o);
  };
  // The platform's pool (its workers already hold the FHIR definitions) when the caller passes it.
  const ownPool = pool ?? new PreparePool();
  // Batches are written one after another, in order; the next ones are prepared meanwhile.
  const inflight: Promise<void>[] = [];
  let written: Promise<void> = Promise.resolve();
  let batch: Pending[] = [];
  // The record's organisations by Open Referral id: read once, when a batch first names one by a UUID.
  let organisations: Promise<Map<string, string>> | undefined;
  const submit = async () => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    const taken = current.filter((p): p is Accepted => 'resources' in p);
    // Before preparing: what the directory already has changes what is written (and refuses some).
    const refused = await resolveAgainstDirectory(db, taken, () => (organisations ??= organisationsByOrukId(db)));
    const refusedAt = new Map([...refused].map(([k, reason]) => [taken[k], reason]));
    const pending: Pending[] = current.map((p) => {
      const reason = 'resources' in p ? refusedAt.get(p) : undefined;
      return reason ? { index: p.index, id: p.id, name: p.name, outcome: 'rejected', warnings: [], reason } : p;
    });
    const accepted = pending.filter((p): p is Accepted => 'resources' in p);
    const items = accepted.flatMap((a, k) => a.resources.map((r) => ({ resource: r, source: String(k) })));
    const prepared = items.length ? ownPool.prepare(items, new Date().toISOString()) : Promise.resolve({ prepared: [], bundles: [], rejected: [] });
    const done = written.then(async () => {
      const outcomes = await writeRecords(db, resources, accepted, await prepared);
      accepted.forEach((a, i) => {
        if (outcomes[i].outcome !== 'rejected') for (const [key, digest] of a.parts) shared.set(key, digest);
      });
      let k = 0;
      for (const p of pending) record('resources' in p ? outcomes[k++] : p);
    });
    // Handled here so a failure while the next records are read is not an unhandled rejection; it is
    // thrown where the batch is awaited.
    done.catch(() => undefined);
    written = done;
    inflight.push(done);
    // Keep a few batches ahead, not the whole file.
    if (inflight.length >= Math.max(2, ownPool.threads + 1)) await inflight.shift();
  };
  try {
    try {
      for await (const { value, index } of jsonArrayRecords(chunks)) {
        const r = obj(value);
        if (!r) { batch.push({ index, outcome: 'rejected', warnings: [], reason: 'not an object' }); continue; }
        const mapped = mapService(r);
        const id = str(r.id)?.trim();
        const name = typeof r.name === 'string' ? htmlToText(r.name).slice(0, 120) : undefined;
        if ('reason' in mapped) { batch.push({ index, id, name, outcome: 'rejected', warnings: [], reason: mapped.reason }); continue; }
        // A UUID in another case is the same Open Referral id.
        const once = isUuid(id) ? id.toLowerCase() : id!;
        const first = seen.get(once);
        if (first !== undefined) { batch.push({ index, id, name, outcome: 'rejected', warnings: [], reason: `duplicate id: the same id as record ${first + 1}, which was kept` }); continue; }
        seen.set(once, index);
        try {
          // Before validation, whose cost grows with every element (as for any write).
          for (const res of mapped.resources) checkArrayLengths(res.resourceType, res);
        } catch (err) {
          if (!(err instanceof FhirError)) throw err;
          batch.push({ index, id, name, outcome: 'rejected', warnings: [], reason: notValid(err.message) });
          continue;
        }
        // An organisation or location this import has already written, mapped the same, is not
        // prepared and written again: a feed repeats a charity in each of its services (the bench's
        // 10,000 services name 2,000), and validating each copy was a quarter of the import's work.
        // Only parts of records already written count, so a record still has all of its parts in
        // the record, however the record that first carried them ended.
        const parts = mapped.resources.filter((res) => res !== mapped.service).map((res): [string, string] => [keyOf(res), digestOf(res)]);
        const digests = new Map(parts);
        const resources = mapped.resources.filter((res) => res === mapped.service || shared.get(keyOf(res)) !== digests.get(keyOf(res)));
        batch.push({ index, id: id!, name, resources, warnings: mapped.warnings, parts, service: mapped.service, absent: mapped.absent });
        if (batch.length >= IMPORT_BATCH) await submit();
      }
    } catch (err) {
      if (err instanceof FeedStoppedError) summary.stoppedBecause = err.message;
      else if (err instanceof MalformedJsonError) summary.stoppedBecause = `the file is not valid JSON: ${err.message}`;
      else throw err;
    }
    // The records read before a malformed part stand, as the summary says.
    await submit();
    await written;
    if (summary.created + summary.updated > 0) await cleanSearchIndexes(db);
  } finally {
    // Settle every batch still in flight after a failure, so no write ends unheard.
    await Promise.allSettled(inflight);
    if (!pool) await ownPool.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/**
 * A bulk load leaves its new entries in the directory's GIN indexes' pending lists, which every
 * search then scans in full until autovacuum merges them (a proximity search over 3,000 fresh
 * services took 50 ms in the index alone): merged here, so the directory is fast as soon as the
 * import ends. The directory's tables are analysed too: PGlite has no autovacuum, and without
 * statistics its planner took a 5 km search over 10,000 imported services through the location
 * box once per service (2.2 s; 34 ms analysed).
 */
async function cleanSearchIndexes(db: Database): Promise<void> {
  await db.query(`SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relkind = 'i' AND c.relname = ANY($1::text[])`,
    [['directory_service_document', 'directory_service_terms', 'directory_service_taxonomies', 'directory_service_locations']]);
  await db.query('ANALYZE directory_service, directory_location');
}

/** A digest of a resource as mapped (mapService builds its keys in one order, so equal input gives equal text). */
const keyOf = (r: Resource) => `${r.resourceType}/${r.id}`;
const digestOf = (r: Resource) => createHash('sha1').update(JSON.stringify(r)).digest('base64');

const notValid = (reason: string) => `not valid: ${reason.slice(0, 300)}`;

/**
 * Writes a batch's prepared records in one transaction. A lost race with another writer runs the
 * batch again; any other refusal falls back to one transaction per record, so that only the record
 * at fault is rejected (with the reason) and the rest are written.
 */
async function writeRecords(db: Database, resources: ResourceService, records: Accepted[], batch: PreparedBatch): Promise<RecordOutcome[]> {
  const parts = records.map(() => [] as PreparedResource[]);
  const invalid = new Map<number, string>();
  for (const p of batch.prepared) parts[Number(p.source)].push(p);
  for (const r of batch.rejected) if (!invalid.has(Number(r.source))) invalid.set(Number(r.source), r.reason);
  const outcomes: RecordOutcome[] = records.map((a, k) => invalid.has(k)
    ? { index: a.index, id: a.id, name: a.name, outcome: 'rejected', warnings: [], reason: notValid(invalid.get(k)!) }
    : { index: a.index, id: a.id, name: a.name, outcome: 'unchanged', warnings: a.warnings });
  const valid = records.map((_, k) => k).filter((k) => !invalid.has(k));
  const outcomeOf = (results: WriteResult[]): RecordOutcome['outcome'] =>
    results[results.length - 1].created ? 'imported' : results.every((x) => x.unchanged) ? 'unchanged' : 'updated';
  const put = async (ks: number[]) => {
    const results = await db.transaction((tx) => resources.putPrepared(tx, ks.flatMap((k) => parts[k])));
    let at = 0;
    for (const k of ks) outcomes[k].outcome = outcomeOf(results.slice(at, (at += parts[k].length)));
  };
  if (valid.length === 0) return outcomes;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await put(valid);
      return outcomes;
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      if (err.status !== 409) break;
    }
  }
  for (const k of valid) {
    try {
      await put([k]);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      outcomes[k] = { index: records[k].index, id: records[k].id, name: records[k].name, outcome: 'rejected', warnings: [], reason: notValid(err.message) };
    }
  }
  return outcomes;
}
