/**
 * Adding a passkey or security key at /account. A WebAuthn ceremony belongs to an attempt:
 * here a short one of the account client, made for this browser and actor only to hold the
 * challenge (five minutes, single use). The answer is verified against that challenge, and
 * the challenge is used up and the authenticator stored in one command.
 */
import { randomUUID } from 'node:crypto';
import { audit, byActor } from '../audit/events.js';
import { ACCOUNT_CLIENT_ID } from '../clients/service.js';
import type { Masks } from '../context.js';
import { hashBackupCode, newBackupCodes } from '../factors/backup_codes.js';
import { nameOf } from '../factors/totp_setup.js';
import { parseAnswer, registrationOptions } from '../factors/webauthn.js';
import type { Actor } from '../model.js';
import { randomToken } from '../security/secrets.js';
import { load, type Browser } from '../signin/core.js';
import { newCredential } from '../signin/webauthn.js';

const CEREMONY_LIFETIME = 300;

/** The options of a registration ceremony for this browser and actor (undefined when WebAuthn is off or the browser has no device). */
export async function passkeyOptions(masks: Masks, browser: Browser, actor: Actor): Promise<object | undefined> {
  const client = await masks.store.clients.find(ACCOUNT_CLIENT_ID);
  if (!masks.config.webauthn.enabled || !client || !browser.deviceId) return undefined;
  const options = await registrationOptions(masks.config, actor, await masks.store.factors.authenticators(actor.id));
  const now = masks.clock();
  const id = randomToken(24);
  const account = new URL('/account', masks.config.url).href;
  await masks.store.signIns.advanceAttempt({
    attemptId: id,
    now,
    create: { id, clientId: client.id, deviceId: browser.deviceId, actorId: actor.id, request: { clientId: client.id, redirectUri: account, scope: [], prompt: [], returnTo: account }, createdAt: now, expiresAt: now + CEREMONY_LIFETIME },
    challenge: { challenge: options.challenge, purpose: 'register', expiresAt: now + CEREMONY_LIFETIME },
  });
  return options;
}

/** The browser's answer: a new passkey for the actor (the first second factor comes with backup codes, returned once). */
export async function addPasskey(masks: Masks, browser: Browser, actor: Actor, text: string, typedName: string): Promise<{ codes: string[] | undefined } | { problem: string }> {
  const failed = { problem: 'The passkey could not be added. Try again.' };
  const parsed = parseAnswer(text);
  const challenge = parsed ? await masks.store.signIns.challenge(parsed.challenge) : undefined;
  if (!challenge) return failed;
  // The ceremony must be one this browser started at /account, for this actor.
  const loaded = await load(masks, browser, challenge.attemptId).catch(() => undefined);
  if (!loaded || loaded.client.id !== ACCOUNT_CLIENT_ID || loaded.attempt.actorId !== actor.id) return failed;
  const credential = await newCredential(masks, loaded, text);
  if (!credential || (await masks.store.factors.byCredentialId(credential.credentialId))) return failed;
  const { challenge: used, ...stored } = credential;
  const first = (await masks.store.factors.authenticators(actor.id)).length === 0;
  const codes = first ? newBackupCodes(masks.config.backup_codes.total) : undefined;
  const authenticator = { id: randomUUID(), actorId: actor.id, kind: 'webauthn' as const, name: nameOf(typedName, 'Passkey'), ...stored };
  const outcome = await masks.store.signIns.advanceAttempt({
    attemptId: loaded.attempt.id,
    now: masks.clock(),
    actorId: actor.id,
    use: { challenge: used },
    enrol: { authenticator, firstOnly: false, ...(codes ? { backupCodes: codes.map((code) => hashBackupCode(masks.keyed, code)) } : {}) },
  });
  if (outcome !== 'ok') return failed;
  audit(masks, 'factor.added', byActor(actor.id, browser.ip), { actorId: actor.id }, { kind: 'webauthn', name: authenticator.name, during: '/account' });
  return { codes };
}
