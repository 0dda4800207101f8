/**
 * For apps on masks' cookie domain (internal clients): GET /session says who is signed in
 * on this browser; GET /verify is forward-auth for nginx auth_request, Traefik and Caddy.
 * Both read the internal cookie, an opaque reference checked here on every request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { browserOf, cookieNames, singleCookie } from '../pages/cookies.js';
import { silentOutcome } from '../signin/core.js';
import { endpointUrl } from './discovery.js';
import { judgeReturnAddress, siteOf } from '../oauth/authorization_request.js';
import type { Actor } from '../model.js';
import type { Client } from '../model.js';

interface Signed {
  actor: Actor;
  client: Client;
  sub: string;
  expiresAt: number;
}

/** The actor behind this browser's internal cookie, if it is live. */
async function signedIn(masks: Masks, request: FastifyRequest): Promise<Signed | undefined> {
  const value = singleCookie(request, cookieNames(masks).internal);
  if (!value || value.length > 200) return undefined;
  const row = await masks.store.tokens.live(value, ['internal_token'], masks.clock());
  if (!row?.actorId || row.sub === null) return undefined;
  const [actor, client] = await Promise.all([masks.store.actors.find(row.actorId), masks.store.clients.find(row.clientId)]);
  if (!actor || !client) return undefined;
  return { actor, client, sub: row.sub, expiresAt: row.expiresAt };
}

/**
 * A header value: no control or format characters (nothing a person chose can split a
 * header), sent as UTF-8 bytes (what proxies pass on; Node takes header strings as Latin-1).
 */
const headerSafe = (value: string) => Buffer.from(value.replace(/[\p{Cc}\p{Cf}]/gu, ''), 'utf8').toString('latin1');

export function forwardAuthEndpoints(app: FastifyInstance, masks: Masks) {
  app.get('/session', async (request, reply) => {
    const found = await signedIn(masks, request);
    reply.headers({ 'cache-control': 'no-store', vary: 'Cookie' });
    if (!found) return reply.code(401).send({ signed_in: false });
    const { actor, client, sub, expiresAt } = found;
    return reply.send({
      signed_in: true,
      sub,
      client_id: client.id,
      nickname: actor.nickname,
      email: actor.emails[0]?.address ?? null,
      name: actor.name,
      scopes: actor.scopes,
      expires_at: expiresAt,
    });
  });

  app.get<{ Querystring: { rd?: string; client_id?: string } }>('/verify', async (request, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    const found = await signedIn(masks, request);
    const named = request.query.client_id;
    const wanted = typeof named === 'string' && named.length <= 255 ? await masks.store.clients.find(named) : undefined;
    // A proxy naming a client masks does not know is misconfigured: let nobody in.
    if (named !== undefined && !wanted) return reply.code(403).send();
    const client = wanted ?? found?.client;
    // A cookie from another internal client's sign-in counts only if this client's checks
    // (a second factor, say) would pass now without asking anything.
    const outcome = !found || !client ? 'prompt' : client.id === found.client.id ? 'pass' : await silentOutcome(masks, browserOf(masks, request), client, found.actor.id);
    const allowed = found && client && outcome === 'pass' && client.settings.scopes.required.every((scope) => found.actor.scopes.includes(scope));
    if (found && allowed) {
      const { actor } = found;
      return reply
        .headers({
          'remote-user': headerSafe(actor.nickname ?? actor.emails[0]?.address ?? found.sub),
          'remote-email': headerSafe(actor.emails[0]?.address ?? ''),
          'remote-name': headerSafe(actor.name ?? actor.nickname ?? ''),
          'remote-groups': headerSafe(actor.scopes.join(',')),
        })
        .code(200)
        .send();
    }
    // Signed in, but not someone this client lets in (a scope, a blocked device): no sign-in will help.
    if (found && outcome !== 'prompt') return reply.code(403).send();
    // Not signed in: nginx auth_request wants 401; a proxy that follows redirects gets one with rd.
    // The return address is judged here as at /authorize: masks never forwards one it would refuse.
    const rd = typeof request.query.rd === 'string' && client?.type === 'internal' ? judgeReturnAddress(client, request.query.rd, siteOf(masks)) : undefined;
    if (rd && client) return reply.redirect(endpointUrl(masks, `/authorize/${encodeURIComponent(client.id)}?rd=${encodeURIComponent(rd)}`));
    return reply.code(401).send();
  });
}
