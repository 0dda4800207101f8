/**
 * credentials: the actor proves who they are with a first factor: a password, or a login
 * link or code sent by email (then the code prompt is shown). A first factor passed on this
 * device is remembered for the client's lifetime of it (password_factor_expires_in,
 * login_link_factor_expires_in); a session established for another client may skip the
 * form for sso_factor_expires_in (single sign-on). prompt=login, max_age and an id_token_hint for someone else force the
 * form again. An attempt belongs to the first actor it names: only that actor's session
 * may carry it on.
 */
import { subjectFor } from '../oauth/subjects.js';
import { amrOf, FACTORS, FIRST_FACTORS, type FactorKind } from '../signin/factors.js';
import { pass, prompt, type CheckContext, type ConfiguredCheck } from './check.js';

const ask = prompt('credentials', 'login_required');
const askCode = prompt('login-code', 'login_required');
const askNewPassword = prompt('new-password', 'login_required');

/** Whether the live session may stand in for the password on this attempt. */
async function sessionCovers(context: CheckContext): Promise<boolean> {
  const { masks, client, attempt, session, now } = context;
  if (!session) return false;
  if (attempt.actorId !== null && session.actorId !== attempt.actorId) return false;
  const { request } = attempt;
  if (request.hintSub !== undefined) {
    const actor = await masks.store.actors.find(session.actorId);
    if (!actor || subjectFor(masks, client, actor) !== request.hintSub) return false;
  }
  if (request.prompt.includes('login')) return false;
  // max_age=0 means "sign in again": a session exactly max_age old is too old.
  if (request.maxAge !== undefined && now - session.authTime >= request.maxAge) return false;
  const settings = client.settings;
  for (const kind of FIRST_FACTORS.filter((kind) => allows(context, kind))) {
    const factor = await masks.store.signIns.lastFactor(session.actorId, session.deviceId, kind, now - settings[FACTORS[kind].remembered]);
    if (factor && (factor.clientId === client.id || now - factor.passedAt <= settings.sso_factor_expires_in)) return true;
  }
  return false;
}

/** Does this client take this first factor (a client without login links takes no sign-in by email, even by SSO)? */
function allows({ masks, client }: CheckContext, kind: FactorKind): boolean {
  if (kind === 'password') return client.settings.allow_passwords;
  if (kind === 'login_link') return client.settings.allow_login_links && masks.config.login_links.enabled;
  if (kind === 'passkey') return masks.config.passkeys.enabled;
  return true;
}

export const credentialsCheck: ConfiguredCheck = {
  name: 'credentials',
  async evaluate(context) {
    const { attempt, session } = context;
    const first = attempt.actorId ? attempt.passed.filter((p) => FACTORS[p.factor].order === 'first' && allows(context, p.factor)) : [];
    // "Forgot your password?": once the emailed link or code is passed, a new password before anything else.
    const resetting = attempt.steps.includes('password-reset') && !attempt.steps.includes('password-set') && first.some((p) => p.factor === 'login_link');
    if (resetting) return askNewPassword;
    if (first.length > 0) return pass({ actorId: attempt.actorId!, authTime: Math.max(...first.map((p) => p.at)), amr: amrOf(attempt.passed.map((p) => p.factor)) });
    if (session && (await sessionCovers(context))) return pass({ actorId: session.actorId, amr: session.amr, authTime: session.authTime });
    return attempt.steps.includes('login-link') ? askCode : ask;
  },
};
