/**
 * Who calls the management API: a bearer access token whose scopes include masks:manage
 * (a client's, by client_credentials, whose client still allows that scope; or a person's,
 * who must still hold it), or the management UI's own session with its CSRF header.
 */
import type { FastifyRequest } from 'fastify';
import { byActor, byClient, type Who } from '../audit/events.js';
import { MANAGE_SCOPE } from '../bootstrap.js';
import { MANAGEMENT_CLIENT_ID } from '../clients/service.js';
import type { Masks } from '../context.js';
import { admit, signedIn } from '../pages/signed_in.js';
import { constantTimeEqual } from '../security/secrets.js';
import { Problem } from './problem.js';

/** Who is managing, and what they hold: a manager cannot give anyone (themselves included) more. */
export interface Manager {
  kind: 'actor' | 'client';
  id: string;
  /** The scopes they hold (an actor's) or were granted (a client's token). */
  scopes: string[];
  who: Who;
}

/** The header the management UI's session must send with every change. */
export const CSRF_HEADER = 'x-csrf-token';
export const manageCsrfToken = (masks: Masks, sid: string): string => masks.keyed.hash(sid, 'manage-csrf');

const unauthorised = (detail: string, error?: string) =>
  new Problem(401, 'Unauthorized', detail, { headers: { 'www-authenticate': `Bearer realm="masks"${error ? `, error="${error}"` : ''}` } });
const insufficient = (detail: string) => new Problem(403, 'Forbidden', detail, { headers: { 'www-authenticate': `Bearer realm="masks", error="insufficient_scope", scope="${MANAGE_SCOPE}"` } });

async function byBearer(masks: Masks, request: FastifyRequest, header: string): Promise<Manager> {
  const match = /^Bearer +([\x21-\x7E]{1,4096})$/i.exec(header);
  if (!match) throw unauthorised('The Authorization header must be "Bearer <access token>".', 'invalid_request');
  const token = await masks.store.tokens.live(match[1]!, ['access_token'], masks.clock());
  if (!token) throw unauthorised('The access token is invalid, expired or revoked.', 'invalid_token');
  const scopes = token.scope.split(' ').filter(Boolean);
  if (!scopes.includes(MANAGE_SCOPE)) throw insufficient(`The access token lacks the ${MANAGE_SCOPE} scope.`);
  if (token.actorId) {
    const actor = await masks.store.actors.find(token.actorId);
    if (!actor || actor.disabledAt !== null || !actor.scopes.includes(MANAGE_SCOPE)) throw insufficient(`The token's actor no longer holds ${MANAGE_SCOPE}.`);
    // A token carries no more of its actor's masks: powers than it was granted.
    const powers = actor.scopes.filter((scope) => !scope.startsWith('masks:') || scopes.includes(scope));
    return { kind: 'actor', id: actor.id, scopes: powers, who: byActor(actor.id, request.ip) };
  }
  const client = await masks.store.clients.find(token.clientId);
  if (!client || !client.settings.scopes.allowed.includes(MANAGE_SCOPE)) throw insufficient(`The token's client is no longer allowed ${MANAGE_SCOPE}.`);
  return { kind: 'client', id: client.id, scopes, who: byClient(client.id, request.ip) };
}

/** The /manage session behind a request: the manager and their session id, or why not (prompt: nobody signed in; deny: not a manager). */
export async function sessionManager(masks: Masks, request: FastifyRequest): Promise<{ manager: Manager; sid: string } | 'prompt' | 'deny'> {
  const manage = await masks.store.clients.find(MANAGEMENT_CLIENT_ID);
  const signed = await signedIn(masks, request);
  const admission = manage ? await admit(masks, request, manage, signed) : undefined;
  if (!admission || admission.status === 'prompt') return 'prompt';
  const { actor, sid } = admission.signed;
  if (admission.status === 'deny' || !sid) return 'deny';
  return { manager: { kind: 'actor', id: actor.id, scopes: actor.scopes, who: byActor(actor.id, request.ip) }, sid };
}

/** A change made with the management session must carry its page's CSRF token. */
export function csrfMatches(masks: Masks, sid: string, sent: unknown): boolean {
  return typeof sent === 'string' && constantTimeEqual(sent, manageCsrfToken(masks, sid));
}

async function bySession(masks: Masks, request: FastifyRequest): Promise<Manager> {
  const found = await sessionManager(masks, request);
  if (found === 'prompt') throw unauthorised('Send a bearer access token with the masks:manage scope, or sign in at /manage.');
  if (found === 'deny') throw insufficient(`The signed-in actor does not hold ${MANAGE_SCOPE}.`);
  const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
  if (unsafe && !csrfMatches(masks, found.sid, request.headers[CSRF_HEADER])) {
    throw new Problem(403, 'Forbidden', `A change made with the management session needs the ${CSRF_HEADER} header of its page.`);
  }
  return found.manager;
}

export function authorise(masks: Masks, request: FastifyRequest): Promise<Manager> {
  const header = request.headers.authorization;
  return header !== undefined ? byBearer(masks, request, header) : bySession(masks, request);
}

/** masks' own powers (masks:*) can be given only by someone who holds them. */
export function ensureCanGrant(manager: Manager, scopes: string[]): void {
  const beyond = scopes.filter((scope) => scope.startsWith('masks:') && !manager.scopes.includes(scope));
  if (beyond.length > 0) throw new Problem(403, 'Forbidden', `You cannot give what you do not hold: ${beyond.join(', ')}.`);
}
