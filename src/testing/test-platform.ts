import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import pg from 'pg';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { createLogger } from '../logger.js';
import { createPlatform, type Platform } from '../platform.js';
import { buildServer } from '../server.js';

export interface TestPlatform {
  platform: Platform;
  app: FastifyInstance;
  /** The back end under test: embedded PGlite or a real PostgreSQL server. */
  backend: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/**
 * A fresh, empty, migrated database and server for one test file, on the back end named by
 * ONESTORY_TEST_DB: a new in-memory PGlite, or a new database on the TEST_DATABASE_URL server.
 */
export async function createTestPlatform(): Promise<TestPlatform> {
  const backend = process.env.ONESTORY_TEST_DB === 'postgres' ? 'postgres' : 'pglite';
  const dataDir = mkdtempSync(join(tmpdir(), 'onestory-test-'));
  const config = { ...loadConfig({}), baseUrl: undefined, dataDir };
  let dropDatabase = async () => undefined as void;
  let db;
  if (backend === 'postgres') {
    const admin = process.env.TEST_DATABASE_URL;
    if (!admin) throw new Error('ONESTORY_TEST_DB=postgres needs TEST_DATABASE_URL');
    const name = `onestory_test_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
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
  await app.ready();
  return {
    platform,
    app,
    backend,
    async close() {
      await app.close();
      await platform.close();
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A FHIR request through the server in-process; the body is sent as application/fhir+json. */
export async function fhir(app: FastifyInstance, method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: method as 'GET',
    url: url.startsWith('/') ? url : `/fhir/R4/${url}`,
    headers: { 'content-type': 'application/fhir+json', ...headers },
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
