/**
 * Sign-in steps that change the account: onboarding (a name, and a password for someone
 * without one) and a new password after "Forgot your password?". Both follow the one
 * password rule and are written by the step's one command.
 */
import type { Masks } from '../context.js';
import { passwordProblem } from '../accounts/passwords.js';
import { hashPassword } from '../factors/password.js';
import type { Attempt } from '../model.js';
import { asking, proceed, toPrompt, type Browser, type Loaded, type Step } from './core.js';
import { audit, byActor } from '../audit/events.js';

/** Onboarding: a name, and a password when the actor has none and the client allows passwords. */
export async function answerOnboarding(masks: Masks, browser: Browser, loaded: Loaded, answer: { name: string; password: string }): Promise<Step> {
  const { client, deviceId } = loaded;
  const asked = await asking(masks, browser, loaded, 'onboarding');
  if (!asked) return toPrompt(loaded);
  const { actor, attempt: current } = asked;
  const again = (field: string, message: string): Step => ({ kind: 'prompt', prompt: 'onboarding', attempt: current, client, deviceId, cookies: [], actor, problem: { reason: 'input', field, message, values: { name: answer.name } } });
  const name = answer.name.normalize('NFC').replace(/\p{Cf}/gu, '').trim().replace(/\s+/g, ' ');
  if (name.length === 0 || name.length > 200 || /\p{Cc}/u.test(name)) return again('name', 'Enter your name (up to 200 characters).');
  const needsPassword = actor.passwordHash === null && client.settings.allow_passwords;
  if (needsPassword) {
    const problem = passwordProblem(masks.config.passwords, answer.password);
    if (problem) return again('password', `Choose another password: ${problem}.`);
  }
  const passwordHash = needsPassword ? await hashPassword(answer.password) : undefined;
  const after: Attempt = { ...current, steps: [...current.steps, 'onboarded'] };
  return proceed(masks, browser, loaded, after, { actorId: actor.id, onboard: { name, ...(passwordHash ? { passwordHash } : {}) } });
}

/** A new password after "Forgot your password?" and the emailed link or code: by the one password rule, typed twice. */
export async function answerNewPassword(masks: Masks, browser: Browser, loaded: Loaded, answer: { password: string; confirm: string }): Promise<Step> {
  const { client, deviceId } = loaded;
  const asked = await asking(masks, browser, loaded, 'new-password');
  if (!asked) return toPrompt(loaded);
  const { actor, attempt: current } = asked;
  const again = (message: string): Step => ({ kind: 'prompt', prompt: 'new-password', attempt: current, client, deviceId, cookies: [], actor, problem: { reason: 'input', field: 'password', message, values: {} } });
  const problem = passwordProblem(masks.config.passwords, answer.password);
  if (problem) return again(`Choose another password: ${problem}.`);
  if (answer.password !== answer.confirm) return again('The two passwords are not the same. Type the new password twice.');
  const hash = await hashPassword(answer.password);
  const after: Attempt = { ...current, steps: [...current.steps, 'password-set'] };
  // A disabled actor's new password is not kept (the sign-in core writes nothing of theirs): nothing to note.
  if (actor.disabledAt === null) audit(masks, 'password.changed', byActor(actor.id, browser.ip), { actorId: actor.id, clientId: client.id }, { how: 'reset by email' });
  return proceed(masks, browser, loaded, after, { actorId: actor.id, newPassword: hash });
}
