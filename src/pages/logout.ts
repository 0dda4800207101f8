/**
 * GET/POST /logout: OpenID Connect RP-Initiated Logout 1.0. With a valid id_token_hint and
 * a registered post_logout_redirect_uri it signs out and returns to the client; otherwise
 * it asks first (a POST with a CSRF token) and redirects only to a registered URI.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { verifyIdTokenHint } from '../oauth/id_token_hint.js';
import { Params } from '../oauth/params.js';
import type { Client } from '../storage/clients.js';
import { cookieNames, deviceIdFromCookie, hostCookie, internalCookie } from './cookies.js';
import { csrfOk, csrfToken } from './csrf.js';
import { currentSession } from './flow.js';
import { renderMessage, renderPage } from './render.js';

/** The client an id_token_hint was issued to, if it is an ID token masks signed (any age). */
async function hintClient(masks: Masks, hint: string | undefined): Promise<Client | undefined> {
  if (!hint) return undefined;
  try {
    return masks.clients.find((await verifyIdTokenHint(masks, hint)).aud);
  } catch {
    return undefined;
  }
}

/** post_logout_redirect_uri, only when registered for the client exactly (with state appended). */
function returnUrl(client: Client | undefined, uri: string | undefined, state: string | undefined): string | undefined {
  if (!client || !uri || !client.postLogoutRedirectUris.includes(uri)) return undefined;
  const url = new URL(uri);
  if (state !== undefined) url.searchParams.set('state', state);
  return url.toString();
}

/** End this browser's session server-side and clear masks' cookies. */
async function signOut(masks: Masks, request: FastifyRequest, reply: FastifyReply) {
  const session = currentSession(masks, request, undefined);
  if (session) {
    await masks.db.durable.run('endSession', { hash: session.hash, sid: session.id, now: masks.clock() });
    masks.tokens.forget();
  }
  const names = cookieNames(masks);
  reply.clearCookie(names.session, hostCookie(masks, undefined));
  reply.clearCookie(names.internal, internalCookie(masks, 0));
}

export function logoutRoutes(pages: FastifyInstance, masks: Masks) {
  pages.get('/logout', async (request, reply) => {
    const params = new Params(request.query);
    const state = params.get('state');
    const uri = params.get('post_logout_redirect_uri');
    const client = await hintClient(masks, params.get('id_token_hint'));
    const target = returnUrl(client, uri, state);
    if (client && target) {
      await signOut(masks, request, reply);
      return reply.redirect(target);
    }
    const deviceId = deviceIdFromCookie(masks, request);
    if (!deviceId) {
      await signOut(masks, request, reply);
      return renderMessage(masks, reply, 'Signed out', 'You are signed out of masks on this device.', 200);
    }
    const named = params.get('client_id');
    return renderPage(masks, reply, 'logout', {
      title: 'Sign out?',
      csrf: csrfToken(masks, deviceId, 'logout'),
      state,
      postLogoutRedirectUri: uri,
      clientId: named ?? client?.id,
    });
  });

  pages.post('/logout', async (request, reply) => {
    const params = new Params(request.body);
    if (!csrfOk(masks, request, deviceIdFromCookie(masks, request), 'logout', params.get('csrf'))) {
      return renderMessage(masks, reply, 'Form expired', 'This sign-out form is no longer valid. Reload the page and try again.', 403);
    }
    await signOut(masks, request, reply);
    const clientId = params.get('client_id');
    const target = returnUrl(clientId ? masks.clients.find(clientId) : undefined, params.get('post_logout_redirect_uri'), params.get('state'));
    if (target) return reply.redirect(target, 303);
    return renderMessage(masks, reply, 'Signed out', 'You are signed out of masks on this device.', 200);
  });
}
