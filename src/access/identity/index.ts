/** Identity: users, sessions, OAuth 2.0 / SMART, API clients. What the rest of OneStory uses. */
export { authenticate, endpointFor, sessionOf, CSRF_HEADER, CSRF_FIELD, type AuthenticateDeps } from './authenticate.js';
export { identityRoutes } from './identity.routes.js';
export { identityFor, type Identity } from './identity.js';
export { parseScope, parseScopeString, formatScope, covers, scopesPermit } from './scope.parser.js';
export { hashPassword, verifyPassword } from './password.service.js';
export { seedDemoAccounts, formatDemoAccounts, DEMO_PASSWORD, type DemoAccount } from './demo-accounts.js';
