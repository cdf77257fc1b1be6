import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError } from '../fhir/outcome.js';
import { REFERENCE_DATA_DIR } from '../paths.js';
import { publicOrigin } from '../public-url.js';
import type { Platform } from '../platform.js';
import { page, serviceAtLocationOf, serviceFull, serviceListItem, taxonomyOf, taxonomyTermOf } from './oruk.presenter.js';
import { OrukParameterError, parsePage, parseServiceQuery } from './oruk-query.js';

/** The HSDS version and profile this API follows (the root endpoint says so). */
const HSDS_VERSION = '3.0';
const PROFILE_URL = 'https://github.com/OpenReferralUK/uk-profile';

/**
 * The error shape of this API. The Open Referral UK profile and its OpenAPI description define no
 * error body, so every error is one small JSON object: the HTTP status, a sentence saying what is
 * wrong, and the parameter at fault when there is one.
 */
export interface OrukError {
  status: number;
  error: string;
  message: string;
  parameter?: string;
}

const REASON: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function sendError(reply: FastifyReply, status: number, message: string, parameter?: string): FastifyReply {
  const body: OrukError = { status, error: REASON[status] ?? 'Error', message, ...(parameter ? { parameter } : {}) };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** An endpoint of one record by id takes no query parameters: any is a 400 naming it. */
function noParameters(req: FastifyRequest, path: string): void {
  const unknown = Object.keys(req.query as Record<string, unknown>)[0];
  if (unknown) throw new OrukParameterError(unknown, `Unknown parameter '${unknown.slice(0, 60)}': ${path} takes none`);
}

/**
 * The Open Referral UK API under /openreferral: public and read-only like every Open Referral feed
 * (no sign-in; `Access-Control-Allow-Origin: *` on every answer, errors included). Its requests
 * leave no AuditEvent: they read the public directory, which names services, never people.
 * Handlers are thin: parse and check the parameters (oruk-query.ts), ask the directory service,
 * present in the profile's shapes (oruk.presenter.ts).
 */
export async function openReferralRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const directory = opts.platform.directory.services;
  const clock = opts.platform.clock;
  const openapi = readFileSync(join(REFERENCE_DATA_DIR, 'openreferral', 'docs', 'extras', 'openapi30.json'), 'utf8');
  const config = { audit: false } as const;

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('Access-Control-Allow-Origin', '*');
    reply.header('Cache-Control', 'public, max-age=60');
    return payload;
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof OrukParameterError) return sendError(reply, 400, err.message, err.parameter);
    if (err instanceof FhirError) return sendError(reply, err.status, err.outcome.issue?.[0]?.diagnostics ?? 'The request could not be answered');
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'Open Referral API failed');
    return sendError(reply, status, status === 500 ? 'The server could not answer the request' : err.message);
  });

  const base = (req: FastifyRequest) => {
    const configured = opts.platform.config.baseUrl;
    return `${configured ? new URL(configured).origin : publicOrigin(req, opts.platform.config)}/openreferral`;
  };

  app.get('/', { config }, async (req) => ({ version: HSDS_VERSION, profile: PROFILE_URL, openapi_url: `${base(req)}/openapi.json` }));
  app.get('/openapi.json', { config }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(openapi));

  app.get('/services', { config }, async (req) => {
    const { q, page: n, perPage } = parseServiceQuery(req.query as Record<string, unknown>, clock.now());
    const { total, records } = await directory.searchRecords(q);
    return page(records.map((r) => serviceListItem(r, r.organization)), total, n, perPage);
  });

  app.get('/services/:id', { config }, async (req) => {
    noParameters(req, '/services/{id}');
    return serviceFull(await directory.get((req.params as { id: string }).id));
  });

  app.get('/service_at_locations', { config }, async (req) => {
    const { q, page: n, perPage } = parseServiceQuery(req.query as Record<string, unknown>, clock.now());
    const { total, records } = await directory.searchRecords({ ...q, perLocation: true });
    const contents = records.flatMap((r) => {
      const l = r.locations.find((x) => x.id === r.locationId);
      return l ? [serviceAtLocationOf(r, r.organization, l, r.distance)] : [];
    });
    return page(contents, total, n, perPage);
  });

  // The profile answers a service at a location with the full service it belongs to.
  app.get('/service_at_locations/:id', { config }, async (req) => {
    noParameters(req, '/service_at_locations/{id}');
    return serviceFull(await directory.getByServiceAtLocation((req.params as { id: string }).id));
  });

  app.get('/taxonomies', { config }, async (req) => {
    const { page: n, perPage } = parsePage(req.query as Record<string, unknown>, true);
    const all = await directory.taxonomies();
    return page(all.slice((n - 1) * perPage, n * perPage).map(taxonomyOf), all.length, n, perPage);
  });

  app.get('/taxonomy_terms', { config }, async (req) => {
    const { page: n, perPage } = parsePage(req.query as Record<string, unknown>, true);
    const all = await directory.terms();
    return page(all.slice((n - 1) * perPage, n * perPage).map(taxonomyTermOf), all.length, n, perPage);
  });

  app.get('/taxonomies/:id', { config }, async (req, reply) => {
    noParameters(req, '/taxonomies/{id}');
    const found = (await directory.taxonomies()).find((t) => t.id === (req.params as { id: string }).id.toLowerCase());
    return found ? taxonomyOf(found) : sendError(reply, 404, 'No such taxonomy in the directory');
  });

  app.get('/taxonomy_terms/:id', { config }, async (req, reply) => {
    noParameters(req, '/taxonomy_terms/{id}');
    const found = (await directory.terms()).find((t) => t.id === (req.params as { id: string }).id.toLowerCase());
    return found ? taxonomyTermOf(found) : sendError(reply, 404, 'No such taxonomy term in the directory');
  });

  // Any other path under /openreferral answers in this API's shape, not the FHIR API's.
  app.all('/*', { config }, async (req, reply) => sendError(reply, req.method === 'GET' ? 404 : 405,
    req.method === 'GET' ? `No Open Referral endpoint at ${req.url.split('?')[0].slice(0, 100)}` : 'The Open Referral API is read-only: use GET'));
}
