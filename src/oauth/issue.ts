/**
 * Issuing access tokens: opaque (256-bit random) by default, or JWT access tokens
 * (RFC 9068) when the client asks for them. Only the SHA-256 of either is stored.
 */
import { randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import type { Client } from '../storage/clients.js';
import { randomToken, sha256 } from '../security/secrets.js';
import { formatScope } from './scopes.js';

export interface AccessTokenRequest {
  client: Client;
  scopes: string[];
  grantType: string;
  /** The subject as the client sees it (client_id for client_credentials). */
  sub: string;
  actorId?: string | null;
  grantId?: string | null;
}

export interface IssuedAccessToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

export async function issueAccessToken(masks: Masks, request: AccessTokenRequest): Promise<IssuedAccessToken> {
  const { client } = request;
  const now = masks.clock();
  const lifetime = client.settings.access_token_expires_in;
  const id = randomUUID();
  const scope = formatScope(request.scopes);
  const format = client.settings.access_token_format;
  const token =
    format === 'jwt'
      ? await masks.keys.sign(
          {
            iss: masks.config.url,
            sub: request.sub,
            aud: client.id,
            client_id: client.id,
            iat: now,
            exp: now + lifetime,
            jti: id,
            ...(scope ? { scope } : {}),
          },
          client.settings.signing_alg,
          'at+jwt',
        )
      : randomToken();
  await masks.tokens.insert({
    id,
    kind: 'access_token',
    hash: sha256(token),
    clientId: client.id,
    actorId: request.actorId ?? null,
    grantId: request.grantId ?? null,
    grantType: request.grantType,
    scope,
    format,
    data: { sub: request.sub },
    createdAt: now,
    expiresAt: now + lifetime,
  });
  return { access_token: token, token_type: 'Bearer', expires_in: lifetime, ...(scope ? { scope } : {}) };
}
