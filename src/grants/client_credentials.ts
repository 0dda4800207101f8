/** The client_credentials grant (RFC 6749 4.4): confidential clients only; no refresh or ID token. */
import { invalidScope, unauthorizedClient } from '../oauth/errors.js';
import { issueAccessToken } from '../oauth/issue.js';
import { ACTOR_SCOPES, ensureAllowed, parseScope } from '../oauth/scopes.js';
import type { Grant } from './grant.js';

export const clientCredentials: Grant = {
  name: 'client_credentials',
  async handle({ masks, client, params }) {
    if (client.type !== 'confidential') throw unauthorizedClient(`a ${client.type} client may not use the client_credentials grant`);
    const requested = parseScope(params.get('scope'));
    const actorScope = requested.find((scope) => ACTOR_SCOPES.has(scope));
    if (actorScope) throw invalidScope(`scope ${actorScope} needs a signed-in actor; client_credentials has none`);
    ensureAllowed(requested, client.settings.scopes.allowed);
    // No scope requested: the client's allowed scopes that need no actor (RFC 6749 3.3 default).
    const scopes = params.has('scope') ? requested : client.settings.scopes.allowed.filter((scope) => !ACTOR_SCOPES.has(scope));
    return issueAccessToken(masks, { client, scopes, grantType: 'client_credentials', sub: client.id });
  },
};
