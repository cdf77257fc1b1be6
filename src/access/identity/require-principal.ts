import type { FastifyReply, FastifyRequest } from 'fastify';
import { FhirError } from '../../fhir/outcome.js';
import type { Platform } from '../../platform.js';
import { authenticate, unauthorized } from './authenticate.js';

/** What a client without credentials may ask: the CapabilityStatement (SMART discovery starts there). */
const PUBLIC_ROUTES = new Set(['/fhir/R4/metadata']);

/**
 * A preHandler for the FHIR API: sets `request.principal` from the bearer token or the session
 * cookie, and refuses a request with neither (401), a bad token (401) or a cookie request without
 * its CSRF token (403). 401s carry `WWW-Authenticate: Bearer` (RFC 6750), naming the token error.
 * It runs after the body is parsed, so a form may carry the CSRF token as a field.
 */
export function requirePrincipal(platform: Pick<Platform, 'db' | 'config' | 'identity'>) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (req.routeOptions.url && PUBLIC_ROUTES.has(req.routeOptions.url)) return;
    if (req.principal) return; // already established for this request (an embedding app's own identity step)
    try {
      const principal = await authenticate(req, platform);
      if (!principal) throw unauthorized('Sign in, or send an OAuth 2.0 access token (Authorization: Bearer …); see /.well-known/smart-configuration');
      req.principal = principal;
    } catch (err) {
      if (err instanceof FhirError && err.status === 401) {
        const tokenSent = req.headers.authorization !== undefined;
        reply.header('WWW-Authenticate', tokenSent ? 'Bearer realm="OneStory", error="invalid_token"' : 'Bearer realm="OneStory"');
      }
      throw err;
    }
  };
}
