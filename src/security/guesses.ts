/**
 * Limits on guessing credentials at sign-in (NIST SP 800-63B 5.2.2: rate limiting of failed attempts).
 *
 * - A guess is counted *before* its slow check, in one atomic step of the counters (shared
 *   by every node on PostgreSQL), so a burst of parallel guesses, on one node or spread over
 *   several, gets no more checks than one after another; a guess that turns out right is
 *   taken back.
 * - Accounts are keyed by actor (every identifier of a person shares one count); a name
 *   that is no one's is keyed by its hash, so it is limited the same way (no enumeration)
 *   and keys stay small whatever was typed.
 * - Addresses are keyed per IPv4 address or IPv6 /64.
 * - A stranger's failures cannot lock the person out: on a device where the actor has
 *   signed in before, only that device's own failures for that actor make it wait.
 *   Elsewhere the address and the account's shared count apply: backoff, and after 100
 *   failures in a row (wherever they happened) new devices wait a day; a known device
 *   waits a day after 100 of its own.
 * - Codes (TOTP, backup, emailed login codes) are counted apart, per actor on every
 *   device and per address: knowing the password (which may clear the password counts)
 *   gives no fresh code guesses, and only a right code ends a run of wrong ones.
 */
import { sha256 } from './secrets.js';
import { addressKey, type Counted, type Counters, type Limit } from './rate_limit.js';

/** Who is guessing, as far as masks can tell before checking the guess. */
export interface Guesser {
  ip: string;
  /** The actor the identifier names, if any. */
  actorId: string | undefined;
  /** The normalised identifier that was typed. */
  identifier: string;
  /** Whether the actor has signed in on this device before (then the device's id). */
  knownDevice: string | undefined;
}

const deviceKey = (actorId: string, deviceId: string) => `${actorId} ${deviceId}`;

/** `settle` records the outcome (it never fails: if the counters do not answer, the guess simply stays counted). */
export type Guess = { wait: number } | { wait: 0; settle(correct: boolean): Promise<void> };

/** What is guessed: a password, or a code (second factors, emailed login codes). */
export type Secret = 'password' | 'code';

const LIMITS = {
  codes: { name: 'guess.code', free: 5, baseDelay: 2, maxDelay: 900, window: 86_400, maxFailures: 100 },
  addresses: { name: 'guess.address', free: 5, baseDelay: 2, maxDelay: 900, window: 3600 },
  accounts: { name: 'guess.account', free: 5, baseDelay: 2, maxDelay: 900, window: 86_400, maxFailures: 100 },
  devices: { name: 'guess.device', free: 5, baseDelay: 2, maxDelay: 900, window: 86_400, maxFailures: 100 },
} satisfies Record<string, Limit>;

const on = (limit: Limit, key: string): Counted => ({ limit, key });

export class GuessLimits {
  constructor(private readonly counters: Counters) {}

  /**
   * What a guess must wait for (`check`) and what it counts against (`count`). On a known
   * device only the device's own count is checked, but its failures also count against the
   * account, so every failure on an account is in its run of at most 100.
   */
  private keys(who: Guesser, secret: Secret): { check: Counted[]; count: Counted[] } {
    if (secret === 'code') {
      const keys = [on(LIMITS.addresses, addressKey(who.ip)), on(LIMITS.codes, who.actorId ?? `unknown ${sha256(who.identifier)}`)];
      return { check: keys, count: keys };
    }
    if (who.actorId && who.knownDevice) {
      const device = on(LIMITS.devices, deviceKey(who.actorId, who.knownDevice));
      return { check: [device], count: [device, on(LIMITS.accounts, who.actorId)] };
    }
    const account = who.actorId ?? `unknown ${sha256(who.identifier)}`;
    const keys = [on(LIMITS.addresses, addressKey(who.ip)), on(LIMITS.accounts, account)];
    return { check: keys, count: keys };
  }

  /**
   * Count a guess before it is checked: `{ wait }` when it must not be checked now
   * (nothing counted), else `settle(correct)` once the check is done.
   */
  async begin(who: Guesser, secret: Secret = 'password'): Promise<Guess> {
    const { check, count } = this.keys(who, secret);
    const wait = await this.counters.take(check, count);
    if (wait > 0) return { wait };
    return {
      wait: 0,
      settle: (correct) => (correct ? this.succeeded(who, secret, count).catch(() => {}) : Promise.resolve()),
    };
  }

  /**
   * A success ends the run of failures of the account (wherever they came from) and of the
   * device; the address keeps the failures it made, less the one counted for this guess.
   */
  private async succeeded(who: Guesser, secret: Secret, count: Counted[]): Promise<void> {
    for (const counted of count) if (counted.limit === LIMITS.addresses) await this.counters.forgive(counted);
    if (!who.actorId) return;
    if (secret === 'code') return this.counters.clear(on(LIMITS.codes, who.actorId));
    await this.counters.clear(on(LIMITS.accounts, who.actorId));
    if (who.knownDevice) await this.counters.clear(on(LIMITS.devices, deviceKey(who.actorId, who.knownDevice)));
  }
}
