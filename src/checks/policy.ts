/**
 * The checks every sign-in runs once the credentials check has had its say, whatever the
 * client demands: someone must be known, not disabled, be the one id_token_hint names, and
 * hold the client's required scopes.
 */
import { subjectFor } from '../oauth/subjects.js';
import { deny, pass, type Check } from './check.js';

/** A client that asks for no credentials cannot tell who signs in: nothing to issue. */
export const actorKnownCheck: Check = {
  name: 'actor-known',
  evaluate: ({ actor }) => (actor ? pass() : deny('no-credentials')),
};

/** A disabled actor signs in nowhere (disabling also ended their sessions and revoked their tokens). */
export const actorEnabledCheck: Check = {
  name: 'actor-enabled',
  evaluate: ({ actor }) => (actor?.disabledAt != null ? deny('actor-disabled', { oauthError: 'access_denied' }) : pass()),
};

/** OIDC Core 3.1.2.1: with an id_token_hint, the sign-in must end as that subject. */
export const idTokenHintCheck: Check = {
  name: 'id-token-hint',
  evaluate({ masks, client, attempt, actor }) {
    const hinted = attempt.request.hintSub;
    if (hinted === undefined || !actor || subjectFor(masks, client, actor) === hinted) return pass();
    return deny('hint-mismatch', { oauthError: 'login_required' });
  },
};

/** scopes.required: the actor must hold every one (masks uses scopes as groups). */
export const requiredScopesCheck: Check = {
  name: 'required-scopes',
  evaluate({ client, actor }) {
    const missing = actor ? client.settings.scopes.required.filter((scope) => !actor.scopes.includes(scope)) : [];
    return missing.length > 0 ? deny('scopes-missing', { names: missing }) : pass();
  },
};

/** In the order they run, right where `credentials` stands in the installation's order. */
export const POLICY_CHECKS: readonly Check[] = [actorKnownCheck, actorEnabledCheck, idTokenHintCheck, requiredScopesCheck];
