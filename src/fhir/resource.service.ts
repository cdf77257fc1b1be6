import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { applyPatch, type Operation } from 'rfc6902';
import type { Database, Queryable } from '../db/database.js';
import { checkArrayLengths } from './body-limits.js';
import { isSupportedType } from './definitions.js';
import {
  badRequest, conflict, FhirError, gone, issue, notFound, outcome, preconditionFailed,
} from './outcome.js';
import type { GuardedWrite, RequestContext, WriteDone } from './request-context.js';
import type { PreparedResource } from './import.preparer.js';
import { ResourceRepository, type StoredRow, type VersionWrite } from './resource.repository.js';
import { extractIndex } from './search-index.js';
import { SearchService } from './search.service.js';
import { canonicalJson, keepPatchedDecimals, parseJson, stringifyJson } from './decimal-json.js';
import { isValidId } from './reference.js';
import { validate } from './validation.service.js';
import { applyWriteRules, type WriteRule } from './write-rules.js';

/** A stored version as the REST layer presents it. */
export interface Version {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  /** The resource's JSON text; null for a deletion. */
  content: string | null;
  /** Under a caller's restriction: the Patients the resource refers to, for the audit record. */
  patientIds?: string[];
}

export interface WriteResult extends Version {
  /** true when this write created the resource (201), false for an update (200). */
  created: boolean;
  /** true when nothing changed (conditional create matched, or an update with identical content). */
  unchanged?: boolean;
}

/**
 * Each lost race means another writer's version landed, so retrying always makes progress; the bound
 * only stops a pathological loop. 5 was too few: 8 concurrent writers of one resource under load
 * could leave the last one with a 409.
 */
/**
 * Types only the platform writes (the audit trail and the provenance of its own writes): every client
 * write is a 405, before any other check, and the CapabilityStatement declares them read-only.
 */
export const PLATFORM_WRITTEN = new Set(['AuditEvent', 'Provenance']);

/** The most operations one JSON Patch may hold: far beyond any real edit of one resource. */
export const MAX_PATCH_OPERATIONS = 1_000;

const MAX_RETRIES = 32;

/**
 * The record's write and read rules: versioning, optimistic concurrency, conditional interactions.
 * Every method takes an optional transaction so batches and transactions reuse the same rules.
 */
export class ResourceService {
  readonly repo: ResourceRepository;
  readonly search: SearchService;
  /** Rules about what a caller's write may contain (e.g. Task status transitions); see write-rules.ts. */
  private readonly writeRules: readonly WriteRule[];

  constructor(readonly db: Database, opts: { writeRules?: readonly WriteRule[] } = {}) {
    this.repo = new ResourceRepository(db);
    this.search = new SearchService(db);
    this.writeRules = opts.writeRules ?? [];
  }

  /** The access layer's decision on a write, then the record's write rules; returns the body to store. */
  private async guarded(q: Queryable, ctx: RequestContext | undefined, w: GuardedWrite, pending?: ReadonlySet<string>): Promise<Resource> {
    const stored = await guarded(q, ctx, w, pending);
    if (ctx?.access && this.writeRules.length > 0) await applyWriteRules(this.writeRules, { ...w, resource: w.resource && stored }, q);
    return stored;
  }

  checkType(type: string): void {
    if (!isSupportedType(type)) throw notFound(`Resource type "${type}" is not supported`);
  }

  /**
   * AuditEvents are recorded by the platform itself, in a hash chain (src/access/audit), and so is
   * Provenance: a client can read them but never write, change or delete one.
   */
  checkWritable(type: string): void {
    if (PLATFORM_WRITTEN.has(type)) {
      throw new FhirError(405, outcome([issue('not-supported', `${type} resources are recorded by the platform and are append-only`, 'resourceType')]));
    }
  }

  checkId(id: string): void {
    if (!isValidId(id)) throw badRequest(`"${id}" is not a valid resource id`, 'id');
  }

