/**
 * /manage: the management UI, server-rendered like the sign-in pages and working without
 * JavaScript. Open to actors with masks:manage (the management client's sign-in); every
 * form carries the session's CSRF token. Each action is the management service's, as the
 * API's is, so both keep the same rules and leave the same audit events.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MANAGEMENT_CLIENT_ID, readOnlyReason } from '../clients/service.js';
import { parseDuration, isDuration } from '../config/durations.js';
import type { Masks } from '../context.js';
import { InputError } from '../errors.js';
import type { Actor, Client } from '../model.js';
import { pageErrorHandler } from '../pages/errors.js';
import { pageBasics } from '../pages/plugin.js';
import { renderMessage, renderPage } from '../pages/render.js';
import { csrfMatches, manageCsrfToken, sessionManager, type Manager } from './auth.js';
import { Problem } from './problem.js';
import { blockDeviceAs, endSessionAs, endSessionsAs, INVITATION_LIFETIME, removeFactorAs, RESET_LIFETIME, sendAccountLinkAs, changeActorAs, createActorAs, createClientAs, deleteClientAs, rotateSecretAs } from './service.js';
import { caddySnippet, nginxSnippet, oidcSnippet, traefikSnippet } from './snippets.js';
import { eventView, iso, sessionView } from './views.js';

type Form = Record<string, string | string[] | undefined>;
const field = (form: Form, name: string): string => {
  const value = form[name];
  return typeof value === 'string' ? value.trim() : '';
};
const words = (value: string) => value.split(/\s+/).filter(Boolean);

interface Signed {
  manager: Manager;
  csrf: string;
}

/** The manager behind a request, or the reply already sent (to the sign-in, or a refusal). */
async function guard(masks: Masks, request: FastifyRequest, reply: FastifyReply): Promise<Signed | undefined> {
  const found = await sessionManager(masks, request);
  if (found === 'prompt') {
    if (request.method === 'GET') {
      const path = request.url.split('?')[0]!;
      void reply.redirect(`/authorize/${MANAGEMENT_CLIENT_ID}?rd=${encodeURIComponent(path)}`);
    } else {
      void renderMessage(masks, reply, 'Signed out', 'Your session ended. Open /manage and sign in again.', 401);
    }
    return undefined;
  }
  if (found === 'deny') {
    void renderMessage(masks, reply, 'Access denied', 'Managing masks needs the masks:manage scope. Ask a manager for it.', 403);
    return undefined;
  }
  const csrf = manageCsrfToken(masks, found.sid);
  if (request.method === 'POST' && !csrfMatches(masks, found.sid, (request.body as Form | undefined)?.csrf)) {
    void renderMessage(masks, reply, 'Form expired', 'This form is out of date. Go back, reload the page and try again.', 403);
    return undefined;
  }
  return { manager: found.manager, csrf };
}

/** Problems a person can fix (a taken id, a bad URI): their words, on the page. */
const fixable = (error: unknown): string | undefined => (error instanceof InputError || error instanceof Problem ? error.message : undefined);

async function clientsPage(masks: Masks, reply: FastifyReply, signed: Signed, extra: { problem?: string; values?: Record<string, string> } = {}, status = 200) {
  const clients = await masks.store.clients.list();
  return renderPage(masks, reply, 'manage/clients', { title: 'Clients', wide: true, nav: true, clients, csrf: signed.csrf, values: extra.values ?? {}, problem: extra.problem }, status);
}

async function clientPage(masks: Masks, reply: FastifyReply, signed: Signed, client: Client, extra: { secret?: string; problem?: string } = {}, status = 200) {
  const url = masks.config.url;
  const failures = [
    ...(await masks.store.events.list({ clientId: client.id, type: 'authorize.failed', limit: 5 })),
    ...(await masks.store.events.list({ clientId: client.id, type: 'token.failed', limit: 5 })),
  ]
    .sort((a, b) => b.id - a.id)
    .map(eventView);
  return renderPage(masks, reply, 'manage/client', {
    title: client.name,
    wide: true,
    nav: true,
    client,
    csrf: signed.csrf,
    readOnly: readOnlyReason(client),
    snippet: client.type === 'internal' ? `sign-in link: ${url.replace(/\/$/, '')}/authorize/${encodeURIComponent(client.id)}?rd=<where to return>` : oidcSnippet(url, client, extra.secret),
    proxies: client.type === 'internal' ? { nginx: nginxSnippet(url, client), traefik: traefikSnippet(url, client), caddy: caddySnippet(url, client) } : undefined,
    failures,
    secret: extra.secret,
    problem: extra.problem,
  }, status);
}

