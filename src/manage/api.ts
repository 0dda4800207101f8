/**
 * The management API under /api/manage/: one table of routes, each with the schemas it
 * validates with, registered on Fastify and described by the OpenAPI document from the
 * same table. JSON in, JSON out; errors are problem details (problem.ts).
 */
import type { StaticDecode, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pickOverrides, type ClientInput } from '../clients/service.js';
import { parseDuration } from '../config/durations.js';
import type { SeedClient } from '../config/schema.js';
import type { Masks } from '../context.js';
import { BODY_LIMIT } from '../limits.js';
import type { Actor, Client } from '../model.js';
import { authorise, type Manager } from './auth.js';
import { openApiDocument } from './openapi.js';
import { INVITATION_LIFETIME, RESET_LIFETIME } from './service.js';
import { badRequest, notFound, Problem, problemHandler, sendProblem, type FieldProblem } from './problem.js';
import * as S from './schemas.js';
import { blockDeviceAs, endSessionsAs, sendAccountLinkAs, changeActorAs, changeClientAs, createActorAs, createClientAs, deleteActorAs, deleteClientAs, endSessionAs, removeFactorAs, rotateSecretAs } from './service.js';
import { actorView, clientDocument, clientView, etagOf, eventView, iso, sessionView } from './views.js';

export const API_PREFIX = '/api/manage';

interface Call {
  masks: Masks;
  manager: Manager;
  request: FastifyRequest<{ Params: Record<string, string> }>;
  reply: FastifyReply;
  body: unknown;
  query: unknown;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify style, under the prefix: /clients/:id */
  url: string;
  summary: string;
  body?: TSchema;
  query?: TSchema;
  /** The success status and what it returns (none: 204). */
  ok: { status: number; schema?: TSchema };
  /** GET gives an ETag; PATCH honours If-Match. */
  etag?: boolean;
  run(call: Call): Promise<unknown>;
}

/** Validate against a schema: every broken field named (JSON pointer), then decoded (durations to seconds). */
export function parse<T extends TSchema>(schema: T, value: unknown, what: 'body' | 'query'): StaticDecode<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`The ${what} must be a JSON object.`);
  const input = what === 'query' ? Value.Convert(schema, Value.Default(schema, Value.Clone(value))) : value;
  const errors: FieldProblem[] = [...Value.Errors(schema, input)].slice(0, 20).map((e) => ({ field: e.path || '/', message: e.message }));
  if (errors.length > 0) throw badRequest(`${errors[0]!.field}: ${errors[0]!.message}`, errors);
  try {
    return Value.Decode(schema, input);
  } catch {
    throw badRequest(`The ${what} has a value masks cannot read.`);
  }
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** If-Match (RFC 9110 13.1.1): `*` or the current ETag; anything else is 412 before any write. */
function checkIfMatch(request: FastifyRequest, record: { revision: number; createdAt: number }) {
  const header = request.headers['if-match'];
  if (header === undefined) return;
  const tags = header.split(',').map((tag) => tag.trim());
  if (!tags.includes('*') && !tags.includes(etagOf(record))) throw new Problem(412, 'Precondition failed', 'The resource was changed since it was read (If-Match does not match its ETag); read it again and retry.');
}

const inputOf = (seed: SeedClient): ClientInput => ({
  id: seed.id,
  name: seed.name,
  secret: seed.secret,
  redirect_uris: seed.redirect_uris ?? [],
  post_logout_redirect_uris: seed.post_logout_redirect_uris ?? [],
  overrides: pickOverrides(seed as Record<string, unknown>),
});

async function findClient(masks: Masks, id: string): Promise<Client> {
  const client = id.length <= 255 ? await masks.store.clients.find(id) : undefined;
  if (!client) throw notFound(`Client "${id}"`);
  return client;
}

async function findActor(masks: Masks, id: string): Promise<Actor> {
  const actor = id.length <= 64 ? await masks.store.actors.find(id) : undefined;
  if (!actor) throw notFound(`Actor "${id}"`);
  return actor;
}

