import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { issue, outcome } from '../../fhir/outcome.js';
import { isValidId, parseReference } from '../../fhir/reference.js';
import type { WriteDone } from '../../fhir/request-context.js';
import type { Platform } from '../../platform.js';
import type { AuditContext, AuditEntry, AuditInteraction, AuditResourceRef } from './audit-entry.js';
import type { AuditService } from './audit.service.js';

/** The platform's one AuditService (one group-commit queue per process and database). */
export function auditServiceFor(platform: Pick<Platform, 'access'>): AuditService {
  return platform.access.audit;
}

export interface AuditHookOptions {
  /** Defaults to auditServiceFor(platform). */
  service?: AuditService;
}

const FHIR_PREFIX = '/fhir/R4';
const recorded = new WeakSet<FastifyRequest>();

/**
 * A fastify plugin that records exactly one AuditEvent for every request, and holds the response
 * until that record is durable: it records in `onSend`, before the reply is flushed. If the record
 * cannot be written the client gets 503 instead of the answer: nothing is served unaudited.
 * `onResponse` is a backstop for a reply that skipped `onSend` (it records afterwards, and logs).
 *
 * Register it on the root instance, before the routes: `await app.register(auditHook(platform))`.
 * Routes describe what they touched in `request.auditContext` (see AuditContext); what they leave
 * out is derived from the route, parameters, status and Location header.
 */
export function auditHook(platform: Pick<Platform, 'access'>, opts: AuditHookOptions = {}) {
  const audit = opts.service ?? auditServiceFor(platform);
  const plugin = async (app: FastifyInstance) => {
    app.decorateRequest('auditContext', undefined);
    app.addHook('onRequest', async (req) => {
      req.auditContext = {};
    });
    app.addHook('onSend', async (req, reply, payload) => {
      if (recorded.has(req) || req.auditContext?.recorded || unaudited(req)) return payload;
      recorded.add(req);
      try {
        // Building the entry is inside the try too: whatever goes wrong, the answer waits or is refused.
        await audit.record(auditEntryFor(req, reply, payload));
        return payload;
      } catch (err) {
        req.log.error({ err }, 'the audit record could not be written; answering 503');
        (payload as { destroy?: () => void } | null)?.destroy?.();
        reply.code(503).header('content-type', 'application/fhir+json; charset=utf-8').header('retry-after', '1');
        reply.removeHeader('location');
        reply.removeHeader('content-location');
        reply.removeHeader('etag');
        reply.removeHeader('last-modified');
        return JSON.stringify(outcome([issue('transient', 'The request could not be audited, so it is not answered; try again shortly')]));
      }
    });
    app.addHook('onResponse', async (req, reply) => {
      if (recorded.has(req) || req.auditContext?.recorded || unaudited(req)) return;
      recorded.add(req);
      try {
        await audit.record(auditEntryFor(req, reply, undefined));
      } catch (err) {
        req.log.error({ err }, 'the audit record could not be written');
      }
    });
    app.addHook('onClose', async () => {
      await audit.flush();
    });
  };
  // Like fastify-plugin: the hooks apply to the whole app, not only to routes inside this plugin.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false on a route that touches no data and no identity (the health check, static files of the
     * web app): its requests leave no AuditEvent. Everything else is audited.
     */
    audit?: boolean;
  }
}

function unaudited(req: FastifyRequest): boolean {
  return (req.routeOptions?.config as { audit?: boolean } | undefined)?.audit === false;
}

