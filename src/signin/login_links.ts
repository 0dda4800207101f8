/**
 * Codes by email. Login links and codes (credentials by email): asking for one, typing its
 * code, and following its link. Verification codes (the verified-email check): sent when
 * the check asks, typed on its page. A link and a code are made for one attempt and the device that
 * asked; each works once within login_link_expires_in. An address that is no one's gets
 * the same page in the same time (nothing is sent, and sending never holds up the reply).
 * Codes are guesses like passwords; sending is limited per address and per network.
 */
import type { Masks } from '../context.js';
import { deliver } from '../delivery/mailer.js';
import { accountLinkMessage, loginLinkMessage, verificationMessage } from '../delivery/messages.js';
import { ACCOUNT_CLIENT_ID } from '../clients/service.js';
import { SignInError } from '../errors.js';
import type { Actor, Attempt, Client } from '../model.js';
import { randomToken, sha256 } from '../security/secrets.js';
import { normaliseIdentifier } from '../storage/normalise.js';
import { codeHash, codeMatches, newCode } from './codes.js';
import { ANY_DEVICE, asking, beginGuess, load, proceed, record, seen, withFactor, type Browser, type Loaded, type Problem, type Step } from './core.js';

/** Whether this client's sign-in offers login links. */
export const loginLinksOffered = (masks: Masks, client: Client): boolean => masks.config.login_links.enabled && masks.config.emails.enabled && client.settings.allow_login_links;


/** The credentials prompt's "Email me a sign-in link": a link and a code for this attempt, sent when the identifier is someone's. */
export async function requestLoginLink(masks: Masks, browser: Browser, loaded: Loaded, typed: string, reset = false): Promise<Step> {
  const { attempt, client, deviceId } = loaded;
  const identifier = normaliseIdentifier(typed);
  const again = (problem: Problem): Step => ({ kind: 'prompt', prompt: 'credentials', attempt, client, deviceId, cookies: [], identifier, problem });
  if (!loginLinksOffered(masks, client)) return again({ reason: 'links-unavailable' });
  if (!identifier) return again({ reason: 'credentials-mismatch' });
  const usable = identifier.includes('@') ? masks.config.emails.enabled : masks.config.nicknames.enabled;
  const actor = usable ? await masks.store.actors.findByIdentifier(identifier) : undefined;
  const address = identifier.includes('@') ? identifier : actor?.emails[0]?.address;
  // Counted by where the mail would go (a nickname and its address are one inbox).
  const wait = await masks.sends.take(address ?? identifier, browser.ip);
  if (wait > 0) return again({ reason: 'too-many-attempts', retryAfter: wait });
  const now = masks.clock();
  const token = randomToken();
  const code = newCode();
  const expiresAt = now + client.settings.login_link_expires_in;
  // Stored either way: a code typed for an address that is no one's is limited like one for someone's.
  const link = { hash: sha256(token), attemptId: attempt.id, actorId: actor && address ? actor.id : null, address: address ?? identifier, purpose: 'sign-in' as const, codeHash: codeHash(masks, 'sign-in', attempt.id, code), expiresAt };
  await record(masks, attempt.id, now, { linkSent: { link, reset } });
  // Built and sent after the reply: a known address is answered as fast as an unknown one.
  if (link.actorId) setImmediate(() => deliver(masks, loginLinkMessage(masks, link.address, new URL(`/sign-in/link/${token}`, masks.config.url).href, code, client.settings.login_link_expires_in, reset)));
  return { kind: 'go', location: `/sign-in/${attempt.id}`, cookies: [] };
}

/** "Send a new link" on the code prompt: a new link and code to the same address; the old ones stop working. */
export async function resendLoginLink(masks: Masks, browser: Browser, loaded: Loaded): Promise<Step> {
  const pending = await masks.store.signIns.pendingLoginLink(loaded.attempt.id, 'sign-in');
  if (!pending || !loaded.attempt.steps.includes('login-link')) return { kind: 'go', location: `/sign-in/${loaded.attempt.id}`, cookies: [] };
  return requestLoginLink(masks, browser, loaded, pending.address, loaded.attempt.steps.includes('password-reset'));
}

