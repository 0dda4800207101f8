/**
 * Opening the store a configuration names: `db_url` is an SQLite file (the embedded
 * default) or a postgres:// URL (PostgreSQL, for several nodes).
 */
import { isPostgresUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openPgStore } from './postgres/store.js';
import { openSqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Apply pending migrations (default: unless `skip_migrations`). */
  migrate?: boolean;
  clock: () => number;
}

export async function openStore(config: Config, options: OpenStoreOptions): Promise<Store> {
  const settings = { migrate: options.migrate ?? !config.skip_migrations, clientDefaults: config.clients, clock: options.clock };
  return isPostgresUrl(config.db_url) ? openPgStore(config.db_url, settings) : openSqliteStore(config.db_url, settings);
}
