/**
 * The password rule, one for every way an actor gets a password (seeds, the first manager,
 * the CLI) and for sign-in: length in code points of the NFKC-normalised password (what is
 * hashed), between passwords.min_chars and passwords.max_chars.
 */
import type { Config } from '../config/schema.js';
import { normalisePassword } from '../factors/password.js';
import { randomToken } from '../security/secrets.js';

export type PasswordRule = Pick<Config['passwords'], 'min_chars' | 'max_chars'>;

/** How long a password is for the rule: code points after NFKC (an emoji counts once). */
export const passwordLength = (password: string): number => [...normalisePassword(password)].length;

/** Why this password breaks the rule, for the person who chose it; undefined when it is fine. */
export function passwordProblem(rule: PasswordRule, password: string): string | undefined {
  const length = passwordLength(password);
  if (length < rule.min_chars) return `the password is shorter than passwords.min_chars (${rule.min_chars})`;
  if (length > rule.max_chars) return `the password is longer than passwords.max_chars (${rule.max_chars})`;
  // A browser's password field cannot hold line breaks or other control characters: nobody could type it.
  if (/\p{Cc}/u.test(password)) return 'the password holds a control character (a line break, a tab, ...), which nobody can type in a password field';
  return undefined;
}

/** A random password that keeps the rule: 24 base64url characters (144 bits) unless the rule says otherwise. */
export function generatePassword(rule: PasswordRule): string {
  const length = Math.min(Math.max(24, rule.min_chars), rule.max_chars);
  return randomToken(Math.ceil((length * 3) / 4)).slice(0, length);
}
