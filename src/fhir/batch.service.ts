import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { Queryable } from '../db/database.js';
import { cloneJson, parseJson } from './decimal-json.js';
import { badRequest, FhirError, issue, outcome, preconditionFailed } from './outcome.js';
import { isValidId } from './reference.js';
import type { RequestContext } from './request-context.js';
import type { ResourceService, Version, WriteResult } from './resource.service.js';
import { searchsetJson } from './search.service.js';

/** Entries of a transaction are processed in this order, as FHIR requires. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
export const MAX_ENTRIES = 10_000;

interface Entry {
  index: number;
  method: string;
  url: string;
  fullUrl?: string;
  resource?: Resource;
  ifNoneExist?: string;
  ifMatch?: number;
  /** For a transaction: the id this entry's resource will have, once decided. */
  assigned?: { type: string; id: string; existing: boolean };
}

/**
 * What a Bundle's entries touched: every resource read, found, written or deleted, and every Patient
 * whose record those belong to. The route hands it to the request's audit record, so a person's
 * access log shows a `GET Patient/x` inside a batch as it shows one made on its own.
 */
export interface BundleTouched {
  resources: { type: string; id: string; versionId?: string }[];
  patientIds: string[];
}

/** Collects what the entries touch while they run. */
class TouchedCollector {
  readonly refs = new Map<string, { type: string; id: string; versionId?: string }>();
  /** Rows whose Patient references are looked up at the end (search matches). */
  readonly rids = new Set<string>();
  readonly patients = new Set<string>();

  ref(type: string, id: string, versionId?: number | string): void {
    const key = `${type}/${id}${versionId !== undefined ? `/${versionId}` : ''}`;
    if (!this.refs.has(key)) this.refs.set(key, versionId !== undefined ? { type, id, versionId: String(versionId) } : { type, id });
    if (type === 'Patient') this.patients.add(id);
  }
}

/** Only well-formed names are recorded: a hostile entry url must not make the audit record unstorable. */
const NAME = /^[A-Z][A-Za-z0-9]{0,63}$/;

/** batch and transaction Bundles. A transaction is one database transaction: all or nothing. */
export class BatchService {
  constructor(private readonly resources: ResourceService) {}

  /** `touched`, when given, is filled with what the entries touched, also when the Bundle fails. */
  async process(bundle: unknown, ctx: RequestContext, touched?: BundleTouched): Promise<Bundle> {
    const seen = new TouchedCollector();
    try {
      return await this.run(bundle, ctx, seen, touched);
    } finally {
      if (touched) await this.settleTouched(seen, touched);
    }
  }

  /**
   * The Patients behind what was touched: the Patients themselves, and those each other resource
   * refers to (one lookup for all). Best effort: when the database cannot answer (the reason the
   * Bundle failed, perhaps) the record keeps what is already known.
   */
  private async settleTouched(seen: TouchedCollector, out: BundleTouched, q: Queryable = this.resources.db): Promise<void> {
    try {
      const others = [...seen.refs.values()].filter((r) => r.type !== 'Patient');
      const rows = await this.resources.repo.readCurrentMany(q, others.map(({ type, id }) => ({ type, id })));
      for (const r of rows) seen.rids.add(String(r.rid));
      for (const id of await this.resources.repo.patientsReferredBy(q, [...seen.rids])) seen.patients.add(id);
    } catch {
      // Keep what is known: the resources and the Patients named directly.
    }
    out.resources = [...seen.refs.values()];
    out.patientIds = [...seen.patients];
  }

