/**
 * Passwords: argon2id (OWASP parameters), NFKC-normalised the same way when set and
 * when checked, hashed off the event loop with bounded concurrency.
 */
import { availableParallelism } from 'node:os';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { Busy } from '../errors.js';

export const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Normalise a password before hashing or checking it. */
export const normalisePassword = (password: string): string => password.normalize('NFKC');

/** A counting semaphore; waiters beyond `maxQueue` are refused at once. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueue: number,
  ) {}

  /** Running now and waiting for a slot (metrics). */
  get state(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }

  /** Run `task` when a slot is free; throws `Busy` when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.maxQueue) throw new Busy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}


const hashing = new Semaphore(Math.max(1, availableParallelism()), 64);

/** The password-hashing queue now (metrics). */
export const passwordQueue = () => hashing.state;

export function hashPassword(password: string): Promise<string> {
  return hashing.run(() => hash(normalisePassword(password), ARGON2_OPTIONS));
}

/** A hash of a random password, verified against when the account does not exist (same timing). */
let dummyHash: Promise<string> | undefined;

/** Check a password against a stored hash; with no hash, spends the same time and says no. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  const target = stored ?? (await (dummyHash ??= hashPassword('masks dummy password for timing')));
  const ok = await hashing.run(() => verify(target, normalisePassword(password)).catch(() => false));
  return ok && stored != null;
}

/** Does the stored hash use older parameters than ARGON2_OPTIONS (rehash at sign-in)? */
export function needsRehash(stored: string): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (!match) return true;
  return Number(match[1]) < ARGON2_OPTIONS.memoryCost || Number(match[2]) < ARGON2_OPTIONS.timeCost;
}
