/**
 * Client authentication at the token, introspection and revocation endpoints
 * (RFC 6749 2.3.1): client_secret_basic, client_secret_post, and none for public clients.
 * Unknown client and wrong secret answer alike; failures are rate limited per address.
 */
import type { FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import type { Client } from '../model.js';
import { invalidClient, invalidRequest, tooManyAttempts } from './errors.js';
import type { Params } from './params.js';
import { addressKey, type Counted, type Limit } from '../security/rate_limit.js';
import { sha256 } from '../security/secrets.js';
import { audit, byClient } from '../audit/events.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';
export const CLIENT_AUTH_METHODS: ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

interface Presented {
  id: string;
  secret: string | undefined;
  method: ClientAuthMethod;
}

function decodeBasicPart(part: string): string {
  // RFC 6749 2.3.1: id and secret are form-urlencoded before joining with ":".
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw invalidClient();
  }
}

function presented(request: FastifyRequest, params: Params): Presented | undefined {
  const header = request.headers.authorization;
  const postId = params.get('client_id');
  const postSecret = params.opaque('client_secret'); // hashed only: any length is just a wrong secret
  if (header !== undefined) {
    const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match) throw invalidClient();
    if (postSecret !== undefined) throw invalidRequest('use one client authentication method, not both');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1 || decoded.includes('\uFFFD')) throw invalidClient();
    const id = decodeBasicPart(decoded.slice(0, colon));
    if (id.includes('\0')) throw invalidClient(); // no client id holds one (nor could a database store it)
    if (postId !== undefined && postId !== id) throw invalidRequest('client_id does not match the Authorization header');
    return { id, secret: decodeBasicPart(decoded.slice(colon + 1)), method: 'client_secret_basic' };
  }
  if (postId === undefined) return undefined;
  return { id: postId, secret: postSecret, method: postSecret === undefined ? 'none' : 'client_secret_post' };
}

/** Why a known client failed to authenticate, in plain words for its administrator (integration diagnostics). */
function diagnose(masks: Masks, request: FastifyRequest, client: Client, method: ClientAuthMethod) {
  const reason =
    client.type === 'confidential'
      ? method === 'none'
        ? 'no client secret was sent (a confidential client sends it with client_secret_basic or client_secret_post)'
        : 'the client secret does not match (after a rotation, the old secret works only during the overlap)'
      : client.type === 'public'
        ? method === 'none'
          ? `a public client cannot call ${request.url.split('?')[0]} without a secret`
          : 'a public client has no secret; send client_id alone (method none) with PKCE'
        : 'an internal client has no OAuth credentials';
  audit(masks, 'token.failed', byClient(client.id, request.ip), { clientId: client.id }, { endpoint: request.url.split('?')[0], reason: `invalid_client: ${reason}` });
}

/** Failed client authentications, per address and per client from an address. */
const CLIENT_FAILURES: Limit = { name: 'client.failure', free: 10, baseDelay: 1, maxDelay: 300, window: 900 };

/**
 * Authenticate the client of this request. `allowPublic`: public clients may identify
 * themselves with client_id alone (method none).
 */
export async function authenticateClient(masks: Masks, request: FastifyRequest, params: Params, allowPublic = false): Promise<AuthenticatedClient> {
  const credentials = presented(request, params);
  if (!credentials) throw invalidClient();
  const address = addressKey(request.ip);
  // Ids longer than any client's are keyed by their hash, so keys stay small whatever is sent.
  const keys: Counted[] = [
    { limit: CLIENT_FAILURES, key: `ip:${address}` },
    { limit: CLIENT_FAILURES, key: `client:${address}:${credentials.id.length <= 255 ? credentials.id : sha256(credentials.id)}` },
  ];
  // Client secrets are long and random (32 characters at least): this limit stops floods, not
  // parallel guessing, so it only reads before the check and writes on a failure, never on the
  // path every good token request takes (on PostgreSQL that would be two writes each).
  const { wait, known } = await masks.store.limits.peek(keys);
  if (wait > 0) throw tooManyAttempts(wait);

  const client = credentials.id.length <= 255 ? await masks.store.clients.find(credentials.id) : undefined;
  let ok: boolean;
  if (credentials.method === 'none') {
    ok = allowPublic && client?.type === 'public';
  } else {
    // Always hash, so an unknown client takes as long as a wrong secret.
    const presentedSecret = credentials.secret ?? '';
    // After a rotation with an overlap, the old secret works until the overlap ends.
    const overlapping = client?.previousSecretHash && (client.previousSecretExpiresAt ?? 0) > masks.clock();
    const secretOk = masks.keyed.verify(presentedSecret, client?.secretHash) || (overlapping ? masks.keyed.verify(presentedSecret, client?.previousSecretHash) : false);
    ok = secretOk && client?.type === 'confidential';
  }
  const guessing = credentials.method !== 'none';
  if (!ok || !client) {
    if (guessing) await masks.store.limits.take([], keys);
    if (client) diagnose(masks, request, client, credentials.method);
    throw invalidClient();
  }
  // A success ends the client's run of failures from this address; the address keeps its own.
  if (guessing && known.some((counted) => counted.key === keys[1]!.key)) await masks.store.limits.clear(keys[1]!);
  return { client, method: credentials.method };
}
