/**
 * CSRF protection for every form: a token bound to the device (and the form's purpose)
 * plus an Origin check. Forms are only ever accepted by POST.
 */
import type { FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { constantTimeEqual } from '../security/secrets.js';

export const csrfToken = (masks: Masks, deviceId: string, purpose: string): string => masks.keyed.hash(`${deviceId}\0${purpose}`, 'csrf');

/** The Origin (or, lacking it, Referer) of a form post must be masks itself. */
function sameOrigin(masks: Masks, request: FastifyRequest): boolean {
  const expected = new URL(masks.config.url).origin;
  const origin = request.headers.origin;
  // Our pages send no referrer, so browsers post them with "Origin: null": then the token decides.
  if (origin !== undefined && origin !== 'null') return origin === expected;
  const referer = request.headers.referer;
  if (referer === undefined) return true; // no-referrer pages send neither; the token still binds the form
  try {
    return new URL(referer).origin === expected;
  } catch {
    return false;
  }
}

export function csrfOk(masks: Masks, request: FastifyRequest, deviceId: string | undefined, purpose: string, token: string | undefined): boolean {
  if (!deviceId || !token || !sameOrigin(masks, request)) return false;
  return constantTimeEqual(token, csrfToken(masks, deviceId, purpose));
}
