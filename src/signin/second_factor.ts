/**
 * The second-factor prompts of the sign-in core: answering with a TOTP code or a backup
 * code, and setting up a first authenticator inside the sign-in (with backup codes shown
 * once). Every code is counted against the same guessing limits as passwords, and each
 * step writes one command (a used TOTP step or backup code is refused there, atomically).
 */
import { randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import { hashBackupCode, newBackupCodes, normaliseBackupCode } from '../factors/backup_codes.js';
import { matchTotp } from '../factors/totp.js';
import { nameOf, openSetup, sealedSecret } from '../factors/totp_setup.js';
import type { Actor, Attempt, NewAuthenticator } from '../model.js';
import type { AttemptChange } from '../storage/store.js';
import { asking, beginGuess, proceed, record, seen, type Browser, type Loaded, type Problem, type Step } from './core.js';
import type { SecondFactorKind } from './factors.js';
import { answerWithCredential, newCredential } from './webauthn.js';
import { answerSmsCode, confirmSetupCode, sendSetupCode, sendSignInCode } from './sms.js';
import { audit, byActor } from '../audit/events.js';

/** The actor's TOTP authenticator a code matches at a step not used before, if any (every authenticator is tried). */
async function totpMatch(masks: Masks, actorId: string, code: string, now: number): Promise<{ authenticatorId: string; step: number } | undefined> {
  let found: { authenticatorId: string; step: number } | undefined;
  for (const authenticator of await masks.store.factors.authenticators(actorId)) {
    if (authenticator.kind !== 'totp' || authenticator.secret === null) continue;
    const secret = masks.sealer.open('totp', sealedSecret(actorId, authenticator.id), authenticator.secret);
    const step = secret === undefined ? undefined : matchTotp(secret, code, now);
    if (step !== undefined && (authenticator.lastStep === null || step > authenticator.lastStep)) found ??= { authenticatorId: authenticator.id, step };
  }
  return found;
}

/** The second-factor prompt: a TOTP code, a passkey or a backup code, taken only while the checks ask for one the actor has. */
export async function answerSecondFactor(masks: Masks, browser: Browser, loaded: Loaded, answer: { method: SecondFactorKind; code: string; credential: string; resend?: boolean }): Promise<Step> {
  const { client, deviceId } = loaded;
  const location = `/sign-in/${loaded.attempt.id}`;
  const asked = await asking(masks, browser, loaded, 'second-factor');
  if (!asked || !asked.offer?.includes(answer.method)) return { kind: 'go', location, cookies: [] };
  const { actor, attempt, offer } = asked;
  const again = (problem: Problem): Step => ({ kind: 'prompt', prompt: 'second-factor', attempt, client, deviceId, cookies: [], actor, offer, chosen: answer.method, problem });
  if (answer.method === 'webauthn') return answerWithCredential(masks, browser, loaded, { actor, attempt }, answer.credential, again);
  if (answer.method === 'sms') {
    if (!answer.resend) return answerSmsCode(masks, browser, loaded, { actor, attempt }, answer.code, again);
    const sentTo = await sendSignInCode(masks, browser, loaded, actor, true);
    return sentTo ? { kind: 'go', location: `${location}?with=sms`, cookies: [] } : again({ reason: 'too-many-attempts', retryAfter: 3600 });
  }
  const guess = await beginGuess(masks, browser, deviceId, actor.id, '', 'code');
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  const now = masks.clock();
  const passed = { factor: answer.method, device: seen(browser, deviceId) };
  if (answer.method === 'backup_code') {
    const code = normaliseBackupCode(answer.code);
    const outcome = code ? await record(masks, attempt.id, now, { actorId: actor.id, use: { backupCode: hashBackupCode(masks.keyed, code) }, passed }) : 'refused';
    await guess.settle(outcome === 'ok');
    if (outcome === 'refused') return again({ reason: 'code-mismatch' });
    return { kind: 'notice', notice: { about: 'backup-codes-left', left: await masks.store.factors.backupCodesLeft(actor.id) }, next: location, client, cookies: [] };
  }
  const match = await totpMatch(masks, actor.id, answer.code, now);
  if (!match) {
    await guess.settle(false);
    return again({ reason: 'code-mismatch' });
  }
  const after: Attempt = { ...attempt, passed: [...attempt.passed, { factor: 'totp', at: now }] };
  const refused = again({ reason: 'code-mismatch' });
  const step = await proceed(masks, browser, loaded, after, { actorId: actor.id, use: { totpStep: match }, passed }, { refused });
  await guess.settle(step !== refused);
  return step;
}

/**
 * The setup prompt, for an actor with no second factor: the code from the new authenticator
 * confirms it. The first one comes with a new set of backup codes, shown once.
 */
export async function answerSecondFactorSetup(
  masks: Masks,
  browser: Browser,
  loaded: Loaded,
  answer: { method: 'totp' | 'webauthn' | 'phone' | 'phone-code'; setup: string; code: string; name: string; credential: string; phone: string },
): Promise<Step> {
  const { client, deviceId } = loaded;
  const location = `/sign-in/${loaded.attempt.id}`;
  const asked = await asking(masks, browser, loaded, 'second-factor-setup');
  if (!asked) return { kind: 'go', location, cookies: [] };
  const { actor, attempt, offer } = asked;
  if (answer.method === 'webauthn' && masks.config.webauthn.enabled) return addPasskey(masks, browser, loaded, { actor, attempt }, answer);
  // The setup asks for a passkey only (acr_values=phr): nothing else is taken.
  if (offer) return { kind: 'go', location, cookies: [] };
  if (answer.method === 'phone' && masks.config.phones.enabled) return sendSetupCode(masks, browser, loaded, { actor, attempt }, answer.phone);
  if (answer.method === 'phone-code' && masks.config.phones.enabled) return confirmSetupCode(masks, browser, loaded, { actor, attempt }, answer.code);
  const setup = masks.config.totp_codes.enabled ? openSetup(masks, attempt.id, actor.id, answer.setup) : undefined;
  const again = (problem: Problem): Step => ({ kind: 'prompt', prompt: 'second-factor-setup', attempt, client, deviceId, cookies: [], actor, problem, ...(setup ? { setup: answer.setup } : {}) });
  if (!setup) return again({ reason: 'code-mismatch' });
  const guess = await beginGuess(masks, browser, deviceId, actor.id, '', 'code');
  if (!('settle' in guess)) return again({ reason: 'too-many-attempts', retryAfter: Math.ceil(guess.wait) });
  const now = masks.clock();
  const step = matchTotp(setup.secret, answer.code, now);
  await guess.settle(step !== undefined);
  if (step === undefined) return again({ reason: 'code-mismatch' });
  const authenticator = { id: setup.id, actorId: actor.id, kind: 'totp' as const, name: nameOf(answer.name, 'Authenticator app'), secret: masks.sealer.seal('totp', sealedSecret(actor.id, setup.id), setup.secret) };
  return enrolFirst(masks, browser, loaded, actor, authenticator, { totpStep: { authenticatorId: setup.id, step } }, 'totp');
}

/** "Add a passkey" at setup: the new credential, verified against this attempt's challenge. */
async function addPasskey(masks: Masks, browser: Browser, loaded: Loaded, signing: { actor: Actor; attempt: Attempt }, answer: { name: string; credential: string }): Promise<Step> {
  const { actor, attempt } = signing;
  const fresh = await newCredential(masks, loaded, answer.credential);
  // A credential id masks knows already (someone's key) is never taken for another.
  const credential = fresh && !(await masks.store.factors.byCredentialId(fresh.credentialId)) ? fresh : undefined;
  if (!credential) return { kind: 'prompt', prompt: 'second-factor-setup', attempt, client: loaded.client, deviceId: loaded.deviceId, cookies: [], actor, problem: { reason: 'passkey-failed' } };
  const { challenge, ...stored } = credential;
  const authenticator = { id: randomUUID(), actorId: actor.id, kind: 'webauthn' as const, name: nameOf(answer.name, 'Passkey'), ...stored };
  return enrolFirst(masks, browser, loaded, actor, authenticator, { challenge }, 'webauthn');
}

/**
 * Set up the actor's first second factor, passed in the same step, with a new set of backup
 * codes shown once. Refused when one was set up meanwhile (another tab): then this sign-in
 * asks for that one.
 */
export async function enrolFirst(masks: Masks, browser: Browser, loaded: Loaded, actor: Actor, authenticator: NewAuthenticator, use: NonNullable<AttemptChange['use']>, factor: 'totp' | 'webauthn' | 'sms'): Promise<Step> {
  const { attempt, client, deviceId } = loaded;
  const location = `/sign-in/${attempt.id}`;
  const codes = newBackupCodes(masks.config.backup_codes.total);
  const change: Omit<AttemptChange, 'attemptId' | 'now'> = {
    actorId: actor.id,
    enrol: { authenticator, backupCodes: codes.map((code) => hashBackupCode(masks.keyed, code)), firstOnly: true },
    use,
    passed: { factor, device: seen(browser, deviceId) },
  };
  if ((await record(masks, attempt.id, masks.clock(), change)) === 'refused') return { kind: 'go', location, cookies: [] };
  audit(masks, 'factor.added', byActor(actor.id, browser.ip), { actorId: actor.id, clientId: client.id }, { kind: authenticator.kind, name: authenticator.name, during: 'sign-in' });
  return { kind: 'notice', notice: { about: 'backup-codes', codes }, next: location, client, cookies: [] };
}
