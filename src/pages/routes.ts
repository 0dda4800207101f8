/**
 * The browser-facing routes: /authorize (and /authorize/:client_id for internal clients),
 * the sign-in and consent pages, logout, and their assets. Errors become pages or
 * redirects to a verified redirect_uri in one place (errors.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { PageError, RedirectError } from '../errors.js';
import { internalReturnTo, parseAuthorizationRequest, requireClient, siteOf, type AuthorizationRequest } from '../oauth/authorization_request.js';
import { OAuthError } from '../oauth/errors.js';
import { verifyIdTokenHint } from '../oauth/id_token_hint.js';
import { Params } from '../oauth/params.js';
import { PACKAGE_ROOT } from '../paths.js';
import { browserOf } from './cookies.js';
import { theme } from './render.js';
import { pageBasics } from './plugin.js';
import { replyWith } from './steps.js';
import { begin } from '../signin/core.js';
import { logoutRoutes } from './logout.js';
import { signInRoutes } from './sign_in.js';

const CSS = readFileSync(path.join(PACKAGE_ROOT, 'assets', 'masks.css'));
const WEBAUTHN_JS = readFileSync(path.join(PACKAGE_ROOT, 'assets', 'webauthn.js'));

async function authorize(masks: Masks, request: FastifyRequest, reply: FastifyReply, source: unknown) {
  const { client, request: authRequest } = await parseAuthorizationRequest(masks, new Params(source));
  if (authRequest.idTokenHint) {
    try {
      authRequest.hintSub = (await verifyIdTokenHint(masks, authRequest.idTokenHint, client.id)).sub;
    } catch {
      throw new RedirectError(new OAuthError('invalid_request', 'id_token_hint is not an ID token masks issued to this client'), authRequest.redirectUri, authRequest.state);
    }
  }
  return replyWith(masks, reply, await begin(masks, browserOf(masks, request), client, authRequest));
}

export function pageRoutes(app: FastifyInstance, masks: Masks) {
  app.register(async (pages) => {
    await pageBasics(pages, masks);

    logoutRoutes(pages, masks);
    pages.get('/authorize', (request, reply) => authorize(masks, request, reply, request.query));
    pages.post('/authorize', (request, reply) => authorize(masks, request, reply, request.body));

    pages.get<{ Params: { client_id: string } }>('/authorize/:client_id', async (request, reply) => {
      const client = await requireClient(masks, request.params.client_id);
      if (client.type !== 'internal') throw new PageError('Invalid sign-in link', 'This application signs in with OAuth; use its own sign-in button.');
      const params = new Params(request.query);
      const returnTo = internalReturnTo(client, params, siteOf(masks));
      // prompt=login: prove a credential again even when signed in (/account asks it before a factor change).
      const prompt: AuthorizationRequest['prompt'] = params.get('prompt') === 'login' ? ['login'] : [];
      const internalRequest: AuthorizationRequest = { clientId: client.id, redirectUri: returnTo, scope: client.settings.scopes.allowed, prompt, returnTo };
      return replyWith(masks, reply, await begin(masks, browserOf(masks, request), client, internalRequest));
    });

    signInRoutes(pages, masks);
  });

  app.get('/assets/masks.css', (_request, reply) => reply.headers({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }).send(CSS));
  app.get('/assets/webauthn.js', (_request, reply) => reply.headers({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }).send(WEBAUTHN_JS));
  app.get<{ Querystring: { client?: string } }>('/assets/theme.css', async (request, reply) => {
    const client = typeof request.query.client === 'string' && request.query.client.length <= 255 ? await masks.store.clients.find(request.query.client) : undefined;
    const { light, dark } = theme(masks, client);
    const css = `${light ? `:root { --bg: ${light}; }\n` : ''}${dark ? `@media (prefers-color-scheme: dark) { :root { --bg: ${dark}; } }\n` : ''}`;
    return reply.headers({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=300' }).send(css);
  });
}
