/**
 * The sign-in and consent pages of an attempt: GET /sign-in/:attempt shows what is left to
 * answer; the forms post to /sign-in/:attempt/credentials and /sign-in/:attempt/consent.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Masks } from '../context.js';
import { passwordLength } from '../accounts/passwords.js';
import { hashPassword, needsRehash, verifyPassword } from '../factors/password.js';
import { PageError } from '../oauth/authorization_request.js';
import { OAuthError } from '../oauth/errors.js';
import { Params } from '../oauth/params.js';
import type { Client } from '../storage/clients.js';
import { normaliseIdentifier } from '../storage/normalise.js';
import { csrfOk, csrfToken } from './csrf.js';
import { advance, conclude, evaluate, loadAttempt, redirectError, seenAs } from './flow.js';
import { renderPage } from './render.js';
import { describeScope } from './scopes.js';

const formExpired = () => new PageError('Form expired', 'This form is no longer valid. Go back to the application and sign in again.', 403);

export function signInRoutes(pages: FastifyInstance, masks: Masks) {
    // The page shows what the checks ask for now (nothing is guessed from the attempt's state).
    pages.get<{ Params: { attempt: string } }>('/sign-in/:attempt', async (request, reply) => {
      const evaluation = await evaluate(masks, request, request.params.attempt);
      const { attempt, client, deviceId, context, result } = evaluation;
      if (result.kind !== 'prompt' || attempt.request.prompt.includes('none')) return conclude(masks, request, reply, evaluation);
      if (result.prompt === 'consent') {
        const scopes = attempt.request.scope.map((name) => ({ name, description: describeScope(name) }));
        return renderPage(masks, reply, 'consent', { title: `Allow ${client.name}?`, client, scopes, action: `/sign-in/${attempt.id}/consent`, csrf: csrfToken(masks, deviceId, attempt.id) });
      }
      return renderSignIn(masks, reply, attempt.id, client, deviceId, context.actor ? '' : (attempt.request.loginHint ?? ''));
    });

    pages.post<{ Params: { attempt: string } }>('/sign-in/:attempt/credentials', async (request, reply) => {
      const { attempt, client, deviceId } = loadAttempt(masks, request, request.params.attempt);
      const params = new Params(request.body);
      if (!csrfOk(masks, request, deviceId, attempt.id, params.get('csrf'))) throw formExpired();
      const identifier = normaliseIdentifier(params.get('identifier') ?? '');
      const password = params.opaque('password') ?? ''; // any length: over max_chars it simply never matches
      const actor = identifier && usableIdentifier(masks, identifier) ? masks.actors.findByIdentifier(identifier) : undefined;
      const knownDevice = actor && masks.signIns.lastFactor(actor.id, deviceId, 'pwd', 0) ? deviceId : undefined;
      // Counted before the slow check, so parallel guesses get no more checks than serial ones.
      const guess = masks.guesses.begin({ ip: request.ip, actorId: actor?.id, identifier, knownDevice });
      if (!('settle' in guess)) {
        reply.header('retry-after', String(Math.ceil(guess.wait)));
        return renderSignIn(masks, reply, attempt.id, client, deviceId, identifier, `Too many attempts. Wait ${Math.ceil(guess.wait)} seconds and try again.`, 429);
      }
      const allowed = client.settings.allow_passwords && fitsPasswordRules(masks, password);
      const ok = (await verifyPassword(allowed ? actor?.passwordHash : undefined, password)) && actor !== undefined;
      guess.settle(ok);
      if (!ok || !actor) {
        return renderSignIn(masks, reply, attempt.id, client, deviceId, identifier, 'That email or nickname and password do not match. Try again.', 401);
      }
      const now = masks.clock();
      const rehashed = needsRehash(actor.passwordHash!) ? await hashPassword(password) : undefined;
      // A different person starts the attempt afresh: nothing another actor passed (consent) carries over.
      const passed = actor.id === attempt.actorId ? [...new Set([...attempt.passed, 'pwd'])] : ['pwd'];
      // Issued in one tick, these share one commit.
      await Promise.all([
        masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: actor.id, passed }),
        masks.db.durable.run('recordFactor', { actorId: actor.id, device: seenAs(request, deviceId), kind: 'pwd', clientId: client.id, now }),
        rehashed && masks.db.durable.run('setPasswordHash', { actorId: actor.id, hash: rehashed, now }),
      ]);
      return advance(masks, request, reply, attempt.id, 303);
    });

    pages.post<{ Params: { attempt: string } }>('/sign-in/:attempt/consent', async (request, reply) => {
      const loaded = loadAttempt(masks, request, request.params.attempt);
      const params = new Params(request.body);
      if (!csrfOk(masks, request, loaded.deviceId, loaded.attempt.id, params.get('csrf'))) throw formExpired();
      const { attempt, client, context, result } = await evaluate(masks, request, loaded.attempt.id);
      // Consent is taken only when it is what the checks ask for now, and for the actor they name.
      const actor = context.actor;
      if (result.kind !== 'prompt' || result.prompt !== 'consent' || !actor) return reply.redirect(`/sign-in/${attempt.id}`, 303);
      const decision = params.get('decision');
      if (decision === 'deny') {
        await masks.db.durable.run('completeAttempt', { id: attempt.id, now: masks.clock() });
        return redirectError(masks, reply, client, attempt, new OAuthError('access_denied', 'the person denied the request'), 303);
      }
      if (decision !== 'allow') throw new PageError('Bad request', 'Choose Allow or Deny.');
      const granted = masks.signIns.consentedScopes(actor.id, client.id);
      await Promise.all([
        masks.db.durable.run('saveConsent', { actorId: actor.id, clientId: client.id, scopes: [...new Set([...granted, ...attempt.request.scope])], now: masks.clock() }),
        masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: actor.id, passed: [...new Set([...attempt.passed, 'consent'])] }),
      ]);
      return advance(masks, request, reply, attempt.id, 303);
    });
}

/** Passwords over passwords.max_chars never match (measured as when they are set: src/accounts/passwords.ts). */
function fitsPasswordRules(masks: Masks, password: string): boolean {
  return passwordLength(password) <= masks.config.passwords.max_chars;
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

