import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../outcome.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** The FHIR base URL as this client reached it. */
export function baseUrl(req: FastifyRequest, configured?: string): string {
  if (configured) return configured.replace(/\/$/, '');
  const host = /^[A-Za-z0-9.\-:[\]]+$/.test(req.headers.host ?? '') ? req.headers.host : 'localhost';
  return `${req.protocol}://${host}/fhir/R4`;
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
  return reply.code(status).type(FHIR_JSON).send(typeof json === 'string' ? json : JSON.stringify(json));
}

export function withCursor(url: string, cursor: string): string {
  const u = new URL(url);
  u.searchParams.set('_cursor', cursor);
  return u.toString();
}