/** The login-code prompt: the code from the email, counted against the guessing limits. */
export async function answerLoginCode(masks: Masks, browser: Browser, loaded: Loaded, typed: string): Promise<Step> {
  const { attempt, client, deviceId } = loaded;
  const again = (problem: Problem): Step => ({ kind: 'prompt', prompt: 'login-code', attempt, client, deviceId, cookies: [], problem });
  const now = masks.clock();
  const link = await masks.store.signIns.pendingLoginLink(attempt.id, 'sign-in');
  const live = link && link.expiresAt > now ? link : undefined;
  // A login code is a first factor: counted like a password (a stranger's wrong codes never hold up the person's second factor).
  const guess = await beginGuess(masks, browser, deviceId, live?.actorId ?? undefined, live?.address ?? `login-code ${attempt.id}`);
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  const code = typed.replace(/\s+/g, '');
  const matches = codeMatches(masks, live, 'sign-in', attempt.id, code);
  if (!matches || !live?.actorId) {
    await guess.settle(false);
    return again({ reason: 'code-mismatch' });
  }
  const refused = again({ reason: 'code-mismatch' });
  const step = await passLink(masks, browser, loaded, attempt, live.actorId, live.hash, now, refused);
  await guess.settle(step !== refused);
  return step;
}

/** The link's confirmation (its GET only shows a page: mail scanners follow links). Which attempt it belongs to, for this browser. */
export async function loginLinkAttempt(masks: Masks, browser: Browser, token: string): Promise<{ loaded: Loaded; actorId: string; hash: string }> {
  const hash = token.length <= 64 ? sha256(token) : undefined;
  const link = hash ? await masks.store.signIns.loginLink(hash) : undefined;
  if (!link?.actorId || link.purpose !== 'sign-in' || link.usedAt !== null || link.expiresAt <= masks.clock()) throw new SignInError('link-expired');
  const attempt = await masks.store.signIns.attempt(link.attemptId);
  // A manager's link (an invitation, a password reset) works in whichever browser opens it first.
  const claimable = attempt?.deviceId === ANY_DEVICE;
  if (!attempt || (attempt.deviceId !== browser.deviceId && !claimable)) throw new SignInError('link-elsewhere');
  return { loaded: await load(masks, browser, link.attemptId, claimable), actorId: link.actorId, hash: link.hash };
}

/** Follow a login link (the confirmation page's POST): the link is used and the sign-in goes on. */
export async function followLoginLink(masks: Masks, browser: Browser, token: string): Promise<Step> {
  const { loaded, actorId, hash } = await loginLinkAttempt(masks, browser, token);
  return passLink(masks, browser, loaded, loaded.attempt, actorId, hash, masks.clock(), { kind: 'go', location: `/sign-in/${loaded.attempt.id}`, cookies: [] });
}

function passLink(masks: Masks, browser: Browser, loaded: Loaded, attempt: Attempt, actorId: string, hash: string, now: number, refused: Step): Promise<Step> {
  const after = withFactor(attempt, actorId, 'login_link', now);
  return proceed(masks, browser, loaded, after, { actorId, use: { loginLink: hash }, passed: { factor: 'login_link', device: seen(browser, loaded.deviceId) }, ...(loaded.claim ? { claim: loaded.deviceId } : {}) }, { refused });
}

/**
 * The verified-email prompt is about to be shown: email a code to the actor's address unless
 * one is on its way already. Returns the address, or undefined when sending must wait.
 */