type FrameworkErrorHandler = (err: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Requests the router itself refuses (a malformed URL, an over-long path segment) reach no hook, so
 * auditHook never sees them. Wrap the server's `frameworkErrors` handler with this so they are
 * audited too, the answer again waiting for the record:
 * `Fastify({ frameworkErrors: auditFrameworkErrors(platform, handler) })`.
 */
export function auditFrameworkErrors(platform: Pick<Platform, 'access'>, handler: FrameworkErrorHandler, opts: AuditHookOptions = {}): FrameworkErrorHandler {
  return (err, req, reply) => {
    const audit = opts.service ?? auditServiceFor(platform);
    const send = reply.send.bind(reply);
    reply.send = ((payload?: unknown) => {
      if (recorded.has(req)) return send(payload);
      recorded.add(req);
      Promise.resolve().then(() => audit.record(auditEntryFor(req, reply, payload))).then(
        () => send(payload),
        (error: unknown) => {
          req.log.error({ err: error }, 'the audit record could not be written; answering 503');
          reply.code(503).header('content-type', 'application/fhir+json; charset=utf-8').header('retry-after', '1');
          send(JSON.stringify(outcome([issue('transient', 'The request could not be audited, so it is not answered; try again shortly')])));
        },
      );
      return reply;
    }) as FastifyReply['send'];
    return handler(err, req, reply);
  };
}

/** Builds the entry for a request from its route, its audit context and its answer. */
export function auditEntryFor(req: FastifyRequest, reply: FastifyReply, payload: unknown): AuditEntry {
  return entryOf(req, reply.statusCode, reply.getHeader('location'), payload);
}

/**
 * The entry of a write's request, built inside the write's transaction, before there is an answer:
 * its status and Location are the ones the route will send for what was written (201 and the new
 * version for a create, 204 for a delete, 200 otherwise).
 */
export function auditEntryForWrite(req: FastifyRequest, done: WriteDone, baseUrl: string): AuditEntry {
  if (done.kind === 'transaction') return entryOf(req, 200, undefined, undefined);
  const status = done.created ? 201 : req.method === 'DELETE' ? 204 : 200;
  return entryOf(req, status, done.created ? `${baseUrl}/${done.resourceType}/${done.id}/_history/${done.versionId}` : undefined, undefined);
}

function entryOf(req: FastifyRequest, status: number, location: unknown, payload: unknown): AuditEntry {
  const ctx: AuditContext = req.auditContext ?? {};
  const route = deriveFromRoute(req, location);
  const interaction = ctx.interaction ?? route.interaction;
  const patientIds = [...new Set([...(ctx.patientIds ?? []), ...route.patientIds])];
  const entry: AuditEntry = {
    interaction,
    principal: ctx.principal ?? req.principal ?? undefined,
    clientIp: req.ip,
    requestId: String(req.id),
    status,
    description: noNul(`${req.method} ${req.url.split('?')[0]}`).slice(0, 1000),
  };
  if (ctx.claimedUser) entry.claimedUser = noNul(ctx.claimedUser).slice(0, 200);
  const resourceType = ctx.resourceType ?? route.resourceType;
  if (resourceType) entry.resourceType = resourceType;
  const resources = ctx.resources ?? route.resources;
  if (resources.length > 0) entry.resources = resources;
  if (patientIds.length > 0) entry.patientIds = patientIds;
  if (ctx.reason) entry.reason = ctx.reason;
  if (ctx.action) entry.action = ctx.action;
  if (interaction === 'search' && route.query !== undefined) entry.query = noNul(route.query);
  const failure = ctx.failure ?? (status >= 400 ? diagnostics(payload) : undefined);
  if (failure) entry.failure = noNul(failure);
  return entry;
}

/** PostgreSQL text cannot hold U+0000; a client can put one in a form body or a diagnostics echo. */
const noNul = (s: string) => s.replaceAll(String.fromCharCode(0), '');

interface RouteFacts {
  interaction: AuditInteraction;
  resourceType?: string;
  resources: AuditResourceRef[];
  patientIds: string[];
  query?: string;
}

/** What the FHIR route itself says: the interaction, the resource, and the patient when the URL names one. */
function deriveFromRoute(req: FastifyRequest, location: unknown): RouteFacts {
  const url = req.routeOptions?.url;
  const facts: RouteFacts = { interaction: 'other', resources: [], patientIds: [] };
  if (!url?.startsWith(FHIR_PREFIX)) return facts;
  const path = url.slice(FHIR_PREFIX.length) || '/';
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  // Only well-formed names go into the record: a hostile path (a NUL byte, say) would make the event unstorable.
  const type = params.type !== undefined && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(params.type) ? params.type : undefined;
  const id = params.id !== undefined && isValidId(params.id) ? params.id : undefined;
  const m = req.method;
  const q = req.url.indexOf('?');
  const query = q >= 0 ? req.url.slice(q + 1) : '';
  if (type) facts.resourceType = type;
  const pick = (i: AuditInteraction) => (facts.interaction = i);
  switch (path) {
    case '/metadata': pick('capabilities'); break;
    case '/': pick(m === 'POST' ? bundleKind(req.body) : 'other'); break;
    case '/:type':
      pick(m === 'GET' ? 'search' : m === 'POST' ? 'create' : m === 'PUT' ? 'update' : m === 'DELETE' ? 'delete' : 'other');
      if (m === 'GET') facts.query = query;
      break;
    case '/:type/_search':
      pick('search');
      facts.query = [query, typeof req.body === 'string' ? req.body : ''].filter(Boolean).join('&');
      break;
    case '/_history': case '/:type/_history': case '/:type/:id/_history': pick('history'); break;
    case '/:type/:id':
      pick(m === 'GET' || m === 'HEAD' ? 'read' : m === 'PUT' ? 'update' : m === 'PATCH' ? 'patch' : m === 'DELETE' ? 'delete' : 'other');
      break;
    case '/:type/:id/_history/:vid': pick('vread'); break;
    case '/:type/:id/$everything': pick('everything'); break;
    default:
      if (path.includes('$export')) pick('export');
      else if (path.includes('$')) pick('operation');
  }
  if (type && id && facts.interaction !== 'export') {
    facts.resources.push(params.vid && /^\d{1,9}$/.test(params.vid) ? { type, id, versionId: params.vid } : { type, id });
    if (type === 'Patient') facts.patientIds.push(id);
  }
  // A create names its new resource only in the Location header.
  if (facts.resources.length === 0 && typeof location === 'string') {
    // This server's Location is absolute: `<base>/Type/id/_history/n`.
    const made = parseReference(location);
    if (made?.version && /^[0-9]+$/.test(made.version)) {
      facts.resources.push({ type: made.type, id: made.id, versionId: made.version });
      if (made.type === 'Patient') facts.patientIds.push(made.id);
    }
  }
  if (facts.query) facts.patientIds.push(...patientsInQuery(type, facts.query));
  return facts;
}

function bundleKind(body: unknown): AuditInteraction {
  const t = (body as { type?: unknown } | null)?.type;
  return t === 'transaction' ? 'transaction' : t === 'batch' ? 'batch' : 'other';
}

/** Patients a search names directly (patient=, subject=Patient/…, Patient?_id=). The routes add those of the results. */
function patientsInQuery(type: string | undefined, query: string): string[] {
  const out: string[] = [];
  let pairs: [string, string][];
  try {
    pairs = [...new URLSearchParams(query)];
  } catch {
    return out;
  }
  for (const [k, v] of pairs) {
    const name = k.split(':')[0];
    for (const value of v.split(',')) {
      if (name === 'patient' || (name === 'subject' && value.startsWith('Patient/')) || (type === 'Patient' && name === '_id')) {
        const id = value.replace(/^.*Patient\//, '');
        if (isValidId(id)) out.push(id);
      }
    }
  }
  return out;
}

/** The first diagnostics of an OperationOutcome answer, for the outcome description. */
function diagnostics(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || payload.length > 100_000) return undefined;
  try {
    const text = JSON.parse(payload)?.issue?.[0]?.diagnostics;
    return typeof text === 'string' ? text.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
