/**
 * Backup codes: a set of single-use codes shown once, for when the authenticator is lost.
 * 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V), about 58 bits
 * each, shown in groups of four; typed in any case, with or without the dashes. Stored as
 * keyed hashes: their entropy makes a slow hash unnecessary, and guesses are rate-limited.
 */
import { randomInt } from 'node:crypto';
import type { Keyed } from '../security/secrets.js';

const ALPHABET = '23456789ABCDEFGHJKMNPQRSTWXYZ';
const LENGTH = 12;

/** `total` new codes as shown to the person (XXXX-XXXX-XXXX). */
export function newBackupCodes(total: number): string[] {
  return Array.from({ length: total }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** What was typed, as stored: upper case, dashes and spaces dropped; undefined when it cannot be a code. */
export function normaliseBackupCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]+/g, '');
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined;
}

export const hashBackupCode = (keyed: Keyed, code: string): string => keyed.hash(normaliseBackupCode(code) ?? code, 'backup-code');
