import { createReadStream, existsSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requirePrincipal } from '../../access/identity/require-principal.js';
import { accessContext } from '../../access/policy/record-access.js';
import type { Platform } from '../../platform.js';
import { BulkExportService, type ExportRequest } from '../bulk-export.service.js';
import { badRequest, FhirError, issue, notFound, outcome } from '../outcome.js';
import { baseUrl, prefer, queryPairs, sendJson } from './fhir-http.js';

const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

const KICK_OFF_PARAMS = ['_outputFormat', '_type', '_since'];

/**
 * A kick-off's parameters: the query's, and for a POST those of its Parameters body (each a string,
 * instant or code value; _type may repeat). Any other parameter is a 400: it would change the export.
 */
function kickOffParams(req: FastifyRequest): Map<string, string> {
  const q = new Map<string, string>();
  const add = (name: string, value: string) => {
    if (!KICK_OFF_PARAMS.includes(name)) throw badRequest(`$export does not support the parameter "${name}"`, name);
    q.set(name, name === '_type' && q.has(name) ? `${q.get(name)},${value}` : value);
  };
  for (const [k, v] of queryPairs(req)) add(k, v);
  if (req.method !== 'POST') return q;
  const body = req.body as { resourceType?: unknown; parameter?: unknown } | undefined;
  if (!body || typeof body !== 'object' || body.resourceType !== 'Parameters') {
    throw badRequest('A POST $export needs a Parameters resource as its body (or use GET with query parameters)');
  }
  if (body.parameter !== undefined && !Array.isArray(body.parameter)) throw badRequest('Parameters.parameter must be an array', 'Parameters.parameter');
  ((body.parameter ?? []) as Record<string, unknown>[]).forEach((p, i) => {
    const at = `Parameters.parameter[${i}]`;
    if (!p || typeof p !== 'object' || typeof p.name !== 'string') throw badRequest(`${at} needs a name`, at);
    const value = p.valueString ?? p.valueInstant ?? p.valueDateTime ?? p.valueCode;
    if (!KICK_OFF_PARAMS.includes(p.name)) throw badRequest(`$export does not support the parameter "${p.name}"`, at);
    if (typeof value !== 'string') throw badRequest(`${at} (${p.name}) needs a valueString, valueInstant or valueCode`, at);
    add(p.name, value);
  });
  return q;
}

/** FHIR Bulk Data Access: $export kick-off, status polling, and the NDJSON files. */
export async function bulkExportRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  const { platform } = opts;
  const exports = new BulkExportService(platform.db, platform.config.dataDir, app.log as never);
  await exports.recover();
  app.addHook('preHandler', requirePrincipal(platform));

  const kickOff = (scope: ExportRequest['scope']) => async (req: FastifyRequest<{ Params: { id?: string } }>, reply: FastifyReply) => {
    if (!prefer(req).respondAsync) throw badRequest('$export needs the header Prefer: respond-async');
    const q = kickOffParams(req);
    const format = q.get('_outputFormat');
    if (format !== undefined && !NDJSON_FORMATS.has(format)) {
      throw badRequest(`_outputFormat "${format}" is not supported: use application/fhir+ndjson`, '_outputFormat');
    }
    const types = q.get('_type')?.split(',').map((t) => t.trim()).filter(Boolean);
    const access = accessContext(req.principal!, new Date());
    // Bulk export is for system clients, within their scopes; rows pass the client's restriction.
    for (const t of types?.length ? types : ['Patient']) access.access.authorize('export', t);
    const base = baseUrl(req, platform.config);
    const id = await exports.kickOff({
      requestedBy: req.principal!.id,
      restriction: access.restriction,
      scope,
      groupId: req.params.id,
      types,
      since: q.get('_since'),
      requestUrl: `${base}${req.url.replace(/^\/fhir\/R4/, '')}`,
    });
    return reply.code(202).header('Content-Location', `${base}/$export-status/${id}`).type('application/fhir+json').send(
      outcome([issue('informational', `Export started; poll ${base}/$export-status/${id}`, undefined, 'information')]),
    );
  };

  app.get('/$export', kickOff('system'));
  app.get('/Patient/$export', kickOff('patient'));
  app.get('/Group/:id/$export', kickOff('group'));
  // Bulk Data v2 kick-off by POST: the same parameters in a Parameters body.
  app.post('/$export', kickOff('system'));
  app.post('/Patient/$export', kickOff('patient'));
  app.post('/Group/:id/$export', kickOff('group'));

  app.get('/$export-status/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const job = await exports.status(req.params.id, req.principal?.id);
    if (job.status === 'in-progress') return reply.code(202).header('X-Progress', job.progress ?? 'starting').header('Retry-After', '1').send();
    if (job.status === 'error') {
      return sendJson(reply, 500, outcome([issue('exception', job.error ?? 'The export failed')]));
    }
    const base = baseUrl(req, platform.config);
    const files = JSON.parse(job.output ?? '[]') as { type: string; file: string; count: number }[];
    return reply.code(200).type('application/json').send({
      transactionTime: job.transaction_time.toISOString(),
      request: job.request_url,
      requiresAccessToken: true,
      output: files.map((f) => ({ type: f.type, url: `${base}/$export-file/${job.id}/${f.file}`, count: f.count })),
      error: [],
    });
  });

  app.delete('/$export-status/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    await exports.cancel(req.params.id, req.principal?.id);
    return reply.code(202).send();
  });

  app.get('/$export-file/:id/:file', async (req: FastifyRequest<{ Params: { id: string; file: string } }>, reply) => {
    const job = await exports.status(req.params.id, req.principal?.id);
    if (job.status !== 'complete') throw new FhirError(404, outcome([issue('not-found', 'The export is not complete')]));
    const path = exports.filePath(req.params.id, req.params.file);
    if (!existsSync(path)) throw notFound('No such export file');
    return reply.type('application/fhir+ndjson').send(createReadStream(path));
  });
}
