/**
 * The SQLite store: one file, WAL, one connection on the serving thread for reads and
 * writes, every write a named command committed with group commit (durable.ts).
 */
import { chmodSync } from 'node:fs';
import type { ClientSettings } from '../../config/schema.js';
import { MemoryCounters } from '../../security/rate_limit.js';
import type { Store } from '../store.js';
import { SqliteActors } from './actors.js';
import { SqliteClients } from './clients.js';
import { openDatabase, type OpenOptions } from './db.js';
import { SqliteEvents } from './events.js';
import { exportAll } from './export_all.js';
import { SqliteFactors } from './factors.js';
import { SqliteSettings } from './settings.js';
import { SqliteSignIns } from './sign_in.js';
import { SqliteSigningKeys } from './signing_keys.js';
import { SqliteTokens } from './tokens.js';

export interface SqliteStoreOptions extends OpenOptions {
  /** The `clients.*` defaults every client's overrides apply to. */
  clientDefaults: ClientSettings;
  clock: () => number;
}

export function openSqliteStore(file: string, options: SqliteStoreOptions): Store {
  const db = openDatabase(file, options);
  const ping = db.sqlite.prepare('select 1');
  return {
    clients: new SqliteClients(db, options.clientDefaults, options.clock),
    actors: new SqliteActors(db, options.clock),
    tokens: new SqliteTokens(db),
    signIns: new SqliteSignIns(db),
    factors: new SqliteFactors(db),
    signingKeys: new SqliteSigningKeys(db),
    settings: new SqliteSettings(db),
    events: new SqliteEvents(db),
    // One process serves an SQLite file: its counts need no sharing, and memory is the fastest place for them.
    limits: new MemoryCounters(options.clock),
    sweep: (args) => db.durable.sweep(args),
    // One process serves an SQLite file: nothing else to take turns with.
    exclusively: (_name, task) => task(),
    ping: async () => void ping.get(),
    stats: () => ({ ...db.durable.stats }),
    exportAll: async () => exportAll(db),
    importAll: (data, now) => db.durable.run('importAll', { data, now }),
    backup: async (file) => {
      // SQLite's online backup: a consistent snapshot, page by page, while writers go on.
      await db.sqlite.backup(file);
      chmodSync(file, 0o600);
    },
    close: () => db.close(),
  };
}
