/**
 * Limits on guessing credentials at sign-in (NIST SP 800-63B 5.2.2: rate limiting of failed attempts).
 *
 * - A guess is counted *before* its slow check, synchronously, so a burst of parallel
 *   guesses gets no more checks than one after another; a guess that turns out right is
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
import { addressKey, FailureLimiter } from './rate_limit.js';

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

export type Guess = { wait: number } | { wait: 0; settle(correct: boolean): void };

/** What is guessed: a password, or a code (second factors, emailed login codes). */
export type Secret = 'password' | 'code';

export class GuessLimits {
  private readonly addresses: FailureLimiter;
  private readonly accounts: FailureLimiter;
  private readonly devices: FailureLimiter;
  private readonly codes: FailureLimiter;

  constructor(clock: () => number) {
    this.codes = new FailureLimiter({ free: 5, baseDelay: 2, maxDelay: 900, window: 86_400, maxFailures: 100 }, clock);
    this.addresses = new FailureLimiter({ free: 5, baseDelay: 2, maxDelay: 900, window: 3600 }, clock);
    this.accounts = new FailureLimiter({ free: 5, baseDelay: 2, maxDelay: 900, window: 86_400, maxFailures: 100 }, clock);
    this.devices = new FailureLimiter({ free: 5, baseDelay: 2, maxDelay: 900, window: 86_400, maxFailures: 100 }, clock);
  }

  /**
   * What a guess must wait for (`check`) and what it counts against (`count`). On a known
   * device only the device's own count is checked, but its failures also count against the
   * account, so every failure on an account is in its run of at most 100.
   */
  private keys(who: Guesser, secret: Secret): { check: Array<[FailureLimiter, string]>; count: Array<[FailureLimiter, string]> } {
    if (secret === 'code') {
      const keys: Array<[FailureLimiter, string]> = [
        [this.addresses, addressKey(who.ip)],
        [this.codes, who.actorId ?? `unknown ${sha256(who.identifier)}`],
      ];
      return { check: keys, count: keys };
    }
    if (who.actorId && who.knownDevice) {
      const device: [FailureLimiter, string] = [this.devices, deviceKey(who.actorId, who.knownDevice)];
      return { check: [device], count: [device, [this.accounts, who.actorId]] };
    }
    const account = who.actorId ?? `unknown ${sha256(who.identifier)}`;
    const keys: Array<[FailureLimiter, string]> = [
      [this.addresses, addressKey(who.ip)],
      [this.accounts, account],
    ];
    return { check: keys, count: keys };
  }

  /**
   * Count a guess before it is checked: `{ wait }` when it must not be checked now
   * (nothing counted), else `settle(correct)` once the check is done.
   */
  begin(who: Guesser, secret: Secret = 'password'): Guess {
    const { check, count } = this.keys(who, secret);
    const wait = Math.max(...check.map(([limiter, key]) => limiter.retryAfter(key)));
    if (wait > 0) return { wait };
    for (const [limiter, key] of count) limiter.fail(key);
    return {
      wait: 0,
      settle: (correct) => {
        if (!correct) return;
        // A success ends the run of failures of the account (wherever they came from) and of
        // the device; the address keeps the failures it made.
        for (const [limiter, key] of count) if (limiter === this.addresses) limiter.forgive(key);
        if (secret === 'code') {
          if (who.actorId) this.codes.succeed(who.actorId);
          return;
        }
        if (who.actorId) this.accounts.succeed(who.actorId);
        if (who.actorId && who.knownDevice) this.devices.succeed(deviceKey(who.actorId, who.knownDevice));
      },
    };
  }
}
