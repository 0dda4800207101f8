/**
 * GET/POST /logout: the pages of RP-Initiated Logout (the decisions are the sign-in core's,
 * src/signin/logout.ts): a redirect to a registered URI, a confirmation page (a POST with a
 * CSRF token), or a page saying the browser is signed out.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Masks } from '../context.js';
import { Params } from '../oauth/params.js';
import { confirmLogout, logoutWithoutConfirmation, requestLogout, type SignedOut } from '../signin/logout.js';
import { cookieNames, deviceIdFromCookie, hostCookie, internalCookie, singleCookie } from './cookies.js';
import { csrfOk, csrfToken } from './csrf.js';
import { renderMessage, renderPage } from './render.js';

/** Signed out: clear masks' cookies, then go back to the client or say so. */
function signedOut(masks: Masks, reply: FastifyReply, step: SignedOut) {
  const names = cookieNames(masks);
  reply.clearCookie(names.session, hostCookie(masks, undefined));
  reply.clearCookie(names.internal, internalCookie(masks, 0));
  if (step.location) return reply.redirect(step.location);
  return renderMessage(masks, reply, 'Signed out', 'You are signed out of masks on this device.', 200);
}

export function logoutRoutes(pages: FastifyInstance, masks: Masks) {
  const sessionCookie = (request: Parameters<typeof singleCookie>[0]) => singleCookie(request, cookieNames(masks).session);

  pages.get('/logout', async (request, reply) => {
    const params = new Params(request.query);
    const asked = { idTokenHint: params.get('id_token_hint'), postLogoutRedirectUri: params.get('post_logout_redirect_uri'), state: params.get('state'), clientId: params.get('client_id') };
    const step = await requestLogout(masks, { sessionCookie: sessionCookie(request), deviceId: deviceIdFromCookie(masks, request) }, asked);
    if (step.kind === 'signed-out') return signedOut(masks, reply, step);
    const deviceId = deviceIdFromCookie(masks, request);
    if (!deviceId) return signedOut(masks, reply, await logoutWithoutConfirmation(masks, sessionCookie(request)));
    return renderPage(masks, reply, 'logout', {
      title: 'Sign out?',
      csrf: csrfToken(masks, deviceId, 'logout'),
      state: asked.state,
      postLogoutRedirectUri: asked.postLogoutRedirectUri,
      clientId: step.clientId,
    });
  });

  pages.post('/logout', async (request, reply) => {
    const params = new Params(request.body);
    if (!csrfOk(masks, request, deviceIdFromCookie(masks, request), 'logout', params.get('csrf'))) {
      return renderMessage(masks, reply, 'Form expired', 'This sign-out form is no longer valid. Reload the page and try again.', 403);
    }
    const step = await confirmLogout(masks, { sessionCookie: sessionCookie(request), deviceId: deviceIdFromCookie(masks, request) }, { postLogoutRedirectUri: params.get('post_logout_redirect_uri'), state: params.get('state'), clientId: params.get('client_id') });
    return signedOut(masks, reply, step);
  });
}