  private async run(bundle: unknown, ctx: RequestContext, seen: TouchedCollector, touched?: BundleTouched): Promise<Bundle> {
    const b = bundle as Bundle;
    if (!b || typeof b !== 'object' || b.resourceType !== 'Bundle') throw badRequest('POST to the base URL needs a Bundle');
    if (b.type !== 'batch' && b.type !== 'transaction') {
      throw badRequest(`Bundle.type must be batch or transaction, not "${String(b.type)}"`, 'Bundle.type');
    }
    if (b.entry !== undefined && !Array.isArray(b.entry)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry');
    const raw = b.entry ?? [];
    if (raw.length > MAX_ENTRIES) throw badRequest(`A Bundle may hold at most ${MAX_ENTRIES} entries`, 'Bundle.entry');
    const entries = raw.map((e, i) => toEntry(e, i));
    if (b.type === 'batch') return this.batch(entries, ctx, seen);
    return this.transaction(entries, ctx, seen, touched);
  }

  private async batch(entries: Entry[], ctx: RequestContext, seen: TouchedCollector): Promise<Bundle> {
    const out: BundleEntry[] = [];
    for (const e of entries) {
      try {
        out.push(await this.execute(e, undefined, ctx, seen));
      } catch (err) {
        out.push(errorEntry(err));
      }
    }
    return { resourceType: 'Bundle', type: 'batch-response', entry: out };
  }

  private async transaction(entries: Entry[], ctx: RequestContext, seen: TouchedCollector, touched?: BundleTouched): Promise<Bundle> {
    for (const e of entries) {
      if (e.fullUrl && entries.some((o) => o !== e && o.fullUrl === e.fullUrl)) {
        throw badRequest(`Bundle.entry[${e.index}].fullUrl "${e.fullUrl}" appears more than once`, `Bundle.entry[${e.index}].fullUrl`);
      }
    }
    const results = await this.resources.db.transaction(async (tx) => {
      const ids = new Map<string, string>();
      // Decide every entry's id first, so references between entries can be rewritten.
      for (const e of entries) {
        await withEntry(e, () => this.assign(e, tx, ctx, ids));
      }
      for (const e of entries) {
        if (e.resource) await withEntry(e, () => this.rewriteReferences(e.resource!, ids, tx, ctx));
      }
      const ordered = [...entries].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
      const responses: BundleEntry[] = new Array(entries.length);
      // New resources (POST without a match) are written together in one statement, once the
      // DELETEs are done: a 100-entry transaction is then a handful of round trips, not hundreds.
      const fresh = entries.filter((e) => e.method === 'POST' && e.assigned && !e.assigned.existing);
      let freshDone = false;
      for (const e of ordered) {
        if (e.method === 'POST' && !freshDone) {
          freshDone = true;
          await this.createFresh(fresh, tx, responses, ctx, seen);
        }
        if (responses[e.index]) continue;
        responses[e.index] = await withEntry(e, () => this.execute(e, tx, ctx, seen));
      }
      // The request's audit record commits with the transaction's writes, or not at all: what the
      // entries touched is settled first, in the transaction, for the record to name.
      if (ctx.auditWrite) {
        if (touched) await this.settleTouched(seen, touched, tx);
        await ctx.auditWrite(tx, { kind: 'transaction' });
      }
      return responses;
    });
    return { resourceType: 'Bundle', type: 'transaction-response', entry: results };
  }

  private async createFresh(fresh: Entry[], tx: Queryable, responses: BundleEntry[], ctx: RequestContext, seen: TouchedCollector): Promise<void> {
    const bodies: Resource[] = [];
    for (const e of fresh) {
      await withEntry(e, async () => {
        const { type, id, query, operation } = parseUrl(e.url);
        if (id || query !== undefined || operation) throw badRequest(`POST in a Bundle must be to a type, not "${e.url}"`);
        this.resources.checkType(type);
        this.resources.checkWritable(type);
        bodies.push(this.resources.checkBody(type, { ...e.resource, id: e.assigned!.id }));
      });
    }
    const written = await this.resources.createMany(tx, bodies, ctx);
    fresh.forEach((e, i) => {
      seen.ref(written[i].resourceType, written[i].id, written[i].versionId);
      responses[e.index] = writeEntry(written[i], true);
    });
  }

  private async assign(e: Entry, tx: Queryable, ctx: RequestContext, ids: Map<string, string>): Promise<void> {
    const { type, id, query } = parseUrl(e.url);
    if (e.method === 'POST') {
      if (e.ifNoneExist) {
        const found = await this.match(tx, type, e.ifNoneExist, ctx);
        e.assigned = found ? { type, id: found, existing: true } : { type, id: randomUUID(), existing: false };
      } else e.assigned = { type, id: randomUUID(), existing: false };
    } else if (e.method === 'PUT') {
      if (query !== undefined) {
        const found = await this.match(tx, type, query, ctx);
        e.assigned = { type, id: found ?? e.resource?.id ?? randomUUID(), existing: !!found };
      } else if (id) e.assigned = { type, id, existing: true };
    }
    if (e.fullUrl && e.assigned) ids.set(e.fullUrl, `${e.assigned.type}/${e.assigned.id}`);
  }

  /** The id of the one resource matching `criteria`, undefined for none; 412 for several. */
  private async match(tx: Queryable, type: string, criteria: string, ctx: RequestContext): Promise<string | undefined> {
    this.resources.checkType(type);
    const pairs = [...new URLSearchParams(criteria)] as [string, string][];
    if (pairs.length === 0) throw badRequest('Conditional criteria are empty');
    const q = this.resources.search.parse(type, pairs);
    q.count = 2;
    q.include = [];
    q.revinclude = [];
    const found = await this.resources.search.run(q, ctx, tx);
    if (found.matches.length > 1) throw preconditionFailed(`The criteria ${type}?${criteria} match more than one resource`);
    return found.matches[0]?.id;
  }

  private async rewriteReferences(node: unknown, ids: Map<string, string>, tx: Queryable, ctx: RequestContext): Promise<void> {
    if (Array.isArray(node)) {
      for (const v of node) await this.rewriteReferences(v, ids, tx, ctx);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'reference' && typeof v === 'string') {
        if (ids.has(v)) obj[k] = ids.get(v);
        else if (v.startsWith('urn:uuid:')) {
          throw badRequest(`Reference "${v}" does not match the fullUrl of any entry in the transaction`);
        } else if (/^[A-Z][A-Za-z]+\?/.test(v)) {
          const [type, criteria] = [v.slice(0, v.indexOf('?')), v.slice(v.indexOf('?') + 1)];
          const id = await this.match(tx, type, criteria, ctx);
          if (!id) throw preconditionFailed(`The conditional reference "${v}" matches no resource`);
          obj[k] = `${type}/${id}`;
        }
      } else if (typeof v === 'object') await this.rewriteReferences(v, ids, tx, ctx);
    }
  }

