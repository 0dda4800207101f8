/**
 * Codes sent to a person (by email or text message) for one attempt: six digits, stored
 * as a keyed hash bound to the attempt and the purpose, compared in constant time.
 */
import { randomInt } from 'node:crypto';
import type { Masks } from '../context.js';
import type { LoginLink } from '../model.js';
import { constantTimeEqual } from '../security/secrets.js';

/** Six digits, easy to type from a phone. */
export const newCode = (): string => String(randomInt(0, 1_000_000)).padStart(6, '0');

export const codeHash = (masks: Masks, purpose: LoginLink['purpose'], attemptId: string, code: string): string => masks.keyed.hash(`${attemptId}\0${code}`, `${purpose}-code`);

/** Does the typed code match the pending one's? Constant time, also when there is none. */
export function codeMatches(masks: Masks, pending: LoginLink | undefined, purpose: LoginLink['purpose'], attemptId: string, code: string): boolean {
  const typed = codeHash(masks, purpose, attemptId, code.replace(/\s+/g, ''));
  return constantTimeEqual(typed, pending?.codeHash ?? codeHash(masks, purpose, attemptId, '\0none')) && pending !== undefined;
}
