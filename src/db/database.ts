/**
 * One small interface over the two PostgreSQL back ends: embedded PGlite (the default) and a
 * PostgreSQL server through `pg`. Everything above this file writes plain PostgreSQL SQL.
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
  /** PGlite data directory; 'memory://' for a throwaway in-memory database. */
  dataDir?: string;
  poolSize?: number;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { openPostgres } = await import('./postgres.database.js');
    return openPostgres(options.databaseUrl, options.poolSize);
  }
  const { openPglite } = await import('./pglite.database.js');
  return openPglite(options.dataDir ?? 'memory://');
}
