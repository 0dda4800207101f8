/**
 * A sign-in attempt from start to finish: the device, the attempt, the checks pipeline,
 * then what each client type gets (a code, or a cookie for internal clients).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { runChecks, type PipelineResult } from '../checks/pipeline.js';
import type { Attempt, CheckContext } from '../checks/check.js';
import type { Masks } from '../context.js';
import { authorizationCode, internalToken } from '../oauth/issue.js';
import { clientRedirect, PageError, type AuthorizationRequest } from '../oauth/authorization_request.js';
import { OAuthError } from '../oauth/errors.js';
import { subjectFor } from '../oauth/subjects.js';
import { randomToken, sha256 } from '../security/secrets.js';
import type { Client } from '../storage/clients.js';
import type { SessionRow } from '../storage/sign_in.js';
import type { DeviceSeen, NewSession } from '../storage/writes.js';
import { cookieNames, deviceIdFromCookie, hostCookie, internalCookie, setDeviceCookie, singleCookie } from './cookies.js';
import { renderMessage } from './render.js';

/**
 * This browser's device: the id in its signed cookie, or a new one whose cookie is set now.
 * Nothing is written: a device gets its row when someone signs in on it.
 */
export function deviceOf(masks: Masks, request: FastifyRequest, reply: FastifyReply): DeviceSeen {
  let id = deviceIdFromCookie(masks, request);
  if (!id) {
    id = randomToken(16);
    setDeviceCookie(masks, reply, id);
  }
  return seenAs(request, id);
}

/** What masks records of a device when someone signs in on it. */
export const seenAs = (request: FastifyRequest, id: string): DeviceSeen => ({ id, userAgent: (request.headers['user-agent'] ?? '').slice(0, 512), ip: request.ip });

/** The live session of this browser, if its cookie points at one that has not ended, expired or idled out. */
export function currentSession(masks: Masks, request: FastifyRequest, deviceId: string | undefined): SessionRow | undefined {
  const value = singleCookie(request, cookieNames(masks).session);
  if (!value) return undefined;
  const session = masks.signIns.session(sha256(value));
  const now = masks.clock();
  if (!session || session.endedAt !== null || session.expiresAt <= now || now - session.lastSeenAt > masks.config.lifetimes.session_idle) return undefined;
  if (deviceId !== undefined && session.deviceId !== deviceId) return undefined;
  return session;
}

/** Start an attempt for a validated request and walk it as far as it goes. */
export async function startAttempt(masks: Masks, request: FastifyRequest, reply: FastifyReply, client: Client, authRequest: AuthorizationRequest): Promise<FastifyReply> {
  const deviceId = deviceOf(masks, request, reply).id;
  const now = masks.clock();
  const id = randomToken(24);
  await masks.db.durable.run('createAttempt', {
    id,
    clientId: client.id,
    deviceId,
    request: authRequest as unknown as Record<string, unknown>,
    createdAt: now,
    expiresAt: now + client.settings.auth_attempt_expires_in,
  });
  return advance(masks, request, reply, id, 302, deviceId);
}

/**
 * Load an attempt for this browser (its device cookie, or `knownDevice` when the cookie was
 * set in this very response); anything wrong with it is an error page.
 */
