/**
 * Which errors mean "the database cannot be reached right now" rather than "this request is wrong":
 * those are answered 503 with Retry-After (the server stays up and the pool reconnects by itself),
 * never 500, and never blamed on the client.
 */

/** SQLSTATEs of a server that is shutting down, restarting or ended our session. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
/** Socket-level failures reaching the server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * `pg` reports a socket closed under a query, or a client already broken, without a code: these
 * messages are its own (pg/lib/client.js), stable across 8.x.
 */
const LOST_MESSAGES = /^(Connection terminated|Client has encountered a connection error and is not queryable|Connection terminated unexpectedly)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  // A connection error may arrive wrapped (AggregateError from a multi-address connect, or `cause`).
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') return false;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code) || NETWORK_CODES.has(code))) return true;
    if (typeof message === 'string' && LOST_MESSAGES.test(message)) return true;
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.some((x) => isDatabaseUnavailable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
