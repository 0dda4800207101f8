/**
 * Phones as a second factor (codes by SMS): a number is set up only once a code sent to it
 * was typed back (verified numbers only); at sign-in a code goes to it when the person
 * chooses "Text me a code". Codes are six digits, single use, ten minutes, bound to the
 * attempt; sending is limited per number and per person; wrong codes count like every
 * second-factor code. Numbers are sealed at rest like TOTP secrets.
 */
import { randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import { deliverSms } from '../delivery/sms.js';
import type { Actor, Attempt, Authenticator, NewAuthenticator } from '../model.js';
import { randomToken, sha256 } from '../security/secrets.js';
import { codeHash, codeMatches, newCode } from './codes.js';
import { beginGuess, proceed, record, seen, type Browser, type Loaded, type Problem, type Step } from './core.js';
import { enrolFirst } from './second_factor.js';

/** SECURITY.md 28: SMS codes last ten minutes. */
const CODE_LIFETIME = 600;
const E164 = /^\+[1-9]\d{6,14}$/;

/** A typed number in E.164 (spaces, dots, dashes and brackets dropped), or undefined. */
export function normalisePhone(typed: string): string | undefined {
  const number = typed.replace(/[\s().-]/g, '');
  return E164.test(number) ? number : undefined;
}

/** How a number is shown: its last two digits only. */
export const maskNumber = (number: string): string => `•••• •• ${number.slice(-2)}`;

const seal = (masks: Masks, actorId: string, number: string) => masks.sealer.seal('phone', actorId, number);
const unseal = (masks: Masks, actorId: string, sealed: string | null) => (sealed === null ? undefined : masks.sealer.open('phone', actorId, sealed));

const message = (masks: Masks, to: string, code: string) => ({ to, secret: code, text: `${code} is your ${masks.config.name} code. It works once, for 10 minutes. Do not share it.` });

/**
 * Send a code to `number` for this attempt, unless sending must wait. `address` is what the
 * pending code remembers: the phone's authenticator id (sign-in) or the sealed number (setup).
 */
async function sendCode(masks: Masks, browser: Browser, loaded: Loaded, actor: Actor, number: string, address: string, setup = false): Promise<boolean> {
  // A number typed at setup is anyone's to type: its texts are counted apart from the owner's sign-in codes, which it must not use up.
  if ((await masks.sends.take([setup ? `setup ${number}` : number, `actor ${actor.id}`], browser.ip)) > 0) return false;
  const now = masks.clock();
  const code = newCode();
  const link = { hash: sha256(randomToken()), attemptId: loaded.attempt.id, actorId: actor.id, address, purpose: 'sms' as const, codeHash: codeHash(masks, 'sms', loaded.attempt.id, code), expiresAt: now + CODE_LIFETIME };
  await record(masks, loaded.attempt.id, now, { actorId: actor.id, linkSent: { link } });
  setImmediate(() => deliverSms(masks, message(masks, number, code)));
  return true;
}

const phoneOf = async (masks: Masks, actorId: string): Promise<Authenticator | undefined> => (await masks.store.factors.authenticators(actorId)).find((a) => a.kind === 'phone');

/**
 * The second-factor prompt is shown with SMS chosen: text a code to the actor's phone unless
 * one is on its way (or `again`). Returns the number as shown, or undefined when sending must wait.
 */
export async function sendSignInCode(masks: Masks, browser: Browser, loaded: Loaded, actor: Actor, again = false): Promise<string | undefined> {
  const phone = await phoneOf(masks, actor.id);
  const number = phone && unseal(masks, actor.id, phone.secret);
  if (!phone || !number) return undefined;
  const pending = await masks.store.signIns.pendingLoginLink(loaded.attempt.id, 'sms');
  if (!again && pending && pending.address === phone.id && pending.expiresAt > masks.clock()) return maskNumber(number);
  return (await sendCode(masks, browser, loaded, actor, number, phone.id)) ? maskNumber(number) : undefined;
}

/** The code from the text message, as the second factor (the prompt is checked already). */
export async function answerSmsCode(masks: Masks, browser: Browser, loaded: Loaded, signing: { actor: Actor; attempt: Attempt }, code: string, again: (problem: Problem) => Step): Promise<Step> {
  const { actor, attempt } = signing;
  const guess = await beginGuess(masks, browser, loaded.deviceId, actor.id, '', 'code');
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  const now = masks.clock();
  const phone = await phoneOf(masks, actor.id);
  const pending = await masks.store.signIns.pendingLoginLink(attempt.id, 'sms');
  const live = pending && phone && pending.address === phone.id && pending.expiresAt > now ? pending : undefined;
  if (!live || !codeMatches(masks, live, 'sms', attempt.id, code)) {
    await guess.settle(false);
    return again({ reason: 'code-mismatch' });
  }
  const refused = again({ reason: 'code-mismatch' });
  const after: Attempt = { ...attempt, passed: [...attempt.passed, { factor: 'sms', at: now }] };
  const step = await proceed(masks, browser, loaded, after, { actorId: actor.id, use: { smsCode: live.hash }, passed: { factor: 'sms', device: seen(browser, loaded.deviceId) } }, { refused });
  await guess.settle(step !== refused);
  return step;
}

/** A phone being set up (in a sign-in, or at /account): a code to the typed number for this attempt. Returns the number as shown. */
export async function textSetupCode(masks: Masks, browser: Browser, loaded: Loaded, actor: Actor, typed: string): Promise<{ sentTo: string } | { problem: Problem }> {
  const number = normalisePhone(typed);
  if (!number) return { problem: { reason: 'input', field: 'phone', message: 'Enter the number with its country code, such as +44 7700 900123.', values: { phone: typed.slice(0, 40) } } };
  if (!(await sendCode(masks, browser, loaded, actor, number, seal(masks, actor.id, number), true))) return { problem: { reason: 'too-many-attempts', retryAfter: 3600 } };
  return { sentTo: maskNumber(number) };
}

/**
 * The code typed back for a phone being set up, counted like every code: the phone to store
 * and the code to use up with it (in the same command), or why not.
 */
export async function confirmedPhone(
  masks: Masks,
  browser: Browser,
  loaded: Loaded,
  actor: Actor,
  code: string,
): Promise<{ authenticator: NewAuthenticator; use: { smsCode: string }; sentTo: string } | { problem: Problem; sentTo: string | undefined }> {
  const pending = await masks.store.signIns.pendingLoginLink(loaded.attempt.id, 'sms');
  const number = pending && pending.expiresAt > masks.clock() ? unseal(masks, actor.id, pending.address) : undefined;
  const sentTo = number ? maskNumber(number) : undefined;
  const guess = await beginGuess(masks, browser, loaded.deviceId, actor.id, '', 'code');
  if (!('settle' in guess)) return { problem: { reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) }, sentTo };
  const ok = number !== undefined && codeMatches(masks, pending, 'sms', loaded.attempt.id, code);
  await guess.settle(ok);
  if (!ok || !pending || !number) return { problem: { reason: 'code-mismatch' }, sentTo };
  const authenticator = { id: randomUUID(), actorId: actor.id, kind: 'phone' as const, name: `Phone ending ${number.slice(-2)}`, secret: seal(masks, actor.id, number) };
  return { authenticator, use: { smsCode: pending.hash }, sentTo: maskNumber(number) };
}

