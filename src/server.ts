import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { auditFrameworkErrors, auditHook } from './access/audit/audit.hook.js';
import { identityRoutes } from './access/identity/identity.routes.js';
import { breakGlassRoutes } from './access/policy/break-glass.routes.js';
import { processMessageRoutes } from './referrals/process-message.routes.js';
import { measureRoutes } from './outcomes/measure.routes.js';
import { isDatabaseUnavailable } from './db/connection-errors.js';
import { databaseReadiness } from './db/readiness.js';
import { openReferralRoutes } from './directory/openreferral.routes.js';
import type { Logger } from './logger.js';
import { FhirError, issue, outcome } from './fhir/outcome.js';
import { parseJson } from './fhir/decimal-json.js';
import { bodyRoot, findUnsafeKey } from './fhir/unsafe-keys.js';
import { bulkExportRoutes } from './fhir/rest/bulk-export.routes.js';
import { fhirRoutes } from './fhir/rest/fhir.routes.js';
import { checkFormat, FHIR_JSON } from './fhir/rest/fhir-http.js';
import type { Platform } from './platform.js';
import { PAGE_HEADERS } from './web/layout.js';
import { notFoundPage, wantsPage } from './web/not-found.page.js';
import { webRoutes } from './web/web.routes.js';

export const BODY_LIMIT = 32 * 1024 * 1024;
/** FHIR resources nest a few dozen levels at most (contained, extensions on extensions). */
export const MAX_JSON_DEPTH = 128;

/** The deepest nesting of objects and arrays in JSON text, brackets inside strings ignored. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** fastify's trustProxy from TRUST_PROXY; a hop count is given as a function, which its types (unlike its runtime) require. */
function trustProxyOption(trust: Platform['config']['trustProxy']): { trustProxy?: string[] | ((address: string, hop: number) => boolean) } {
  if (trust === undefined) return {};
  return typeof trust === 'number' ? { trustProxy: (_address: string, hop: number) => hop < trust } : { trustProxy: trust };
}

/** Builds the HTTP server: /healthz, the FHIR API under /fhir/R4, and a FHIR-shaped answer to every error. */
export async function buildServer(platform: Platform, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9\-_.]{1,64}$/.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
    // Only a named proxy's X-Forwarded-For gives req.ip (sign-in limits, audit); without one the header is ignored.
    ...trustProxyOption(platform.config.trustProxy),
    // A malformed or over-long URL is answered by the router itself: make that answer FHIR-shaped too.
    // Router-level refusals run no hooks: auditFrameworkErrors records them too, before answering.
    frameworkErrors: auditFrameworkErrors(platform, (err, req, reply) => {
      const status: 400 | 414 = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
      const text = status === 414 ? 'A path segment of the URL is too long' : 'The URL is not valid (check its percent-encoding)';
      reply.header('X-Request-Id', req.id);
      return (reply as FastifyReply).code(status).type(FHIR_JSON).send(outcome([issue('invalid', text)]));
    }),
  });

  // Every request leaves exactly one AuditEvent, durable before the answer is sent.
  await app.register(auditHook(platform));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });

  // Content negotiation for every FHIR route, the operations' plugins and unknown paths too: here
  // rather than on one plugin, so no route under /fhir/R4 can answer JSON to a client asking for XML.
  app.addHook('onRequest', async (req) => {
    if (/^\/fhir\/R4(?:[/?]|$)/.test(req.url)) checkFormat(req);
  });

  // FHIR JSON, plain JSON and JSON Patch all arrive as JSON; a body that is not JSON is a 400, never a 500.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    ['application/json', 'application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      // Deep nesting would overflow the stack of every recursive walk after parsing: refuse it here.
      if (nestingDepth(text) > MAX_JSON_DEPTH) {
        return done(new FhirError(400, outcome([issue('structure', `The body nests deeper than ${MAX_JSON_DEPTH} levels`)])), undefined);
      }
      let parsed: unknown;
      try {
        // Decimals keep the precision they were written with (decimal-json.ts).
        parsed = parseJson(text);
      } catch (err) {
        return done(new FhirError(400, outcome([issue('structure', `The body is not valid JSON: ${(err as Error).message}`)])), undefined);
      }
      // "__proto__", "constructor" and "prototype" keys never reach a handler (see unsafe-keys.ts).
      const unsafe = findUnsafeKey(parsed, bodyRoot(parsed));
      if (unsafe) {
        const key = unsafe.slice(unsafe.lastIndexOf('.') + 1);
        return done(new FhirError(400, outcome([issue('structure', `Invalid additional property "${key}"`, unsafe)])), undefined);
      }
      done(null, parsed);
    },
  );
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, String(body)));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof FhirError) {
      // A 503 is transient (a write whose audit record could not be written, a platform starting up):
      // every one says when to come back, as the database-unavailable answers below do.
      if (err.status === 503 && !reply.hasHeader('retry-after')) reply.header('Retry-After', '1');
      return reply.code(err.status).type(FHIR_JSON).send(err.outcome);
    }
    if (/timeout exceeded when trying to connect/.test(err.message ?? '')) {
      req.log.warn({ err }, 'database pool exhausted');
      return reply.code(503).header('Retry-After', '1').type(FHIR_JSON).send(outcome([issue('transient', 'The database is busy; try again shortly')]));
    }
    // The database went away (restart, failover, a terminated session): not the client's fault and
    // not a bug. The pool reconnects by itself, so tell the client to come back.
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err }, 'database unavailable');
      return reply.code(503).header('Retry-After', '5').type(FHIR_JSON).send(outcome([issue('transient', 'The database cannot be reached; try again shortly')]));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'unexpected error');
    const message =
      status === 413 ? `The body is larger than the limit of ${BODY_LIMIT} bytes`
        : status === 415 ? `Content-Type "${req.headers['content-type']}" is not supported: send application/fhir+json`
          : status === 500 ? 'The server could not process the request' : err.message;
    return reply.code(status).type(FHIR_JSON).send(outcome([issue(status === 500 ? 'exception' : 'invalid', message)]));
  });

  app.setNotFoundHandler((req, reply) => {
    // The APIs answer in FHIR's shape; any other path is a web page, answered as one ("Page not found").
    if (wantsPage(req.raw.url ?? req.url, req.headers.accept)) return reply.code(404).headers(PAGE_HEADERS).send(notFoundPage());
    return reply.code(404).type(FHIR_JSON).send(outcome([issue('not-found', `No route for ${req.method} ${req.url.split('?')[0]}`)]));
  });

  // Ready only while the database answers: a load balancer stops sending traffic while it is away.
  const databaseReady = databaseReadiness(platform.db);
  app.get('/healthz', { config: { audit: false } }, async (_req, reply) => {
    const { ready, reason } = await databaseReady();
    if (ready) return { status: 'ok' };
    return reply.code(503).header('Retry-After', '5').header('Cache-Control', 'no-store').send({ status: 'unavailable', ready: false, database: reason });
  });
  await app.register(identityRoutes, { platform });
  await app.register(webRoutes, { platform });
  await app.register(openReferralRoutes, { prefix: '/openreferral', platform });
  await app.register(breakGlassRoutes, { prefix: '/fhir/R4', platform });
  await app.register(processMessageRoutes, { prefix: '/fhir/R4', platform });
  await app.register(measureRoutes, { prefix: '/fhir/R4', platform });
  await app.register(bulkExportRoutes, { prefix: '/fhir/R4', platform });
  await app.register(fhirRoutes, { prefix: '/fhir/R4', platform });
  return app;
}
