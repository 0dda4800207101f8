/**
 * The refresh_token grant (RFC 6749 6, RFC 9700 4.14.2): rotation on every use, reuse
 * revokes the grant, bound to the client, scope can only shrink, absolute lifetime.
 */
import { invalidGrant, invalidScope, mention } from '../oauth/errors.js';
import { parseScope } from '../oauth/scopes.js';
import { sha256 } from '../security/secrets.js';
import type { Grant } from './grant.js';
import { signedInTokens } from './tokens.js';

export const refreshTokenGrant: Grant = {
  name: 'refresh_token',
  async handle({ masks, client, params }) {
    const hash = sha256(params.requireOpaque('refresh_token'));
    const row = await masks.store.tokens.findByHash(hash);
    if (!row || row.kind !== 'refresh_token' || row.clientId !== client.id) throw invalidGrant('the refresh token is invalid, expired or revoked');
    const granted = row.scope.split(' ').filter(Boolean);
    const requested = params.has('scope') ? parseScope(params.get('scope')) : granted;
    const extra = requested.filter((scope) => !granted.includes(scope));
    if (extra.length > 0) throw invalidScope(`scope can only shrink; not granted: ${mention(extra)}`);
    const { facts } = row;
    const now = masks.clock();
    const grantee = { client, scopes: requested, grantType: 'refresh_token', sub: row.sub!, actorId: row.actorId, grantId: row.grantId, sid: row.sid };
    const { rows, response } = await signedInTokens(masks, grantee, { auth_time: facts.auth_time, amr: facts.amr, grant_expires_at: facts.grant_expires_at ?? row.expiresAt });
    const outcome = await masks.store.tokens.rotateRefreshToken({ hash, clientId: client.id, now, tokens: rows });
    if (outcome === 'used') throw invalidGrant('the refresh token was already used; the grant is revoked');
    if (outcome !== 'ok') throw invalidGrant('the refresh token is invalid, expired or revoked');
    return response;
  },
};
