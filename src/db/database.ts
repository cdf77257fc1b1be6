/**
 * One small interface over the PostgreSQL back ends: a PostgreSQL server through `pg` (the embedded
 * one in ONESTORY_DATA_DIR by default, or DATABASE_URL's) and PGlite (ONESTORY_EMBEDDED=pglite).
 * Everything above this file writes plain PostgreSQL SQL.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Run it as a named prepared statement (PostgreSQL server), so its plan is made once per
   * connection, not on every call. Only for hot statements of a fixed shape (one SQL text for many
   * values): each distinct text stays prepared on every connection that ran it. PGlite ignores it.
   */
  prepare?: boolean;
}

export interface Queryable {
  query<R = any>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements separated by semicolons, without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  /** The embedded database's directory; with PGlite, 'memory://' for a throwaway in-memory one. */
  dataDir?: string;
  /** Without databaseUrl: the embedded PostgreSQL server (default) or PGlite. */
  embedded?: 'postgres' | 'pglite';
  /**
   * The embedded PostgreSQL's owner: 'serve' (`start`: owns the cluster and tells commands how to
   * reach it), 'command' (uses the running server's database if there is one), 'own' (owns it, alone).
   */
  mode?: 'serve' | 'command' | 'own';
  poolSize?: number;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { openPostgres } = await import('./postgres.database.js');
    return openPostgres(options.databaseUrl, options.poolSize);
  }
  if (options.embedded === 'postgres' && options.dataDir && !options.dataDir.startsWith('memory://')) {
    const { openEmbeddedPostgres } = await import('./embedded.database.js');
    return openEmbeddedPostgres(options.dataDir, { mode: options.mode, poolSize: options.poolSize });
  }
  const { openPglite } = await import('./pglite.database.js');
  return openPglite(options.dataDir ?? 'memory://');
}
