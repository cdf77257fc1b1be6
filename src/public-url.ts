import type { FastifyRequest } from 'fastify';
import type { Config } from './config.js';

export type PublicUrlConfig = Pick<Config, 'baseUrl' | 'allowedHosts' | 'host' | 'port'>;

/** Names that always mean this machine. */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
/** Listen hosts that are not names a client uses. */
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/;

/**
 * Whether a Host header may name this server in the URLs it builds. The Host header is the client's
 * to choose: reflected unchecked, `Host: evil.example` put evil.example into the SMART endpoints
 * (cached publicly for an hour) and into every Bundle link. Allowed: loopback names, the listen
 * host, and ONESTORY_ALLOWED_HOSTS (an entry without a port allows any port).
 */
export function isAllowedHost(hostHeader: string | undefined, config: Pick<Config, 'allowedHosts' | 'host'>): boolean {
  const m = HOST_HEADER.exec(hostHeader ?? '');
  if (!m) return false;
  const name = m[1].toLowerCase();
  const withPort = hostHeader!.toLowerCase();
  if (LOOPBACK.has(name) || name.endsWith('.localhost')) return true;
  const listen = config.host.toLowerCase();
  if (!WILDCARD.has(listen) && name === listen) return true;
  return config.allowedHosts.some((h) => h === withPort || h === name);
}

/**
 * The origin (scheme, host, port) this server's absolute URLs start with when ONESTORY_BASE_URL is
 * unset: the request's own Host when it is allowed, otherwise http://localhost on the port the request
 * arrived on (or PORT). Never anything a client made up.
 */
export function publicOrigin(req: FastifyRequest, config: PublicUrlConfig): string {
  const host = req.headers.host;
  if (isAllowedHost(host, config)) return `${req.protocol}://${host}`;
  const port = req.socket?.localPort ?? config.port;
  return `http://localhost:${port}`;
}

/**
 * Whether the URLs in a response depend on the request (no ONESTORY_BASE_URL): such a response must
 * not be cached publicly, or one client's Host header would be served to the next.
 */
export const urlsFollowRequest = (config: Pick<Config, 'baseUrl'>): boolean => !config.baseUrl;
