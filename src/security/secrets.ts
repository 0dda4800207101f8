/**
 * Random values, hashes and constant-time comparison. Token and code secrets are stored
 * as SHA-256 hashes; client secrets as HMAC-SHA-256 keyed with the installation secret.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Random bytes are drawn from the CSPRNG in 4 KiB blocks (one call per 128 tokens, not one each). */
let pool = Buffer.alloc(0);
let offset = 0;

/** A 256-bit random value, base64url (43 characters). */
export function randomToken(bytes = 32): string {
  if (offset + bytes > pool.length) {
    pool = randomBytes(Math.max(4096, bytes));
    offset = 0;
  }
  const value = pool.subarray(offset, offset + bytes);
  offset += bytes;
  const text = value.toString('base64url');
  value.fill(0); // what was handed out does not stay in memory
  return text;
}

/** SHA-256 of a token as handed out, base64url: how tokens and codes are looked up. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** Compare two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

/** Keyed hashing with the installation secret (client secrets, pairwise subjects). */
export class Keyed {
  constructor(private readonly key: Buffer) {}

  /** HMAC-SHA-256 of `value` under a purpose label, base64url. */
  hash(value: string, purpose = 'client-secret'): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${value}`).digest('base64url');
  }

  /** Does `value` hash to `stored`? Constant time, also when `stored` is missing. */
  verify(value: string, stored: string | null | undefined, purpose = 'client-secret'): boolean {
    const computed = Buffer.from(this.hash(value, purpose));
    const expected = Buffer.from(stored ?? this.hash('\0no stored secret', purpose));
    return computed.length === expected.length && timingSafeEqual(computed, expected) && stored != null;
  }
}

/** Write a file readable only by its owner, atomically (temporary file, then rename). */
export function writePrivateFile(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** The installation secret: 256 random bits kept in a 0600 file beside the private key. */
export function loadInstallationSecret(file: string): Buffer {
  if (!existsSync(file)) writePrivateFile(file, `${randomBytes(32).toString('hex')}\n`);
  const hex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64,}$/i.test(hex)) throw new Error(`${file} does not hold a hex secret of at least 256 bits`);
  return Buffer.from(hex, 'hex');
}