const withEtag = <T>(reply: FastifyReply, record: { revision: number; createdAt: number }, body: T): T => {
  reply.header('etag', etagOf(record));
  return body;
};

export const API_ROUTES: ApiRoute[] = [
  {
    method: 'GET',
    url: '/clients',
    summary: 'List clients',
    ok: { status: 200, schema: S.ClientList },
    run: async ({ masks }) => ({ clients: (await masks.store.clients.list()).map(clientView) }),
  },
  {
    method: 'POST',
    url: '/clients',
    summary: 'Create a client (a confidential one without a secret gets one, returned once)',
    body: S.ClientBody,
    ok: { status: 201, schema: S.ClientCreated },
    run: async ({ masks, manager, body, reply }) => {
      const { client, secret } = await createClientAs(masks, manager, inputOf(parse(S.ClientBody, body, 'body')));
      reply.header('location', `${API_PREFIX}/clients/${encodeURIComponent(client.id)}`);
      return withEtag(reply, client, { client: clientView(client), ...(secret ? { secret } : {}) });
    },
  },
  {
    method: 'GET',
    url: '/clients/:id',
    summary: 'Show a client',
    etag: true,
    ok: { status: 200, schema: S.ClientView },
    run: async ({ masks, request, reply }) => {
      const client = await findClient(masks, request.params.id!);
      return withEtag(reply, client, clientView(client));
    },
  },
  {
    method: 'PATCH',
    url: '/clients/:id',
    summary: 'Change a client (JSON merge patch of its masks.yml keys; null returns a key to its default)',
    body: S.ClientPatchBody,
    etag: true,
    ok: { status: 200, schema: S.ClientCreated },
    run: async ({ masks, manager, request, reply, body }) => {
      const client = await findClient(masks, request.params.id!);
      checkIfMatch(request, client);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The body must be a JSON merge patch object.');
      const before = clientDocument(client);
      const after = mergePatch(before, body) as Record<string, unknown>;
      if (after.id !== client.id) throw badRequest('A client id cannot change.', [{ field: '/id', message: 'cannot change' }]);
      const { client: saved, secret } = await changeClientAs(masks, manager, client, inputOf(parse(S.ClientBody, after, 'body')), before, after);
      return withEtag(reply, saved, { client: clientView(saved), ...(secret ? { secret } : {}) });
    },
  },
  {
    method: 'DELETE',
    url: '/clients/:id',
    summary: 'Delete a client (its tokens, consents and sign-ins in progress go with it)',
    ok: { status: 204 },
    run: async ({ masks, manager, request }) => {
      const client = await findClient(masks, request.params.id!);
      checkIfMatch(request, client);
      await deleteClientAs(masks, manager, client);
    },
  },
  {
    method: 'POST',
    url: '/clients/:id/secret',
    summary: 'Rotate the secret of a confidential client; the new one is returned once',
    body: S.SecretRotation,
    ok: { status: 200, schema: S.SecretRotated },
    run: async ({ masks, manager, request, reply, body }) => {
      const client = await findClient(masks, request.params.id!);
      checkIfMatch(request, client);
      const { overlap } = parse(S.SecretRotation, body ?? {}, 'body');
      const rotated = await rotateSecretAs(masks, manager, client, overlap === undefined ? 0 : parseDuration(overlap));
      return withEtag(reply, rotated.client, { client: clientView(rotated.client), secret: rotated.secret });
    },
  },
  {
    method: 'GET',
    url: '/actors',
    summary: 'List actors (search by part of a nickname, email address or name; paged)',
    query: S.ActorQuery,
    ok: { status: 200, schema: S.ActorList },
    run: async ({ masks, query }) => {
      const { q, limit = 50, offset = 0 } = parse(S.ActorQuery, query, 'query');
      const page = await masks.store.actors.search({ text: q, limit, offset });
      return { actors: await Promise.all(page.actors.map((actor) => actorView(masks, actor))), total: page.total, limit, offset };
    },
  },
  {
    method: 'POST',
    url: '/actors',
    summary: 'Create an actor',
    body: S.ActorBody,
    ok: { status: 201, schema: S.ActorView },
    run: async ({ masks, manager, body, reply }) => {
      const actor = await createActorAs(masks, manager, parse(S.ActorBody, body, 'body'));
      reply.header('location', `${API_PREFIX}/actors/${actor.id}`);
      return withEtag(reply, actor, await actorView(masks, actor));
    },
  },
  {
    method: 'GET',
    url: '/actors/:id',
    summary: 'Show an actor',
    etag: true,
    ok: { status: 200, schema: S.ActorView },
    run: async ({ masks, request, reply }) => {
      const actor = await findActor(masks, request.params.id!);
      return withEtag(reply, actor, await actorView(masks, actor));
    },
  },
  {
    method: 'PATCH',
    url: '/actors/:id',
    summary: 'Change an actor (JSON merge patch); disabled: true signs them out everywhere at once',
    body: S.ActorPatch,
    etag: true,
    ok: { status: 200, schema: S.ActorView },
    run: async ({ masks, manager, request, reply, body }) => {
      const actor = await findActor(masks, request.params.id!);
      checkIfMatch(request, actor);
      const changed = await changeActorAs(masks, manager, actor, parse(S.ActorPatch, body, 'body'), actor.revision);
      return withEtag(reply, changed, await actorView(masks, changed));
    },
  },
  {
    method: 'DELETE',
    url: '/actors/:id',
    summary: 'Delete an actor (their sessions, tokens and factors go with them; events stay)',
    ok: { status: 204 },
    run: async ({ masks, manager, request }) => {
      const actor = await findActor(masks, request.params.id!);
      checkIfMatch(request, actor);
      await deleteActorAs(masks, manager, actor);
    },
  },
  {
    method: 'POST',
    url: '/actors/:id/login-link',
    summary: 'Email the actor a single-use link: to choose a new password (reset) or set up their account (invite)',
    body: S.AccountLinkBody,
    ok: { status: 202, schema: S.AccountLinkSent },
    run: async ({ masks, manager, request, body }) => {
      const actor = await findActor(masks, request.params.id!);
      const { purpose = 'reset', expires_in } = parse(S.AccountLinkBody, body ?? {}, 'body');
      const invite = purpose === 'invite';
      const expiresIn = expires_in === undefined ? (invite ? INVITATION_LIFETIME : RESET_LIFETIME) : parseDuration(expires_in);
      if (expiresIn < 60 || expiresIn > 30 * 86_400) throw badRequest('expires_in must be between 1 minute and 30 days', [{ field: '/expires_in', message: 'out of range' }]);
      const sent = await sendAccountLinkAs(masks, manager, actor, { invite, expiresIn });
      return { sent_to: sent.address, expires_at: iso(sent.expiresAt) };
    },
  },
  {
    method: 'DELETE',
    url: '/actors/:id/second-factors/:factor',
    summary: "Remove one of an actor's second factors or passkeys (the last takes the backup codes with it)",
    ok: { status: 204 },
    run: async ({ masks, manager, request }) => {
      const actor = await findActor(masks, request.params.id!);
      if (!(await removeFactorAs(masks, manager, actor, request.params.factor!))) throw notFound(`Second factor "${request.params.factor}"`);
    },
  },
  {
    method: 'GET',
    url: '/actors/:id/sessions',
    summary: "An actor's live sessions, with their devices",
    ok: { status: 200, schema: S.SessionList },
    run: async ({ masks, request }) => {
      const actor = await findActor(masks, request.params.id!);
      return { sessions: (await masks.store.signIns.sessionsOf(actor.id, masks.clock())).map(sessionView) };
    },
  },
  {
    method: 'DELETE',
    url: '/actors/:id/sessions',
    summary: 'End every session of an actor (signed out everywhere)',
    ok: { status: 204 },
    run: async ({ masks, manager, request }) => {
      await endSessionsAs(masks, manager, await findActor(masks, request.params.id!));
    },
  },
  {
    method: 'DELETE',
    url: '/sessions/:id',
    summary: 'End a session (and the internal-client cookies issued in it)',
    ok: { status: 204 },
    run: async ({ masks, manager, request }) => {
      const session = request.params.id!.length <= 64 ? await masks.store.signIns.sessionById(request.params.id!) : undefined;
      const actor = session && session.endedAt === null ? await masks.store.actors.find(session.actorId) : undefined;
      if (!session || !actor) throw notFound(`Session "${request.params.id}"`);
      await endSessionAs(masks, manager, session, actor);
    },
  },
  {
    method: 'POST',
    url: '/devices/:id/block',
    summary: 'Block a device: everyone on it is signed out, and no sign-in there succeeds',
    ok: { status: 204 },
    run: async ({ masks, manager, request }) => {
      const device = request.params.id!.length <= 64 ? await masks.store.signIns.device(request.params.id!) : undefined;
      if (!device) throw notFound(`Device "${request.params.id}"`);
      await blockDeviceAs(masks, manager, device.id);
    },
  },
  {
    method: 'GET',
    url: '/events',
    summary: 'The audit trail, newest first (filters: actor, client, type or family such as client.*, since; paged by before)',
    query: S.EventQuery,
    ok: { status: 200, schema: S.EventList },
    run: async ({ masks, query }) => {
      const q = parse(S.EventQuery, query, 'query');
      const since = q.since === undefined ? undefined : Math.floor(Date.parse(q.since) / 1000);
      if (since !== undefined && !Number.isFinite(since)) throw badRequest('since must be an ISO 8601 date and time', [{ field: '/since', message: 'not a date-time' }]);
      const limit = q.limit ?? 100;
      const events = await masks.store.events.list({ actorId: q.actor, clientId: q.client, type: q.type, since, before: q.before, limit });
      return { events: events.map(eventView), next_before: events.length === limit ? events.at(-1)!.id : null };
    },
  },
];

