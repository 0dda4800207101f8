/**
 * The sign-in core: an attempt from /authorize to the client, with no HTTP in it. Each
 * entry point (begin, show, answerCredentials, answerConsent here; the factors' answers in
 * second_factor.ts, webauthn.ts, sms.ts, login_links.ts and account_steps.ts) runs the
 * checks pipeline on the attempt as its step leaves it and returns a Step: a prompt to
 * show, a notice, a place to send the browser, or a deny, with the cookies to set.
 * Everything a step changes is written by one command (advanceAttempt): one request, one
 * transaction.
 */
import { randomUUID } from 'node:crypto';
import { runChecks, type PipelineResult } from '../checks/pipeline.js';
import type { CheckContext, DenyReason, PromptName } from '../checks/check.js';
import type { Masks } from '../context.js';
import { SignInError } from '../errors.js';
import { hashPassword, needsRehash, verifyPassword } from '../factors/password.js';
import { passwordLength } from '../accounts/passwords.js';
import { clientRedirect, type AuthorizationRequest } from '../oauth/authorization_request.js';
import type { OAuthErrorCode } from '../oauth/errors.js';
import { authorizationCode, internalToken } from '../oauth/issue.js';
import { subjectFor } from '../oauth/subjects.js';
import type { Secret } from '../security/guesses.js';
import { randomToken } from '../security/secrets.js';
import type { Actor } from '../model.js';
import type { Client } from '../model.js';
import { normaliseIdentifier } from '../storage/normalise.js';
import type { AdvanceResult, AttemptChange, DeviceSeen } from '../storage/store.js';
import type { Attempt } from '../model.js';
import { FIRST_FACTORS, isFactorKind, type FactorKind, type SecondFactorKind } from './factors.js';
import { liveSession, planSession } from './sessions.js';
import { sendVerification } from './login_links.js';
import { sendSignInCode } from './sms.js';
import { audit, byActor } from '../audit/events.js';

/** What the core knows of the browser behind a request (the pages read its cookies). */
export interface Browser {
  /** The id in a validly signed device cookie. */
  deviceId: string | undefined;
  /** The session cookie's value, when there is exactly one. */
  sessionCookie: string | undefined;
  userAgent: string;
  ip: string;
}

/** masks' cookies a step sets: the pages know their names and attributes. maxAge in seconds, undefined for a browser-session cookie. */
export interface SetCookie {
  cookie: 'device' | 'session' | 'internal';
  value: string;
  maxAge: number | undefined;
}

/** Why a prompt is shown again. */
export type Problem =
  | { reason: 'credentials-mismatch' }
  | { reason: 'code-mismatch' }
  | { reason: 'passkey-failed' }
  | { reason: 'links-unavailable' }
  | { reason: 'too-many-attempts'; retryAfter: number }
  /** A form field that breaks a rule (onboarding, a new password): what to show again, and why. */
  | { reason: 'input'; field: string; message: string; values: Record<string, string> };

/** Something shown once between two steps, with a way on to `next`. */
export type Notice = { about: 'backup-codes'; codes: string[] } | { about: 'backup-codes-left'; left: number };

export type Step =
  /** Show the prompt's page. */
  | {
      kind: 'prompt';
      prompt: PromptName;
      attempt: Attempt;
      client: Client;
      deviceId: string;
      cookies: SetCookie[];
      /** Who is signing in, once known (the setup page names them to the authenticator app). */
      actor?: Actor | undefined;
      /** The second factors the person may answer with, and the one they chose to. */
      offer?: SecondFactorKind[] | undefined;
      chosen?: SecondFactorKind | undefined;
      /** A TOTP setup in progress (sealed), shown again after a wrong code. */
      setup?: string | undefined;
      /** Where a verification or SMS code was sent, as shown (undefined: sending must wait). */
      address?: string | undefined;
      identifier?: string;
      problem?: Problem;
    }
  /** Show something once (backup codes), then go on to `next`. */
  | { kind: 'notice'; notice: Notice; next: string; client: Client; cookies: SetCookie[] }
  /** Send the browser on: to the prompt's page, or to the client (a code, an error, an internal return address). */
  | { kind: 'go'; location: string; cookies: SetCookie[] }
  /** The sign-in cannot go on: a page saying why (`names`: what to list, such as missing scopes). */
  | { kind: 'deny'; reason: DenyReason; names: string[]; client: Client; cookies: SetCookie[] };

