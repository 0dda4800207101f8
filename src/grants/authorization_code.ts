/**
 * The authorization_code grant (RFC 6749 4.1.3, RFC 7636): single use, bound to the client,
 * the redirect_uri and the PKCE challenge; a replay revokes everything the code issued.
 */
import { invalidGrant, invalidRequest, unauthorizedClient } from '../oauth/errors.js';
import { verifierMatches } from '../oauth/pkce.js';
import { sha256 } from '../security/secrets.js';
import type { Grant } from './grant.js';
import { signedInTokens } from './tokens.js';

export const authorizationCodeGrant: Grant = {
  name: 'authorization_code',
  async handle({ masks, client, params }) {
    if (client.type === 'internal') throw unauthorizedClient('internal clients do not use OAuth grants');
    const code = params.requireOpaque('code');
    const redirectUri = params.get('redirect_uri');
    const verifier = params.get('code_verifier');
    const hash = sha256(code);
    const row = await masks.store.tokens.findByHash(hash);
    if (!row || row.kind !== 'authorization_code' || row.clientId !== client.id) throw invalidGrant('the code is invalid, expired or used');
    const data = row.binding;
    if (redirectUri !== undefined ? redirectUri !== data.redirect_uri : client.redirectUris.length !== 1) throw invalidGrant('redirect_uri does not match the authorization request');
    if (data.code_challenge !== null) {
      if (verifier === undefined) throw invalidRequest('code_verifier is missing');
      if (!verifierMatches(verifier, data.code_challenge)) throw invalidGrant('code_verifier does not match the code_challenge');
    } else if (verifier !== undefined) {
      throw invalidGrant('code_verifier sent for a code issued without code_challenge');
    }
    const now = masks.clock();
    const grantee = { client, scopes: row.scope.split(' ').filter(Boolean), grantType: 'authorization_code', sub: row.sub!, actorId: row.actorId, grantId: row.grantId, sid: row.sid };
    const facts = { auth_time: data.auth_time, amr: data.amr, grant_expires_at: now + client.settings.refresh_token_expires_in };
    const { rows, response } = await signedInTokens(masks, grantee, facts, data.nonce ?? undefined);
    const outcome = await masks.store.tokens.redeemCode({ hash, clientId: client.id, now, tokens: rows });
    if (outcome === 'used') throw invalidGrant('the code was already used; the tokens issued with it are revoked');
    if (outcome !== 'ok') throw invalidGrant('the code is invalid, expired or used');
    return response;
  },
};
