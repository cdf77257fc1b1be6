import type { AuditEvent } from '@medplum/fhirtypes';
import type { Queryable } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../../fhir/cursor.js';
import { parseDateRange } from '../../fhir/date-range.js';
import { badRequest, notFound } from '../../fhir/outcome.js';
import { isValidId } from '../../fhir/reference.js';
import type { RecordAccess } from '../../fhir/request-context.js';
import { parseSearch, splitPrefix, type Filter } from '../../fhir/search.parser.js';
import { Params, type SearchRow } from '../../fhir/search.repository.js';
import type { SearchResult } from '../../fhir/search.service.js';
import { auditRestrictionFor } from '../policy/audit-restriction.js';
import type { Principal } from '../principal.js';
import { AUDIT_INTERACTIONS, type AuditInteraction } from './audit-entry.js';
import { auditCodesOf } from './audit-event.builder.js';
import { renderAuditEvent, type StoredAuditRecord } from './audit-record.js';
import { AuditRepository } from './audit.repository.js';

/** The caller, as the AuditEvent API needs it: who (for the row rule) and their rights (can()). */
export interface AuditReader {
  principal: Principal;
  access?: RecordAccess;
}

/** An AuditEvent as the REST layer presents a version (a read). */
export interface RenderedAuditEvent {
  resourceType: 'AuditEvent';
  id: string;
  versionId: number;
  lastUpdated: string;
  content: string;
  /** Whose records the event is about (for the audit record of this read). */
  patientIds: string[];
}

/** The parameters AuditEvent search is served for, from the compact table (the CapabilityStatement declares these). */
export const AUDIT_EVENT_SEARCH_PARAMS = ['_id', 'patient', 'agent', 'entity', 'date', '_lastUpdated', 'type', 'subtype', 'outcome', 'action', 'altid', 'agent-role'];

/**
 * AuditEvent on the FHIR API (read, vread, history, search), rendered from the compact audit table
 * (audit-record.ts) under the caller's row rule (policy/audit-restriction.ts): the same events, in
 * the same shape, as when each was an indexed resource. Search takes the parameters a privacy review
 * and the person's access log need (SUPPORTED) and refuses the others with a 400 that names them.
 */
export class AuditEventService {
  private readonly repo = new AuditRepository();

  constructor(private readonly db: Queryable) {}

  async read(id: string, reader: AuditReader): Promise<RenderedAuditEvent> {
    reader.access?.authorize('read', 'AuditEvent');
    if (!isValidId(id)) throw badRequest(`"${id}" is not a valid resource id`, 'id');
    const p = new Params();
    const where = [`e.id = ${p.add(id)}`];
    const r = auditRestrictionFor(reader.principal)('e', p);
    if (r) where.push(r);
    const [row] = await this.repo.select(this.db, where.join(' AND '), 'e.seq', '1', p.values);
    if (!row) throw notFound(`AuditEvent/${id} is not known`);
    const event = renderAuditEvent(row);
    return { resourceType: 'AuditEvent', id, versionId: 1, lastUpdated: event.meta!.lastUpdated!, content: JSON.stringify(event), patientIds: patientsOf(row) };
  }

  /** Every AuditEvent has one version, 1. */
  async vread(id: string, vid: string, reader: AuditReader): Promise<RenderedAuditEvent> {
    const v = await this.read(id, reader).catch((err) => {
      if (err?.status === 404) throw notFound(`Version ${vid} of AuditEvent/${id} is not known`);
      throw err;
    });
    if (vid !== '1') throw notFound(`Version ${vid} of AuditEvent/${id} is not known`);
    return v;
  }