async function findClient(masks: Masks, reply: FastifyReply, id: string): Promise<Client | undefined> {
  const client = id.length <= 255 ? await masks.store.clients.find(id) : undefined;
  if (!client) void renderMessage(masks, reply, 'Unknown client', 'There is no such client.', 404);
  return client;
}

async function actorsPage(masks: Masks, reply: FastifyReply, signed: Signed, q: string, problem?: string, status = 200, notice?: string) {
  const page = await masks.store.actors.search({ text: q || undefined, limit: 100, offset: 0 });
  const actors = await Promise.all(
    page.actors.map(async (a) => ({
      id: a.id,
      nickname: a.nickname,
      name: a.name,
      email: a.emails[0]?.address,
      scopes: a.scopes,
      disabled: a.disabledAt !== null,
      factors: (await masks.store.factors.authenticators(a.id)).map((f) => f.kind).join(', '),
    })),
  );
  return renderPage(masks, reply, 'manage/actors', { title: 'Actors', wide: true, nav: true, actors, total: page.total, q, csrf: signed.csrf, problem, notice }, status);
}

async function actorPage(masks: Masks, reply: FastifyReply, signed: Signed, actor: Actor, extra: { notice?: string; problem?: string } = {}, status = 200) {
  const [sessions, factors] = await Promise.all([masks.store.signIns.sessionsOf(actor.id, masks.clock()), masks.store.factors.authenticators(actor.id)]);
  return renderPage(
    masks,
    reply,
    'manage/actor',
    {
      title: actor.nickname ?? actor.emails[0]?.address ?? actor.id,
      wide: true,
      nav: true,
      actor: { ...actor, email: actor.emails[0]?.address },
      sessions: sessions.map(sessionView),
      factors: factors.map((f) => ({ id: f.id, name: f.name, kind: f.kind, last_used_at: f.lastUsedAt === null ? null : iso(f.lastUsedAt) })),
      csrf: signed.csrf,
      ...extra,
    },
    status,
  );
}

/** The actor a form names (in the path, or the `actor` field), or a 404 page already sent. */
async function findActor(masks: Masks, reply: FastifyReply, id: unknown): Promise<Actor | undefined> {
  const actor = typeof id === 'string' && id.length <= 64 ? await masks.store.actors.find(id) : undefined;
  if (!actor) void renderMessage(masks, reply, 'Unknown actor', 'There is no such actor.', 404);
  return actor;
}

