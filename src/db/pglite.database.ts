import { mkdirSync } from 'node:fs';
import { PGlite, types } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { acquireDataDirLock } from './data-dir.lock.js';
import type { Database, Queryable, QueryResult } from './database.js';

// Values come back the way `pg` returns them, so code above never branches on the back end:
// bigint and numeric as strings (no precision loss), timestamps as Date.
const parsers = {
  [types.INT8]: (v: string) => v,
  [types.NUMERIC]: (v: string) => v,
};

export async function openPglite(dataDir: string): Promise<Database> {
  let release = () => undefined as void;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    // Before opening: a second process on the same directory would silently overwrite the first's writes.
    release = acquireDataDirLock(dataDir);
  }
  let db: PGlite;
  try {
    // btree_gist: migration 002 indexes date ranges with it.
    db = await PGlite.create(dataDir, { parsers, extensions: { btree_gist } });
  } catch (err) {
    release();
    throw err;
  }
  const wrap = (q: Pick<PGlite, 'query'>): Queryable => ({
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const res = await q.query<R>(sql, params as any[]);
      return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
    },
  });
  const base = wrap(db);
  return {
    kind: 'pglite',
    query: base.query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: async () => {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
}
