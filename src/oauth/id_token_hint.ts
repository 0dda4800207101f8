/**
 * id_token_hint (OIDC Core 3.1.2.1, RP-Initiated Logout 2): an ID token masks signed, of
 * any age. Only an ID token will do: a JWT access token (`typ: at+jwt`, RFC 9068) or any
 * other typed JWT masks signed is refused, at /authorize and /logout alike.
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Masks } from '../context.js';

/** The `typ` values an ID token may carry: none (what masks signs) or plain JWT. */
const ID_TOKEN_TYPES = new Set([undefined, 'JWT', 'jwt', 'application/jwt']);

export type IdTokenHint = JWTPayload & { sub: string; aud: string; sid?: string };

/** The hint's claims when masks signed it as an ID token (expired is fine); throws otherwise. */
export async function verifyIdTokenHint(masks: Masks, hint: string, audience?: string): Promise<IdTokenHint> {
  const { payload, protectedHeader } = await jwtVerify(hint, createLocalJWKSet(JSON.parse(masks.keys.jwks())), {
    issuer: masks.config.url,
    ...(audience ? { audience } : {}),
    clockTolerance: Number.MAX_SAFE_INTEGER,
  });
  if (!ID_TOKEN_TYPES.has(protectedHeader.typ)) throw new Error('id_token_hint must be an ID token');
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (typeof payload.sub !== 'string' || typeof aud !== 'string' || typeof payload.auth_time !== 'number') throw new Error('an ID token has sub, aud and auth_time');
  const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
  return { ...payload, sub: payload.sub, aud, ...(sid !== undefined ? { sid } : {}) };
}
