/**
 * The browser-facing routes: /authorize (and /authorize/:client_id for internal clients),
 * the sign-in and consent pages, and their assets. One error handler turns PageError into
 * a page and RedirectError into a redirect to the verified redirect_uri.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Masks } from '../context.js';
import { verifyPassword, needsRehash, hashPassword, Busy } from '../factors/password.js';
import {
  clientRedirect,
  internalReturnTo,
  PageError,
  parseAuthorizationRequest,
  RedirectError,
  requireClient,
  type AuthorizationRequest,
} from '../oauth/authorization_request.js';
import { OAuthError } from '../oauth/errors.js';
import { parseForm } from '../oauth/form.js';
import { Params } from '../oauth/params.js';
import { PACKAGE_ROOT } from '../paths.js';
import { normaliseIdentifier } from '../storage/normalise.js';
import { BODY_LIMIT } from '../limits.js';
import { csrfOk, csrfToken } from './csrf.js';
import { advance, loadAttempt, redirectError, startAttempt } from './flow.js';
import { renderMessage, renderPage, theme } from './render.js';
import { describeScope } from './scopes.js';
import { logoutRoutes } from './logout.js';

const CSS = readFileSync(path.join(PACKAGE_ROOT, 'assets', 'masks.css'));

function pageErrorHandler(masks: Masks) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof PageError) return renderMessage(masks, reply, error.title, error.detail, error.status);
    if (error instanceof RedirectError) {
      return reply.redirect(clientRedirect(error.redirectUri, masks.config.url, { error: error.oauth.error, error_description: error.oauth.description, state: error.state }));
    }
    if (error instanceof Busy) return renderMessage(masks, reply.header('retry-after', '1'), 'Busy', 'masks is very busy right now. Wait a moment and try again.', 503);
    const status = (error as { statusCode?: number }).statusCode;
    if (error instanceof OAuthError || (typeof status === 'number' && status < 500)) {
      return renderMessage(masks, reply, 'Bad request', 'masks could not understand this request. Go back and try again.', status === 413 ? 413 : 400);
    }
    request.log.error({ err: error }, 'unexpected error');
    return renderMessage(masks, reply, 'Something went wrong', 'masks failed to handle this request. Try again; if it keeps happening, tell the administrator.', 500);
  };
}

/** Verify an id_token_hint: ours, any age; returns its sub. */
async function hintSubject(masks: Masks, hint: string, clientId: string): Promise<string> {
  const { payload } = await jwtVerify(hint, createLocalJWKSet(JSON.parse(masks.keys.jwks())), {
    issuer: masks.config.url,
    audience: clientId,
    clockTolerance: Number.MAX_SAFE_INTEGER,
  });
  if (typeof payload.sub !== 'string') throw new Error('no sub');
  return payload.sub;
}

async function authorize(masks: Masks, request: FastifyRequest, reply: FastifyReply, source: unknown) {
  const { client, request: authRequest } = parseAuthorizationRequest(masks, new Params(source));
  if (authRequest.idTokenHint) {
    try {
      authRequest.hintSub = await hintSubject(masks, authRequest.idTokenHint, client.id);
    } catch {
      throw new RedirectError(new OAuthError('invalid_request', 'id_token_hint is not an ID token masks issued to this client'), authRequest.redirectUri, authRequest.state);
    }
  }
  return startAttempt(masks, request, reply, client, authRequest);
}