  /** Validates a body for a write to `type`; throws a 400 naming every problem. */
  checkBody(type: string, body: unknown): Resource {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest('The request body must be a FHIR resource (a JSON object)');
    }
    const r = body as Resource;
    if (r.resourceType !== type) {
      throw badRequest(`The body's resourceType "${String(r.resourceType)}" does not match the URL's "${type}"`, 'resourceType');
    }
    // Before validation, whose cost grows with every element: a 100,000-name Patient is refused cheaply.
    checkArrayLengths(type, r);
    const issues = validate(r);
    if (issues.length > 0) throw new FhirError(400, outcome(issues));
    return r;
  }

  async create(type: string, body: unknown, opts: { ifNoneExist?: string; tx?: Queryable; ctx?: RequestContext } = {}): Promise<WriteResult> {
    this.checkType(type);
    this.checkWritable(type);
    opts.ctx?.access?.authorize('create', type);
    const resource = this.checkBody(type, body);
    if (opts.ifNoneExist !== undefined) {
      return this.conditional(opts.tx, type, opts.ifNoneExist, opts.ctx, async (q, matches) => {
        if (matches.length === 1) return { ...toVersion(matches[0]), created: false, unchanged: true };
        return this.mustInsert(q, await this.guarded(q, opts.ctx, { action: 'create', type, resource }));
      }, 'If-None-Exist', written);
    }
    return this.audited(opts.tx, opts.ctx, async (q) => this.mustInsert(q, await this.guarded(q, opts.ctx, { action: 'create', type, resource })), written);
  }

  /**
   * Runs one request's write. When the caller's audit record is to be written with it
   * (`ctx.auditWrite`) and no outer transaction is given, in a transaction of its own, the audit
   * record written last: the write and its audit record commit together, or neither does.
   */
  private async audited<T>(tx: Queryable | undefined, ctx: RequestContext | undefined, fn: (q: Queryable) => Promise<T>, done: (r: T) => WriteDone | undefined): Promise<T> {
    const audit = ctx?.auditWrite;
    if (!audit || tx) return fn(tx ?? this.db);
    return this.db.transaction(async (q) => {
      const r = await fn(q);
      const d = done(r);
      if (d) await audit(q, d);
      return r;
    });
  }

  /**
   * The current version. Under a request's restriction, a resource hidden from the caller is "not
   * known", exactly like a missing one; a deleted record entry is too (its links are gone with it,
   * so whether the caller could have seen it cannot be told), while a deleted directory entry is 410.
   */
  async read(type: string, id: string, q: Queryable = this.db, ctx?: RequestContext, interaction: 'read' | 'history' = 'read'): Promise<Version> {
    this.checkType(type);
    this.checkId(id);
    ctx?.access?.authorize(interaction, type);
    const row = await this.repo.readCurrent(q, type, id, ctx?.restriction);
    if (row?.deleted && (row.visible || (await this.mayKnowDeleted(q, type, id, row.version_id, ctx)))) throw gone(`${type}/${id} was deleted`);
    if (!row || !row.visible || row.deleted) throw notFound(`${type}/${id} is not known`);
    const v: Version = { resourceType: type, id, versionId: row.version_id, lastUpdated: row.last_updated.toISOString(), content: row.content };
    if (row.patients) v.patientIds = type === 'Patient' ? [id] : row.patients;
    return v;
  }

  private async mayKnowDeleted(q: Queryable, type: string, id: string, deletedVersion: number, ctx?: RequestContext): Promise<boolean> {
    if (!ctx?.access) return true;
    const last = deletedVersion > 1 ? await this.repo.readVersion(q, type, id, deletedVersion - 1) : undefined;
    return !!last?.content && ctx.access.mayKnowDeleted(JSON.parse(last.content));
  }

  /** A past version, visible when the resource as it stands now is visible to the caller. */
  async vread(type: string, id: string, vid: string, q: Queryable = this.db, ctx?: RequestContext): Promise<Version> {
    this.checkType(type);
    this.checkId(id);
    ctx?.access?.authorize('read', type);
    const v = Number(vid);
    if (!/^\d{1,9}$/.test(vid)) throw notFound(`Version "${vid}" of ${type}/${id} is not known`);
    if (ctx?.restriction) {
      const cur = await this.repo.readCurrent(q, type, id, ctx.restriction);
      if (!cur || !cur.visible) throw notFound(`Version ${vid} of ${type}/${id} is not known`);
    }
    const row = await this.repo.readVersion(q, type, id, v);
    if (!row) throw notFound(`Version ${vid} of ${type}/${id} is not known`);
    if (row.deleted) throw gone(`Version ${vid} of ${type}/${id} is a deletion`);
    return { resourceType: type, id, versionId: row.version_id, lastUpdated: row.last_updated.toISOString(), content: row.content };
  }

  /**
   * Creates several new resources with ids already chosen (a transaction's POST entries) in one
   * statement. Bodies must have passed checkBody; an id that turns out to be taken is a conflict.
   */
  async createMany(q: Queryable, bodies: Resource[], ctx?: RequestContext): Promise<WriteResult[]> {
    if (bodies.length === 0) return [];
    for (const r of bodies) this.checkWritable(r.resourceType);
    let resources = bodies;
    if (ctx?.access) {
      // People registered by this same statement count as visible to the writer who registers them:
      // the Patients are decided first, then what is written about them.
      const pending = new Set<string>();
      const decided = new Map<Resource, Resource>();
      const patientsFirst = [...bodies.filter((r) => r.resourceType === 'Patient'), ...bodies.filter((r) => r.resourceType !== 'Patient')];
      for (const r of patientsFirst) {
        ctx.access.authorize('create', r.resourceType);
        decided.set(r, await this.guarded(q, ctx, { action: 'create', type: r.resourceType, resource: r }, pending));
        if (r.resourceType === 'Patient' && r.id) pending.add(r.id);
      }
      resources = bodies.map((r) => decided.get(r)!);
    }
    const rids = await this.repo.allocateRids(resources.length, q);
    const writes = resources.map((r, i) => this.version(rids[i], r, 1, undefined, 'POST'));
    const done = await this.repo.write(q, writes);
    if (done.size !== writes.length) throw conflict('An id chosen for a new resource was already taken; try again');
    return writes.map((w) => ({ resourceType: w.resourceType, id: w.id, versionId: 1, lastUpdated: w.lastUpdated, content: w.content, created: true }));
  }

  /**
   * PUT of many resources with their ids in one statement, for a bulk load of a feed that is run
   * again and again: each is created, replaced, or left as it is when only its meta would change (no
   * new version), as `update` would do one at a time. Resources come prepared (validated, stored
   * form, index rows: `prepareBatch`, on worker threads); no caller's access is checked (platform
   * writes only). A resource given twice keeps its last form. A concurrent writer that wins a race is
   * a 409: the caller's transaction rolls back, nothing half-written, and may be run again.
   */
  async putPrepared(q: Queryable, items: PreparedResource[]): Promise<WriteResult[]> {
    const key = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;
    const last = new Map<string, PreparedResource>();
    for (const r of items) {
      this.checkWritable(r.resourceType);
      last.set(key(r), r);
    }
    const list = [...last.values()];
    const current = new Map((await this.repo.readCurrentMany(q, list.map((r) => ({ type: r.resourceType, id: r.id })))).map((c) => [`${c.resource_type}/${c.id}`, c]));
    const rids = await this.repo.allocateRids(list.filter((r) => !current.has(key(r))).length, q);
    let next = 0;
    const results = new Map<string, WriteResult>();
    const writes: VersionWrite[] = [];
    for (const r of list) {
      const cur = current.get(key(r));
      if (cur && !cur.deleted && cur.content && samePreparedContent(cur.content, r.content)) {
        results.set(key(r), { ...toVersion({ ...cur, id: r.id }, r.resourceType), created: false, unchanged: true });
        continue;
      }
      let content = r.content;
      if (cur) {
        // Prepared as version 1: the stored form names its real version.
        const stored = parseJson(r.content) as Resource;
        stored.meta = { ...stored.meta, versionId: String(cur.version_id + 1) };
        content = stringifyJson(stored);
      }
      const versionId = cur ? cur.version_id + 1 : 1;
      writes.push({
        rid: cur ? cur.rid : rids[next++], resourceType: r.resourceType, id: r.id, versionId, previousVersion: cur?.version_id,
        lastUpdated: r.lastUpdated, deleted: false, method: 'PUT', content, index: r.index,
      });
      results.set(key(r), { resourceType: r.resourceType, id: r.id, versionId, lastUpdated: r.lastUpdated, content, created: !cur || cur.deleted });
    }
    const done = await this.repo.write(q, writes);
    if (done.size !== writes.length) throw conflict('Some of these resources were changed by another request meanwhile; try again');
    return items.map((r) => results.get(key(r))!);
  }

  /**
   * The platform's own Provenance of a write it made for a caller (a partner's submitted figure:
   * who, for which organisation, when), in the caller's transaction. Never reachable from a client:
   * every client path refuses Provenance (checkWritable), so the record's provenance is the platform's word.
   */
  async recordProvenance(q: Queryable, body: unknown): Promise<WriteResult> {
    return this.mustInsert(q, this.checkBody('Provenance', body));
  }

  /** PUT Type/id: updates, or creates with the client's id when it does not exist yet. */
  async update(type: string, id: string, body: unknown, opts: { ifMatch?: number; tx?: Queryable; ctx?: RequestContext } = {}): Promise<WriteResult> {
    this.checkType(type);
    this.checkWritable(type);
    this.checkId(id);
    const resource = this.checkBody(type, body);
    if (resource.id === undefined) throw badRequest('The resource in a PUT must carry its id', `${type}.id`);
    if (resource.id !== id) throw badRequest(`The body's id "${resource.id}" does not match the URL's "${id}"`, `${type}.id`);
    return this.audited(opts.tx, opts.ctx, (q) => this.updateIn(q, type, id, resource, opts), written);
  }

  private async updateIn(q: Queryable, type: string, id: string, resource: Resource, opts: { ifMatch?: number; tx?: Queryable; ctx?: RequestContext }): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.repo.readCurrent(q, type, id, opts.ctx?.restriction);
      const live = current && !current.deleted;
      // Updating is the caller's right only over what they can see; a hidden one is "not known".
      if (live && !current.visible) throw notFound(`${type}/${id} is not known`);
      if (opts.ifMatch !== undefined && (!current || current.version_id !== opts.ifMatch)) {
        throw preconditionFailed(`If-Match W/"${opts.ifMatch}" does not match the current version${current && current.visible ? ` (W/"${current.version_id}")` : ''}`);
      }
      opts.ctx?.access?.authorize(live ? 'update' : 'create', type);
      const toStore = await this.guarded(q, opts.ctx, live ? { action: 'update', type, resource, current: JSON.parse(current.content!) } : { action: 'create', type, resource });
      const result = current ? await this.replace(q, current, toStore, 'PUT') : await this.insert(q, toStore, 'PUT');
      if (result) return result;
      // Another writer got there first. A version-checked client learns of it; otherwise try again.
      if (opts.ifMatch !== undefined) throw preconditionFailed('The resource was changed by another request');
      if (attempt >= MAX_RETRIES || opts.tx) throw conflict(`${type}/${id} is being changed by other requests; try again`);
    }
  }

  /** PUT Type?criteria */
  async conditionalUpdate(type: string, criteria: string, body: unknown, opts: { tx?: Queryable; ctx?: RequestContext } = {}): Promise<WriteResult> {
    this.checkType(type);
    this.checkWritable(type);
    opts.ctx?.access?.authorize('update', type);
    const resource = this.checkBody(type, body);
    return this.conditional(opts.tx, type, criteria, opts.ctx, async (q, matches) => {
      if (matches.length === 0) {
        opts.ctx?.access?.authorize('create', type);
        const fresh = await this.guarded(q, opts.ctx, { action: 'create', type, resource: { ...resource, id: resource.id ?? randomUUID() } });
        const made = await this.insert(q, fresh, 'PUT');
        if (!made) throw conflict(`${type}/${resource.id} already exists but does not match the criteria`);
        return made;
      }
      const current = matches[0];
      if (resource.id !== undefined && resource.id !== current.id) {
        throw badRequest(`The body's id "${resource.id}" does not match the resource found (${type}/${current.id})`, `${type}.id`);
      }
      const next = await this.guarded(q, opts.ctx, { action: 'update', type, resource: { ...resource, id: current.id }, current: JSON.parse(current.content!) });
      const done = await this.replace(q, current, next, 'PUT');
      if (!done) throw conflict('The resource was changed by another request; try again');
      return done;
    }, 'criteria', written);
  }

  async patch(type: string, id: string, ops: unknown, opts: { ifMatch?: number; tx?: Queryable; ctx?: RequestContext } = {}): Promise<WriteResult> {
    this.checkType(type);
    this.checkWritable(type);
    this.checkId(id);
    opts.ctx?.access?.authorize('patch', type);
    if (Array.isArray(ops) && ops.length > MAX_PATCH_OPERATIONS) {
      // Applying and re-checking 20,000 operations held the event loop (and /healthz) for over a second.
      throw new FhirError(413, outcome([issue('too-costly', `A JSON Patch may hold at most ${MAX_PATCH_OPERATIONS} operations, not ${ops.length}`)]));
    }
    if (!Array.isArray(ops) || ops.some((o) => !o || typeof o !== 'object' || typeof o.op !== 'string' || typeof o.path !== 'string')) {
      throw badRequest('A JSON Patch body must be an array of operations, each with "op" and "path"');
    }
    return this.audited(opts.tx, opts.ctx, (q) => this.patchIn(q, type, id, ops as Operation[], opts), written);
  }

  private async patchIn(q: Queryable, type: string, id: string, ops: Operation[], opts: { ifMatch?: number; tx?: Queryable; ctx?: RequestContext }): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.repo.readCurrent(q, type, id, opts.ctx?.restriction);
      if (!current || !current.visible) throw notFound(`${type}/${id} is not known`);
      if (current.deleted) throw gone(`${type}/${id} was deleted`);
      if (opts.ifMatch !== undefined && current.version_id !== opts.ifMatch) {
        throw preconditionFailed(`If-Match W/"${opts.ifMatch}" does not match the current version (W/"${current.version_id}")`);
      }
      // Decimals keep their precision through a patch: those stored, and those the patch writes.
      const doc = parseJson(current.content!) as Resource;
      let results: ReturnType<typeof applyPatch>;
      try {
        results = applyPatch(doc, ops as Operation[]);
      } catch (err) {
        throw badRequest(`The patch could not be applied: ${(err as Error).message}`);
      }
      const failed = results.findIndex((r) => r !== null);
      if (failed >= 0) {
        const e = results[failed]!;
        const status = e.name === 'TestError' ? 409 : 400;
        throw new FhirError(status, outcome([issue(status === 409 ? 'conflict' : 'invalid', `Patch operation ${failed} (${(ops as Operation[])[failed].op} ${(ops as Operation[])[failed].path}) failed: ${e.message}`, `[${failed}]`)]));
      }
      keepPatchedDecimals(doc, ops as Operation[]);
      if (doc?.resourceType !== type || doc.id !== id) throw badRequest('A patch may not change resourceType or id');
      const resource = await this.guarded(q, opts.ctx, { action: 'patch', type, resource: this.checkBody(type, doc), current: JSON.parse(current.content!) });
      const result = await this.replace(q, current, resource, 'PATCH');
      if (result) return result;
      if (opts.ifMatch !== undefined) throw preconditionFailed('The resource was changed by another request');
      if (attempt >= MAX_RETRIES || opts.tx) throw conflict(`${type}/${id} is being changed by other requests; try again`);
    }
  }

  /** DELETE Type/id. Returns false when there was nothing the caller could see to delete (204 all the same). */
  async delete(type: string, id: string, opts: { ifMatch?: number; tx?: Queryable; ctx?: RequestContext } = {}): Promise<boolean> {
    this.checkType(type);
    this.checkWritable(type);
    this.checkId(id);
    opts.ctx?.access?.authorize('delete', type);
    return (await this.audited(opts.tx, opts.ctx, (q) => this.deleteIn(q, type, id, opts), (r) => r)) !== undefined;
  }

  /** Answers what was deleted (for the audit record), or undefined when there was nothing the caller could see. */
  private async deleteIn(q: Queryable, type: string, id: string, opts: { ifMatch?: number; tx?: Queryable; ctx?: RequestContext }): Promise<WriteDone | undefined> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.repo.readCurrent(q, type, id, opts.ctx?.restriction);
      if (!current || current.deleted || !current.visible) {
        // Nothing the caller can see to delete. R4 answers a delete of nothing with 204, and one answer
        // for never-existed, deleted and hidden (live or deleted) tells nothing of what is hidden;
        // a hidden resource is left as it is.
        if (opts.ifMatch !== undefined) throw preconditionFailed(`If-Match W/"${opts.ifMatch}" does not match: ${type}/${id} has no current version`);
        return undefined;
      }
      if (opts.ifMatch !== undefined && current.version_id !== opts.ifMatch) {
        throw preconditionFailed(`If-Match W/"${opts.ifMatch}" does not match the current version (W/"${current.version_id}")`);
      }
      await this.guarded(q, opts.ctx, { action: 'delete', type, current: JSON.parse(current.content!) });
      if (await this.remove(q, type, id, current)) return { kind: 'resource', resourceType: type, id, versionId: current.version_id + 1, created: false };
      if (attempt >= MAX_RETRIES || opts.tx) throw conflict(`${type}/${id} is being changed by other requests; try again`);
    }
  }

  /** PATCH Type?criteria: patches the one match, found as a conditional update finds it (none: 404; more than one: 412). */
  async conditionalPatch(type: string, criteria: string, ops: unknown, opts: { tx?: Queryable; ctx?: RequestContext } = {}): Promise<WriteResult> {
    this.checkType(type);
    this.checkWritable(type);
    opts.ctx?.access?.authorize('patch', type);
    return this.conditional(opts.tx, type, criteria, opts.ctx, async (q, matches) => {
      if (matches.length === 0) throw notFound(`No ${type} matches the criteria`);
      return this.patch(type, matches[0].id, ops, { tx: q, ctx: opts.ctx });
    }, 'criteria', written);
  }

  async conditionalDelete(type: string, criteria: string, opts: { tx?: Queryable; ctx?: RequestContext } = {}): Promise<boolean> {
    this.checkType(type);
    this.checkWritable(type);
    opts.ctx?.access?.authorize('delete', type);
    return this.conditional(opts.tx, type, criteria, opts.ctx, async (q, matches): Promise<WriteDone | undefined> => {
      if (matches.length === 0) return undefined;
      await this.guarded(q, opts.ctx, { action: 'delete', type, current: JSON.parse(matches[0].content!) });
      if (!(await this.remove(q, type, matches[0].id, matches[0]))) throw conflict('The resource was changed by another request; try again');
      const done: WriteDone = { kind: 'resource', resourceType: type, id: matches[0].id, versionId: matches[0].version_id + 1, created: false };
      return done;
    }, 'criteria', (r) => r).then((r) => r !== undefined);
  }

  /**
   * Runs a conditional interaction: finds the matches for `criteria` under an advisory lock on the
   * criteria, so two identical conditional creates cannot both create.
   */
  private async conditional<T>(
    tx: Queryable | undefined,
    type: string,
    criteria: string,
    ctx: RequestContext | undefined,
    fn: (q: Queryable, matches: (StoredRow & { id: string })[]) => Promise<T>,
    header = 'criteria',
    done?: (r: T) => WriteDone | undefined,
  ): Promise<T> {
    const pairs = [...new URLSearchParams(criteria.startsWith('?') ? criteria.slice(1) : criteria)] as [string, string][];
    if (pairs.length === 0) throw badRequest(`The ${header} search criteria are empty`);
    const query = this.search.parse(type, pairs);
    query.count = 2;
    query.include = [];
    query.revinclude = [];
    const body = async (q: Queryable) => {
      await q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${type}?${criteria}`]);
      const found = await this.search.run(query, { restriction: ctx?.restriction }, q);
      if (found.matches.length > 1) throw preconditionFailed(`The ${header} criteria match more than one ${type}`);
      const rows = await Promise.all(found.matches.map((m) => this.repo.readCurrent(q, type, m.id)));
      const r = await fn(q, rows.map((row, i) => ({ ...row!, id: found.matches[i].id })));
      // In its own transaction, the request's audit record commits with the write (see audited()).
      const d = !tx && ctx?.auditWrite && done ? done(r) : undefined;
      if (d) await ctx!.auditWrite!(q, d);
      return r;
    };
    return tx ? body(tx) : this.db.transaction(body);
  }

  /** POST: the server assigns the id, so it is new. */
  private async mustInsert(q: Queryable, resource: Resource): Promise<WriteResult> {
    const made = await this.insert(q, { ...resource, id: randomUUID() });
    if (!made) throw conflict('The generated id was already taken; try again');
    return made;
  }

  /** Writes a new resource; undefined if its id was taken meanwhile (PUT retries as an update). */
  private async insert(q: Queryable, resource: Resource, method: VersionWrite['method'] = 'POST'): Promise<WriteResult | undefined> {
    const [rid] = await this.repo.allocateRids(1, q);
    const w = this.version(rid, resource, 1, undefined, method);
    const done = await this.repo.write(q, [w]);
    if (!done.has(rid)) return undefined;
    return { resourceType: w.resourceType, id: w.id, versionId: 1, lastUpdated: w.lastUpdated, content: w.content, created: true };
  }

  private async replace(q: Queryable, current: StoredRow, resource: Resource, method: VersionWrite['method']): Promise<WriteResult | undefined> {
    // An update that changes nothing makes no new version.
    if (!current.deleted && current.content && sameContent(current.content, resource)) {
      return { ...toVersion({ ...current, id: resource.id! }, resource.resourceType), created: false, unchanged: true };
    }
    const w = this.version(current.rid, resource, current.version_id + 1, current.version_id, method);
    const done = await this.repo.write(q, [w]);
    if (!done.has(current.rid)) return undefined;
    return { resourceType: w.resourceType, id: w.id, versionId: w.versionId, lastUpdated: w.lastUpdated, content: w.content, created: current.deleted };
  }

  private async remove(q: Queryable, type: string, id: string, current: StoredRow): Promise<boolean> {
    const w: VersionWrite = {
      rid: current.rid, resourceType: type, id, versionId: current.version_id + 1, previousVersion: current.version_id,
      lastUpdated: new Date().toISOString(), deleted: true, method: 'DELETE', content: null, index: null,
    };
    return (await this.repo.write(q, [w])).has(current.rid);
  }

  /** Builds the stored form of a version: server-owned meta set, index extracted. */
  version(rid: string, resource: Resource, versionId: number, previousVersion: number | undefined, method: VersionWrite['method'], lastUpdated = new Date().toISOString()): VersionWrite {
    const stored = { ...resource, meta: { ...resource.meta, versionId: String(versionId), lastUpdated } } as Resource;
    return {
      rid, resourceType: stored.resourceType, id: stored.id!, versionId, previousVersion, lastUpdated,
      deleted: false, method, content: stringifyJson(stored), index: extractIndex(stored),
    };
  }
}

/** The access layer's decision on a write, and the body to store; the body unchanged when no caller is attached. */
async function guarded(q: Queryable, ctx: RequestContext | undefined, w: GuardedWrite, pending?: ReadonlySet<string>): Promise<Resource> {
  if (!ctx?.access) return w.resource!;
  return (await ctx.access.checkWrite(q, w, pending)) ?? w.resource!;
}

function toVersion(row: StoredRow & { id: string }, type?: string): Version {
  const content = row.content;
  const resourceType = type ?? (content ? JSON.parse(content).resourceType : '');
  return { resourceType, id: row.id, versionId: row.version_id, lastUpdated: row.last_updated.toISOString(), content };
}

/** The stored form's server-owned meta as it ends the text when the resource had no meta of its own. */
const TRAILING_META = /,"meta":\{"versionId":"\d+","lastUpdated":"[^"]*"\}\}$/;

/**
 * A stored version and a prepared one equal apart from the server-owned meta: the texts compared
 * without their trailing meta (the common case, and cheap), else the parsed resources.
 */
function samePreparedContent(storedJson: string, preparedJson: string): boolean {
  const a = storedJson.replace(TRAILING_META, '}'), b = preparedJson.replace(TRAILING_META, '}');
  if (a === b && a !== storedJson && b !== preparedJson) return true;
  return sameContent(storedJson, parseJson(preparedJson) as Resource);
}

/** Equal apart from the server-owned meta fields. */
function sameContent(storedJson: string, incoming: Resource): boolean {
  const strip = (r: any) => {
    const { meta, ...rest } = r;
    const { versionId: _v, lastUpdated: _l, ...m } = meta ?? {};
    return canonicalJson(Object.keys(m).length ? { ...rest, meta: m } : rest);
  };
  // Decimals compared as written: 1.50 replacing 1.5 is a change.
  return strip(parseJson(storedJson)) === strip(incoming);
}


/** What a write made, for its audit record; nothing when it changed nothing (a no-op update, a matched If-None-Exist). */
function written(r: WriteResult): WriteDone | undefined {
  return r.unchanged ? undefined : { kind: 'resource', resourceType: r.resourceType, id: r.id, versionId: r.versionId, created: r.created };
}
