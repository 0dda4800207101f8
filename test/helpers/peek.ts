/**
 * A test's own look at what a masks stored, on either database: SQL with `?` placeholders,
 * run on the SQLite file or the PostgreSQL schema the masks uses. For arranging and
 * checking what a user cannot see (hashes at rest, rows left behind), never for the flows.
 */
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl } from '../../src/config/load.js';
import { poolConfig } from '../../src/storage/postgres/db.js';

export interface Peek {
  /** Every row. */
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** The first row. */
  get<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  /** The first column of the first row (counts come back as numbers on both). */
  value<T = unknown>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  /** The first column of every row. */
  column<T = unknown>(sql: string, ...params: unknown[]): Promise<T[]>;
  run(sql: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

const first = (row: Record<string, unknown> | undefined) => (row ? Object.values(row)[0] : undefined);

export function openPeek(dbUrl: string): Peek {
  if (isPostgresUrl(dbUrl)) {
    const pool = new pg.Pool({ ...poolConfig(dbUrl).config, max: 2 });
    const query = async (sql: string, params: unknown[]) => {
      let n = 0;
      return (await pool.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as Array<Record<string, unknown>>;
    };
    return {
      all: async (sql, ...params) => (await query(sql, params)) as never,
      get: async (sql, ...params) => (await query(sql, params))[0] as never,
      value: async (sql, ...params) => first((await query(sql, params))[0]) as never,
      column: async (sql, ...params) => (await query(sql, params)).map(first) as never,
      run: async (sql, ...params) => void (await query(sql, params)),
      close: () => pool.end(),
    };
  }
  const db = new Sqlite(dbUrl);
  db.pragma('busy_timeout = 5000');
  return {
    all: async (sql, ...params) => db.prepare(sql).all(...params) as never,
    get: async (sql, ...params) => db.prepare(sql).get(...params) as never,
    value: async (sql, ...params) => first(db.prepare(sql).get(...params) as Record<string, unknown> | undefined) as never,
    column: async (sql, ...params) => (db.prepare(sql).all(...params) as Array<Record<string, unknown>>).map(first) as never,
    run: async (sql, ...params) => {
      db.prepare(sql).run(...params);
    },
    close: async () => {
      db.close();
    },
  };
}
