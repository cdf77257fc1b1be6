import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.js';
import { authRoutes } from './auth.routes.js';
import { oauthRoutes } from './oauth.routes.js';

/** The /auth (web sessions), /oauth2 (OAuth 2.0 + SMART) and /.well-known routes. Register on the root app. */
export async function identityRoutes(app: FastifyInstance, opts: { platform: Platform }): Promise<void> {
  await app.register(authRoutes, opts);
  await app.register(oauthRoutes, opts);
}
