/**
 * Who is signed in on this browser for an internal client (the management client, the
 * account page, apps behind forward-auth): the internal cookie, an opaque reference checked
 * on every request. A cookie issued for one internal client counts for another only if that
 * client's checks would pass now without asking anything.
 */
import type { FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import type { Actor, Client } from '../model.js';
import { silentOutcome } from '../signin/core.js';
import { browserOf, cookieNames, singleCookie } from './cookies.js';

export interface Signed {
  actor: Actor;
  /** The client the cookie was issued for. */
  client: Client;
  sub: string;
  /** The session it was issued in. */
  sid: string | null;
  expiresAt: number;
}

/** The actor behind this browser's internal cookie, if it is live and they are not disabled. */
export async function signedIn(masks: Masks, request: FastifyRequest): Promise<Signed | undefined> {
  const value = singleCookie(request, cookieNames(masks).internal);
  if (!value || value.length > 200) return undefined;
  const row = await masks.store.tokens.live(value, ['internal_token'], masks.clock());
  if (!row?.actorId || row.sub === null) return undefined;
  const [actor, client] = await Promise.all([masks.store.actors.find(row.actorId), masks.store.clients.find(row.clientId)]);
  if (!actor || !client || actor.disabledAt !== null) return undefined;
  return { actor, client, sub: row.sub, sid: row.sid, expiresAt: row.expiresAt };
}

/** ok: signed in and let in; prompt: nobody signed in (a sign-in may help); deny: signed in, and no sign-in will help. */
export type Admission = { status: 'ok'; signed: Signed } | { status: 'prompt'; signed?: Signed } | { status: 'deny'; signed: Signed };

/** Is someone (`signed`, as signedIn found them) signed in for `client` on this browser, holding every scope it requires? */
export async function admit(masks: Masks, request: FastifyRequest, client: Client, signed: Signed | undefined): Promise<Admission> {
  if (!signed) return { status: 'prompt' };
  const outcome = client.id === signed.client.id ? 'pass' : await silentOutcome(masks, browserOf(masks, request), client, signed.actor.id);
  if (outcome === 'prompt') return { status: 'prompt', signed };
  const allowed = outcome === 'pass' && client.settings.scopes.required.every((scope) => signed.actor.scopes.includes(scope));
  return allowed ? { status: 'ok', signed } : { status: 'deny', signed };
}
