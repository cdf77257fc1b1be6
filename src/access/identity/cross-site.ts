import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';

/**
 * Whether a browser sent this request from another site. Login CSRF: a page elsewhere can post a
 * sign-in form to us with the attacker's credentials, and the victim's browser would then be signed
 * in as the attacker (and type their own data into the attacker's account). Sign-in has no session
 * yet, so no CSRF token can protect it: the browser's own headers do.
 *
 * `Sec-Fetch-Site: cross-site` is cross-site. An `Origin` is same-site only when its host is the Host
 * the request was sent to, or the host of ONESTORY_BASE_URL; `Origin: null` (a sandboxed frame, a
 * redirect chain across sites) is refused too. With neither header (curl, an API client, an old
 * browser on a same-origin GET-less form) the request is not a browser's cross-site one.
 */
export function isCrossSiteRequest(req: Pick<FastifyRequest, 'headers'>, config: Pick<Config, 'baseUrl'>): boolean {
  const fetchSite = header(req, 'sec-fetch-site');
  if (fetchSite !== undefined && fetchSite.toLowerCase() === 'cross-site') return true;
  const origin = header(req, 'origin');
  if (origin === undefined) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    // "null", or anything that is not an origin.
    return true;
  }
  const host = parsed.host.toLowerCase();
  if (host === '') return true;
  if (host === hostUnder(parsed.protocol, header(req, 'host'))) return false;
  if (config.baseUrl) {
    try {
      if (host === new URL(config.baseUrl).host.toLowerCase()) return false;
    } catch {
      // A malformed ONESTORY_BASE_URL names no origin to accept.
    }
  }
  return true;
}

/** The Host header as URL parsing writes it under `scheme` (so "localhost:80" and http's "localhost" compare equal). */
function hostUnder(scheme: string, hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`${scheme}//${hostHeader}`).host.toLowerCase();
  } catch {
    return undefined;
  }
}

function header(req: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