/** An attempt loaded for the browser that owns it. */
export interface Loaded {
  attempt: Attempt;
  client: Client;
  deviceId: string;
  /** Made for no device yet (a manager's emailed link): this step takes it for `deviceId`. */
  claim?: boolean;
}

/** The device of an attempt a manager's emailed link made: the first browser to follow the link takes it. */
export const ANY_DEVICE = '';

export const seen = (browser: Browser, deviceId: string): DeviceSeen => ({ id: deviceId, userAgent: browser.userAgent.slice(0, 512), ip: browser.ip });

/**
 * Load an attempt for this browser; anything wrong with it is a SignInError. `claimable`:
 * an attempt made for no device yet (ANY_DEVICE) loads for this browser, to be claimed.
 */
export async function load(masks: Masks, browser: Browser, attemptId: string, claimable = false): Promise<Loaded> {
  const row = attemptId.length <= 64 ? await masks.store.signIns.attempt(attemptId) : undefined;
  const claim = claimable && row?.deviceId === ANY_DEVICE && browser.deviceId !== undefined;
  if (!row || (row.deviceId !== browser.deviceId && !claim)) throw new SignInError('attempt-unknown');
  if (row.completedAt !== null) throw new SignInError('attempt-finished');
  if (row.expiresAt <= masks.clock()) throw new SignInError('attempt-expired');
  const client = await masks.store.clients.find(row.clientId);
  if (!client) throw new SignInError('client-gone');
  const deviceId = claim ? browser.deviceId! : row.deviceId;
  return { attempt: { ...row, deviceId, passed: row.passed.filter((p) => isFactorKind(p.factor)) }, client, deviceId, ...(claim ? { claim } : {}) };
}

/** The browser with a device id: its own, or a new one with the cookie that carries it. */
export function withDevice(masks: Masks, browser: Browser): { browser: Browser & { deviceId: string }; cookies: SetCookie[] } {
  if (browser.deviceId) return { browser: { ...browser, deviceId: browser.deviceId }, cookies: [] };
  const deviceId = randomToken(16);
  return { browser: { ...browser, deviceId }, cookies: [{ cookie: 'device', value: deviceId, maxAge: masks.config.lifetimes.device }] };
}

/** Start an attempt for a validated authorization request and take it as far as it goes. */
export function begin(masks: Masks, browser: Browser, client: Client, request: AuthorizationRequest): Promise<Step> {
  const { browser: device, cookies } = withDevice(masks, browser);
  const deviceId = device.deviceId;
  const now = masks.clock();
  const created = { id: randomToken(24), clientId: client.id, deviceId, actorId: null, createdAt: now, expiresAt: now + client.settings.auth_attempt_expires_in };
  const attempt: Attempt = { ...created, request, passed: [], steps: [], completedAt: null };
  return proceed(masks, browser, { attempt, client, deviceId }, attempt, { create: { ...created, request } }, { cookies });
}

/** GET /sign-in/:attempt: the prompt the checks ask for now (or, when none is left, the end of the sign-in). */
export async function show(masks: Masks, browser: Browser, loaded: Loaded, chosen?: SecondFactorKind): Promise<Step> {
  const step = await proceed(masks, browser, loaded, loaded.attempt, {}, { show: true, chosen });
  // The verified-email prompt, and the second-factor prompt with SMS chosen, are shown with their code on the way (once per attempt unless asked again).
  if (step.kind === 'prompt' && step.prompt === 'verify-email' && step.actor) return { ...step, address: await sendVerification(masks, browser, { ...loaded, attempt: step.attempt }, step.actor) };
  if (step.kind === 'prompt' && step.prompt === 'second-factor' && step.actor && chosenMethod(step) === 'sms') return { ...step, address: await sendSignInCode(masks, browser, { ...loaded, attempt: step.attempt }, step.actor) };
  return step;
}

