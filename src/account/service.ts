/**
 * What a person does to their own account at /account: change their password (the current
 * one checked under the guessing limits; every other session ends), end a session, withdraw
 * consent. Each leaves an audit event.
 */
import { audit, byActor } from '../audit/events.js';
import { passwordProblem } from '../accounts/passwords.js';
import type { Masks } from '../context.js';
import { hashPassword, verifyPassword } from '../factors/password.js';
import type { Actor } from '../model.js';

export type PasswordChange = 'changed' | { field: 'current' | 'password' | 'confirm'; message: string };

export async function changePassword(masks: Masks, actor: Actor, ip: string, sid: string, answer: { current: string; password: string; confirm: string }): Promise<PasswordChange> {
  const guess = masks.guesses.begin({ ip, actorId: actor.id, identifier: actor.nickname ?? actor.emails[0]?.address ?? actor.id, knownDevice: undefined });
  if (!('settle' in guess)) return { field: 'current', message: `Too many tries. Wait ${Math.ceil(guess.wait)} seconds and try again.` };
  // Someone without a password yet (signed in by email or passkey) sets one without a current one.
  const ok = actor.passwordHash === null ? true : await verifyPassword(actor.passwordHash, answer.current);
  guess.settle(ok);
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
