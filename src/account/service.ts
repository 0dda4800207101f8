/**
 * What a person does to their own account at /account: change their password (the current
 * one checked under the guessing limits; every other session ends), end a session, withdraw
 * consent, add an authenticator app, remove a second factor, renew backup codes (the factor
 * changes only within FRESH_FOR of proving a credential). Each leaves an audit event.
 */
import { audit, byActor } from '../audit/events.js';
import { passwordProblem } from '../accounts/passwords.js';
import type { Masks } from '../context.js';
import { hashBackupCode, newBackupCodes } from '../factors/backup_codes.js';
import { hashPassword, verifyPassword } from '../factors/password.js';
import { matchTotp } from '../factors/totp.js';
import { nameOf, openSetup, sealedSecret } from '../factors/totp_setup.js';
import { FIRST_FACTORS } from '../signin/factors.js';
import type { Actor } from '../model.js';

export type PasswordChange = 'changed' | { field: 'current' | 'password' | 'confirm'; message: string };

export async function changePassword(masks: Masks, actor: Actor, ip: string, sid: string, answer: { current: string; password: string; confirm: string }): Promise<PasswordChange> {
  const guess = await masks.guesses.begin({ ip, actorId: actor.id, identifier: actor.nickname ?? actor.emails[0]?.address ?? actor.id, knownDevice: undefined });
  if (!('settle' in guess)) return { field: 'current', message: `Too many tries. Wait ${Math.ceil(guess.wait)} seconds and try again.` };
  // Someone without a password yet (signed in by email or passkey) sets one without a current one.
  const ok = actor.passwordHash === null ? true : await verifyPassword(actor.passwordHash, answer.current);
  await guess.settle(ok);
  if (!ok) {
    audit(masks, 'sign-in.failed', byActor(actor.id, ip), { actorId: actor.id }, { reason: 'wrong current password at /account' });
    return { field: 'current', message: 'That is not your current password.' };
  }
  const problem = passwordProblem(masks.config.passwords, answer.password);
  if (problem) return { field: 'password', message: `Choose another password: ${problem}.` };
  if (answer.password !== answer.confirm) return { field: 'confirm', message: 'The two passwords are not the same. Type the new password twice.' };
  await masks.store.actors.setPassword(actor.id, await hashPassword(answer.password), masks.clock(), sid);
  audit(masks, 'password.changed', byActor(actor.id, ip), { actorId: actor.id }, { how: 'at /account', other_sessions_ended: true });
  return 'changed';
}

/** End one of the person's own sessions (never someone else's). */
export async function endOwnSession(masks: Masks, actor: Actor, ip: string, sessionId: string): Promise<boolean> {
  const session = sessionId.length <= 64 ? await masks.store.signIns.sessionById(sessionId) : undefined;
  if (!session || session.actorId !== actor.id || session.endedAt !== null) return false;
  await masks.store.signIns.endSession(session.hash, session.id, masks.clock());
  audit(masks, 'session.ended', byActor(actor.id, ip), { actorId: actor.id }, { session: session.id, from: '/account' });
  return true;
}

export async function withdrawConsent(masks: Masks, actor: Actor, ip: string, clientId: string): Promise<boolean> {
  const withdrawn = clientId.length <= 255 && (await masks.store.signIns.withdrawConsent(actor.id, clientId, masks.clock()));
  if (withdrawn) audit(masks, 'consent.withdrawn', byActor(actor.id, ip), { actorId: actor.id, clientId });
  return withdrawn;
}

/** How recently a person must have proved a credential to change their second factors. */
export const FRESH_FOR = 600;

/**
 * Did the person prove a first factor (a password, a login link or code, a passkey) on this
 * session's device within FRESH_FOR? A second factor set up meanwhile (during a step-up, say)
 * proves nothing about who they are: it does not count.
 */
export async function isFresh(masks: Masks, actorId: string, sid: string): Promise<boolean> {
  const session = await masks.store.signIns.sessionById(sid);
  if (!session || session.endedAt !== null || session.actorId !== actorId) return false;
  const since = masks.clock() - FRESH_FOR;
  return (await masks.store.signIns.lastFactor(actorId, session.deviceId, FIRST_FACTORS, since)) !== undefined;
}

/** A new set of backup codes when the actor has no second factor yet (shown once), with their keyed hashes to store. */
export async function codesIfFirst(masks: Masks, actorId: string): Promise<{ codes: string[]; hashes: string[] } | undefined> {
  if ((await masks.store.factors.authenticators(actorId)).length > 0) return undefined;
  const codes = newBackupCodes(masks.config.backup_codes.total);
  return { codes, hashes: codes.map((code) => hashBackupCode(masks.keyed, code)) };
}

/** An authenticator app confirmed by its first code; the first second factor comes with backup codes (returned once). */
export async function addTotp(masks: Masks, actor: Actor, ip: string, binding: string, answer: { setup: string; code: string; name: string }): Promise<{ codes: string[] | undefined } | { problem: string }> {
  const setup = openSetup(masks, binding, actor.id, answer.setup);
  if (!setup) return { problem: 'This setup expired. Scan the new code below.' };
  const guess = await masks.guesses.begin({ ip, actorId: actor.id, identifier: '', knownDevice: undefined }, 'code');
  if (!('settle' in guess)) return { problem: `Too many tries. Wait ${Math.ceil(guess.wait)} seconds and try again.` };
  const now = masks.clock();
  const step = matchTotp(setup.secret, answer.code, now);
  await guess.settle(step !== undefined);
  if (step === undefined) return { problem: 'That code does not match. Type the code your app shows now.' };
  const first = await codesIfFirst(masks, actor.id);
  const authenticator = { id: setup.id, actorId: actor.id, kind: 'totp' as const, name: nameOf(answer.name, 'Authenticator app'), secret: masks.sealer.seal('totp', sealedSecret(actor.id, setup.id), setup.secret) };
  // The same setup confirmed twice (a double submit) adds one authenticator: the second is refused.
  if (!(await masks.store.factors.add(authenticator, { backupCodes: first?.hashes, lastStep: step }, now))) {
    return { problem: 'This authenticator app is set up already.' };
  }
  audit(masks, 'factor.added', byActor(actor.id, ip), { actorId: actor.id }, { kind: 'totp', name: authenticator.name, during: '/account' });
  return { codes: first?.codes };
}

export async function removeFactor(masks: Masks, actor: Actor, ip: string, authenticatorId: string): Promise<boolean> {
  const removed = authenticatorId.length <= 64 && (await masks.store.factors.removeAuthenticator(actor.id, authenticatorId));
  if (removed) audit(masks, 'factor.removed', byActor(actor.id, ip), { actorId: actor.id }, { authenticator: authenticatorId, during: '/account' });
  return removed;
}

/** A new set of backup codes (returned once), replacing the old; only for someone with a second factor. */
export async function renewBackupCodes(masks: Masks, actor: Actor, ip: string): Promise<string[] | undefined> {
  if ((await masks.store.factors.authenticators(actor.id)).length === 0) return undefined;
  const codes = newBackupCodes(masks.config.backup_codes.total);
  await masks.store.factors.replaceBackupCodes(actor.id, codes.map((code) => hashBackupCode(masks.keyed, code)), masks.clock());
  audit(masks, 'backup-codes.renewed', byActor(actor.id, ip), { actorId: actor.id });
  return codes;
}
