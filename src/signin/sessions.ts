/**
 * Sessions with masks: the live one of a browser (from the SHA-256 of its cookie), and what
 * a finished sign-in does to it: a fresh credential always makes a new session (new id, no
 * fixation) and ends the old one; otherwise the existing session carries on (SSO).
 */
import { randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import { randomToken, sha256 } from '../security/secrets.js';
import type { Session } from '../model.js';
import type { Finish, NewSession } from '../storage/store.js';
import { FACTORS } from './factors.js';

/** The live session a cookie points at: not ended, expired or idle too long; on `deviceId` when given. */
export async function liveSession(masks: Masks, cookie: string | undefined, deviceId: string | undefined, now: number): Promise<Session | undefined> {
  if (!cookie) return undefined;
  const session = await masks.store.signIns.session(sha256(cookie));
  if (!session || session.endedAt !== null || session.expiresAt <= now || now - session.lastSeenAt > masks.config.lifetimes.session_idle) return undefined;
  if (deviceId !== undefined && session.deviceId !== deviceId) return undefined;
  return session;
}

export interface SessionPlan {
  /** The session id (the `sid` claim). */
  id: string;
  authTime: number;
  amr: string[];
  /** A new session cookie to set, when a new session begins. */
  cookie?: string;
  writes: Pick<Finish, 'touch' | 'end' | 'create'>;
}

export async function planSession(
  masks: Masks,
  existing: Session | undefined,
  sign: { actorId: string; deviceId: string; authTime: number; amr: string[]; fresh: boolean; now: number },
): Promise<SessionPlan> {
  if (existing && !sign.fresh && existing.actorId === sign.actorId) {
    return { id: existing.id, authTime: existing.authTime, amr: existing.amr, writes: { touch: existing.hash } };
  }
  const cookie = randomToken();
  const id = randomUUID();
  const lifetime = masks.config.lifetimes.session ?? (await longestRemembered(masks));
  const create: NewSession = { hash: sha256(cookie), id, actorId: sign.actorId, deviceId: sign.deviceId, authTime: sign.authTime, amr: sign.amr, expiresAt: sign.now + lifetime };
  return { id, authTime: sign.authTime, amr: sign.amr, cookie, writes: { create, ...(existing ? { end: { hash: existing.hash, sid: existing.id } } : {}) } };
}

/** Without lifetimes.session, a session lives (server-side) as long as the longest remembered password. */
async function longestRemembered(masks: Masks): Promise<number> {
  const setting = FACTORS.password.remembered;
  return Math.max(masks.config.clients[setting], ...(await masks.store.clients.list()).map((c) => c.settings[setting]));
}
