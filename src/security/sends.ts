/**
 * Limits on sending (login links and codes by email, codes by SMS): per address, so nobody's
 * inbox can be flooded, and per network, so one client cannot spray many addresses. Every
 * send counts; after the free ones each further send doubles the wait. Counted where every
 * node sees it (Counters).
 */
import { addressKey, type Counted, type Counters, type Limit } from './rate_limit.js';
import { sha256 } from './secrets.js';

// At most three sends to one recipient, and twenty from one network, within an hour of the last.
const RECIPIENTS: Limit = { name: 'send.recipient', free: 3, baseDelay: 3600, maxDelay: 3600, window: 3600, maxFailures: 3 };
const NETWORKS: Limit = { name: 'send.network', free: 20, baseDelay: 3600, maxDelay: 3600, window: 3600, maxFailures: 20 };

export class SendLimits {
  constructor(private readonly counters: Counters) {}

  /** Seconds to wait before sending to `recipients` (an address; a number and its owner) from `ip`; 0 means go ahead (and the send is counted). */
  async take(recipients: string | string[], ip: string): Promise<number> {
    const keys: Counted[] = [...[recipients].flat().map((recipient) => ({ limit: RECIPIENTS, key: sha256(recipient) })), { limit: NETWORKS, key: addressKey(ip) }];
    return Math.ceil(await this.counters.take(keys, keys));
  }
}
