import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import pg from 'pg';
import { inject } from 'vitest';
import { identityFor } from '../access/identity/identity.js';
import { directoryTypes } from '../access/policy/resource-classes.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';
import { createPlatform, type Platform } from '../platform.js';
import { buildServer } from '../server.js';

export interface TestPlatform {
  platform: Platform;
  app: FastifyInstance;
  /**
   * The Authorization header `fhir()` sends by default: a system integration of the organisation
   * `TEST_ORG_ID` with every system/ scope and explicit directory write scopes, obtained from the
   * token endpoint with client credentials. What it writes is recorded by that organisation, so it
   * sees what it wrote; rows written past the API (fixtures) follow the access policy like any other.
   * Empty when created with `{ integration: false }`.
   */
  authorization: string;
  /**
   * The test integration's Authorization header for a server reached at `origin` (tokens are for
   * one audience: the FHIR base the client reaches), e.g. after `app.listen()` on loopback.
   */
  authorizationAt(origin: string): Promise<string>;
  /** The back end under test: a real PostgreSQL server (embedded or TEST_DATABASE_URL's), or PGlite. */
  backend: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/**
 * The superuser URL of the PostgreSQL server the suite runs on (ONESTORY_TEST_DB 'embedded': the
 * run's embedded cluster; 'postgres': TEST_DATABASE_URL's), from postgres.global-setup.ts; undefined
 * on PGlite.
 */
export function testAdminUrl(): string | undefined {
  if (process.env.ONESTORY_TEST_DB === 'pglite') return undefined;
  return inject('testDatabaseUrl');
}

/**
 * A fresh, empty, migrated database and server for one test file, on the back end named by
 * ONESTORY_TEST_DB: a new database copied from the run's migrated template on PostgreSQL ('embedded',
 * the default, or 'postgres'), or a new in-memory PGlite ('pglite').
 */
export async function createTestPlatform(opts: { integration?: boolean } = {}): Promise<TestPlatform> {
  const admin = testAdminUrl();
  const backend = admin ? 'postgres' : 'pglite';
  const dataDir = mkdtempSync(join(tmpdir(), 'onestory-test-'));
  const config = { ...loadConfig({}), baseUrl: undefined, dataDir };
  let dropDatabase = async () => undefined as void;
  let db;
  if (admin) {
    const name = `onestory_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${inject('testTemplate')}`);
    await client.end();
    const url = new URL(admin);
    url.pathname = `/${name}`;
    db = await openDatabase({ databaseUrl: url.toString(), poolSize: 5 });
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    db = await openDatabase({ dataDir: 'memory://' });
  }
  const platform = await createPlatform(config, db);
  const app = await buildServer(platform, createLogger(process.env.LOG_LEVEL ?? 'silent'));
  // Every request a test makes must leave exactly one AuditEvent: counted here, checked at close().
  const requests = new Map<string, number>();
  app.addHook('onResponse', async (req) => {
    if ((req.routeOptions?.config as { audit?: boolean } | undefined)?.audit === false) return;
    requests.set(String(req.id), (requests.get(String(req.id)) ?? 0) + 1);
  });
  await app.ready();
  // Without the integration the database is left exactly as migrated (for tests of a first write).
  const integration = opts.integration === false ? undefined : await registerIntegration(platform);
  const authorization = integration ? await clientToken(app, integration) : '';
  if (authorization) defaultHeaders.set(app, { authorization });
  return {
    platform,
    app,
    backend,
    authorization,
    async authorizationAt(origin: string) {
      if (!integration) throw new Error('this test platform was created without the test integration');
      const res = await fetch(`${origin}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: integration.clientId, client_secret: integration.clientSecret }).toString(),
      });
      if (res.status !== 200) throw new Error(`test integration token: ${res.status} ${await res.text()}`);
      return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
    },
    async close() {
      await app.close();
      try {
        await checkOneAuditEventPerRequest(platform, requests);
      } finally {
        await platform.close();
        await dropDatabase();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Fails the test file when any request it made left no AuditEvent, or more than one: the audit
 * trail's promise (src/access/audit) checked over the whole suite, not only in its own tests.
 */
async function checkOneAuditEventPerRequest(platform: Platform, requests: Map<string, number>): Promise<void> {
  if (requests.size === 0) return;
  const events = new Map<string, number>();
  // The request id is a column of the audit table (audit-record.ts), as it is an entity of the rendered AuditEvent.
  const rows = await platform.db.query<{ request_id: string }>('SELECT request_id FROM audit_event WHERE request_id IS NOT NULL');
  for (const { request_id: id } of rows.rows) events.set(id, (events.get(id) ?? 0) + 1);
  const wrong = [...requests].filter(([id, n]) => events.get(id) !== n).map(([id, n]) => `${id}: ${n} request(s), ${events.get(id) ?? 0} AuditEvent(s)`);
  if (wrong.length > 0) throw new Error(`Requests without exactly one AuditEvent each (${wrong.length} of ${requests.size}): ${wrong.slice(0, 5).join('; ')}`);
}

export const TEST_ORG_ID = 'test-integration-org';
const defaultHeaders = new WeakMap<FastifyInstance, Record<string, string>>();

/** Registers the test integration: a system client of TEST_ORG_ID with every system/ scope. */
async function registerIntegration(platform: Platform): Promise<{ clientId: string; clientSecret: string }> {
  await platform.resources.update('Organization', TEST_ORG_ID, { resourceType: 'Organization', id: TEST_ORG_ID, name: 'Test integration' });
  const directoryWrites = directoryTypes().map((t) => `system/${t}.cud`).join(' ');
  const { clientId, clientSecret } = await identityFor(platform).clients.register({ organizationId: TEST_ORG_ID, scope: `system/*.cruds ${directoryWrites}`, name: 'Test integration' });
  return { clientId, clientSecret: clientSecret! };
}

/** The token endpoint's answer to a client-credentials grant, in-process (optionally asking for `scope`). */
export function clientCredentials(app: FastifyInstance, c: { clientId: string; clientSecret: string }, scope?: string) {
  return app.inject({
    method: 'POST', url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, ...(scope ? { scope } : {}) }).toString(),
  });
}

/** A system client's Authorization header, from the real token endpoint. */
export async function clientToken(app: FastifyInstance, c: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await clientCredentials(app, c);
  if (res.statusCode !== 200) throw new Error(`client credentials token: ${res.statusCode} ${res.body}`);
  return `Bearer ${res.json().access_token}`;
}

/**
 * A FHIR request through the server in-process; the body is sent as application/fhir+json, with
 * the test integration's token unless `headers` give another Authorization (or `authorization: ''`
 * for none at all).
 */
export async function fhir(app: FastifyInstance, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const all: Record<string, string> = { 'content-type': 'application/fhir+json', ...defaultHeaders.get(app), ...headers };
  if (all.authorization === '') delete all.authorization;
  const res = await app.inject({
    method: method as 'GET',
    url: url.startsWith('/') ? url : `/fhir/R4/${url}`,
    headers: all,
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let json: any;
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: json, text: res.body };
}

/**
 * Writes a new resource the way the platform itself does, past the client-facing rules (for
 * fixtures of types no client may write, such as AuditEvent, or to forge data in tamper tests).
 */
export async function writeAsPlatform(platform: Platform, resource: Resource & { id: string }): Promise<void> {
  const { repo } = platform.resources;
  const [rid] = await repo.allocateRids(1);
  const done = await repo.write(platform.db, [platform.resources.version(rid, resource, 1, undefined, 'POST')]);
  if (!done.has(rid)) throw new Error(`${resource.resourceType}/${resource.id} already exists`);
}
