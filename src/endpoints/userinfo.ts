/**
 * GET/POST /userinfo (OIDC Core 5.3, RFC 6750): a bearer access token issued to a signed-in
 * actor, in the Authorization header (or the POST body); claims only for granted scopes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { conformDescription, OAuthError } from '../oauth/errors.js';
import { signInClaims } from '../oauth/issue.js';
import { Params } from '../oauth/params.js';
import type { Actor } from '../model.js';
import { sendNoStore } from './respond.js';

const bearerError = (error: 'invalid_request' | 'invalid_token', description: string) =>
  new OAuthError(error, description, {
    status: error === 'invalid_token' ? 401 : 400,
    headers: { 'www-authenticate': `Bearer realm="masks", error="${error}", error_description="${conformDescription(description)}"` },
  });

/** The claims of an actor for a set of scopes. */
export function claimsFor(actor: Actor, scopes: string[], updatedAt: number): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    const username = actor.nickname ?? actor.emails[0]?.address;
    Object.assign(claims, {
      ...(actor.name ? { name: actor.name } : {}),
      ...(actor.nickname ? { nickname: actor.nickname } : {}),
      ...(username ? { preferred_username: username } : {}),
      updated_at: updatedAt,
    });
  }
  if (scopes.includes('email') && actor.emails[0]) Object.assign(claims, { email: actor.emails[0].address, email_verified: actor.emails[0].verifiedAt !== null });
  // masks uses scopes as groups: the actor's, as they are now.
  if (scopes.includes('groups')) claims.groups = actor.scopes;
  return claims;
}

function presentedToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const params = new Params(request.method === 'POST' ? request.body : {});
  const bodyToken = params.opaque('access_token'); // hashed only: any length is just an unknown token
  if (request.query && typeof request.query === 'object' && 'access_token' in request.query) throw bearerError('invalid_request', 'send the access token in the Authorization header, not the URL');
  if (header !== undefined) {
    if (bodyToken !== undefined) throw bearerError('invalid_request', 'send the access token once');
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
    if (!match) throw bearerError('invalid_token', 'malformed Authorization header');
    return match[1]!;
  }
  if (bodyToken !== undefined) return bodyToken;
  throw new OAuthError('invalid_request', 'an access token is required', { status: 401, headers: { 'www-authenticate': 'Bearer realm="masks"' } });
}

export function userinfoEndpoint(app: FastifyInstance, masks: Masks) {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const row = await masks.store.tokens.live(presentedToken(request), ['access_token'], masks.clock());
    if (!row?.actorId || row.sub === null) {
      throw bearerError('invalid_token', 'the access token is invalid, expired or revoked');
    }
    const scopes = row.scope.split(' ');
    if (!scopes.includes('openid')) throw new OAuthError('insufficient_scope', 'the token was not issued with the openid scope', { headers: { 'www-authenticate': 'Bearer realm="masks", error="insufficient_scope", scope="openid"' } });
    const actor = await masks.store.actors.find(row.actorId);
    if (!actor) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked');
    return sendNoStore(reply, { sub: row.sub, ...claimsFor(actor, scopes, actor.updatedAt), ...('facts' in row && row.facts ? signInClaims(row.facts) : {}) });
  };
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
}