export async function sendVerification(masks: Masks, browser: Browser, loaded: Loaded, actor: Actor, again = false): Promise<string | undefined> {
  const { attempt, client } = loaded;
  const now = masks.clock();
  const pending = await masks.store.signIns.pendingLoginLink(attempt.id, 'verify');
  if (pending && pending.expiresAt > now && !again) return pending.address;
  const address = actor.emails[0]!.address;
  if ((await masks.sends.take(address, browser.ip)) > 0) return undefined;
  const code = newCode();
  const link = { hash: sha256(randomToken()), attemptId: attempt.id, actorId: actor.id, address, purpose: 'verify' as const, codeHash: codeHash(masks, 'verify', attempt.id, code), expiresAt: now + client.settings.login_link_expires_in };
  await record(masks, attempt.id, now, { actorId: actor.id, linkSent: { link } });
  deliver(masks, verificationMessage(masks, address, code, client.settings.login_link_expires_in));
  return address;
}

/** The verified-email prompt: the code from the email (or "Send a new code"). */
export async function answerVerification(masks: Masks, browser: Browser, loaded: Loaded, answer: { code: string; resend: boolean }): Promise<Step> {
  const { client, deviceId } = loaded;
  const location = `/sign-in/${loaded.attempt.id}`;
  const asked = await asking(masks, browser, loaded, 'verify-email');
  if (!asked) return { kind: 'go', location, cookies: [] };
  const { actor, attempt } = asked;
  const again = (problem: Problem): Step => ({ kind: 'prompt', prompt: 'verify-email', attempt, client, deviceId, cookies: [], actor, problem });
  if (answer.resend) {
    const sent = await sendVerification(masks, browser, loaded, actor, true);
    return sent ? { kind: 'go', location, cookies: [] } : again({ reason: 'too-many-attempts', retryAfter: 60 });
  }
  const now = masks.clock();
  const pending = await masks.store.signIns.pendingLoginLink(attempt.id, 'verify');
  const live = pending && pending.expiresAt > now ? pending : undefined;
  const guess = await beginGuess(masks, browser, deviceId, actor.id, '', 'code');
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  if (!live || !codeMatches(masks, live, 'verify', attempt.id, answer.code)) {
    await guess.settle(false);
    return again({ reason: 'code-mismatch' });
  }
  const refused = again({ reason: 'code-mismatch' });
  const after: Attempt = { ...attempt, steps: [...attempt.steps, 'email-verified'] };
  const step = await proceed(masks, browser, loaded, after, { actorId: actor.id, use: { verification: live.hash } }, { refused });
  await guess.settle(step !== refused);
  return step;
}

/**
 * A manager's link for an actor: an invitation to set up their account, or a password reset.
 * It opens a sign-in to /account (the built-in account client) made for no device yet: the
 * first browser that follows the link takes it, then chooses a password. Works once, until
 * `expiresAt`. Undefined when the actor has no email address.
 */
export async function emailAccountLink(masks: Masks, actor: Actor, options: { invite: boolean; expiresIn: number }): Promise<{ address: string; expiresAt: number } | undefined> {
  const address = actor.emails[0]?.address;
  const client = await masks.store.clients.find(ACCOUNT_CLIENT_ID);
  if (!address || !client) return undefined;
  const now = masks.clock();
  const expiresAt = now + options.expiresIn;
  const id = randomToken(24);
  const token = randomToken();
  const account = new URL('/account', masks.config.url).href;
  const request = { clientId: client.id, redirectUri: account, scope: [], prompt: [], returnTo: account };
  // The code is never sent: only the link signs in (a code is typed on a page of a device's own attempt).
  const link = { hash: sha256(token), attemptId: id, actorId: actor.id, address, purpose: 'sign-in' as const, codeHash: codeHash(masks, 'sign-in', id, randomToken()), expiresAt };
  await record(masks, id, now, { create: { id, clientId: client.id, deviceId: ANY_DEVICE, actorId: actor.id, request, createdAt: now, expiresAt }, actorId: actor.id, linkSent: { link, reset: true } });
  deliver(masks, accountLinkMessage(masks, address, new URL(`/sign-in/link/${token}`, masks.config.url).href, options.invite, expiresAt));
  return { address, expiresAt };
}
