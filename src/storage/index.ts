/**
 * Opening the store a configuration names: `db_url` is an SQLite file today (the embedded
 * default); other databases are further implementations of the same Store.
 */
import type { Config } from '../config/schema.js';
import { openSqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Apply pending migrations (default: unless `skip_migrations`). */
  migrate?: boolean;
  clock: () => number;
}

export async function openStore(config: Config, options: OpenStoreOptions): Promise<Store> {
  return openSqliteStore(config.db_url, { migrate: options.migrate ?? !config.skip_migrations, clientDefaults: config.clients, clock: options.clock });
}
