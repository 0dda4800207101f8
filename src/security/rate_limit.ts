/**
 * Failed-attempt limits with exponential backoff, per key (an address, an account, a
 * client). After `free` failures inside the window each further failure doubles the wait, up
 * to `maxDelay`; after `maxFailures` the key waits until the window has passed without a
 * failure. Success clears the key; everything expires after the window.
 *
 * The arithmetic is here once (`waitOf`, `afterFailure`); the counts live in memory for one
 * process (FailureLimiter, MemoryCounters) or in the database, shared by every node
 * (the Store's `limits`), behind one interface: Counters.
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

/** A limit with the name its counts are kept under. */
export interface Limit extends LimitOptions {
  name: string;
}

/** A key counted against a limit. */
export interface Counted {
  limit: Limit;
  key: string;
}

/** A key's failures so far. */
export interface Entry {
  failures: number;
  lastFailure: number;
}

/** Seconds a key with `entry` must still wait at `now` (0: go ahead). */
export function waitOf(entry: Entry | undefined, options: LimitOptions, now: number): number {
  if (!entry || now - entry.lastFailure > options.window) return 0;
  if (options.maxFailures !== undefined && entry.failures >= options.maxFailures) return entry.lastFailure + options.window + 1 - now;
  const over = entry.failures - options.free;
  const delay = over > 0 ? Math.min(options.maxDelay, options.baseDelay * 2 ** (over - 1)) : 0;
  return Math.max(0, entry.lastFailure + delay - now);
}

/** The entry after one more failure at `now` (a run older than the window starts again). */
export function afterFailure(entry: Entry | undefined, options: LimitOptions, now: number): Entry {
  const fresh = !entry || now - entry.lastFailure > options.window;
  return { failures: fresh ? 1 : entry.failures + 1, lastFailure: now };
}

/**
 * Counts of failures, kept where every node that serves an installation sees them. Each
 * call is one atomic step: of parallel takes (on any node), each sees the others' counts.
 */
export interface Counters {
  /**
   * Seconds the longest waiting of `check` must still wait; when none must, count a failure
   * on each of `count` (before the check it stands for, so parallel guesses get no more
   * checks than serial ones) and return 0.
   */
  take(check: Counted[], count: Counted[]): Promise<number>;
  /** The wait of `check` without counting anything, and which of them have failures on record. */
  peek(check: Counted[]): Promise<{ wait: number; known: Counted[] }>;
  /** Take back one counted failure (a guess counted in advance turned out right). */
  forgive(counted: Counted): Promise<void>;
  /** Forget a key's failures (a success ends the run). */
  clear(counted: Counted): Promise<void>;
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
    const now = this.clock();
    if (entry && now - entry.lastFailure > this.options.window) this.entries.delete(key);
    return waitOf(entry, this.options, now);
  }

  /** Whether the key has failures on record. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Count a failure (or an attempt counted before its outcome is known: see forgive). */
  fail(key: string): void {
    const now = this.clock();
    const entry = afterFailure(this.entries.get(key), this.options, now);
    this.entries.delete(key); // re-inserted last: the map stays in order of last failure
    this.entries.set(key, entry);
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

/** Counters in this process's memory: for one process (the SQLite store), where nothing needs sharing. */
export class MemoryCounters implements Counters {
  private readonly limiters = new Map<string, FailureLimiter>();

  constructor(private readonly clock: () => number) {}

  private limiter(limit: Limit): FailureLimiter {
    let limiter = this.limiters.get(limit.name);
    if (!limiter) this.limiters.set(limit.name, (limiter = new FailureLimiter(limit, this.clock)));
    return limiter;
  }

  private waitFor(check: Counted[]): number {
    return Math.max(0, ...check.map(({ limit, key }) => this.limiter(limit).retryAfter(key)));
  }

  async take(check: Counted[], count: Counted[]): Promise<number> {
    const wait = this.waitFor(check);
    if (wait === 0) for (const { limit, key } of count) this.limiter(limit).fail(key);
    return wait;
  }

  async peek(check: Counted[]): Promise<{ wait: number; known: Counted[] }> {
    return { wait: this.waitFor(check), known: check.filter(({ limit, key }) => this.limiter(limit).has(key)) };
  }

  async forgive({ limit, key }: Counted): Promise<void> {
    this.limiter(limit).forgive(key);
  }

  async clear({ limit, key }: Counted): Promise<void> {
    this.limiter(limit).succeed(key);
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
