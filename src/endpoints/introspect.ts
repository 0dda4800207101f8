/**
 * POST /introspect (RFC 7662). Confidential clients see their own access and refresh
 * tokens; anything else (unknown, expired, revoked, rotated, a code) is {"active":false}.
 */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { authenticateClient } from '../oauth/client_auth.js';
import { signInClaims } from '../oauth/issue.js';
import { Params } from '../oauth/params.js';
import { sendNoStore } from './respond.js';

export function introspectionEndpoint(app: FastifyInstance, masks: Masks) {
  app.post('/introspect', async (request, reply) => {
    const params = new Params(request.body);
    const { client } = await authenticateClient(masks, request, params);
    const row = await masks.store.tokens.live(params.requireOpaque('token'), ['access_token', 'refresh_token'], masks.clock());
    if (!row || row.clientId !== client.id) return sendNoStore(reply, { active: false });
    return sendNoStore(reply, {
      active: true,
      ...(row.scope ? { scope: row.scope } : {}),
      client_id: row.clientId,
      token_type: row.kind === 'access_token' ? 'Bearer' : 'refresh_token',
      exp: row.expiresAt,
      iat: row.createdAt,
      ...(row.sub ? { sub: row.sub } : {}),
      ...('facts' in row && row.facts ? signInClaims(row.facts) : {}),
      aud: row.clientId,
      iss: masks.config.url,
      jti: row.id,
    });
  });
}