  /** A history Bundle of one AuditEvent: its one version. */
  async history(id: string, reader: AuditReader, baseUrl: string, selfUrl: string): Promise<string> {
    reader.access?.authorize('history', 'AuditEvent');
    const v = await this.read(id, reader);
    const entry = `{"fullUrl":${JSON.stringify(`${baseUrl}/AuditEvent/${id}`)},"resource":${v.content},"request":{"method":"POST","url":"AuditEvent"},"response":{"status":"201","lastModified":${JSON.stringify(v.lastUpdated)}}}`;
    return `{"resourceType":"Bundle","type":"history","total":1,"link":[{"relation":"self","url":${JSON.stringify(selfUrl)}}],"entry":[${entry}]}`;
  }

  /** A search, as a SearchResult the searchset renderer takes; `patientIds`: whose records the matches are about. */
  async search(pairs: [string, string][], reader: AuditReader, lenient = false): Promise<SearchResult & { patientIds: string[] }> {
    reader.access?.authorize('search', 'AuditEvent');
    const q = parseSearch('AuditEvent', pairs, { lenient });
    if (q.include.length > 0 || q.revinclude.length > 0) throw badRequest('AuditEvent search does not support _include or _revinclude', '_include');
    const byDate = q.sort.length > 0;
    if (q.sort.length > 1 || (byDate && !['date', '_lastUpdated'].includes(q.sort[0].param.code))) {
      throw badRequest('AuditEvent search sorts by date (or _lastUpdated) only', '_sort');
    }
    const desc = byDate && q.sort[0].descending;
    const p = new Params();
    const where = ['true'];
    const r = auditRestrictionFor(reader.principal)('e', p);
    if (r) where.push(r);
    for (const f of q.filters) where.push(filterSql(f, p));
    const wantTotal = q.total !== 'none' || q.summary === 'count';
    const total = wantTotal ? await this.repo.count(this.db, where.join(' AND '), p.values) : undefined;
    if (q.summary === 'count' || q.count === 0) return { query: q, matches: [], included: [], total, includeTruncated: false, patientIds: [] };
    if (q.cursor) {
      const c = decodeCursor(q.cursor, byDate ? ['timestamptz'] : []);
      const cmp = desc ? '<' : '>';
      where.push(byDate ? `(e.recorded, e.seq) ${cmp} (${p.add(c.v[0], 'timestamptz')}, ${p.add(c.r, 'bigint')})` : `e.seq ${cmp} ${p.add(c.r, 'bigint')}`);
    }
    const dir = desc ? 'DESC' : 'ASC';
    const order = byDate ? `e.recorded ${dir}, e.seq ${dir}` : 'e.seq ASC';
    const rows = await this.repo.select(this.db, where.join(' AND '), order, p.add(q.count + 1, 'int'), p.values);
    const page = rows.slice(0, q.count);
    const last = page[page.length - 1];
    const next = rows.length > q.count && last ? encodeCursor({ v: byDate ? [last.recorded] : [], r: last.seq }) : undefined;
    const matches: SearchRow[] = page.map((row) => ({ rid: row.seq, resource_type: 'AuditEvent', id: row.id, content: JSON.stringify(renderAuditEvent(row)), sort: [] }));
    return { query: q, matches, included: [], total, next, includeTruncated: false, patientIds: [...new Set(page.flatMap(patientsOf))] };
  }

  /** One rendered AuditEvent by id, unrestricted (the platform's own checks and tests). */
  async byId(id: string): Promise<AuditEvent | undefined> {
    const row = await this.repo.byId(this.db, id);
    return row ? renderAuditEvent(row) : undefined;
  }
}

/** The people an event links to: whose record was touched, and a resident who acted. */
function patientsOf(r: StoredAuditRecord): string[] {
  return [...new Set([...r.patientIds, ...(r.agent?.startsWith('Patient/') ? [r.agent.slice('Patient/'.length)] : [])])];
}

const refused = (code: string, why: string) => badRequest(`AuditEvent search by "${code}" ${why}`, code);

