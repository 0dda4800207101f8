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
    // Three sends to one recipient (twenty from one network) within the hour, then waits that double.
    this.recipients = new FailureLimiter({ free: 2, baseDelay: 60, maxDelay: 3600, window: 3600 }, clock);
    this.networks = new FailureLimiter({ free: 19, baseDelay: 60, maxDelay: 3600, window: 3600 }, clock);
  }

  /** Seconds to wait before sending to `recipient` from `ip`; 0 means go ahead (and the send is counted). */
  take(recipient: string, ip: string): number {
    const keys: Array<[FailureLimiter, string]> = [
      [this.recipients, sha256(recipient)],
      [this.networks, addressKey(ip)],
    ];
    const wait = Math.max(...keys.map(([limiter, key]) => limiter.retryAfter(key)));
    if (wait > 0) return Math.ceil(wait);
    for (const [limiter, key] of keys) limiter.fail(key);
    return 0;
  }
}
