/**
 * The PostgreSQL store: for installations that outgrow one process, or want a second node.
 * Every node of an installation opens the same database; each command is one transaction,
 * durable once committed.
 */
import type { ClientSettings } from '../../config/schema.js';
import { InputError } from '../../errors.js';
import type { Store } from '../store.js';
import { commands } from './commands.js';
import { LOCKS, openPgDatabase, type PgOptions } from './db.js';
import { exportAll, importAll } from './portable.js';
import { PgCounters } from './limits.js';
import { PgSignIns } from './sign_in.js';
import { PgActors, PgClients, PgEvents, PgFactors, PgSettings, PgSigningKeys, PgTokens } from './stores.js';

export interface PgStoreOptions extends PgOptions {
  clientDefaults: ClientSettings;
  clock: () => number;
}

export async function openPgStore(url: string, options: PgStoreOptions): Promise<Store> {
  const db = await openPgDatabase(url, options);
  const write = commands(db);
  return {
    clients: new PgClients(db, write, options.clientDefaults, options.clock),
    actors: new PgActors(db, write, options.clock),
    tokens: new PgTokens(db, write),
    signIns: new PgSignIns(db, write),
    factors: new PgFactors(db, write),
    signingKeys: new PgSigningKeys(db, write),
    settings: new PgSettings(db, write),
    events: new PgEvents(db, write),
    limits: new PgCounters(db, options.clock),
    // Every node sweeps on its timer; one at a time does the work, the others find it taken and skip.
    sweep: async (args) => (await db.once(LOCKS.sweep, () => write.deleteExpired(args))) ?? 0,
    exclusively: (name, task) => db.exclusively(LOCKS[name], task),
    ping: async () => void (await db.pool.query('select 1')),
    stats: () => ({ ...db.stats }),
    exportAll: () => exportAll(db),
    importAll: (data, now) => importAll(db, data, now),
    backup: async () => {
      throw new InputError('masks backup copies an SQLite database; back up PostgreSQL with its own tools (pg_dump, or continuous archiving), and the key files beside it');
    },
    close: () => db.close(),
  };
}
