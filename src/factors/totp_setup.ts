/**
 * Setting up an authenticator app, wherever it happens (inside a sign-in, or at /account):
 * a new secret sealed into the setup form, bound to what it is set up for (an attempt, an
 * /account session) and the actor, good for 15 minutes; the code from the app confirms it.
 */
import { randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import type { Actor } from '../model.js';
import { newTotpSecret, qrSvg, totpUri } from './totp.js';

/** How long a TOTP setup page stays good for. */
const SETUP_LIFETIME = 900;
export const sealedSecret = (actorId: string, authenticatorId: string) => `${actorId} ${authenticatorId}`;
const setupBinding = (binding: string, actorId: string) => `${binding} ${actorId}`;

/** A TOTP setup in progress: a new secret, sealed into the form so that only what it is bound to (and the actor) can confirm it. */
export interface TotpSetup {
  sealed: string;
  secret: string;
  /** The otpauth://totp/ URI and its QR code (SVG). */
  uri: string;
  qr: string;
}

/** Open a setup sealed into a form (undefined when forged, expired or bound to something else), or start a new one. */
export function totpSetup(masks: Masks, binding: string, actor: Actor, sealed?: string): TotpSetup {
  const open = sealed ? openSetup(masks, binding, actor.id, sealed) : undefined;
  if (sealed && open) return describe(masks, actor, open.secret, sealed);
  const payload = { id: randomUUID(), secret: newTotpSecret(), until: masks.clock() + SETUP_LIFETIME };
  return describe(masks, actor, payload.secret, masks.sealer.seal('totp-setup', setupBinding(binding, actor.id), JSON.stringify(payload)));
}

function describe(masks: Masks, actor: Actor, secret: string, sealed: string): TotpSetup {
  const uri = totpUri(secret, masks.config.name, actor.nickname ?? actor.emails[0]?.address ?? actor.id);
  return { sealed, secret, uri, qr: qrSvg(uri) };
}

export function openSetup(masks: Masks, binding: string, actorId: string, sealed: string): { id: string; secret: string } | undefined {
  const opened = masks.sealer.open('totp-setup', setupBinding(binding, actorId), sealed);
  const payload = opened ? (JSON.parse(opened) as { id: string; secret: string; until: number }) : undefined;
  return payload && payload.until > masks.clock() ? payload : undefined;
}

/** The name a person typed for an authenticator: one line, at most 64 characters, else `fallback`. */
export const nameOf = (typed: string, fallback: string) => typed.normalize('NFC').replace(/\p{Cc}/gu, '').trim().slice(0, 64) || fallback;
