import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { clusterUrl, readCredentials, startCluster } from '../db/embedded-postgres.js';
import { migrate } from '../db/migrate.js';
import { openPostgres } from '../db/postgres.database.js';

/**
 * Once per test run and project: the PostgreSQL server the project's test files use, and on it a
 * migrated template database that createTestPlatform copies for each file (CREATE DATABASE …
 * TEMPLATE: a file copy, much cheaper than running every migration again in every file).
 * Project 'embedded': a throwaway embedded cluster (fsync off). Project 'postgres': TEST_DATABASE_URL.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const backend = project.config.env?.ONESTORY_TEST_DB;
  if (backend !== 'embedded' && backend !== 'postgres') return async () => undefined;
  let admin: string;
  let stop = async () => undefined as void;
  if (backend === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'onestory-test-pg-'));
    chmodSync(dir, 0o711); // run as root, the cluster's postgres user must pass through it
    const cluster = await startCluster(dir, { durability: 'throwaway', maxConnections: 300 });
    admin = clusterUrl(readCredentials(join(dir, 'pg')), cluster.port, 'postgres');
    stop = async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    admin = process.env.TEST_DATABASE_URL!;
  }
  const template = `onestory_template_${process.pid}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${template}`);
  await c.query(`CREATE DATABASE ${template}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${template}`;
  const db = await openPostgres(url.toString(), 1);
  try {
    await migrate(db);
  } finally {
    // A template may have no open connection when it is copied.
    await db.close();
  }
  project.provide('testDatabaseUrl', admin);
  project.provide('testTemplate', template);
  return async () => {
    if (backend === 'postgres') {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await d.end();
    }
    await stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of the project's PostgreSQL server (its `postgres` database). */
    testDatabaseUrl: string;
    /** The migrated template each test file's database is created from. */
    testTemplate: string;
  }
}
