/**
 * GET/POST /logout: OpenID Connect RP-Initiated Logout 1.0. It signs out at once and
 * returns to the client only when the id_token_hint names this browser's session (its
 * person and its `sid`) and the post_logout_redirect_uri is registered for the hint's
 * client: anyone else's token, an old session's, or none at all gets a confirmation page
 * (a POST with a CSRF token), and masks redirects only to a registered URI.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { verifyIdTokenHint } from '../oauth/id_token_hint.js';
import { Params } from '../oauth/params.js';
import { hasUnsafeCharacters } from '../oauth/redirect_uris.js';
import { subjectFor } from '../oauth/subjects.js';
import type { Client } from '../model.js';
import type { Session } from '../model.js';
import { cookieNames, deviceIdFromCookie, hostCookie, internalCookie, singleCookie } from './cookies.js';
import { csrfOk, csrfToken } from './csrf.js';
import { liveSession } from '../signin/sessions.js';
import { renderMessage, renderPage } from './render.js';

/** A verified id_token_hint and the client it was issued to. */
interface Hint {
  client: Client;
  sub: string;
  sid: string | undefined;
}

async function verifiedHint(masks: Masks, hint: string | undefined): Promise<Hint | undefined> {
  if (!hint) return undefined;
  try {
    const claims = await verifyIdTokenHint(masks, hint);
    const client = await masks.store.clients.find(claims.aud);
    return client && { client, sub: claims.sub, sid: claims.sid };
  } catch {
    return undefined;
  }
}

/** Was the hint issued in this very session, to its person? */
async function namesSession(masks: Masks, hint: Hint, session: Session): Promise<boolean> {
  if (hint.sid !== session.id) return false;
  const actor = await masks.store.actors.find(session.actorId);
  return actor !== undefined && subjectFor(masks, hint.client, actor) === hint.sub;
}

/** post_logout_redirect_uri, only when registered for the client exactly (with state appended). */
function returnUrl(client: Client | undefined, uri: string | undefined, state: string | undefined): string | undefined {
  if (!client || !uri || hasUnsafeCharacters(uri) || !URL.canParse(uri) || !client.postLogoutRedirectUris.includes(uri)) return undefined;
  const url = new URL(uri);
  if (state !== undefined) url.searchParams.set('state', state);
  return url.toString();
}

/** This browser's live session, on whatever device. */
const sessionOf = (masks: Masks, request: FastifyRequest) => liveSession(masks, singleCookie(request, cookieNames(masks).session), undefined, masks.clock());

/** End this browser's session server-side and clear masks' cookies. */
async function signOut(masks: Masks, session: Session | undefined, reply: FastifyReply) {
  if (session) await masks.store.signIns.endSession(session.hash, session.id, masks.clock());
  const names = cookieNames(masks);
  reply.clearCookie(names.session, hostCookie(masks, undefined));
  reply.clearCookie(names.internal, internalCookie(masks, 0));
}

export function logoutRoutes(pages: FastifyInstance, masks: Masks) {
  pages.get('/logout', async (request, reply) => {
    const params = new Params(request.query);
    const state = params.get('state');
    const uri = params.get('post_logout_redirect_uri');
    const hint = await verifiedHint(masks, params.get('id_token_hint'));
    const client = hint?.client;
    const target = returnUrl(client, uri, state);
    const session = await sessionOf(masks, request);
    if (hint && target && (!session || (await namesSession(masks, hint, session)))) {
      await signOut(masks, session, reply);
      return reply.redirect(target);
    }
    const deviceId = deviceIdFromCookie(masks, request);
    if (!deviceId) {
      await signOut(masks, session, reply);
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
    await signOut(masks, await sessionOf(masks, request), reply);
    const clientId = params.get('client_id');
    const target = returnUrl(clientId && clientId.length <= 255 ? await masks.store.clients.find(clientId) : undefined, params.get('post_logout_redirect_uri'), params.get('state'));
    if (target) return reply.redirect(target, 303);
    return renderMessage(masks, reply, 'Signed out', 'You are signed out of masks on this device.', 200);
  });
}
