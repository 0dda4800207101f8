/**
 * The SQLite database: WAL, foreign keys, busy timeout, migrations; reads and writes on this
 * thread, writes through the DurableWriter (group commit, the log synced off the event loop).
 */
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { ConfigError } from '../../errors.js';
import { MIGRATIONS_DIR } from '../../paths.js';
import * as schema from './schema.js';
import { DurableWriter } from './durable.js';
import { configureConnection } from './writes.js';

export type Orm = BetterSQLite3Database<typeof schema>;

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Where the migrations are (tests upgrade from older ones). */
  migrationsFolder?: string;
}

export class Database {
  readonly orm: Orm;
  /** Writes that must not be lost or come back after a crash go through here. */
  readonly durable: DurableWriter;

  constructor(
    readonly sqlite: Sqlite.Database,
    file: string,
  ) {
    this.orm = drizzle(sqlite, { schema });
    this.durable = DurableWriter.for(sqlite, file);
  }

  /** Wait for pending durable writes, then close the file. */
  async close(): Promise<void> {
    await this.durable.close();
    if (this.sqlite.open) this.sqlite.close();
  }
}

/** Open (creating if needed) the SQLite database at `file`. */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Sqlite(file);
  if (file !== ':memory:') chmodSync(file, 0o600); // hashes and personal data: owner only
  configureConnection(sqlite);
  const folder = options.migrationsFolder ?? MIGRATIONS_DIR;
  try {
    if (options.migrate !== false) applyMigrations(sqlite, folder);
    else refusePending(sqlite, file, folder);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return new Database(sqlite, file);
}

/** Without migrating (skip_migrations), a database that is behind stops the boot saying what to do, not with a query error later. */
function refusePending(sqlite: Sqlite.Database, file: string, folder: string): void {
  const total = (JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;
  const tracked = sqlite.prepare("select count(*) from sqlite_master where type = 'table' and name = '__drizzle_migrations'").pluck().get() === 1;
  const applied = tracked ? (sqlite.prepare('select count(*) from __drizzle_migrations').pluck().get() as number) : 0;
  if (applied < total) throw new ConfigError(`the database ${file} needs migrating (${applied} of ${total} migrations applied): run \`masks migrate\`, or unset MASKS_SKIP_MIGRATIONS`);
}

/**
 * Apply pending migrations the way SQLite asks for table rebuilds: foreign keys off
 * outside the transaction (inside one the pragma does nothing, and dropping a parent table
 * would cascade into its children), then a foreign_key_check, then on again.
 */
function applyMigrations(sqlite: Sqlite.Database, migrationsFolder: string): void {
  sqlite.pragma('foreign_keys = OFF');
  try {
    migrate(drizzle(sqlite, { schema }), { migrationsFolder });
    const broken = sqlite.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`the migrated database breaks ${broken.length} foreign key reference(s)`);
  } finally {
    sqlite.pragma('foreign_keys = ON');
  }
}

