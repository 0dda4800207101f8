/** POST /token (RFC 6749 3.2). */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { GRANTS } from '../grants/index.js';
import { authenticateClient } from '../oauth/client_auth.js';
import { OAuthError } from '../oauth/errors.js';
import { Params } from '../oauth/params.js';
import { sendNoStore } from './respond.js';

// RFC 6749 A.10: a grant-name, or a URN such as urn:ietf:params:oauth:grant-type:device_code.
const GRANT_TYPE = /^[A-Za-z0-9._:-]{1,100}$/;

/** Names the grant type only when it is well formed; never echoes anything else the caller sent. */
function unsupportedGrantType(grantType: string): OAuthError {
  const named = GRANT_TYPE.test(grantType) ? `grant_type ${grantType}` : 'this grant_type';
  return new OAuthError('unsupported_grant_type', `${named} is not supported`);
}

export function tokenEndpoint(app: FastifyInstance, masks: Masks) {
  app.post('/token', async (request, reply) => {
    const params = new Params(request.body);
    const grantType = params.require('grant_type');
    const { client } = authenticateClient(masks, request, params, true);
    const grant = GRANTS.get(grantType);
    if (!grant) throw unsupportedGrantType(grantType);
    return sendNoStore(reply, await grant.handle({ masks, client, params, request }));
  });
}
