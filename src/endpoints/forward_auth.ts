/**
 * For apps on masks' cookie domain (internal clients): GET /session says who is signed in
 * on this browser; GET /verify is forward-auth for nginx auth_request, Traefik and Caddy.
 * Both read the internal cookie, an opaque reference checked here on every request.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Masks } from '../context.js';
import { admit, signedIn } from '../pages/signed_in.js';
import { endpointUrl } from './discovery.js';
import { judgeReturnAddress, siteOf } from '../oauth/authorization_request.js';

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
    const admission = client ? await admit(masks, request, client, found) : { status: 'prompt' as const };
    if (found && admission.status === 'ok') {
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
    if (found && admission.status === 'deny') return reply.code(403).send();
    // Not signed in: nginx auth_request wants 401; a proxy that follows redirects gets one with rd.
    // The return address is judged here as at /authorize: masks never forwards one it would refuse.
    const rd = typeof request.query.rd === 'string' && client?.type === 'internal' ? judgeReturnAddress(client, request.query.rd, siteOf(masks)) : undefined;
    if (rd && client) return reply.redirect(endpointUrl(masks, `/authorize/${encodeURIComponent(client.id)}?rd=${encodeURIComponent(rd)}`));
    return reply.code(401).send();
  });
}
