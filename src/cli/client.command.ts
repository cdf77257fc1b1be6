import { ClientRegistrationError } from '../access/identity/client.service.js';
import { identityFor } from '../access/identity/identity.js';
import { loadConfig } from '../config.js';
import type { Platform } from '../platform.js';
import { createPlatform } from '../platform.js';
import { parseFlags, type Command } from './command.js';

const USAGE = `npx onestory client add --org <ODS code> --scope '<SMART scopes>' [--name N] [--redirect-uri U ...] [--public]

Registers an API client tied to the Organization with that ODS code and prints its client id and
secret (the secret is shown only this once). Without --redirect-uri it is a system integration
(client credentials, system/ scopes, e.g. 'system/Patient.rs system/Observation.rs'); with one it is
an app users sign in to (authorization code + PKCE, patient/ and user/ scopes). --public: an app that
cannot keep a secret. Uses DATABASE_URL when set, otherwise the embedded database (ONESTORY_DATA_DIR).`;

/** Registers a client on an open platform and prints it; returns the exit code. */
export async function clientAdd(platform: Platform, flags: Record<string, string | true>, redirectUris: string[]): Promise<number> {
  const { org, scope, name } = flags;
  if (typeof org !== 'string' || typeof scope !== 'string' || (name !== undefined && typeof name !== 'string')) {
    console.error(`Usage: ${USAGE}`);
    return 2;
  }
  try {
    const r = await identityFor(platform).clients.register({ ods: org, scope, name, redirectUris, public: flags.public === true });
    console.log(`Registered ${r.client.kind === 'app' ? 'app' : 'system integration'} "${r.client.name}" for Organization/${r.client.organizationId}`);
    console.log(`client_id:     ${r.clientId}`);
    if (r.clientSecret) console.log(`client_secret: ${r.clientSecret}   (shown once: store it now)`);
    console.log(`scopes:        ${r.client.scopes}`);
    for (const u of r.client.redirectUris) console.log(`redirect_uri:  ${u}`);
    return 0;
  } catch (err) {
    if (err instanceof ClientRegistrationError) {
      console.error(`Cannot register the client: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** `--redirect-uri` may be given more than once. */
function redirectUrisOf(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--redirect-uri' && i + 1 < args.length) out.push(args[++i]);
    else if (args[i].startsWith('--redirect-uri=')) out.push(args[i].slice('--redirect-uri='.length));
  }
  return out;
}

export const clientCommand: Command = {
  name: 'client',
  summary: 'Register an API client for the token endpoint (client add)',
  usage: USAGE,
  async run(args) {
    const { flags, positional } = parseFlags(args);
    if (positional[0] !== 'add' || positional.length > 1) {
      console.error(`Usage: ${USAGE}`);
      return 2;
    }
    const platform = await createPlatform(loadConfig(), undefined, { mode: 'command' });
    try {
      return await clientAdd(platform, flags, redirectUrisOf(args));
    } finally {
      await platform.close();
    }
  },
};
