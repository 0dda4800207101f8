/**
 * Everything a running masks needs, opened once: configuration, database, stores, keys.
 * `openMasks` is what `masks start` and the tests call; `buildApp` takes the result.
 */
import path from 'node:path';
import type { Config } from './config/schema.js';
import { KeyStore } from './keys/keystore.js';
import { GuessLimits } from './security/guesses.js';
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
  /** Guesses at sign-in, per address, account and known device. */
  guesses: GuessLimits;
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
      guesses: new GuessLimits(clock),
      clock,
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Expired tokens and sessions are kept a day (so replays are still recognised), then deleted. */
const KEEP_EXPIRED_FOR = 86_400;

/** Delete what has expired: attempts at once, tokens and sessions after a day, devices whose cookie has expired. */
export function sweep(masks: Masks): Promise<number> {
  const now = masks.clock();
  return masks.tokens.deleteExpired({ now, before: now - KEEP_EXPIRED_FOR, devicesBefore: now - masks.config.lifetimes.device });
}
