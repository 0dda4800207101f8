/**
 * verified-email: the actor has an email address verified more recently than the client's
 * email_verification_expires_in. If not, a code is emailed to their address and the
 * person types it (a login link or code used in a sign-in verifies its address too).
 */
import { deny, pass, prompt, type ConfiguredCheck } from './check.js';

export const verifiedEmailCheck: ConfiguredCheck = {
  name: 'verified-email',
  evaluate({ client, attempt, actor, now }) {
    if (!actor || attempt.steps.includes('email-verified')) return pass();
    const fresh = actor.emails.some((email) => email.verifiedAt !== null && now - email.verifiedAt < client.settings.email_verification_expires_in);
    if (fresh) return pass();
    return actor.emails.length > 0 ? prompt('verify-email', 'interaction_required') : deny('no-email');
  },
};