export function managePages(app: FastifyInstance, masks: Masks) {
  app.register(async (pages) => {
    // A rule a manager's action breaks (beyond their rights, the last manager) is a page saying so.
    const pageErrors = pageErrorHandler(masks);
    await pageBasics(pages, masks, (error, request, reply) => (error instanceof Problem ? renderMessage(masks, reply, error.title, error.detail, error.status) : pageErrors(error, request, reply)));

    pages.get('/manage', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      return signed && clientsPage(masks, reply, signed);
    });

    pages.post('/manage/clients', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const form = request.body as Form;
      const values = { id: field(form, 'id'), name: field(form, 'name'), client_type: field(form, 'client_type'), redirect_uris: field(form, 'redirect_uris'), scopes: field(form, 'scopes') };
      const type = values.client_type === 'public' || values.client_type === 'internal' ? values.client_type : 'confidential';
      try {
        const { client, secret } = await createClientAs(masks, signed.manager, {
          id: values.id,
          name: values.name || undefined,
          redirect_uris: values.redirect_uris.split(/\s+/).filter(Boolean),
          post_logout_redirect_uris: [],
          overrides: { client_type: type, scopes: { allowed: words(values.scopes) }, ...(type === 'internal' ? {} : { checks: ['device', 'credentials', 'client-consent'] }) },
        });
        return clientPage(masks, reply, signed, client, secret ? { secret } : {}, 201);
      } catch (error) {
        const problem = fixable(error);
        if (!problem) throw error;
        return clientsPage(masks, reply, signed, { problem, values }, 422);
      }
    });

    pages.get<{ Params: { id: string } }>('/manage/clients/:id', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const client = await findClient(masks, reply, request.params.id);
      return client && clientPage(masks, reply, signed, client);
    });

    pages.post<{ Params: { id: string } }>('/manage/clients/:id/secret', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const client = await findClient(masks, reply, request.params.id);
      if (!client) return reply;
      const overlap = field(request.body as Form, 'overlap');
      if (overlap && !isDuration(overlap)) return clientPage(masks, reply, signed, client, { problem: `"${overlap}" is not a duration (say "1 day" or "2 hours").` }, 422);
      try {
        const rotated = await rotateSecretAs(masks, signed.manager, client, overlap ? parseDuration(overlap) : 0);
        return clientPage(masks, reply, signed, rotated.client, { secret: rotated.secret });
      } catch (error) {
        const problem = fixable(error);
        if (!problem) throw error;
        return clientPage(masks, reply, signed, client, { problem }, 409);
      }
    });

    pages.post<{ Params: { id: string } }>('/manage/clients/:id/delete', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const client = await findClient(masks, reply, request.params.id);
      if (!client) return reply;
      try {
        await deleteClientAs(masks, signed.manager, client);
      } catch (error) {
        const problem = fixable(error);
        if (!problem) throw error;
        return clientPage(masks, reply, signed, client, { problem }, 409);
      }
      return reply.redirect('/manage');
    });

    pages.get<{ Querystring: { q?: string } }>('/manage/actors', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const q = typeof request.query.q === 'string' ? request.query.q.slice(0, 200) : '';
      return signed && actorsPage(masks, reply, signed, q);
    });

    pages.post('/manage/actors', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const form = request.body as Form;
      const optional = (name: string) => field(form, name) || undefined;
      try {
        const actor = await createActorAs(masks, signed.manager, { nickname: optional('nickname'), email: optional('email'), password: typeof form.password === 'string' && form.password !== '' ? form.password : undefined, scopes: words(field(form, 'scopes')) });
        if (field(form, 'invite') === 'yes') {
          const sent = await sendAccountLinkAs(masks, signed.manager, actor, { invite: true, expiresIn: INVITATION_LIFETIME });
          return actorsPage(masks, reply, signed, '', undefined, 200, `Invitation sent to ${sent.address}.`);
        }
      } catch (error) {
        const problem = fixable(error);
        if (!problem) throw error;
        return actorsPage(masks, reply, signed, '', problem, 422);
      }
      return reply.redirect('/manage/actors');
    });

    pages.get<{ Params: { id: string } }>('/manage/actors/:id', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const actor = signed && (await findActor(masks, reply, request.params.id));
      return signed && actor ? actorPage(masks, reply, signed, actor) : reply;
    });

    pages.post<{ Params: { id: string } }>('/manage/actors/:id/sign-out', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const actor = signed && (await findActor(masks, reply, request.params.id));
      if (!signed || !actor) return reply;
      await endSessionsAs(masks, signed.manager, actor);
      return actorPage(masks, reply, signed, actor, { notice: 'Signed out everywhere.' });
    });

    pages.post<{ Params: { id: string; factor: string } }>('/manage/actors/:id/factors/:factor/remove', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const actor = signed && (await findActor(masks, reply, request.params.id));
      if (!signed || !actor) return reply;
      const removed = await removeFactorAs(masks, signed.manager, actor, request.params.factor.slice(0, 64));
      return actorPage(masks, reply, signed, actor, removed ? { notice: 'Removed.' } : { problem: 'No such second factor.' }, removed ? 200 : 404);
    });

    pages.post<{ Params: { id: string } }>('/manage/sessions/:id/end', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const actor = signed && (await findActor(masks, reply, (request.body as Form).actor));
      if (!signed || !actor) return reply;
      const session = request.params.id.length <= 64 ? await masks.store.signIns.sessionById(request.params.id) : undefined;
      if (!session || session.actorId !== actor.id || session.endedAt !== null) return actorPage(masks, reply, signed, actor, { problem: 'That session has ended already.' }, 404);
      try {
        await endSessionAs(masks, signed.manager, session, actor);
      } catch (error) {
        const problem = fixable(error);
        if (!problem) throw error;
        return actorPage(masks, reply, signed, actor, { problem }, 403);
      }
      return actorPage(masks, reply, signed, actor, { notice: 'The session was ended.' });
    });

    pages.post<{ Params: { id: string } }>('/manage/devices/:id/block', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const actor = signed && (await findActor(masks, reply, (request.body as Form).actor));
      if (!signed || !actor) return reply;
      const device = request.params.id.length <= 64 ? await masks.store.signIns.device(request.params.id) : undefined;
      if (!device) return actorPage(masks, reply, signed, actor, { problem: 'No such device.' }, 404);
      await blockDeviceAs(masks, signed.manager, device.id);
      return actorPage(masks, reply, signed, actor, { notice: 'The device is blocked: everyone on it is signed out, and no sign-in there will succeed.' });
    });

    for (const action of ['disable', 'enable'] as const) {
      pages.post<{ Params: { id: string } }>(`/manage/actors/:id/${action}`, async (request, reply) => {
        const signed = await guard(masks, request, reply);
        const actor = signed && (await findActor(masks, reply, request.params.id));
        if (!signed || !actor) return reply;
        try {
          await changeActorAs(masks, signed.manager, actor, { disabled: action === 'disable' });
        } catch (error) {
          const problem = fixable(error);
          if (!problem) throw error;
          return actorsPage(masks, reply, signed, '', problem, 409);
        }
        return reply.redirect('/manage/actors');
      });
    }

    pages.post<{ Params: { id: string } }>('/manage/actors/:id/link', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      const actor = signed && (await findActor(masks, reply, request.params.id));
      if (!signed || !actor) return reply;
      try {
        const sent = await sendAccountLinkAs(masks, signed.manager, actor, { invite: false, expiresIn: RESET_LIFETIME });
        return actorsPage(masks, reply, signed, '', undefined, 200, `A link to choose a new password was sent to ${sent.address}.`);
      } catch (error) {
        const problem = fixable(error);
        if (!problem) throw error;
        return actorsPage(masks, reply, signed, '', problem, 409);
      }
    });

    pages.get<{ Querystring: Record<string, string | undefined> }>('/manage/events', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const text = (name: string, max: number) => (typeof request.query[name] === 'string' && request.query[name]!.length <= max ? request.query[name] : undefined) || undefined;
      const filters = { type: text('type', 64), client: text('client', 255), actor: text('actor', 64) };
      const before = Number(request.query.before);
      const events = await masks.store.events.list({ type: filters.type, clientId: filters.client, actorId: filters.actor, before: Number.isSafeInteger(before) && before > 0 ? before : undefined, limit: 100 });
      const names = new Map<string, string>();
      for (const e of events) {
        if (e.actorId && !names.has(e.actorId)) {
          const actor = await masks.store.actors.find(e.actorId);
          names.set(e.actorId, actor?.nickname ?? actor?.emails[0]?.address ?? e.actorId);
        }
      }
      const query = (extra: Record<string, string>) => `/manage/events?${new URLSearchParams({ ...(Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) as Record<string, string>), ...extra })}`;
      return renderPage(masks, reply, 'manage/events', {
        title: 'Events',
        wide: true,
        nav: true,
        filters,
        events: events.map((e) => ({ ...eventView(e), actor: e.actorId ? names.get(e.actorId) : undefined })),
        next: events.length === 100 ? query({ before: String(events.at(-1)!.id) }) : undefined,
      });
    });
  });
}
