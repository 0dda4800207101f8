/**
 * POST /introspect (RFC 7662). Confidential clients see their own tokens; anything else,
 * unknown, expired, revoked or consumed is just {"active":false}.
 */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { authenticateClient } from '../oauth/client_auth.js';
import { Params } from '../oauth/params.js';
import { sha256 } from '../security/secrets.js';
import type { TokenRow } from '../storage/tokens.js';
import { sendNoStore } from './respond.js';

/** The stored token for this value if it is usable right now by `clientId`. */
export function activeToken(masks: Masks, value: string, clientId: string): TokenRow | undefined {
  const row = masks.tokens.findByHash(sha256(value));
  if (!row || row.clientId !== clientId || row.kind === 'authorization_code') return undefined;
  if (row.revokedAt !== null || row.consumedAt !== null || row.expiresAt <= masks.clock()) return undefined;
  return row;
}

export function introspectionEndpoint(app: FastifyInstance, masks: Masks) {
  app.post('/introspect', async (request, reply) => {
    const params = new Params(request.body);
    const { client } = authenticateClient(masks, request, params);
    const row = activeToken(masks, params.require('token'), client.id);
    if (!row) return sendNoStore(reply, { active: false });
    const sub = (row.data as { sub?: string } | null)?.sub;
    return sendNoStore(reply, {
      active: true,
      ...(row.scope ? { scope: row.scope } : {}),
      client_id: row.clientId,
      token_type: row.kind === 'access_token' ? 'Bearer' : 'refresh_token',
      exp: row.expiresAt,
      iat: row.createdAt,
      ...(sub ? { sub } : {}),
      aud: row.clientId,
      iss: masks.config.url,
      jti: row.id,
    });
  });
}
