/**
 * Discovery (OpenID Connect Discovery 1.0, RFC 8414) and the JWKS. Both are built once
 * and served from memory; they list only what masks implements.
 */
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { GRANTS } from '../grants/index.js';
import { SIGNING_ALGS } from '../keys/keystore.js';
import { CLIENT_AUTH_METHODS } from '../oauth/client_auth.js';

/** An absolute URL for a path under the issuer. */
export const endpointUrl = (masks: Masks, path: string) => `${masks.config.url.replace(/\/+$/, '')}${path}`;

export function metadata(masks: Masks): Record<string, unknown> {
  const url = (path: string) => endpointUrl(masks, path);
  return {
    issuer: masks.config.url,
    token_endpoint: url('/token'),
    jwks_uri: url('/jwks'),
    introspection_endpoint: url('/introspect'),
    revocation_endpoint: url('/revoke'),
    grant_types_supported: [...GRANTS.keys()],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
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

/** GET /up: 200 while the database answers. */
export function healthEndpoint(app: FastifyInstance, masks: Masks) {
  app.get('/up', (_, reply) => {
    masks.db.sqlite.prepare('select 1').get();
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
}
