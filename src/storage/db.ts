/**
 * The SQLite database: WAL, foreign keys, busy timeout, synchronous=FULL, migrations,
 * and a group commit for writes that must survive a crash.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { MIGRATIONS_DIR } from '../paths.js';
import * as schema from './schema.js';

export type Orm = BetterSQLite3Database<typeof schema>;

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

/**
 * Batches writes queued in the same turn of the event loop into one transaction, so one
 * fsync covers them all: each caller's promise settles only once its write is durable.
 * Each write runs in its own savepoint, so one failing write does not undo the others.
 */
export class GroupCommit {
  private queue: Array<{ write: () => unknown; resolve: (value: any) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  /** Number of commits and writes so far (for benchmarks and tests). */
  readonly stats = { commits: 0, writes: 0 };

  constructor(private readonly sqlite: Sqlite.Database) {}

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit everything queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.sqlite.transaction(() => {
        for (const { write } of batch) {
          try {
            outcomes.push({ ok: true, value: this.sqlite.transaction(write)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    this.stats.commits++;
    this.stats.writes += batch.length;
    batch.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    });
  }
}

export class Database {
  readonly orm: Orm;
  /** Writes that must not be lost or come back after a crash go through here. */
  readonly durable: GroupCommit;

  constructor(readonly sqlite: Sqlite.Database) {
    this.orm = drizzle(sqlite, { schema });
    this.durable = new GroupCommit(sqlite);
  }

  /** Flush pending writes and close the file. */
  close(): void {
    if (!this.sqlite.open) return;
    this.durable.flush();
    this.sqlite.close();
  }
}

/** Open (creating if needed) the SQLite database at `file`. */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Sqlite(file);
  if (file !== ':memory:') chmodSync(file, 0o600); // hashes and personal data: owner only
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before we answer, so a consumed code or rotated refresh
  // token cannot come back after power loss. GroupCommit keeps the fsync count low.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Database(sqlite);
  if (options.migrate !== false) migrateDatabase(db);
  return db;
}

/** Apply the drizzle-kit migrations in db/. */
export function migrateDatabase(db: Database): void {
  migrate(db.orm, { migrationsFolder: MIGRATIONS_DIR });
}
