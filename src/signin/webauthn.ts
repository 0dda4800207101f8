/**
 * WebAuthn in the sign-in core: the options for the ceremony the checks ask for now (a
 * challenge stored for this attempt and purpose, five minutes, single use), and the
 * answers: a passkey or security key as a second factor, one added at setup, and a
 * passkey alone (passwordless, user verification required). Each answer is one command:
 * the challenge is used up and the signature counter must grow, or nothing is written.
 */
import type { Masks } from '../context.js';
import { authenticationOptions, parseAnswer, registrationOptions, verifyAuthentication, verifyRegistration } from '../factors/webauthn.js';
import type { Actor, Attempt, Challenge } from '../model.js';
import { beginGuess, evaluate, proceed, seen, withFactor, type Browser, type Loaded, type Problem, type Step } from './core.js';
import { record } from './core.js';

const CHALLENGE_LIFETIME = 300;

export type Ceremony = Challenge['purpose'];

/** Which prompt each ceremony belongs to. */
const PROMPT_OF = { register: 'second-factor-setup', authenticate: 'second-factor', passwordless: 'credentials' } as const;

/** The options for the browser, when the checks ask now for what `purpose` answers; undefined otherwise. */
export async function ceremonyOptions(masks: Masks, browser: Browser, loaded: Loaded, purpose: Ceremony): Promise<object | undefined> {
  const { result, context } = await evaluate(masks, browser, loaded, loaded.attempt);
  if (result.kind !== 'prompt' || result.prompt !== PROMPT_OF[purpose]) return undefined;
  const { actor } = context;
  const { config } = masks;
  let options: { challenge: string };
  if (purpose === 'passwordless') {
    if (!config.passkeys.enabled) return undefined;
    options = await authenticationOptions(config);
  } else {
    if (!actor || !config.webauthn.enabled) return undefined;
    if (purpose === 'authenticate' && !result.offer?.includes('webauthn')) return undefined;
    const existing = await masks.store.factors.authenticators(actor.id);
    options = purpose === 'register' ? await registrationOptions(config, actor, existing) : await authenticationOptions(config, existing);
  }
  const now = masks.clock();
  await record(masks, loaded.attempt.id, now, { challenge: { challenge: options.challenge, purpose, expiresAt: now + CHALLENGE_LIFETIME } });
  return options;
}

/** The browser's answer and the challenge it signed, if that challenge is this attempt's for `purpose` and still good. */
async function answerFor(masks: Masks, loaded: Loaded, purpose: Ceremony, text: string) {
  const answer = parseAnswer(text);
  if (!answer) return undefined;
  const challenge = await masks.store.signIns.challenge(answer.challenge);
  const good = challenge && challenge.attemptId === loaded.attempt.id && challenge.purpose === purpose && challenge.usedAt === null && challenge.expiresAt > masks.clock();
  return good ? answer : undefined;
}

/** A passkey or security key as the second factor of `actor` (the second-factor prompt's webauthn answer; the prompt is checked already). */
export async function answerWithCredential(masks: Masks, browser: Browser, loaded: Loaded, signing: { actor: Actor; attempt: Attempt }, text: string, again: (problem: Problem) => Step): Promise<Step> {
  const { actor } = signing;
  const guess = await beginGuess(masks, browser, loaded.deviceId, actor.id, '', 'code');
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  const answer = await answerFor(masks, loaded, 'authenticate', text);
  const authenticator = answer ? (await masks.store.factors.authenticators(actor.id)).find((a) => a.kind === 'webauthn' && a.credentialId === answer.credentialId) : undefined;
  const counter = answer && authenticator ? await verifyAuthentication(masks.config, answer.json, answer.challenge, authenticator, false) : undefined;
  if (!answer || !authenticator || counter === undefined) {
    await guess.settle(false);
    return again({ reason: 'passkey-failed' });
  }
  const now = masks.clock();
  const refused = again({ reason: 'passkey-failed' });
  const after: Attempt = { ...signing.attempt, passed: [...signing.attempt.passed, { factor: 'webauthn', at: now }] };
  const step = await proceed(masks, browser, loaded, after, { actorId: actor.id, use: { challenge: answer.challenge, webauthn: { authenticatorId: authenticator.id, counter } }, passed: { factor: 'webauthn', device: seen(browser, loaded.deviceId) } }, { refused });
  await guess.settle(step !== refused);
  return step;
}

/** A passkey alone, on the sign-in page ("Use a passkey"): whoever the discoverable credential belongs to, with user verification. */
export async function answerWithPasskey(masks: Masks, browser: Browser, loaded: Loaded, text: string, again: (problem: Problem) => Step): Promise<Step> {
  const { attempt, deviceId } = loaded;
  const parsed = parseAnswer(text);
  const owner = parsed ? await masks.store.factors.byCredentialId(parsed.credentialId) : undefined;
  // A first factor: counted like a password (credential ids are not secret; a stranger's forged answers must not hold up the person's codes).
  const guess = await beginGuess(masks, browser, deviceId, owner?.actorId, `passkey ${parsed?.credentialId ?? ''}`);
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  const answer = await answerFor(masks, loaded, 'passwordless', text);
  const counter = answer && owner?.kind === 'webauthn' ? await verifyAuthentication(masks.config, answer.json, answer.challenge, owner, true) : undefined;
  if (!answer || !owner || counter === undefined) {
    await guess.settle(false);
    return again({ reason: 'passkey-failed' });
  }
  const now = masks.clock();
  const refused = again({ reason: 'passkey-failed' });
  const after = withFactor(attempt, owner.actorId, 'passkey', now);
  const step = await proceed(masks, browser, loaded, after, { actorId: owner.actorId, use: { challenge: answer.challenge, webauthn: { authenticatorId: owner.id, counter } }, passed: { factor: 'passkey', device: seen(browser, deviceId) } }, { refused });
  await guess.settle(step !== refused);
  return step;
}

/** A new credential from the setup prompt's "Add a passkey", verified; undefined when it does not verify. */
export async function newCredential(masks: Masks, loaded: Loaded, text: string) {
  const answer = await answerFor(masks, loaded, 'register', text);
  const credential = answer ? await verifyRegistration(masks.config, answer.json, answer.challenge) : undefined;
  return answer && credential ? { ...credential, challenge: answer.challenge } : undefined;
}