/** One filter (values ORed) as SQL on audit_event `e`. */
function filterSql(f: Filter, p: Params): string {
  if (f.kind !== 'param') throw badRequest('AuditEvent search does not support chained, _has or compartment parameters');
  const code = f.param.code;
  if (!AUDIT_EVENT_SEARCH_PARAMS.includes(code)) throw refused(code, `is not supported: use ${AUDIT_EVENT_SEARCH_PARAMS.join(', ')}`);
  if (f.modifier !== undefined) throw refused(code, `does not take the ":${f.modifier}" modifier`);
  const any = (parts: string[]) => `(${parts.join(' OR ')})`;
  const tokens = f.values.map((v) => {
    const bar = v.indexOf('|');
    return bar < 0 ? { system: undefined, code: v } : { system: v.slice(0, bar) || undefined, code: v.slice(bar + 1) };
  });
  switch (code) {
    case '_id':
      return `e.id = ANY(${p.add(f.values, 'text[]')})`;
    case 'outcome':
      return `e.outcome = ANY(${p.add(tokens.map((t) => t.code), 'text[]')})`;
    case 'action':
      return `e.action = ANY(${p.add(tokens.map((t) => t.code), 'text[]')})`;
    case 'altid':
      return `e.user_id = ANY(${p.add(tokens.map((t) => t.code), 'text[]')})`;
    case 'agent-role':
      return `e.role = ANY(${p.add(tokens.map((t) => t.code), 'text[]')})`;
    case 'type':
    case 'subtype': {
      const matching = AUDIT_INTERACTIONS.filter((i: AuditInteraction) => {
        const codes = auditCodesOf(i);
        const candidates = code === 'type' ? [codes.type] : codes.subtypes;
        return tokens.some((t) => candidates.some((c) => c.code === t.code && (t.system === undefined || t.system === c.system)));
      });
      return `e.interaction = ANY(${p.add(matching, 'text[]')})`;
    }
    case 'date':
    case '_lastUpdated':
      return any(f.values.map((v) => dateSql(v, p)));
    case 'patient':
      return any(f.values.map((v) => {
        const id = v.startsWith('Patient/') ? v.slice('Patient/'.length) : v;
        if (id.includes('/')) throw refused(code, `needs a Patient reference, not "${v}"`);
        return `(e.patient_ids @> ARRAY[${p.add(id)}::text] OR e.agent = ${p.add(`Patient/${id}`)})`;
      }));
    case 'agent':
      return any(f.values.map((v) => (v.includes('/') ? `e.agent = ${p.add(v)}` : `e.agent = ANY(${p.add(['Practitioner', 'Patient', 'RelatedPerson'].map((t) => `${t}/${v}`), 'text[]')})`)));
    case 'entity':
      return any(f.values.map((v) => {
        if (!v.includes('/')) throw refused(code, `needs a Type/id reference, not "${v}"`);
        if (v.startsWith('Patient/')) return `e.patient_ids @> ARRAY[${p.add(v.slice('Patient/'.length))}::text]`;
        const ref = p.add(v);
        return `EXISTS (SELECT 1 FROM unnest(e.resources) AS x(ref) WHERE x.ref = ${ref} OR x.ref LIKE ${ref} || '/\\_history/%')`;
      }));
  }
  throw refused(code, 'is not supported');
}

/** A date comparison on the instant recorded (FHIR prefixes over the value's [low, high) range). */
function dateSql(value: string, p: Params): string {
  const { prefix, rest } = splitPrefix('date', value);
  const range = parseDateRange(rest);
  if (!range) throw badRequest(`Search parameter "date" needs a date, not "${value}"`, 'date');
  const low = () => p.add(range.low, 'timestamptz');
  const high = () => p.add(range.high, 'timestamptz');
  switch (prefix) {
    case 'gt': case 'sa': return `e.recorded >= ${high()}`;
    case 'ge': return `e.recorded >= ${low()}`;
    case 'lt': case 'eb': return `e.recorded < ${low()}`;
    case 'le': return `e.recorded < ${high()}`;
    case 'ne': return `NOT (e.recorded >= ${low()} AND e.recorded < ${high()})`;
    default: return `(e.recorded >= ${low()} AND e.recorded < ${high()})`;
  }
}