export function loadAttempt(masks: Masks, request: FastifyRequest, id: string, knownDevice?: string): { attempt: Attempt; client: Client; deviceId: string } {
  const row = id.length <= 64 ? masks.signIns.attempt(id) : undefined;
  const deviceId = knownDevice ?? deviceIdFromCookie(masks, request);
  if (!row || row.deviceId !== deviceId) throw new PageError('Sign-in not found', 'This sign-in is not known on this browser. Go back to the application and start again.', 404);
  if (row.completedAt !== null) throw new PageError('Sign-in already finished', 'This sign-in has already been completed. Go back to the application.', 410);
  if (row.expiresAt <= masks.clock()) throw new PageError('Sign-in expired', 'This sign-in took too long. Go back to the application and start again.', 410);
  const client = masks.clients.find(row.clientId);
  if (!client) throw new PageError('Unknown application', 'The application of this sign-in no longer exists.', 404);
  const attempt: Attempt = {
    id: row.id,
    clientId: row.clientId,
    deviceId: row.deviceId,
    actorId: row.actorId,
    request: row.request as unknown as AuthorizationRequest,
    passed: row.passed,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
  return { attempt, client, deviceId: row.deviceId };
}

/** Send an OAuth error back to the client's verified redirect_uri (or a page for internal clients). */
export function redirectError(masks: Masks, reply: FastifyReply, client: Client, attempt: Attempt, error: OAuthError, status = 302): FastifyReply {
  if (client.type === 'internal') return renderMessage(masks, reply, 'Access denied', error.description ?? error.error, 403, client);
  return reply.redirect(clientRedirect(attempt.request.redirectUri, masks.config.url, { error: error.error, error_description: error.description, state: attempt.request.state }), status);
}

/** Where an attempt stands: the checks run as far as they go for this browser now. */
export interface Evaluation {
  attempt: Attempt;
  client: Client;
  deviceId: string;
  session: SessionRow | undefined;
  /** The context after the last check that passed: its actor is the one signing in. */
  context: CheckContext;
  result: PipelineResult;
  /** When and how the actor proved who they are (from the credentials check). */
  authTime: number | undefined;
  amr: string[];
}

/**
 * Run the checks for an attempt. The first check that names the actor binds the attempt to
 * them (a later check can only confirm the same actor), so consent, scopes and the code
 * all concern one person.
 */
export async function evaluate(masks: Masks, request: FastifyRequest, attemptId: string, knownDevice?: string): Promise<Evaluation> {
  const { attempt, client, deviceId } = loadAttempt(masks, request, attemptId, knownDevice);
  const session = currentSession(masks, request, deviceId);
  let context: CheckContext = {
    masks,
    client,
    attempt,
    device: masks.signIns.device(deviceId),
    session,
    actor: attempt.actorId ? masks.actors.find(attempt.actorId) : undefined,
    now: masks.clock(),
  };
  let authTime: number | undefined;
  let amr: string[] = [];
  const result = await runChecks(context, async (outcome) => {
    if (outcome.actorId === undefined) return context;
    if (outcome.actorId !== context.attempt.actorId) {
      await masks.db.durable.run('updateAttempt', { id: attempt.id, actorId: outcome.actorId, passed: context.attempt.passed });
      context = { ...context, attempt: { ...context.attempt, actorId: outcome.actorId }, actor: masks.actors.find(outcome.actorId) };
    }
    authTime = outcome.authTime;
    amr = outcome.amr ?? [];
    return context;
  });
  return { attempt: context.attempt, client, deviceId, session, context, result, authTime, amr };
}

/** Run the checks for an attempt; then prompt, deny, or finish. `status`: 303 after a form POST. */
export async function advance(masks: Masks, request: FastifyRequest, reply: FastifyReply, attemptId: string, status = 302, knownDevice?: string): Promise<FastifyReply> {
  return conclude(masks, request, reply, await evaluate(masks, request, attemptId, knownDevice), status);
}

/** Act on an evaluation: a deny page, the prompt's page (or its error under prompt=none), or the finished sign-in. */
export async function conclude(masks: Masks, request: FastifyRequest, reply: FastifyReply, evaluation: Evaluation, status = 302): Promise<FastifyReply> {
  const { attempt, client, deviceId, session, context, result, authTime, amr } = evaluation;
  if (result.kind === 'deny') return renderMessage(masks, reply, result.title, result.detail, 403, client);
  if (result.kind === 'prompt') {
    if (attempt.request.prompt.includes('none')) return redirectError(masks, reply, client, attempt, new OAuthError(result.oauthError, 'the person must interact with masks'), status);
    return reply.redirect(`/sign-in/${attempt.id}`, status);
  }
  const actor = context.actor;
  if (!actor || authTime === undefined) {
    return renderMessage(masks, reply, 'Sign-in is not available', 'This application does not ask for credentials, so masks cannot tell who you are. Tell its administrator.', 403, client);
  }
  const missing = client.settings.scopes.required.filter((scope) => !actor.scopes.includes(scope));
  if (missing.length > 0) {
    return renderMessage(masks, reply, 'Access denied', `Your account lacks what ${client.name} requires: ${missing.join(', ')}. Ask an administrator for access.`, 403, client);
  }
  const sub = subjectFor(masks, client, actor);
  if (attempt.request.hintSub !== undefined && attempt.request.hintSub !== sub) {
    return redirectError(masks, reply, client, attempt, new OAuthError('login_required', 'the signed-in person is not the one id_token_hint names'), status);
  }
  const next = planSession(masks, session, { actorId: actor.id, deviceId, authTime, amr, fresh: attempt.passed.includes('pwd') });
  const grantee = { client, scopes: attempt.request.scope, grantType: 'authorization_code', sub, actorId: actor.id, grantId: randomUUID() };
  const issued =
    client.type === 'internal'
      ? internalToken(masks, grantee, { sid: next.id })
      : authorizationCode(masks, grantee, {
          redirect_uri: attempt.request.redirectUri,
          code_challenge: attempt.request.codeChallenge ?? null,
          nonce: attempt.request.nonce ?? null,
          auth_time: next.authTime,
          amr: next.amr,
          sid: next.id,
          max_age: attempt.request.maxAge ?? null,
        });
  if (!(await masks.db.durable.run('finishAttempt', { attemptId: attempt.id, now: context.now, device: seenAs(request, deviceId), ...next.writes, token: issued.row }))) {
    throw new PageError('Sign-in already finished', 'This sign-in has already been completed. Go back to the application.', 410);
  }
  if (next.cookie) reply.setCookie(cookieNames(masks).session, next.cookie, hostCookie(masks, masks.config.lifetimes.session ?? undefined));
  if (client.type === 'internal') {
    reply.setCookie(cookieNames(masks).internal, issued.token, internalCookie(masks, client.settings.internal_token_expires_in));
    return reply.redirect(attempt.request.returnTo ?? '/', status);
  }
  return reply.redirect(clientRedirect(attempt.request.redirectUri, masks.config.url, { code: issued.token, state: attempt.request.state }), status);
}

/**
 * The session after a sign-in: a fresh credential always makes a new session (new id, no
 * fixation) and ends the old one; otherwise the existing session carries on (SSO). Returns
 * the writes for finishAttempt and the new cookie value, if any.
 */
function planSession(
  masks: Masks,
  existing: SessionRow | undefined,
  sign: { actorId: string; deviceId: string; authTime: number; amr: string[]; fresh: boolean },
): { id: string; authTime: number; amr: string[]; cookie?: string; writes: { touch?: string; end?: { hash: string; sid: string }; create?: NewSession } } {
  if (existing && !sign.fresh && existing.actorId === sign.actorId) {
    return { id: existing.id, authTime: existing.authTime, amr: existing.amr, writes: { touch: existing.hash } };
  }
  const cookie = randomToken();
  const id = randomUUID();
  const lifetime = masks.config.lifetimes.session ?? maxFactorLifetime(masks);
  const create: NewSession = { hash: sha256(cookie), id, actorId: sign.actorId, deviceId: sign.deviceId, authTime: sign.authTime, amr: sign.amr, expiresAt: masks.clock() + lifetime };
  return { id, authTime: sign.authTime, amr: sign.amr, cookie, writes: { create, ...(existing ? { end: { hash: existing.hash, sid: existing.id } } : {}) } };
}

/** Without lifetimes.session, a session lives (server-side) as long as the longest remembered password. */
function maxFactorLifetime(masks: Masks): number {
  return Math.max(masks.config.clients.password_factor_expires_in, ...masks.clients.list().map((c) => c.settings.password_factor_expires_in));
}