/**
 * What a sign-in to `client` would come to now without asking this browser anything (as
 * under prompt=none), as `actorId`: pass, a prompt (someone must sign in), or a deny.
 * Forward-auth asks this when a cookie issued for one internal client is shown for
 * another, whose checks may demand more.
 */
export async function silentOutcome(masks: Masks, browser: Browser, client: Client, actorId: string): Promise<'pass' | 'prompt' | 'deny'> {
  if (!browser.deviceId) return 'prompt';
  const now = masks.clock();
  const request: AuthorizationRequest = { clientId: client.id, redirectUri: '', scope: client.settings.scopes.allowed, prompt: ['none'] };
  const attempt: Attempt = { id: '', clientId: client.id, deviceId: browser.deviceId, actorId: null, request, passed: [], steps: [], createdAt: now, expiresAt: now, completedAt: null };
  const { result, context } = await evaluate(masks, browser, { attempt, client, deviceId: browser.deviceId }, attempt);
  if (context.actor && context.actor.id !== actorId) return 'prompt';
  return result.kind;
}

/** The credentials prompt: an identifier and a password, counted against the guessing limits before they are checked. */
export async function answerCredentials(masks: Masks, browser: Browser, loaded: Loaded, answer: { identifier: string; password: string }): Promise<Step> {
  const { attempt, client, deviceId } = loaded;
  const identifier = normaliseIdentifier(answer.identifier);
  const actor = identifier && usableIdentifier(masks, identifier) ? await masks.store.actors.findByIdentifier(identifier) : undefined;
  const again = (problem: Problem): Step => ({ kind: 'prompt', prompt: 'credentials', attempt, client, deviceId, cookies: [], identifier, problem });
  // Counted before the slow check, so parallel guesses get no more checks than serial ones.
  const guess = await beginGuess(masks, browser, deviceId, actor?.id, identifier);
  const failed = (reason: string) => audit(masks, 'sign-in.failed', { by: 'masks', ip: browser.ip }, { actorId: actor?.id, clientId: client.id }, { reason });
  if (!('settle' in guess)) {
    failed('too many attempts');
    return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  }
  // Over passwords.max_chars a password never matches (measured as when it is set); the hash is spent all the same.
  const allowed = client.settings.allow_passwords && passwordLength(answer.password) <= masks.config.passwords.max_chars;
  const ok = (await verifyPassword(allowed ? actor?.passwordHash : undefined, answer.password)) && actor !== undefined;
  await guess.settle(ok);
  if (!ok || !actor) {
    failed(actor ? 'wrong password' : 'no such account');
    return again({ reason: 'credentials-mismatch' });
  }
  const rehash = needsRehash(actor.passwordHash!) ? await hashPassword(answer.password) : undefined;
  const now = masks.clock();
  const after = withFactor(attempt, actor.id, 'password', now);
  return proceed(masks, browser, loaded, after, { actorId: actor.id, passed: { factor: 'password', device: seen(browser, deviceId) }, ...(rehash ? { rehash } : {}) });
}

/** The second factor a prompt asks with: the one chosen if it is offered, else the first offered. */
export const chosenMethod = (step: { offer?: SecondFactorKind[] | undefined; chosen?: SecondFactorKind | undefined }): SecondFactorKind | undefined =>
  step.chosen && step.offer?.includes(step.chosen) ? step.chosen : step.offer?.[0];

/** Has the actor finished a sign-in on this device before, with any first factor (a password, a login link, a passkey)? */
async function signedInBefore(masks: Masks, actorId: string, deviceId: string): Promise<boolean> {
  return (await masks.store.signIns.lastFactor(actorId, deviceId, FIRST_FACTORS, 0)) !== undefined;
}

/**
 * The attempt once `actorId` passed `factor`: appended for the actor it belongs to, bound
 * if it had none; a different person starts it afresh (nothing another actor passed or
 * consented to carries over). advanceAttempt does the same in the store.
 */
export function withFactor(attempt: Attempt, actorId: string, factor: FactorKind, at: number): Attempt {
  if (attempt.actorId === actorId) return { ...attempt, passed: [...attempt.passed, { factor, at }] };
  if (attempt.actorId === null) return { ...attempt, actorId, passed: [...attempt.passed, { factor, at }] };
  return { ...attempt, actorId, passed: [{ factor, at }], steps: [] };
}

