/**
 * Limits on sending (login links and codes by email; SMS next): per address, so nobody's
 * inbox can be flooded, and per network, so one client cannot spray many addresses. Every
 * send counts; after the free ones each further send doubles the wait.
 */
import { addressKey, FailureLimiter } from './rate_limit.js';
import { sha256 } from './secrets.js';

export class SendLimits {
  private readonly recipients: FailureLimiter;
  private readonly networks: FailureLimiter;

  constructor(clock: () => number) {
    // At most three sends to one recipient, and twenty from one network, within an hour of the last.
    this.recipients = new FailureLimiter({ free: 3, baseDelay: 3600, maxDelay: 3600, window: 3600, maxFailures: 3 }, clock);
    this.networks = new FailureLimiter({ free: 20, baseDelay: 3600, maxDelay: 3600, window: 3600, maxFailures: 20 }, clock);
  }

  /** Seconds to wait before sending to `recipients` (an address; a number and its owner) from `ip`; 0 means go ahead (and the send is counted). */
  take(recipients: string | string[], ip: string): number {
    const keys: Array<[FailureLimiter, string]> = [
      ...[recipients].flat().map((recipient): [FailureLimiter, string] => [this.recipients, sha256(recipient)]),
      [this.networks, addressKey(ip)],
    ];
    const wait = Math.max(...keys.map(([limiter, key]) => limiter.retryAfter(key)));
    if (wait > 0) return Math.ceil(wait);
    for (const [limiter, key] of keys) limiter.fail(key);
    return 0;
  }
}
