/**
 * Failed-attempt limits with exponential backoff, kept in memory per key (an IP address,
 * an account, a client). After `free` failures inside the window each further failure
 * doubles the wait; success clears the key; everything expires after the window, so a
 * lockout never lasts forever.
 */
export interface LimitOptions {
  /** Failures allowed before waiting starts. */
  free: number;
  /** First wait, seconds; doubles with each further failure up to `maxDelay`. */
  baseDelay: number;
  maxDelay: number;
  /** Failures are forgotten this many seconds after the last one. */
  window: number;
}

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

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
    if (now - entry.lastFailure > this.options.window) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, entry.blockedUntil - now);
  }

  fail(key: string): void {
    const now = this.clock();
    const entry = this.entries.get(key);
    const fresh = !entry || now - entry.lastFailure > this.options.window;
    const failures = fresh ? 1 : entry.failures + 1;
    const over = failures - this.options.free;
    const delay = over > 0 ? Math.min(this.options.maxDelay, this.options.baseDelay * 2 ** (over - 1)) : 0;
    this.entries.set(key, { failures, blockedUntil: now + delay, lastFailure: now });
    if (this.entries.size > 100_000) this.sweep(now);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private sweep(now: number) {
    for (const [key, entry] of this.entries) if (now - entry.lastFailure > this.options.window) this.entries.delete(key);
  }
}
