import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from './logger.js';
import { FhirError, issue, outcome } from './fhir/outcome.js';
import { bulkExportRoutes } from './fhir/rest/bulk-export.routes.js';
import { fhirRoutes } from './fhir/rest/fhir.routes.js';
import { FHIR_JSON } from './fhir/rest/fhir-http.js';
import type { Platform } from './platform.js';

export const BODY_LIMIT = 32 * 1024 * 1024;

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
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });

  // FHIR JSON, plain JSON and JSON Patch all arrive as JSON; a body that is not JSON is a 400, never a 500.
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser(
    ['application/json', 'application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(new FhirError(400, outcome([issue('structure', `The body is not valid JSON: ${(err as Error).message}`)])), undefined);
      }
    },
  );
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, String(body)));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof FhirError) {
      return reply.code(err.status).type(FHIR_JSON).send(err.outcome);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'unexpected error');
    const message =
      status === 413 ? `The body is larger than the limit of ${BODY_LIMIT} bytes`
        : status === 415 ? `Content-Type "${req.headers['content-type']}" is not supported: send application/fhir+json`
          : status === 500 ? 'The server could not process the request' : err.message;
    return reply.code(status).type(FHIR_JSON).send(outcome([issue(status === 500 ? 'exception' : 'invalid', message)]));
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type(FHIR_JSON).send(outcome([issue('not-found', `No route for ${req.method} ${req.url.split('?')[0]}`)])),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(bulkExportRoutes, { prefix: '/fhir/R4', platform });
  await app.register(fhirRoutes, { prefix: '/fhir/R4', platform });
  return app;
}
