/** POST /token (RFC 6749 3.2). */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { GRANTS } from '../grants/index.js';
import { authenticateClient } from '../oauth/client_auth.js';
import { mention, OAuthError } from '../oauth/errors.js';
import { Params } from '../oauth/params.js';
import { sendNoStore } from './respond.js';
import { audit, byClient } from '../audit/events.js';

/** Names the grant type only when it is a plain identifier; never echoes anything else the caller sent. */
const unsupportedGrantType = (grantType: string) => new OAuthError('unsupported_grant_type', `grant_type ${mention([grantType])} is not supported`);

export function tokenEndpoint(app: FastifyInstance, masks: Masks) {
  app.post('/token', async (request, reply) => {
    const params = new Params(request.body);
    const grantType = params.require('grant_type');
    const { client } = await authenticateClient(masks, request, params, true);
    const grant = GRANTS.get(grantType);
    const who = byClient(client.id, request.ip);
    try {
      if (!grant) throw unsupportedGrantType(grantType);
      const response = await grant.handle({ masks, client, params, request });
      audit(masks, 'token.issued', who, { clientId: client.id }, { grant_type: grant.name });
      return sendNoStore(reply, response);
    } catch (error) {
      // For the client's administrator: why its token request failed (integration diagnostics).
      if (error instanceof OAuthError) audit(masks, 'token.failed', who, { clientId: client.id }, { grant_type: grant?.name ?? 'unsupported', reason: `${error.error}: ${error.description ?? ''}`.replace(/: $/, '') });
      throw error;
    }
  });
}
