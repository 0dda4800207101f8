/**
 * The audit trail: what masks records of everything that matters to security, and who did
 * it. Recording never holds up the request that caused it (the write joins the next group
 * commit; reads of the trail wait for what was queued before them), and never fails it: a
 * write that fails is logged. No event ever holds a secret, a token or a code.
 */
import type { Masks } from '../context.js';

export const EVENT_TYPES = {
  'sign-in': 'A person finished signing in to a client',
  'sign-in.failed': 'A sign-in failed: a wrong password or code, or a deny (the reason says which)',
  'sign-out': 'A person signed out',
  'consent.given': 'A person allowed a client scopes',
  'consent.withdrawn': 'A person withdrew what they allowed a client',
  'password.changed': 'A password was changed (or reset by email)',
  'factor.added': 'A second factor or passkey was set up',
  'factor.removed': 'A second factor or passkey was removed',
  'backup-codes.renewed': 'A new set of backup codes replaced the old one',
  'login-link.sent': 'A login link was sent by a manager',
  'token.issued': 'The token endpoint issued tokens (the grant type says how)',
  'token.failed': 'A token request failed (the reason says why)',
  'token.revoked': 'A client revoked a token',
  'authorize.failed': 'An authorization request of a known client was refused (the reason says why)',
  'session.ended': 'A session was ended from /account or the management API',
  'device.blocked': 'A device was blocked',
  'client.created': 'A client was created',
  'client.changed': 'A client was changed (the fields are listed)',
  'client.deleted': 'A client was deleted',
  'client.secret-rotated': 'A client secret was rotated',
  'actor.created': 'An actor was created',
  'actor.changed': 'An actor was changed (the fields are listed)',
  'actor.disabled': 'An actor was disabled and signed out everywhere',
  'actor.enabled': 'A disabled actor was enabled again',
  'actor.deleted': 'An actor was deleted',
} as const;

export type EventType = keyof typeof EVENT_TYPES;

/** Who acted, and from where. */
export interface Who {
  /** `actor:<id>`, `client:<id>` or `masks`. */
  by: string;
  ip: string | null;
}

export const byActor = (id: string, ip: string | null): Who => ({ by: `actor:${id}`, ip });
export const byClient = (id: string, ip: string | null): Who => ({ by: `client:${id}`, ip });

/**
 * Failures anyone can cause (a wrong password, a broken authorization request) are kept at
 * most FAILURES_PER_MINUTE a minute per kind, client and address, so that a flood of them
 * cannot grow the trail without bound; the last one kept says so, what is beyond is dropped.
 */
const FLOODABLE: ReadonlySet<EventType> = new Set(['sign-in.failed', 'authorize.failed', 'token.failed']);
const FAILURES_PER_MINUTE = 20;
const recentOf = new WeakMap<Masks, Map<string, { since: number; count: number }>>();

/** keep it; note it and say the rest of the minute goes unrecorded; or drop it. */
function flooding(masks: Masks, type: EventType, who: Who, clientId: string | null | undefined): 'keep' | 'last' | 'drop' {
  if (!FLOODABLE.has(type)) return 'keep';
  let recent = recentOf.get(masks);
  if (!recent) recentOf.set(masks, (recent = new Map()));
  const now = masks.clock();
  const key = `${type} ${clientId ?? ''} ${who.ip ?? ''}`;
  const seen = recent.get(key);
  if (!seen || now - seen.since >= 60) {
    if (recent.size > 10_000) recent.clear();
    recent.set(key, { since: now, count: 1 });
    return 'keep';
  }
  seen.count++;
  return seen.count < FAILURES_PER_MINUTE ? 'keep' : seen.count === FAILURES_PER_MINUTE ? 'last' : 'drop';
}

/** Record an event; resolves at once (see the module comment). */
export function audit(masks: Masks, type: EventType, who: Who, about: { actorId?: string | null; clientId?: string | null }, detail: Record<string, unknown> = {}): void {
  masks.observe.event(type, detail);
  const flood = flooding(masks, type, who, about.clientId);
  if (flood === 'drop') return;
  const noted = flood === 'last' ? { ...detail, throttled: `more ${type} events from this address are not recorded until a minute has passed` } : detail;
  masks.store.events
    .append({ at: masks.clock(), type, actorId: about.actorId ?? null, clientId: about.clientId ?? null, by: who.by, ip: who.ip, detail: noted })
    .catch((error: unknown) => masks.log.error({ err: { message: (error as Error).message } }, 'could not record an audit event'));
}