/** Setup, "Text me a code": a code to the typed number; the page then asks for it. */
export async function sendSetupCode(masks: Masks, browser: Browser, loaded: Loaded, signing: { actor: Actor; attempt: Attempt }, typed: string): Promise<Step> {
  const { actor, attempt } = signing;
  const sent = await textSetupCode(masks, browser, loaded, actor, typed);
  return { kind: 'prompt', prompt: 'second-factor-setup', attempt, client: loaded.client, deviceId: loaded.deviceId, cookies: [], actor, ...('sentTo' in sent ? { address: sent.sentTo } : { problem: sent.problem }) };
}

/** Setup: the code typed back verifies the number, which becomes the actor's phone. */
export async function confirmSetupCode(masks: Masks, browser: Browser, loaded: Loaded, signing: { actor: Actor; attempt: Attempt }, code: string): Promise<Step> {
  const { actor, attempt } = signing;
  const confirmed = await confirmedPhone(masks, browser, loaded, actor, code);
  if ('problem' in confirmed) return { kind: 'prompt', prompt: 'second-factor-setup', attempt, client: loaded.client, deviceId: loaded.deviceId, cookies: [], actor, problem: confirmed.problem, ...(confirmed.sentTo ? { address: confirmed.sentTo } : {}) };
  return enrolFirst(masks, browser, loaded, actor, confirmed.authenticator, confirmed.use, 'sms');
}
