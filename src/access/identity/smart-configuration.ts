import type { Endpoint } from './oauth.service.js';

/** SMART App Launch v2 discovery document (/.well-known/smart-configuration). */
export function smartConfiguration(ep: Endpoint) {
  return {
    issuer: ep.issuer,
    jwks_uri: `${ep.issuer}/oauth2/jwks`,
    authorization_endpoint: `${ep.issuer}/oauth2/authorize`,
    token_endpoint: `${ep.issuer}/oauth2/token`,
    grant_types_supported: ['authorization_code', 'client_credentials'],
    // 'none': public apps (client-public) authenticate by PKCE alone.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [
      'launch/patient', 'openid', 'fhirUser',
      'patient/*.rs', 'patient/*.cruds', 'user/*.rs', 'user/*.cruds', 'system/*.rs', 'system/*.cruds',
      'patient/*.read', 'user/*.read', 'system/*.read',
    ],
    capabilities: [
      'launch-standalone', 'context-standalone-patient', 'client-public', 'client-confidential-symmetric',
      'permission-patient', 'permission-user', 'permission-v1', 'permission-v2',
    ],
  };
}
