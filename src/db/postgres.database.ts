import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable, QueryOptions, QueryResult } from './database.js';

// bigint (int8) stays a string, as PGlite is configured to return it.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => v);

const MAX_PREPARED = 2_000;

export async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  // A request that cannot get a connection in time fails (503) rather than waiting for ever.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 15_000 });
  // An idle client that loses its server connection must not crash the process: the pool drops it
  // and opens a new one when next asked.
  pool.on('error', () => undefined);
  // Every connection always has an 'error' listener, whatever it is doing: checked out by pool.query
  // or a transaction, being destroyed after a failure, or idle. A server that ends connections
  // (pg_terminate_backend, a restart, a failover) can make a client emit 'error' after its
  // statement's own listener is gone (pool.query removes its own before releasing a broken client),
  // and an unheard 'error' event ends the process. The statement in flight fails by itself.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  await pool.query('SELECT 1');
  // Each distinct text stays prepared on every connection that ran it: past MAX_PREPARED texts
  // (a client inventing query shapes), new ones run unnamed, so server memory stays bounded.
  const names = new Map<string, string>();
  const nameOf = (sql: string) => {
    let n = names.get(sql);
    if (!n && names.size < MAX_PREPARED) {
      n = `os_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
      names.set(sql, n);
    }
    return n;
  };
  const wrap = (c: { query: pg.Pool['query'] }): Queryable => ({
    async query<R>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      const name = opts?.prepare ? nameOf(sql) : undefined;
      const res = name
        ? await c.query({ name, text: sql, values: params as any[] })
        : await c.query(sql, params as any[]);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
  });
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    async transaction(fn) {
      const client = await pool.connect();
      // A client checked out of the pool has no 'error' listener (the pool's own is removed while it
      // is lent out). If the server ends the connection mid-transaction (a restart, a failover,
      // pg_terminate_backend) the client emits 'error', and an unheard 'error' event ends the
      // process. The statement in flight fails by itself; this only notes that the connection is gone.
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!broken) {
          await client.query('ROLLBACK').catch((rollbackErr: Error) => {
            broken = rollbackErr;
          });
        }
        throw err;
      } finally {
        client.removeListener('error', onError);
        // A broken connection (or one whose ROLLBACK failed) is destroyed, not lent out again; the
        // pool opens a new one on demand, so service resumes by itself when the database is back.
        client.release(broken);
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