  private async execute(e: Entry, tx: Queryable | undefined, ctx: RequestContext, seen: TouchedCollector): Promise<BundleEntry> {
    const { type, id, vid, query, operation } = parseUrl(e.url);
    const svc = this.resources;
    // A Patient named in the url is named in the record whatever the answer, as for a read on its own.
    if (type === 'Patient' && id && isValidId(id)) seen.patients.add(id);
    const wrote = (v: WriteResult | Version) => {
      seen.ref(v.resourceType, v.id, v.versionId);
      return v;
    };
    switch (e.method) {
      case 'GET':
      case 'HEAD': {
        if (operation) throw badRequest(`Operations are not supported inside a Bundle (${e.url})`);
        if (id && vid) return readEntry(wrote(await svc.vread(type, id, vid, tx ?? svc.db, ctx)));
        if (id) {
          const v = await svc.read(type, id, tx ?? svc.db, ctx);
          for (const p of v.patientIds ?? []) seen.patients.add(p);
          return readEntry(wrote(v));
        }
        svc.checkType(type);
        const pairs = [...new URLSearchParams(query ?? '')] as [string, string][];
        const q = svc.search.parse(type, pairs);
        const result = await svc.search.run(q, ctx, tx);
        for (const r of [...result.matches, ...result.included]) {
          seen.ref(r.resource_type, r.id);
          seen.rids.add(String(r.rid));
        }
        const self = `${ctx.baseUrl}/${type}${query ? `?${query}` : ''}`;
        return { resource: parseJson(searchsetJson(result, ctx, self)) as Bundle, response: { status: '200 OK' } };
      }
      case 'POST': {
        if (id || query !== undefined || operation) throw badRequest(`POST in a Bundle must be to a type, not "${e.url}"`);
        // In a transaction, new resources were written by createFresh; only matches of If-None-Exist remain.
        if (tx && e.assigned?.existing) return writeEntry(wrote(await svc.read(type, e.assigned.id, tx, ctx)), false, true);
        return writeEntry(wrote(await svc.create(type, e.resource, { ifNoneExist: e.ifNoneExist, tx, ctx })));
      }
      case 'PUT': {
        if (query !== undefined) {
          if (tx && e.assigned) return writeEntry(wrote(await svc.update(type, e.assigned.id, { ...e.resource, id: e.assigned.id }, { tx, ctx })));
          return writeEntry(wrote(await svc.conditionalUpdate(type, query, e.resource, { tx, ctx })));
        }
        if (!id) throw badRequest(`PUT in a Bundle needs Type/id or Type?criteria, not "${e.url}"`);
        return writeEntry(wrote(await svc.update(type, id, e.resource, { ifMatch: e.ifMatch, tx, ctx })));
      }
      case 'PATCH': {
        if (!id) throw badRequest(`PATCH in a Bundle needs Type/id, not "${e.url}"`);
        return writeEntry(wrote(await svc.patch(type, id, patchBody(e), { ifMatch: e.ifMatch, tx, ctx })));
      }
      case 'DELETE': {
        if (query !== undefined) await svc.conditionalDelete(type, query, { tx, ctx });
        else if (id) {
          // A deletion removes the resource's references from the index: find its Patients first.
          const before = NAME.test(type) && isValidId(id) ? await this.resources.repo.readCurrentMany(tx ?? svc.db, [{ type, id }]) : [];
          const patients = await this.resources.repo.patientsReferredBy(tx ?? svc.db, before.map((r) => String(r.rid)));
          if (await svc.delete(type, id, { ifMatch: e.ifMatch, tx, ctx })) {
            seen.ref(type, id);
            for (const p of patients) seen.patients.add(p);
          }
        } else throw badRequest(`DELETE in a Bundle needs Type/id or Type?criteria, not "${e.url}"`);
        return { response: { status: '204 No Content' } };
      }
    }
    throw badRequest(`Method "${e.method}" is not supported in a Bundle`);
  }
}