/** A body parser for JSON and JSON merge patch: anything unparseable is a 400 problem. */
function parseJson(_request: FastifyRequest, body: string, done: (error: Error | null, value?: unknown) => void) {
  if (body === '') return done(null, undefined);
  try {
    done(null, JSON.parse(body));
  } catch {
    done(badRequest('The body is not valid JSON.'));
  }
}

export function managementApi(app: FastifyInstance, masks: Masks) {
  app.register(
    async (api) => {
      api.removeAllContentTypeParsers();
      api.addContentTypeParser(['application/json', 'application/merge-patch+json'], { parseAs: 'string', bodyLimit: BODY_LIMIT }, parseJson);
      api.setErrorHandler(problemHandler);
      // A NUL character is never part of a name, an identifier or a search: the API says so (400)
      // rather than store one (SQLite would, PostgreSQL cannot).
      api.addHook('preValidation', (request, _reply, done) => done(/%00/i.test(request.url) || holdsNul(request.body) ? badRequest('The request holds a NUL character (U+0000).') : undefined));
      api.setNotFoundHandler((_request, reply) => sendProblem(reply, notFound('This endpoint')));
      api.get('/openapi.json', (_request, reply) => reply.header('cache-control', 'no-cache').send(openApiDocument(masks, API_PREFIX, API_ROUTES)));
      for (const route of API_ROUTES) {
        api.route<{ Params: Record<string, string> }>({
          method: route.method,
          url: route.url,
          handler: async (request, reply) => {
            const manager = await authorise(masks, request);
            reply.header('cache-control', 'no-store');
            const body = await route.run({ masks, manager, request, reply, body: request.body, query: request.query });
            if (route.ok.status === 204) return reply.code(204).send();
            return reply.code(route.ok.status).send(body);
          },
        });
      }
    },
    { prefix: API_PREFIX },
  );
}

/** Does a parsed body hold a NUL character anywhere? */
function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value === null || typeof value !== 'object' || depth > 16) return false;
  return Object.values(value).some((item) => holdsNul(item, depth + 1));
}