export function pageRoutes(app: FastifyInstance, masks: Masks) {
  app.register(async (pages) => {
    // Cookies are read and set on pages only; the JSON endpoints skip the parsing hook.
    await pages.register(cookie);
    pages.removeAllContentTypeParsers();
    await pages.register(formbody, { bodyLimit: BODY_LIMIT, parser: parseForm });
    pages.setErrorHandler(pageErrorHandler(masks));

    logoutRoutes(pages, masks);
    pages.get('/authorize', (request, reply) => authorize(masks, request, reply, request.query));
    pages.post('/authorize', (request, reply) => authorize(masks, request, reply, request.body));

    pages.get<{ Params: { client_id: string } }>('/authorize/:client_id', async (request, reply) => {
      const client = requireClient(masks, request.params.client_id);
      if (client.type !== 'internal') throw new PageError('Invalid sign-in link', 'This application signs in with OAuth; use its own sign-in button.');
      const params = new Params(request.query);
      const origin = new URL(masks.config.url).origin;
      const returnTo = internalReturnTo(client, params, (url) => sameSite(masks, url, origin));
      const internalRequest: AuthorizationRequest = { clientId: client.id, redirectUri: returnTo, scope: client.settings.scopes.allowed, prompt: [], returnTo };
      return startAttempt(masks, request, reply, client, internalRequest);
    });

    pages.get<{ Params: { attempt: string } }>('/sign-in/:attempt', async (request, reply) => {
      const { attempt, client, deviceId } = loadAttempt(masks, request, request.params.attempt);
      const actor = attempt.actorId ? masks.actors.find(attempt.actorId) : undefined;
      // The actor is known once credentials passed (this attempt, or the session's): then what is left to answer is consent.
      if (actor) {
        const scopes = attempt.request.scope.map((name) => ({ name, description: describeScope(name) }));
        return renderPage(masks, reply, 'consent', { title: `Allow ${client.name}?`, client, scopes, action: `/sign-in/${attempt.id}/consent`, csrf: csrfToken(masks, deviceId, attempt.id) });
      }
      return renderSignIn(masks, reply, attempt.id, client, deviceId, attempt.request.loginHint ?? '');
    });

    pages.post<{ Params: { attempt: string } }>('/sign-in/:attempt/credentials', async (request, reply) => {
      const { attempt, client, deviceId } = loadAttempt(masks, request, request.params.attempt);
      const params = new Params(request.body);
      if (!csrfOk(masks, request, deviceId, attempt.id, params.get('csrf'))) throw new PageError('Form expired', 'This form is no longer valid. Go back to the application and sign in again.', 403);
      const identifier = normaliseIdentifier(params.get('identifier') ?? '');
      const password = params.get('password') ?? '';
      const limiter = masks.signInFailures;
      const keys = [`ip:${request.ip}`, `account:${identifier}`];
      const wait = Math.max(...keys.map((key) => limiter.retryAfter(key)));
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait)));
        return renderSignIn(masks, reply, attempt.id, client, deviceId, identifier, `Too many attempts. Wait ${Math.ceil(wait)} seconds and try again.`, 429);
      }
      const actor = identifier && usableIdentifier(masks, identifier) ? masks.actors.findByIdentifier(identifier) : undefined;
      const allowed = client.settings.allow_passwords && password.length <= masks.config.passwords.max_chars;
      const ok = await verifyPassword(allowed ? actor?.passwordHash : undefined, password);
      if (!ok || !actor) {
        for (const key of keys) limiter.fail(key);
        return renderSignIn(masks, reply, attempt.id, client, deviceId, identifier, 'That email or nickname and password do not match. Try again.', 401);
      }
      limiter.succeed(`account:${identifier}`);
      const now = masks.clock();
      await masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: actor.id, passed: [...new Set([...attempt.passed, 'pwd'])] });
      await masks.db.durable.run('recordFactor', { actorId: actor.id, deviceId, kind: 'pwd', clientId: client.id, now });
      if (needsRehash(actor.passwordHash!)) await masks.db.durable.run('setPasswordHash', { actorId: actor.id, hash: await hashPassword(password), now });
      return advance(masks, request, reply, attempt.id, 303);
    });

    pages.post<{ Params: { attempt: string } }>('/sign-in/:attempt/consent', async (request, reply) => {
      const { attempt, client, deviceId } = loadAttempt(masks, request, request.params.attempt);
      const params = new Params(request.body);
      if (!csrfOk(masks, request, deviceId, attempt.id, params.get('csrf'))) throw new PageError('Form expired', 'This form is no longer valid. Go back to the application and sign in again.', 403);
      if (!attempt.actorId) return reply.redirect(`/sign-in/${attempt.id}`, 303);
      const decision = params.get('decision');
      if (decision === 'deny') {
        await masks.db.durable.run('completeAttempt', { id: attempt.id, now: masks.clock() });
        return redirectError(masks, reply, client, attempt, new OAuthError('access_denied', 'the person denied the request'), 303);
      }
      if (decision !== 'allow') throw new PageError('Bad request', 'Choose Allow or Deny.');
      const granted = masks.signIns.consentedScopes(attempt.actorId, client.id);
      await masks.db.durable.run('saveConsent', { actorId: attempt.actorId, clientId: client.id, scopes: [...new Set([...granted, ...attempt.request.scope])], now: masks.clock() });
      await masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: attempt.actorId, passed: [...new Set([...attempt.passed, 'consent'])] });
      return advance(masks, request, reply, attempt.id, 303);
    });
  });

  app.get('/assets/masks.css', (_request, reply) => reply.headers({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }).send(CSS));
  app.get<{ Querystring: { client?: string } }>('/assets/theme.css', (request, reply) => {
    const client = typeof request.query.client === 'string' ? masks.clients.find(request.query.client) : undefined;
    const { light, dark } = theme(masks, client);
    const css = `${light ? `:root { --bg: ${light}; }\n` : ''}${dark ? `@media (prefers-color-scheme: dark) { :root { --bg: ${dark}; } }\n` : ''}`;
    return reply.headers({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=300' }).send(css);
  });
}

/** Sign-in with nicknames or emails turned off must not find actors by them. */
function usableIdentifier(masks: Masks, identifier: string): boolean {
  const isEmail = identifier.includes('@');
  return isEmail ? masks.config.emails.enabled : masks.config.nicknames.enabled;
}

function identifierLabel(masks: Masks): string {
  const { emails, nicknames } = masks.config;
  if (emails.enabled && !nicknames.enabled) return 'Email';
  if (nicknames.enabled && !emails.enabled) return 'Nickname';
  return 'Email or nickname';
}

function renderSignIn(masks: Masks, reply: FastifyReply, attemptId: string, client: import('../storage/clients.js').Client, deviceId: string, identifier: string, error?: string, status = 200) {
  return renderPage(
    masks,
    reply,
    'sign_in',
    { title: `Sign in to ${client.name}`, client, action: `/sign-in/${attemptId}/credentials`, csrf: csrfToken(masks, deviceId, attemptId), identifier, identifierLabel: identifierLabel(masks), error },
    status,
  );
}

/** Internal clients may return to any https(s) URL on masks' own origin or cookie domain. */
function sameSite(masks: Masks, url: string, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.origin === origin) return true;
  const domain = masks.config.cookie_domain.replace(/^\./, '').toLowerCase();
  if (!domain || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password) return false;
  const host = parsed.hostname.toLowerCase();
  return host === domain || host.endsWith(`.${domain}`);
}