function toEntry(e: BundleEntry, index: number): Entry {
  const path = `Bundle.entry[${index}]`;
  if (!e || typeof e !== 'object') throw badRequest(`${path} must be an object`, path);
  const req = e.request;
  if (!req || typeof req.method !== 'string' || typeof req.url !== 'string' || !req.url) {
    throw badRequest(`${path}.request needs a method and a url`, `${path}.request`);
  }
  const method = req.method.toUpperCase();
  if (!(method in ORDER)) throw badRequest(`${path}.request.method "${req.method}" is not supported`, `${path}.request.method`);
  if ((method === 'POST' || method === 'PUT') && (!e.resource || typeof e.resource !== 'object')) {
    throw badRequest(`${path} needs a resource for ${method}`, `${path}.resource`);
  }
  let ifMatch: number | undefined;
  if (req.ifMatch !== undefined) {
    const m = /^(?:W\/)?"?(\d+)"?$/.exec(req.ifMatch);
    if (!m) throw badRequest(`${path}.request.ifMatch must be W/"version"`, `${path}.request.ifMatch`);
    ifMatch = Number(m[1]);
  }
  return {
    index, method, url: req.url.replace(/^\//, ''), fullUrl: e.fullUrl, ifMatch,
    resource: e.resource ? cloneJson(e.resource) : undefined,
    ifNoneExist: req.ifNoneExist?.replace(/^\?/, ''),
  };
}

function parseUrl(url: string): { type: string; id?: string; vid?: string; query?: string; operation?: string } {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q + 1) : undefined;
  const parts = path.split('/').filter(Boolean);
  const [type, id, h, vid] = parts;
  if (!type) throw badRequest(`Bundle request url "${url}" names no resource type`);
  if (parts.some((p) => p.startsWith('$'))) return { type, operation: parts.find((p) => p.startsWith('$')) };
  if (parts.length > 4 || (h !== undefined && h !== '_history')) throw badRequest(`Bundle request url "${url}" is not supported`);
  return { type, id, vid, query };
}

function patchBody(e: Entry): unknown {
  const r = e.resource as (Resource & { contentType?: string; data?: string }) | undefined;
  if (r?.resourceType === 'Binary' && typeof r.data === 'string') {
    try {
      return parseJson(Buffer.from(r.data, 'base64').toString('utf8'));
    } catch {
      throw badRequest('The Binary of a PATCH entry must hold a base64 JSON Patch');
    }
  }
  throw badRequest('A PATCH entry must carry a Binary resource whose data is a base64 JSON Patch');
}

function readEntry(v: Version): BundleEntry {
  return {
    resource: parseJson(v.content!) as Resource,
    response: { status: '200 OK', etag: `W/"${v.versionId}"`, lastModified: v.lastUpdated },
  };
}

function writeEntry(v: WriteResult | Version, created = (v as WriteResult).created, matched = false): BundleEntry {
  const status = created ? '201 Created' : '200 OK';
  return {
    fullUrl: undefined,
    resource: v.content ? (parseJson(v.content) as Resource) : undefined,
    response: {
      status: matched ? '200 OK' : status,
      location: `${v.resourceType}/${v.id}/_history/${v.versionId}`,
      etag: `W/"${v.versionId}"`,
      lastModified: v.lastUpdated,
    },
  };
}

function errorEntry(err: unknown): BundleEntry {
  if (err instanceof FhirError) {
    return { response: { status: String(err.status), outcome: err.outcome } };
  }
  return { response: { status: '500', outcome: outcome([issue('exception', 'The entry could not be processed')]) } };
}

/** Names the failing entry in a transaction's error, so the client knows which one to fix. */
async function withEntry<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FhirError) {
      for (const i of err.outcome.issue ?? []) {
        i.diagnostics = `Bundle.entry[${e.index}] (${e.method} ${e.url}): ${i.diagnostics ?? ''}`;
        if (i.details) i.details.text = i.diagnostics;
        i.expression = [...(i.expression ?? []), `Bundle.entry[${e.index}]`];
      }
    }
    throw err;
  }
}
