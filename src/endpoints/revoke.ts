/**
 * POST /revoke (RFC 7009). A client revokes its own tokens; revoking a refresh token ends
 * its whole grant. Unknown tokens (and other clients' tokens) get the same 200.
 */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { authenticateClient } from '../oauth/client_auth.js';
import { Params } from '../oauth/params.js';
import { sha256 } from '../security/secrets.js';
import { sendNoStore } from './respond.js';
import { audit, byClient } from '../audit/events.js';

export function revocationEndpoint(app: FastifyInstance, masks: Masks) {
  app.post('/revoke', async (request, reply) => {
    const params = new Params(request.body);
    const { client } = await authenticateClient(masks, request, params, true);
    params.get('token_type_hint'); // optional; the token is found by its hash whatever the hint
    const hash = sha256(params.requireOpaque('token'));
    const row = await masks.store.tokens.findByHash(hash);
    if (row && row.clientId === client.id && row.revokedAt === null) {
      const now = masks.clock();
      if (row.kind === 'refresh_token' && row.grantId) await masks.store.tokens.revokeGrant(row.grantId, now);
      else await masks.store.tokens.revoke(hash, now);
      audit(masks, 'token.revoked', byClient(client.id, request.ip), { actorId: row.actorId, clientId: client.id }, { kind: row.kind, token: row.id });
    }
    return sendNoStore(reply, '');
  });
}
