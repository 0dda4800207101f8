/**
 * Everything a running masks needs, opened once: configuration, database, stores, keys.
 * `openMasks` is what `masks start` and the tests call; `buildApp` takes the result.
 */
import path from 'node:path';
import type { Config } from './config/schema.js';
import { KeyStore } from './keys/keystore.js';
import { FailureLimiter } from './security/rate_limit.js';
import { Keyed, loadInstallationSecret } from './security/secrets.js';
import { Actors } from './storage/actors.js';
import { Clients } from './storage/clients.js';
import { openDatabase, type Database } from './storage/db.js';
import { Settings } from './storage/settings.js';
import { SignIns } from './storage/sign_in.js';
import { Tokens } from './storage/tokens.js';

export interface Masks {
  config: Config;
  db: Database;
  clients: Clients;
  actors: Actors;
  tokens: Tokens;
  settings: Settings;
  signIns: SignIns;
  keys: KeyStore;
  /** Keyed hashing with the installation secret. */
  keyed: Keyed;
  /** Failed client authentications, per address and per client. */
  clientFailures: FailureLimiter;
  /** Failed sign-ins, per address and per account. */
  signInFailures: FailureLimiter;
  /** Unix seconds; replaced by a fake clock in tests. */
  clock: () => number;
  /** Wait for pending durable writes and close the database. */
  close(): Promise<void>;
}

export interface OpenOptions {
  clock?: () => number;
  /** Apply migrations (default: unless `skip_migrations`). */
  migrate?: boolean;
}

export const systemClock = () => Math.floor(Date.now() / 1000);

/** The installation secret sits beside the private key. */
export const secretFileFor = (config: Config) => path.join(path.dirname(config.private_key), 'secret.key');

export async function openMasks(config: Config, options: OpenOptions = {}): Promise<Masks> {
  const clock = options.clock ?? systemClock;
  const db = openDatabase(config.db_url, { migrate: options.migrate ?? !config.skip_migrations });
  try {
    const keys = await KeyStore.open(config.private_key, db, clock);
    return {
      config,
      db,
      clients: new Clients(db, config.clients, clock),
      actors: new Actors(db, clock),
      tokens: new Tokens(db),
      settings: new Settings(db, clock),
      signIns: new SignIns(db),
      keys,
      keyed: new Keyed(loadInstallationSecret(secretFileFor(config))),
      clientFailures: new FailureLimiter({ free: 10, baseDelay: 1, maxDelay: 300, window: 900 }, clock),
      signInFailures: new FailureLimiter({ free: 5, baseDelay: 2, maxDelay: 900, window: 3600 }, clock),
      clock,
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
