/**
 * The sign-in and consent pages of an attempt: GET /sign-in/:attempt shows what is left to
 * answer; the forms post to /sign-in/:attempt/credentials and /sign-in/:attempt/consent.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Masks } from '../context.js';
import { hashPassword, needsRehash, verifyPassword } from '../factors/password.js';
import { PageError } from '../oauth/authorization_request.js';
import { OAuthError } from '../oauth/errors.js';
import { Params } from '../oauth/params.js';
import type { Client } from '../storage/clients.js';
import { normaliseIdentifier } from '../storage/normalise.js';
import { csrfOk, csrfToken } from './csrf.js';
import { advance, loadAttempt, redirectError } from './flow.js';
import { renderPage } from './render.js';
import { describeScope } from './scopes.js';

const formExpired = () => new PageError('Form expired', 'This form is no longer valid. Go back to the application and sign in again.', 403);

export function signInRoutes(pages: FastifyInstance, masks: Masks) {
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
      if (!csrfOk(masks, request, deviceId, attempt.id, params.get('csrf'))) throw formExpired();
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
      const rehashed = needsRehash(actor.passwordHash!) ? await hashPassword(password) : undefined;
      // Issued in one tick, these share one commit.
      await Promise.all([
        masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: actor.id, passed: [...new Set([...attempt.passed, 'pwd'])] }),
        masks.db.durable.run('recordFactor', { actorId: actor.id, deviceId, kind: 'pwd', clientId: client.id, now }),
        rehashed && masks.db.durable.run('setPasswordHash', { actorId: actor.id, hash: rehashed, now }),
      ]);
      return advance(masks, request, reply, attempt.id, 303);
    });

    pages.post<{ Params: { attempt: string } }>('/sign-in/:attempt/consent', async (request, reply) => {
      const { attempt, client, deviceId } = loadAttempt(masks, request, request.params.attempt);
      const params = new Params(request.body);
      if (!csrfOk(masks, request, deviceId, attempt.id, params.get('csrf'))) throw formExpired();
      if (!attempt.actorId) return reply.redirect(`/sign-in/${attempt.id}`, 303);
      const decision = params.get('decision');
      if (decision === 'deny') {
        await masks.db.durable.run('completeAttempt', { id: attempt.id, now: masks.clock() });
        return redirectError(masks, reply, client, attempt, new OAuthError('access_denied', 'the person denied the request'), 303);
      }
      if (decision !== 'allow') throw new PageError('Bad request', 'Choose Allow or Deny.');
      const granted = masks.signIns.consentedScopes(attempt.actorId, client.id);
      await Promise.all([
        masks.db.durable.run('saveConsent', { actorId: attempt.actorId, clientId: client.id, scopes: [...new Set([...granted, ...attempt.request.scope])], now: masks.clock() }),
        masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: attempt.actorId, passed: [...new Set([...attempt.passed, 'consent'])] }),
      ]);
      return advance(masks, request, reply, attempt.id, 303);
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

function renderSignIn(masks: Masks, reply: FastifyReply, attemptId: string, client: Client, deviceId: string, identifier: string, error?: string, status = 200) {
  return renderPage(
    masks,
    reply,
    'sign_in',
    { title: `Sign in to ${client.name}`, client, action: `/sign-in/${attemptId}/credentials`, csrf: csrfToken(masks, deviceId, attemptId), identifier, identifierLabel: identifierLabel(masks), error },
    status,
  );
}

