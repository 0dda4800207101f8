/**
 * The SQLite database: WAL, foreign keys, busy timeout, synchronous=FULL, migrations;
 * reads on this thread, writes that must survive a crash through the DurableWriter.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
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
    this.durable = new DurableWriter(file, sqlite);
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
  if (options.migrate !== false) applyMigrations(sqlite, options.migrationsFolder ?? MIGRATIONS_DIR);
  return new Database(sqlite, file);
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

