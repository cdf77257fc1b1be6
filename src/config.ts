import { resolve } from 'node:path';

/** Settings read from the environment once, at start. These names are a stable interface. */
export interface Config {
  port: number;
  host: string;
  /** postgres://… selects a PostgreSQL server; unset means embedded PGlite. */
  databaseUrl?: string;
  /** Where PGlite and exports live when DATABASE_URL is unset. */
  dataDir: string;
  logLevel: string;
  /** Public base URL of the FHIR API, when the server sits behind a proxy. */
  baseUrl?: string;
  /**
   * Without baseUrl: the Host header names this server only when it is one of these (with or without
   * a port), a loopback name, or the listen host; otherwise URLs are built for http://localhost:PORT.
   */
  allowedHosts: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT ? Number(env.PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer between 0 and 65535, not ${JSON.stringify(env.PORT)}`);
  }
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.ONESTORY_DATA_DIR ?? '.data'),
    logLevel: env.LOG_LEVEL ?? 'info',
    baseUrl: env.ONESTORY_BASE_URL || undefined,
    allowedHosts: (env.ONESTORY_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
  };
}