/**
 * Count a guess at a credential or code against the limits (src/security/guesses.ts) before
 * it is checked. A device where the actor signed in before is judged by its own failures.
 */
export async function beginGuess(masks: Masks, browser: Browser, deviceId: string, actorId: string | undefined, identifier: string, secret: Secret = 'password') {
  const knownDevice = actorId && (await signedInBefore(masks, actorId, deviceId)) ? deviceId : undefined;
  return masks.guesses.begin({ ip: browser.ip, actorId, identifier, knownDevice }, secret);
}

/** What the checks ask for now, when it is one prompt and names the actor. */
export interface Asked {
  actor: Actor;
  /** The attempt as the checks leave it (bound to the actor). */
  attempt: Attempt;
  /** The second factors the prompt offers. */
  offer: SecondFactorKind[] | undefined;
}

/**
 * Is the pipeline asking for `prompt` now, of a named actor? Every answer to a prompt asks
 * first: a form posted from a page no longer shown (another tab moved on) is not taken.
 */
export async function asking(masks: Masks, browser: Browser, loaded: Loaded, prompt: PromptName): Promise<Asked | undefined> {
  const { result, context } = await evaluate(masks, browser, loaded, loaded.attempt);
  if (result.kind !== 'prompt' || result.prompt !== prompt || !context.actor) return undefined;
  return { actor: context.actor, attempt: context.attempt, offer: result.offer };
}

/** Back to the attempt's page, which shows what the checks ask for now. */
export const toPrompt = (loaded: Loaded): Step => ({ kind: 'go', location: `/sign-in/${loaded.attempt.id}`, cookies: [] });

/** The consent prompt: taken only when it is what the checks ask for now, and for the actor they name. */
export async function answerConsent(masks: Masks, browser: Browser, loaded: Loaded, decision: 'allow' | 'deny'): Promise<Step> {
  const { attempt } = loaded;
  const asked = await asking(masks, browser, loaded, 'consent');
  if (!asked) return toPrompt(loaded);
  const { actor, attempt: current } = asked;
  if (decision === 'deny') return endWithError(masks, loaded, current, { actorId: actor.id }, 'access_denied', 'the person denied the request');
  const after: Attempt = { ...current, steps: [...current.steps, 'consent'] };
  audit(masks, 'consent.given', byActor(actor.id, browser.ip), { actorId: actor.id, clientId: loaded.client.id }, { scopes: attempt.request.scope });
  return proceed(masks, browser, loaded, after, { actorId: actor.id, consent: { scopes: attempt.request.scope } });
}

/** What the client is told (error_description) when a deny goes back to it as an OAuth error. */
const DENY_DESCRIPTIONS: Record<DenyReason, string> = {
  'device-blocked': 'the device is blocked',
  'check-unavailable': 'the client requires a check masks cannot run',
  'no-credentials': 'the client asks for no credentials',
  'no-second-factor': 'the person has no second factor and none can be set up',
  'no-email': 'the person has no email address to verify',
  'no-passkey': 'the request asks for a passkey (acr phr) and the person has none',
  'scopes-missing': 'the person lacks a scope the client requires',
  'hint-mismatch': 'the signed-in person is not the one id_token_hint names',
  'actor-disabled': 'the account is disabled',
  refused: 'the request was refused',
};

/** Sign-in with nicknames or emails turned off must not find actors by them. */
function usableIdentifier(masks: Masks, identifier: string): boolean {
  return identifier.includes('@') ? masks.config.emails.enabled : masks.config.nicknames.enabled;
}

interface Evaluation {
  result: PipelineResult;
  /** The context after the last check that passed: its actor is the one signing in. */
  context: CheckContext;
  authTime: number | undefined;
  amr: string[];
}

