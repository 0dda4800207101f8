/** id_token_hint (OIDC Core 3.1.2.1, RP-Initiated Logout 2): an ID token masks signed, of any age. */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Masks } from '../context.js';

/** The hint's claims when masks signed it (expired is fine); throws otherwise. */
export async function verifyIdTokenHint(masks: Masks, hint: string, audience?: string): Promise<JWTPayload & { sub: string; aud: string }> {
  const { payload } = await jwtVerify(hint, createLocalJWKSet(JSON.parse(masks.keys.jwks())), {
    issuer: masks.config.url,
    ...(audience ? { audience } : {}),
    clockTolerance: Number.MAX_SAFE_INTEGER,
  });
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (typeof payload.sub !== 'string' || typeof aud !== 'string') throw new Error('an ID token has sub and aud');
  return { ...payload, sub: payload.sub, aud };
}
