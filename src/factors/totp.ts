/**
 * TOTP (RFC 6238) as every authenticator app reads it: SHA-1, 6 digits, 30-second steps,
 * a secret of 20 random bytes. A code is accepted one step either side of now; the store
 * refuses a step at or before the last one used, so a code is good once (RFC 6238 5.2).
 */
import { Secret, TOTP } from 'otpauth';
import { renderSVG } from 'uqr';

export const TOTP_PERIOD = 30;
const DIGITS = 6;

/** A new secret, base32 (what the otpauth:// URI and manual entry carry). */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

const totp = (secret: string, issuer = '', label = '') => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD, issuer, label });

/** The otpauth://totp/ URI an authenticator app takes (by QR code or link). */
export const totpUri = (secret: string, issuer: string, label: string): string => totp(secret, issuer, label).toString();

/** The QR code of `text` as an SVG document (made here: no outside service sees the secret). */
export const qrSvg = (text: string): string => renderSVG(text, { border: 2, ecc: 'M' });

/** Does the code match a step within one of `now`? Returns the step it matches. */
export function matchTotp(secret: string, code: string, now: number): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totp(secret).validate({ token, timestamp: now * 1000, window: 1 });
  return delta === null ? undefined : Math.floor(now / TOTP_PERIOD) + delta;
}

/** The code for a time (tests, and nothing else, compute codes). */
export const totpCode = (secret: string, now: number): string => totp(secret).generate({ timestamp: now * 1000 });