/** Run the checks on the attempt as this step leaves it; the first check that names an actor binds the attempt to them. */
export async function evaluate(masks: Masks, browser: Browser, loaded: Loaded, attempt: Attempt): Promise<Evaluation> {
  const now = masks.clock();
  let context: CheckContext = {
    masks,
    client: loaded.client,
    attempt,
    device: await masks.store.signIns.device(loaded.deviceId),
    session: await liveSession(masks, browser.sessionCookie, loaded.deviceId, now),
    actor: attempt.actorId ? await masks.store.actors.find(attempt.actorId) : undefined,
    now,
  };
  let authTime: number | undefined;
  let amr: string[] = [];
  const result = await runChecks(context, async (outcome) => {
    if (outcome.actorId === undefined) return context;
    if (context.attempt.actorId === null) context = { ...context, attempt: { ...context.attempt, actorId: outcome.actorId }, actor: await masks.store.actors.find(outcome.actorId) };
    // Each factor check adds what it proved: auth_time is when the last of them was passed.
    if (outcome.authTime !== undefined) authTime = Math.max(authTime ?? 0, outcome.authTime);
    amr = [...new Set([...amr, ...(outcome.amr ?? [])])];
    return context;
  });
  return { result, context, authTime, amr };
}

/**
 * Run the checks and act on the result, writing this step's changes (and, when the checks
 * all pass, the finished sign-in) in one command. `show`: a prompt becomes its page rather
 * than a redirect to it.
 */
export async function proceed(
  masks: Masks,
  browser: Browser,
  loaded: Loaded,
  attempt: Attempt,
  change: Omit<AttemptChange, 'attemptId' | 'now'>,
  options: { show?: boolean; cookies?: SetCookie[]; chosen?: SecondFactorKind | undefined; refused?: Step } = {},
): Promise<Step> {
  const { client, deviceId } = loaded;
  const cookies = options.cookies ?? [];
  const { result, context, authTime, amr } = await evaluate(masks, browser, loaded, attempt);
  const bound = context.attempt.actorId;
  const binding = bound !== null && bound !== loaded.attempt.actorId && change.actorId === undefined ? { actorId: bound } : {};
  // A disabled actor's step changes nothing of theirs (a password, a factor, a name, consent): only what it used up is spent.
  const disabled = result.kind === 'deny' && result.reason === 'actor-disabled';
  const { newPassword: _p, onboard: _o, enrol: _e, consent: _c, rehash: _r, ...spendOnly } = change;
  const pending = { ...(disabled ? spendOnly : change), ...binding };
  const commit = (extra: Partial<AttemptChange> = {}) => record(masks, attempt.id, context.now, { ...pending, ...extra });
  // What the step would use up (a code) was used meanwhile: nothing was written.
  const refused: Step = options.refused ?? { kind: 'go', location: `/sign-in/${attempt.id}`, cookies };
  if (result.kind === 'deny') {
    if (result.oauthError && client.type !== 'internal') return endWithError(masks, loaded, context.attempt, pending, result.oauthError, DENY_DESCRIPTIONS[result.reason], cookies);
    if ((await commit()) === 'refused') return refused;
    audit(masks, 'sign-in.failed', context.actor ? byActor(context.actor.id, browser.ip) : { by: 'masks', ip: browser.ip }, { actorId: context.actor?.id, clientId: client.id }, { reason: result.reason });
    return { kind: 'deny', reason: result.reason, names: result.names ?? [], client, cookies };
  }
  if (result.kind === 'prompt') {
    if (attempt.request.prompt.includes('none')) return endWithError(masks, loaded, context.attempt, pending, result.oauthError, 'the person must interact with masks', cookies);
    if ((await commit()) === 'refused') return refused;
    if (options.show) return { kind: 'prompt', prompt: result.prompt, attempt: context.attempt, client, deviceId, cookies, actor: context.actor, offer: result.offer, chosen: options.chosen };
    return { kind: 'go', location: `/sign-in/${attempt.id}`, cookies };
  }
  const actor = context.actor;
  if (!actor || authTime === undefined) throw new Error('the checks passed without naming the actor');
  const issued = await issue(masks, context, actor, { authTime, amr });
  if ((await commit({ actorId: actor.id, finish: { device: seen(browser, deviceId), ...issued.session.writes, token: issued.token.row } })) === 'refused') return refused;
  audit(masks, 'sign-in', byActor(actor.id, browser.ip), { actorId: actor.id, clientId: client.id }, { amr, session: issued.session.id });
  if (issued.session.cookie) cookies.push({ cookie: 'session', value: issued.session.cookie, maxAge: masks.config.lifetimes.session ?? undefined });
  if (client.type === 'internal') {
    cookies.push({ cookie: 'internal', value: issued.token.token, maxAge: client.settings.internal_token_expires_in });
    return { kind: 'go', location: attempt.request.returnTo ?? '/', cookies };
  }
  return { kind: 'go', location: clientRedirect(attempt.request.redirectUri, masks.config.url, { code: issued.token.token, state: attempt.request.state }), cookies };
}

