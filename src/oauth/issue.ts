/**
 * Issuing tokens: access tokens (opaque 256-bit random by default, or RFC 9068 JWTs),
 * refresh tokens, ID tokens and authorization codes. Only SHA-256 hashes are stored; the
 * rows are returned for the caller to store durably, alone or with other writes.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Masks } from '../context.js';
import type { Client } from '../model.js';
import type { CodeBinding, NewToken, SignInFacts } from '../model.js';
import { randomToken, sha256 } from '../security/secrets.js';
import { acrOf } from '../signin/factors.js';
import { formatScope } from './scopes.js';

export interface Grantee {
  client: Client;
  scopes: string[];
  grantType: string;
  /** The subject as the client sees it (client_id for client_credentials). */
  sub: string;
  actorId?: string | null;
  grantId?: string | null;
  /** The session the grant was signed in with (OIDC sid). */
  sid?: string | null;
}

export interface AccessTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** What every kind of token records; the kind's own fields are added by its issuer. */
function common(masks: Masks, grantee: Grantee, value: string, lifetime: number, id = randomUUID()) {
  const now = masks.clock();
  return {
    id,
    hash: sha256(value),
    clientId: grantee.client.id,
    actorId: grantee.actorId ?? null,
    grantId: grantee.grantId ?? null,
    grantType: grantee.grantType,
    scope: formatScope(grantee.scopes),
    format: 'opaque' as const,
    sub: grantee.sub,
    sid: grantee.sid ?? null,
    createdAt: now,
    expiresAt: now + lifetime,
  };
}

/** A new access token and its row. */
/** How the person signed in, as ID tokens, JWT access tokens, userinfo and introspection say it. */
export const signInClaims = (facts: Pick<SignInFacts, 'auth_time' | 'amr'>) => ({ auth_time: facts.auth_time, acr: acrOf(facts.amr), amr: facts.amr });

/** An access token; `facts` (how the person signed in) for tokens of a signed-in grant. */
export async function accessToken(masks: Masks, grantee: Grantee, facts?: SignInFacts): Promise<{ token: string; row: NewToken; response: AccessTokenResponse }> {
  const { client } = grantee;
  const now = masks.clock();
  const lifetime = client.settings.access_token_expires_in;
  const id = randomUUID();
  const scope = formatScope(grantee.scopes);
  const jwt = client.settings.access_token_format === 'jwt';
  const token = jwt
    ? await masks.keys.sign(
        { iss: masks.config.url, sub: grantee.sub, aud: client.id, client_id: client.id, iat: now, exp: now + lifetime, jti: id, ...(scope ? { scope } : {}), ...(facts ? signInClaims(facts) : {}) },
        client.settings.signing_alg,
        'at+jwt',
      )
    : randomToken();
  return {
    token,
    row: { ...common(masks, grantee, token, lifetime, id), kind: 'access_token', format: jwt ? 'jwt' : 'opaque', ...(facts ? { facts: { auth_time: facts.auth_time, amr: facts.amr } } : {}) },
    response: { access_token: token, token_type: 'Bearer', expires_in: lifetime, ...(scope ? { scope } : {}) },
  };
}

/** Issue and store an access token on its own (client_credentials). */
export async function issueAccessToken(masks: Masks, grantee: Grantee): Promise<AccessTokenResponse> {
  const issued = await accessToken(masks, grantee);
  await masks.store.tokens.insert(issued.row);
  return issued.response;
}

/** A refresh token expiring at the grant's absolute end. */
export function refreshToken(masks: Masks, grantee: Grantee, facts: SignInFacts & { grant_expires_at: number }): { token: string; row: NewToken } {
  const token = randomToken();
  return { token, row: { ...common(masks, grantee, token, 0), kind: 'refresh_token', facts, expiresAt: facts.grant_expires_at } };
}

/** OIDC Core 3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
export const atHash = (accessTokenValue: string): string => createHash('sha256').update(accessTokenValue).digest().subarray(0, 16).toString('base64url');

export interface IdTokenClaims {
  sub: string;
  authTime: number;
  amr: string[];
  nonce?: string | undefined;
  sid?: string | undefined;
  accessToken?: string | undefined;
}

export function idToken(masks: Masks, client: Client, claims: IdTokenClaims): Promise<string> {
  const now = masks.clock();
  return masks.keys.sign(
    {
      iss: masks.config.url,
      sub: claims.sub,
      aud: client.id,
      exp: now + client.settings.id_token_expires_in,
      iat: now,
      ...signInClaims({ auth_time: claims.authTime, amr: claims.amr }),
      ...(claims.nonce !== undefined ? { nonce: claims.nonce } : {}),
      ...(claims.accessToken ? { at_hash: atHash(claims.accessToken) } : {}),
      ...(claims.sid ? { sid: claims.sid } : {}),
    },
    client.settings.signing_alg,
  );
}

/** An authorization code and its row, bound to the redirect_uri, PKCE and the sign-in. */
export function authorizationCode(masks: Masks, grantee: Grantee, binding: CodeBinding): { token: string; row: NewToken } {
  const code = randomToken();
  return { token: code, row: { ...common(masks, grantee, code, grantee.client.settings.authorization_code_expires_in), kind: 'authorization_code', binding } };
}

/** The cookie value for internal clients and its row. */
export function internalToken(masks: Masks, grantee: Grantee): { token: string; row: NewToken } {
  const token = randomToken();
  return { token, row: { ...common(masks, grantee, token, grantee.client.settings.internal_token_expires_in), kind: 'internal_token' } };
}

