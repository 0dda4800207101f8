/**
 * Adding a passkey or security key at /account. The challenge (five minutes, single use) is
 * held by a ceremony (ceremony.ts); the answer is verified against it, and the challenge is
 * used up and the authenticator stored in one command.
 */
import { randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import { nameOf } from '../factors/totp_setup.js';
import { parseAnswer, registrationOptions } from '../factors/webauthn.js';
import type { Actor } from '../model.js';
import type { Browser } from '../signin/core.js';
import { newCredential } from '../signin/webauthn.js';
import { enrolFromCeremony, loadCeremony, startCeremony } from './ceremony.js';

const CEREMONY_LIFETIME = 300;

/** The options of a registration ceremony for this browser and actor (undefined when WebAuthn is off or the browser has no device). */
export async function passkeyOptions(masks: Masks, browser: Browser, actor: Actor): Promise<object | undefined> {
  if (!masks.config.webauthn.enabled) return undefined;
  const options = await registrationOptions(masks.config, actor, await masks.store.factors.authenticators(actor.id));
  const started = await startCeremony(masks, browser, actor, CEREMONY_LIFETIME, { challenge: { challenge: options.challenge, purpose: 'register', expiresAt: masks.clock() + CEREMONY_LIFETIME } });
  return started ? options : undefined;
}

/** The browser's answer: a new passkey for the actor (the first second factor comes with backup codes, returned once). */
export async function addPasskey(masks: Masks, browser: Browser, actor: Actor, text: string, typedName: string): Promise<{ codes: string[] | undefined } | { problem: string }> {
  const failed = { problem: 'The passkey could not be added. Try again.' };
  const parsed = parseAnswer(text);
  const challenge = parsed ? await masks.store.signIns.challenge(parsed.challenge) : undefined;
  if (!challenge) return failed;
  // The ceremony must be one this browser started at /account, for this actor.
  const loaded = await loadCeremony(masks, browser, actor, challenge.attemptId);
  if (!loaded) return failed;
  const credential = await newCredential(masks, loaded, text);
  if (!credential || (await masks.store.factors.byCredentialId(credential.credentialId))) return failed;
  const { challenge: used, ...stored } = credential;
  const authenticator = { id: randomUUID(), actorId: actor.id, kind: 'webauthn' as const, name: nameOf(typedName, 'Passkey'), ...stored };
  return (await enrolFromCeremony(masks, browser, actor, loaded, authenticator, { challenge: used })) ?? failed;
}
