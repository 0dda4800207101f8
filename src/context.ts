/**
 * Everything a running masks needs, opened once: configuration, the store, keys, limits and
 * the ports for side effects. `openMasks` is what `masks start`, the CLI and the tests call;
 * `buildApp` takes the result.
 */
import path from 'node:path';
import type { Config } from './config/schema.js';
import { KeyStore } from './keys/keystore.js';
import { GuessLimits } from './security/guesses.js';
import { SendLimits } from './security/sends.js';
import { Keyed, loadInstallationSecret } from './security/secrets.js';
import { Sealer } from './security/sealing.js';
import { openMailer } from './delivery/mailer.js';
import { openSmsSender } from './delivery/sms.js';
import { silentLog, type Log, type Mailer, type SmsSender } from './ports.js';
import { openStore } from './storage/index.js';
import { Metrics, NO_METRICS, type Observer } from './metrics.js';
import type { Store } from './storage/store.js';

export interface Masks {
  config: Config;
  /** Every read and write of stored data. */
  store: Store;
  keys: KeyStore;
  /** Sends email (login links and codes, verification codes). */
  mailer: Mailer;
  /** Sends text messages (SMS codes). */
  sms: SmsSender;
  /** Where services note what they did (the app's logger once it is built; silent before). */
  log: Log;
  /** Keyed hashing with the installation secret. */
  keyed: Keyed;
  /** Encryption of what must be read back (TOTP secrets), keyed from the installation secret. */
  sealer: Sealer;
  /** Guesses at sign-in, per address, account and known device. */
  guesses: GuessLimits;
  /** Emails (and text messages) sent, per recipient and network. */
  sends: SendLimits;
  /** Prometheus metrics when metrics.enabled (src/metrics.ts), else a no-op. */
  observe: Observer;
  /** Unix seconds; replaced by a fake clock in tests. */
  clock: () => number;
  /** Wait for pending writes and close the store. */
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
  const store = await openStore(config, { ...(options.migrate !== undefined ? { migrate: options.migrate } : {}), clock });
  try {
    const keys = await KeyStore.open(config.private_key, store.signingKeys, clock);
    const secret = loadInstallationSecret(secretFileFor(config));
    return {
      config,
      store,
      keys,
      mailer: openMailer(config),
      sms: openSmsSender(config),
      log: silentLog,
      keyed: new Keyed(secret),
      sealer: new Sealer(secret),
      guesses: new GuessLimits(store.limits),
      sends: new SendLimits(store.limits),
      observe: config.metrics.enabled ? new Metrics(store) : NO_METRICS,
      clock,
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Expired tokens and sessions are kept a day (so replays are still recognised), then deleted. */
const KEEP_EXPIRED_FOR = 86_400;

/** Delete what has expired: attempts at once, tokens and sessions after a day, devices whose cookie has expired, events after their retention. */
export function sweep(masks: Masks): Promise<number> {
  const now = masks.clock();
  return masks.store.sweep({ now, before: now - KEEP_EXPIRED_FOR, devicesBefore: now - masks.config.lifetimes.device, eventsBefore: now - masks.config.events.retention });
}