/** What a finished sign-in gives: the session it leaves and the code (or internal cookie token). */
async function issue(masks: Masks, { client, attempt, session: live, now }: CheckContext, actor: Actor, sign: { authTime: number; amr: string[] }) {
  // A factor passed now, or one the session does not list (a second factor remembered on the device), makes a new session.
  const fresh = attempt.passed.length > 0 || !live || !sign.amr.every((value) => live.amr.includes(value));
  const session = await planSession(masks, live, { actorId: actor.id, deviceId: attempt.deviceId, authTime: sign.authTime, amr: sign.amr, fresh, now });
  // masks' own powers (masks:*) go only to someone who holds them, whatever the client asked for.
  const scopes = attempt.request.scope.filter((scope) => !scope.startsWith('masks:') || actor.scopes.includes(scope));
  const grantee = { client, scopes, grantType: 'authorization_code', sub: subjectFor(masks, client, actor), actorId: actor.id, grantId: randomUUID(), sid: session.id };
  const token =
    client.type === 'internal'
      ? internalToken(masks, grantee)
      : authorizationCode(masks, grantee, {
          redirect_uri: attempt.request.redirectUri,
          code_challenge: attempt.request.codeChallenge ?? null,
          nonce: attempt.request.nonce ?? null,
          auth_time: session.authTime,
          amr: session.amr,
          max_age: attempt.request.maxAge ?? null,
        });
  return { session, token };
}

const INTERACTION_NEEDED: ReadonlySet<OAuthErrorCode> = new Set(['login_required', 'consent_required', 'interaction_required']);

/**
 * End the attempt with an error for the client at its verified redirect_uri (internal
 * clients, which have no OAuth errors, get a deny page), writing this step's changes too.
 */
async function endWithError(masks: Masks, loaded: Loaded, attempt: Attempt, change: Omit<AttemptChange, 'attemptId' | 'now'>, error: OAuthErrorCode, description: string, cookies: SetCookie[] = []): Promise<Step> {
  // An attempt that ends in the request that starts it (prompt=none) leaves no row at all.
  if (!change.create) await record(masks, attempt.id, masks.clock(), { ...change, finish: 'denied' });
  const { client } = loaded;
  // prompt=none answered "sign in first" is the protocol working, not a failure.
  if (!INTERACTION_NEEDED.has(error)) audit(masks, 'sign-in.failed', { by: attempt.actorId ? `actor:${attempt.actorId}` : 'masks', ip: null }, { actorId: attempt.actorId, clientId: client.id }, { reason: description });
  if (client.type === 'internal') return { kind: 'deny', reason: 'refused', names: [error], client, cookies };
  return { kind: 'go', location: clientRedirect(attempt.request.redirectUri, masks.config.url, { error, error_description: description, state: attempt.request.state }), cookies };
}

/**
 * Write what a step changed, in one command; an attempt finished meanwhile (another tab) is
 * a SignInError. 'refused': what the step would use up was used meanwhile (nothing written).
 */
export async function record(masks: Masks, attemptId: string, now: number, change: Omit<AttemptChange, 'attemptId' | 'now'>): Promise<Exclude<AdvanceResult, 'finished'>> {
  if (Object.keys(change).length === 0) return 'ok';
  const result = await masks.store.signIns.advanceAttempt({ attemptId, now, ...change });
  if (result === 'finished') throw new SignInError('attempt-finished');
  return result;
}
