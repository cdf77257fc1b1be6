import type { FastifyReply, FastifyRequest } from 'fastify';
import { publicOrigin, type PublicUrlConfig } from '../../public-url.js';
import { stringifyResponse } from '../decimal-json.js';
import { badRequest, FhirError, issue, outcome } from '../outcome.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** The FHIR base URL: ONESTORY_BASE_URL, or as this client reached it when its Host is allowed (src/public-url.ts). */
export function baseUrl(req: FastifyRequest, config: PublicUrlConfig): string {
  if (config.baseUrl) return config.baseUrl.replace(/\/$/, '');
  return `${publicOrigin(req, config)}/fhir/R4`;
}

/** Query string pairs in order, repeats kept. */
export function queryPairs(req: FastifyRequest): [string, string][] {
  const i = req.url.indexOf('?');
  return i < 0 ? [] : ([...new URLSearchParams(req.url.slice(i + 1))] as [string, string][]);
}

export function rawQuery(req: FastifyRequest): string {
  const i = req.url.indexOf('?');
  return i < 0 ? '' : req.url.slice(i + 1);
}

export function ifMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(String(h));
  if (!m) throw badRequest('If-Match must be an ETag such as W/"3"');
  return Number(m[1]);
}

export function prefer(req: FastifyRequest): { return?: string; lenient: boolean; respondAsync: boolean } {
  const h = String(req.headers.prefer ?? '');
  const ret = /return=(minimal|representation|OperationOutcome)/.exec(h)?.[1];
  return { return: ret, lenient: /handling=lenient/.test(h), respondAsync: /respond-async/.test(h) };
}

export function sendJson(reply: FastifyReply, status: number, json: string | object): FastifyReply {
  // A Bundle built around parsed resources (batch, transaction) keeps their decimals as stored.
  return reply.code(status).type(FHIR_JSON).send(typeof json === 'string' ? json : stringifyResponse(json));
}

export function withCursor(url: string, cursor: string): string {
  const u = new URL(url);
  u.searchParams.set('_cursor', cursor);
  return u.toString();
}

/** Media types this API answers in: FHIR JSON, and what a JSON client or a browser may ask for. */
const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir', 'application/*', '*/*']);
const JSON_FORMATS = new Set(['json', ...JSON_TYPES]);
/** Bulk Data clients may ask for the export files as NDJSON, which they are. */
const NDJSON_TYPES = new Set(['application/fhir+ndjson', 'application/ndjson']);

/**
 * Content negotiation for every FHIR route: only JSON is served, so a client asking only for another
 * format (Accept: application/fhir+xml, _format=xml) gets a 406 rather than JSON it did not ask for.
 * An Accept naming any JSON type or a wildcard (as browsers' Accept does) is served.
 */
export function checkFormat(req: FastifyRequest): void {
  const format = new URLSearchParams(rawQuery(req)).get('_format');
  if (format !== null) {
    // A '+' left unencoded in the query reads as a space: application/fhir+json arrives as "application/fhir json".
    const type = format.split(';')[0].trim().toLowerCase().replace(/ /g, '+');
    if (!JSON_FORMATS.has(type)) throw notAcceptable(`_format "${format}" is not supported: this server answers in JSON (_format=json)`);
    return;
  }
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return;
  const ranges = accept.split(',').map((r) => {
    const [type, ...params] = r.split(';').map((x) => x.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  });
  const ndjson = req.url.includes('/$export-file/');
  if (!ranges.some((r) => (JSON_TYPES.has(r.type) || (ndjson && NDJSON_TYPES.has(r.type))) && !(r.q <= 0))) {
    throw notAcceptable(`Accept "${accept}" names no format this server answers in: send Accept: application/fhir+json`);
  }
}

function notAcceptable(text: string): FhirError {
  return new FhirError(406, outcome([issue('not-supported', text)]));
}
