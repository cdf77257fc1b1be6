import type { CapabilityStatementRestResource, Resource } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditContextOf } from '../../access/audit/audit-entry.js';
import { AUDIT_EVENT_SEARCH_PARAMS } from '../../access/audit/audit-event.service.js';
import { auditEntryForWrite } from '../../access/audit/audit.hook.js';
import { requirePrincipal } from '../../access/identity/require-principal.js';
import { accessContext } from '../../access/policy/record-access.js';
import type { Platform } from '../../platform.js';
import { BatchService, type BundleTouched } from '../batch.service.js';
import { capabilityStatement } from '../capability.service.js';
import { everything } from '../everything.service.js';
import { readHistory } from '../history.service.js';
import { badRequest, FhirError, informational, issue, notFound, outcome } from '../outcome.js';
import type { RequestContext } from '../request-context.js';
import { parseJson, stringifyJson } from '../decimal-json.js';
import { applyView, viewOfQuery } from '../resource-view.js';
import type { Version, WriteResult } from '../resource.service.js';
import { searchsetJson } from '../search.service.js';
import { validate } from '../validation.service.js';
import { baseUrl, ifMatch, prefer, queryPairs, rawQuery, sendJson, withCursor } from './fhir-http.js';

const AUDIT_EVENT = 'AuditEvent';

/**
 * AuditEvent as it is served, from the audit table (src/access/audit/audit-event.service.ts): its
 * search parameters, no type history, no _include.
 */
function auditEventAsServed(r: CapabilityStatementRestResource): CapabilityStatementRestResource {
  if (r.type !== AUDIT_EVENT) return r;
  return {
    ...r,
    interaction: r.interaction?.filter((i) => i.code !== 'history-type'),
    searchInclude: [],
    searchParam: r.searchParam?.filter((p) => AUDIT_EVENT_SEARCH_PARAMS.includes(p.name)),
  };
}

/** Requests whose audit record was written in their write's transaction. */
const auditedWithWrite = new WeakSet<FastifyRequest>();

type Req = FastifyRequest<{ Params: { type: string; id: string; vid: string } }>;

