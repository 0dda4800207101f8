/**
 * Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS. Both are built once
 * and served from memory; they list only what masks implements.
 */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { GRANTS } from '../grants/index.js';
import { SIGNING_ALGS } from '../keys/keystore.js';
import { CLIENT_AUTH_METHODS } from '../oauth/client_auth.js';
import { ACR_VALUES_SUPPORTED } from '../signin/factors.js';

/** An absolute URL for a path under the issuer. */
export const endpointUrl = (masks: Masks, path: string) => `${masks.config.url.replace(/\/+$/, '')}${path}`;

export function metadata(masks: Masks): Record<string, unknown> {
  const url = (path: string) => endpointUrl(masks, path);
  return {
    issuer: masks.config.url,
    authorization_endpoint: url('/authorize'),
    token_endpoint: url('/token'),
    userinfo_endpoint: url('/userinfo'),
    end_session_endpoint: url('/logout'),
    jwks_uri: url('/jwks'),
    introspection_endpoint: url('/introspect'),
    revocation_endpoint: url('/revoke'),
    grant_types_supported: [...GRANTS.keys()],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['openid', 'profile', 'email', 'groups'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'amr', 'acr', 'sid', 'name', 'nickname', 'preferred_username', 'updated_at', 'email', 'email_verified', 'groups'],
    prompt_values_supported: ['none', 'login', 'consent'],
    acr_values_supported: ACR_VALUES_SUPPORTED,
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_parameter_supported: false,
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    subject_types_supported: ['pairwise', 'public'],
    id_token_signing_alg_values_supported: SIGNING_ALGS,
    access_token_signing_alg_values_supported: SIGNING_ALGS,
  };
}

export function discoveryEndpoints(app: FastifyInstance, masks: Masks) {
  const document = JSON.stringify(metadata(masks));
  const cacheable = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' };
  const serveDocument = (_: unknown, reply: import('fastify').FastifyReply) => reply.headers(cacheable).send(document);
  app.get('/.well-known/openid-configuration', serveDocument);
  app.get('/.well-known/oauth-authorization-server', serveDocument);
  app.get('/jwks', (_, reply) => reply.headers({ ...cacheable, 'content-type': 'application/jwk-set+json; charset=utf-8' }).send(masks.keys.jwks()));
}

/** How long readiness waits for the database before saying it is not ready. */
const READY_WAIT_MS = 1000;

/**
 * GET /up: the process is alive (nothing else is asked). GET /ready: 200 only while the
 * database answers within a second, else 503 at once, so a load balancer takes the node out
 * and puts it back by itself.
 */
export function healthEndpoint(app: FastifyInstance, masks: Masks) {
  app.get('/up', (_, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/ready', async (_, reply) => {
    reply.header('cache-control', 'no-store');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('the database did not answer in time')), READY_WAIT_MS)));
    try {
      await Promise.race([masks.store.ping(), late]);
      return reply.send({ status: 'ready' });
    } catch {
      return reply.code(503).header('retry-after', '1').send({ status: 'unavailable', reason: 'the database does not answer' });
    } finally {
      clearTimeout(timer);
    }
  });
}
