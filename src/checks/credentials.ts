/**
 * credentials: the actor proves who they are with a password. A password passed on this
 * device is remembered for the client's password_factor_expires_in; a session established
 * for another client may skip the form for sso_factor_expires_in (single sign-on).
 * prompt=login, max_age and an id_token_hint for someone else force the form again.
 */
import { subjectFor } from '../oauth/subjects.js';
import { pass, type Check, type CheckContext, type Outcome } from './check.js';

const signIn: Outcome = { kind: 'prompt', prompt: 'sign-in', oauthError: 'login_required' };

/** Whether the live session may stand in for the password on this attempt. */
function sessionCovers({ masks, client, attempt, session, now }: CheckContext): boolean {
  if (!session) return false;
  // Once an attempt has its actor, only that actor's session may carry it on.
  if (attempt.actorId !== null && session.actorId !== attempt.actorId) return false;
  const { request } = attempt;
  if (request.hintSub !== undefined) {
    const actor = masks.actors.find(session.actorId);
    if (!actor || subjectFor(masks, client, actor) !== request.hintSub) return false;
  }
  if (request.prompt.includes('login') && !attempt.passed.includes('pwd')) return false;
  // max_age=0 means "sign in again": a session exactly max_age old is too old.
  if (request.maxAge !== undefined && now - session.authTime >= request.maxAge) return false;
  const settings = client.settings;
  const factor = masks.signIns.lastFactor(session.actorId, session.deviceId, 'pwd', now - settings.password_factor_expires_in);
  if (!factor) return false;
  return factor.clientId === client.id || now - factor.passedAt <= settings.sso_factor_expires_in;
}

export const credentialsCheck: Check = {
  name: 'credentials',
  evaluate(context) {
    const { masks, attempt, session, now } = context;
    if (attempt.actorId && attempt.passed.includes('pwd')) {
      const factor = masks.signIns.lastFactor(attempt.actorId, attempt.deviceId, 'pwd', attempt.createdAt - 1);
      return pass({ actorId: attempt.actorId, amr: ['pwd'], authTime: factor?.passedAt ?? now });
    }
    if (session && sessionCovers(context)) return pass({ actorId: session.actorId, amr: session.amr, authTime: session.authTime });
    return signIn;
  },
};