/** The FHIR REST API under /fhir/R4. Handlers parse the request, call a service and present the result. */
export async function fhirRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { resources, config } = opts.platform;
  // AuditEvents are rendered from the compact audit table (src/access/audit), not stored as resources.
  const { auditEvents, audit } = opts.platform.access;
  const auditReader = (req: FastifyRequest) => ({ principal: req.principal!, access: context(req).access });
  const batch = new BatchService(resources);
  // Every interaction runs as the request's principal: the services enforce its access policy.
  app.addHook('preHandler', requirePrincipal(opts.platform));
  const context = (req: FastifyRequest): RequestContext => ({
    baseUrl: baseUrl(req, config),
    ...(req.principal ? accessContext(req.principal, new Date()) : {}),
  });

  /**
   * The context of a write: its audit record is written in the write's own transaction (crash
   * safety: no answered write without its audit record, no audit record of a write that did not
   * happen). `touched`: what a transaction Bundle's entries named, for its one record.
   */
  const writeContext = (req: FastifyRequest, touched?: BundleTouched): RequestContext => {
    const ctx = context(req);
    if (!req.principal) return ctx;
    return {
      ...ctx,
      auditWrite: async (q, done) => {
        if (touched) noteBundle(req, touched);
        try {
          await audit.recordInTransaction(q, auditEntryForWrite(req, done, ctx.baseUrl));
        } catch (err) {
          // The write rolls back with it: nothing is changed unaudited.
          req.log.error({ err }, 'the audit record of a write could not be written; the write is rolled back');
          throw new FhirError(503, outcome([issue('transient', 'The change could not be audited, so it was not made; try again shortly')]));
        }
        auditedWithWrite.add(req);
      },
    };
  };
  /** Once the write has committed: its audit record is durable, so the hook adds none; the chain links it next. */
  const committed = (req: FastifyRequest) => {
    if (!auditedWithWrite.has(req)) return;
    auditContextOf(req).recorded = true;
    audit.sealSoon();
  };

  const sendVersion = (reply: FastifyReply, req: FastifyRequest, v: Version | WriteResult, status = 200) => {
    if (v.patientIds?.length) auditContextOf(req).patientIds = v.patientIds;
    const base = baseUrl(req, config);
    reply.header('ETag', `W/"${v.versionId}"`).header('Last-Modified', new Date(v.lastUpdated).toUTCString());
    if (status === 201) reply.header('Location', `${base}/${v.resourceType}/${v.id}/_history/${v.versionId}`);
    const p = prefer(req).return;
    if ((req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') && p === 'minimal') return reply.code(status).send();
    if ((req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') && p === 'OperationOutcome') {
      return sendJson(reply, status, informational(`${v.resourceType}/${v.id} version ${v.versionId} stored`));
    }
    return sendJson(reply, status, v.content!);
  };

  app.get('/metadata', async (req, reply) => {
    // SMART on FHIR: the CapabilityStatement says the API is protected by OAuth and where its endpoints are.
    const cs = capabilityStatement();
    const issuer = baseUrl(req, config).replace(/\/fhir\/R4$/, '');
    const security = {
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      extension: [{
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'authorize', valueUri: `${issuer}/oauth2/authorize` },
          { url: 'token', valueUri: `${issuer}/oauth2/token` },
        ],
      }],
      description: 'Every interaction but this CapabilityStatement needs a web session or an OAuth 2.0 access token; see /.well-known/smart-configuration',
    };
    return sendJson(reply, 200, { ...cs, rest: (cs.rest ?? []).map((r) => ({ ...r, security, resource: r.resource?.map(auditEventAsServed) })) });
  });

  app.post('/', async (req, reply) => {
    // Each entry's resources and Patients go into the request's audit record, also when the Bundle
    // fails (set before the answer is sent: the audit hook reads them as it is sent).
    const touched: BundleTouched = { resources: [], patientIds: [] };
    // A transaction's record is written in its one database transaction; a batch's entries commit one by one, so its record follows them.
    const isTransaction = (req.body as { type?: unknown } | null)?.type === 'transaction';
    const bundle = await batch.process(req.body, isTransaction ? writeContext(req, touched) : context(req), touched).finally(() => noteBundle(req, touched));
    committed(req);
    return sendJson(reply, 200, bundle);
  });

  /** A type search; `patientId`: within that Patient's compartment (GET Patient/id/Type), its links keeping the compartment. */
  const search = async (req: FastifyRequest, reply: FastifyReply, type: string, pairs: [string, string][], patientId?: string) => {
    resources.checkType(type);
    const ctx = context(req);
    if (type === AUDIT_EVENT) {
      const result = await auditEvents.search(patientId !== undefined ? [...pairs, ['patient', patientId]] : pairs, auditReader(req), prefer(req).lenient);
      if (result.patientIds.length > 0) auditContextOf(req).patientIds = result.patientIds;
      const selfQuery = new URLSearchParams(pairs.filter(([k]) => k !== '_cursor')).toString();
      const self = `${ctx.baseUrl}/${patientId !== undefined ? `Patient/${patientId}/` : ''}${type}${selfQuery ? `?${selfQuery}` : ''}`;
      return sendJson(reply, 200, searchsetJson(result, ctx, self, result.next ? withCursor(self, result.next) : undefined));
    }
    const q = resources.search.parse(type, pairs, prefer(req).lenient);
    if (patientId !== undefined) resources.search.inPatientCompartment(q, patientId);
    const result = await resources.search.run(q, ctx);
    await noteTouchedPatients(req, [...result.matches, ...result.included]);
    const selfQuery = new URLSearchParams(pairs.filter(([k]) => k !== '_cursor')).toString();
    const self = `${ctx.baseUrl}/${patientId !== undefined ? `Patient/${patientId}/` : ''}${type}${selfQuery ? `?${selfQuery}` : ''}`;
    return sendJson(reply, 200, searchsetJson(result, ctx, self, result.next ? withCursor(self, result.next) : undefined));
  };

  app.get('/:type', async (req: Req, reply) => search(req, reply, req.params.type, queryPairs(req)));
  app.post('/:type/_search', async (req: Req, reply) => {
    const form = typeof req.body === 'string' ? ([...new URLSearchParams(req.body)] as [string, string][]) : [];
    return search(req, reply, req.params.type, [...queryPairs(req), ...form]);
  });

  app.post('/:type', async (req: Req, reply) => {
    const ifNoneExist = req.headers['if-none-exist'];
    const r = await resources.create(req.params.type, req.body, {
      ifNoneExist: ifNoneExist === undefined ? undefined : String(ifNoneExist),
      ctx: writeContext(req),
    });
    committed(req);
    return sendVersion(reply, req, r, r.created ? 201 : 200);
  });

  app.put('/:type', async (req: Req, reply) => {
    const criteria = rawQuery(req);
    if (!criteria) throw badRequest('PUT to a type needs search criteria (conditional update), or use PUT Type/id');
    const r = await resources.conditionalUpdate(req.params.type, criteria, req.body, { ctx: writeContext(req) });
    committed(req);
    return sendVersion(reply, req, r, r.created ? 201 : 200);
  });

  app.patch('/:type', async (req: Req, reply) => {
    const criteria = rawQuery(req);
    if (!criteria) throw badRequest('PATCH on a type needs search criteria (conditional patch), or use PATCH Type/id');
    const r = await resources.conditionalPatch(req.params.type, criteria, req.body, { ctx: writeContext(req) });
    committed(req);
    return sendVersion(reply, req, r);
  });

  app.delete('/:type', async (req: Req, reply) => {
    const criteria = rawQuery(req);
    if (!criteria) throw badRequest('DELETE on a type needs search criteria (conditional delete)');
    await resources.conditionalDelete(req.params.type, criteria, { ctx: writeContext(req) });
    committed(req);
    return reply.code(204).send();
  });

  app.get('/:type/_history', async (req: Req, reply) => {
    resources.checkType(req.params.type);
    const ctx = context(req);
    ctx.access?.authorize('history', req.params.type);
    if (req.params.type === AUDIT_EVENT) throw badRequest('AuditEvent has no type history (each AuditEvent has one version): search AuditEvent?date=… instead');
    return history(req, reply, { type: req.params.type }, ctx.restriction);
  });

  app.post('/:type/$validate', async (req: Req, reply) => {
    resources.checkType(req.params.type);
    context(req).access?.authorize('validate', req.params.type);
    let body = req.body as any;
    if (body?.resourceType === 'Parameters') body = body.parameter?.find((p: any) => p.name === 'resource')?.resource;
    if (body?.resourceType !== undefined && body.resourceType !== req.params.type) {
      throw badRequest(`The resource is a ${String(body.resourceType)}, not a ${req.params.type}`, 'resourceType');
    }
    const issues = validate(body);
    return sendJson(reply, 200, issues.length > 0 ? outcome(issues) : informational('The resource is valid'));
  });

  /** _summary and _elements on a read or vread, as on a search (the stored text is served as is otherwise). */
  const viewed = (v: Version, view: ReturnType<typeof viewOfQuery>): Version =>
    view && v.content ? { ...v, content: stringifyJson(applyView(parseJson(v.content) as Resource, view.elements, view.summary)) } : v;

  app.get('/:type/:id', async (req: Req, reply) => {
    const view = viewOfQuery(queryPairs(req));
    if (req.params.type === AUDIT_EVENT) return sendVersion(reply, req, viewed(await auditEvents.read(req.params.id, auditReader(req)), view));
    return sendVersion(reply, req, viewed(await resources.read(req.params.type, req.params.id, resources.db, context(req)), view));
  });

  app.put('/:type/:id', async (req: Req, reply) => {
    const r = await resources.update(req.params.type, req.params.id, req.body, { ifMatch: ifMatch(req), ctx: writeContext(req) });
    committed(req);
    return sendVersion(reply, req, r, r.created ? 201 : 200);
  });

  app.patch('/:type/:id', async (req: Req, reply) => {
    const r = await resources.patch(req.params.type, req.params.id, req.body, { ifMatch: ifMatch(req), ctx: writeContext(req) });
    committed(req);
    return sendVersion(reply, req, r);
  });

  app.delete('/:type/:id', async (req: Req, reply) => {
    await resources.delete(req.params.type, req.params.id, { ifMatch: ifMatch(req), ctx: writeContext(req) });
    committed(req);
    return reply.code(204).send();
  });

  app.get('/:type/:id/_history', async (req: Req, reply) => {
    resources.checkType(req.params.type);
    resources.checkId(req.params.id);
    if (req.params.type === AUDIT_EVENT) {
      const base = baseUrl(req, config);
      const selfQuery = rawQuery(req);
      return sendJson(reply, 200, await auditEvents.history(req.params.id, auditReader(req), base, `${base}/AuditEvent/${req.params.id}/_history${selfQuery ? `?${selfQuery}` : ''}`));
    }
    let deleted = false;
    const ctx = context(req);
    await resources.read(req.params.type, req.params.id, resources.db, ctx, 'history').catch((err) => {
      // A deleted resource still has history, for those who may know it existed (410 says they may).
      if (err instanceof FhirError && err.status === 410) return void (deleted = true);
      throw err;
    });
    return history(req, reply, { type: req.params.type, id: req.params.id }, deleted ? undefined : ctx.restriction);
  });

  app.get('/:type/:id/_history/:vid', async (req: Req, reply) => {
    const view = viewOfQuery(queryPairs(req));
    if (req.params.type === AUDIT_EVENT) return sendVersion(reply, req, viewed(await auditEvents.vread(req.params.id, req.params.vid, auditReader(req)), view));
    return sendVersion(reply, req, viewed(await resources.vread(req.params.type, req.params.id, req.params.vid, resources.db, context(req)), view));
  });

  // Compartment search: GET Patient/id/Type?params (_history and $everything are matched before this).
  app.get('/:type/:id/:compartmentType', async (req: FastifyRequest<{ Params: { type: string; id: string; compartmentType: string } }>, reply) => {
    const { type, id, compartmentType } = req.params;
    resources.checkType(type);
    if (type !== 'Patient') throw notFound(`No compartment search for ${type}: only the Patient compartment is supported`);
    resources.checkId(id);
    return search(req, reply, compartmentType, queryPairs(req), id);
  });

  const everythingRoute = async (req: Req, reply: FastifyReply) => {
    if (req.params.type !== 'Patient') throw notFound(`$everything is defined on Patient, not ${req.params.type}`);
    const ctx = context(req);
    ctx.access?.authorize('everything', 'Patient');
    await resources.read('Patient', req.params.id, resources.db, ctx);
    const q = Object.fromEntries(queryPairs(req));
    const types = q._type?.split(',').filter(Boolean);
    for (const t of types ?? []) resources.checkType(t);
    const page = await everything(resources.db, req.params.id, { count: q._count, cursor: q._cursor, since: q._since, types, restriction: ctx.restriction });
    const self = `${ctx.baseUrl}/Patient/${req.params.id}/$everything${rawQuery(req) ? `?${rawQuery(req)}` : ''}`;
    const result = { query: { warnings: [] } as any, matches: page.matches, included: page.included, next: page.next, includeTruncated: false };
    return sendJson(reply, 200, searchsetJson(result, ctx, self, page.next ? withCursor(self, page.next) : undefined));
  };
  app.get('/:type/:id/$everything', everythingRoute);
  app.post('/:type/:id/$everything', everythingRoute);

  /** What a Bundle's entries touched, for its audit record (also when it fails: set before the answer is sent). */
  function noteBundle(req: FastifyRequest, touched: BundleTouched) {
    const a = auditContextOf(req);
    if (touched.resources.length > 0) a.resources = touched.resources;
    if (touched.patientIds.length > 0) a.patientIds = touched.patientIds;
  }

  /** Tells the audit record whose records a search returned, so each person's access log shows it ($everything names its patient in the URL). */
  async function noteTouchedPatients(req: FastifyRequest, rows: { rid: string; resource_type: string; id: string }[]) {
    if (!req.principal || rows.length === 0) return;
    const patients = new Set(rows.filter((r) => r.resource_type === 'Patient').map((r) => r.id));
    const others = rows.filter((r) => r.resource_type !== 'Patient').map((r) => r.rid);
    for (const id of await resources.repo.patientsReferredBy(resources.db, others)) patients.add(id);
    if (patients.size > 0) auditContextOf(req).patientIds = [...patients];
  }

  /** `restriction`: the caller's; undefined once the route has established they may see this history (a 410). */
  async function history(req: FastifyRequest, reply: FastifyReply, scope: { type: string; id?: string }, restriction: RequestContext['restriction']) {
    const q = Object.fromEntries(queryPairs(req));
    // readHistory cannot page a page of none (it would answer 500): ask for at least one.
    const base = baseUrl(req, config);
    const h = await readHistory(resources.db, scope, { count: q._count, since: q._since, cursor: q._cursor, restriction }, base);
    const selfQuery = rawQuery(req);
    const self = `${base}/${scope.type}${scope.id ? `/${scope.id}` : ''}/_history${selfQuery ? `?${selfQuery}` : ''}`;
    return sendJson(reply, 200, h.json(self, (c) => withCursor(self, c)));
  }
}

