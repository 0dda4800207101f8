/**
 * Failed-attempt limits with exponential backoff, kept in memory per key (an address, an
 * account, a client). After `free` failures inside the window each further failure doubles
 * the wait, up to `maxDelay`; after `maxFailures` the key waits until the window has passed
 * without a failure. Success clears the key; everything expires after the window.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface LimitOptions {
  /** Failures allowed before waiting starts. */
  free: number;
  /** First wait, seconds; doubles with each further failure up to `maxDelay`. */
  baseDelay: number;
  maxDelay: number;
  /** Failures are forgotten this many seconds after the last one. */
  window: number;
  /** After this many failures the key is closed until the window has passed (NIST SP 800-63B 5.2.2: at most 100). */
  maxFailures?: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
}

/**
 * Entries kept at most; past it, expired ones go, then those that make no one wait (a
 * flood of one-off failures cannot push out the count that slows a real attack), then the
 * oldest.
 */
const MAX_ENTRIES = 100_000;

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: LimitOptions,
    private readonly clock: () => number,
  ) {}

  /** Seconds the key must still wait (0: go ahead). */
  retryAfter(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    const now = this.clock();
    const { window, maxFailures } = this.options;
    if (now - entry.lastFailure > window) {
      this.entries.delete(key);
      return 0;
    }
    if (maxFailures !== undefined && entry.failures >= maxFailures) return entry.lastFailure + window + 1 - now;
    return Math.max(0, entry.lastFailure + this.delay(entry.failures) - now);
  }

  private delay(failures: number): number {
    const over = failures - this.options.free;
    return over > 0 ? Math.min(this.options.maxDelay, this.options.baseDelay * 2 ** (over - 1)) : 0;
  }

  /** Count a failure (or an attempt counted before its outcome is known: see forgive). */
  fail(key: string): void {
    const now = this.clock();
    const entry = this.entries.get(key);
    const fresh = !entry || now - entry.lastFailure > this.options.window;
    this.entries.delete(key); // re-inserted last: the map stays in order of last failure
    this.entries.set(key, { failures: fresh ? 1 : entry.failures + 1, lastFailure: now });
    if (this.entries.size > MAX_ENTRIES) this.trim(now);
  }

  /** Take back one counted failure: an attempt counted in advance turned out well. */
  forgive(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.failures <= 1) this.entries.delete(key);
    else entry.failures--;
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private trim(now: number) {
    const target = MAX_ENTRIES * 0.9;
    for (const [key, entry] of this.entries) if (now - entry.lastFailure > this.options.window) this.entries.delete(key);
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= target) return;
      if (entry.failures <= this.options.free) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= target) return;
      this.entries.delete(key);
    }
  }
}

/**
 * The key for an address: IPv4 as it is; IPv6 by its /64 (one subscriber usually holds a
 * whole /64, so single addresses would be free to rotate); IPv4-mapped IPv6 as IPv4.
 */
export function addressKey(raw: string): string {
  // A forwarded address may carry a port ("a.b.c.d:port", "[v6]:port") or brackets; a zone is dropped.
  const ip = raw.trim().replace(/^\[([^\]]+)\](?::\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  // Anything else that is no address in canonical form (leading zeros, hex, garbage) shares one key.
  if (!isIPv6(ip)) return 'not-an-address';
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
