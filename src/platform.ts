import { registerPolicyTables } from './access/policy/index.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { loadDefinitions } from './fhir/definitions.js';
import { ResourceService } from './fhir/resource.service.js';

/** The running platform's parts, built once at start and handed to the HTTP layer and the CLI. */
export interface Platform {
  config: Config;
  db: Database;
  resources: ResourceService;
  close(): Promise<void>;
}

export async function createPlatform(config: Config, db?: Database): Promise<Platform> {
  loadDefinitions();
  // Care relationships, sharing objections and proxy grants are kept in step with every write.
  registerPolicyTables();
  const database = db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  await migrate(database);
  return {
    config,
    db: database,
    resources: new ResourceService(database),
    close: () => database.close(),
  };
}
